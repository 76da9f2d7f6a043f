//! `--device auto|cpu|gpu` of `medprep run` and `preprocess_image`: the command line's
//! spelling of [`DeviceChoice`], which opens the device by its rules (`gpu` takes any
//! GPU adapter, software ones included, and is a usage error without one; `auto` takes
//! a hardware GPU, else the CPU).

use medprep::{Device, DeviceChoice, DeviceError};

/// Where the computation runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DeviceArg {
    /// A hardware GPU when there is one, else the CPU (a software adapter such as
    /// lavapipe is slower than the CPU path); one stderr line says which and why.
    Auto,
    /// Every stage on the CPU cores (rayon).
    Cpu,
    /// Any GPU adapter, software ones included. Consecutive inputs go to the GPU in
    /// batches of up to 64 frames, which stay on the device from upload to statistics
    /// when every stage of the recipe has a GPU twin; other images run their window,
    /// resampling and maps on the GPU and the rest on the CPU.
    Gpu,
}

impl From<DeviceArg> for DeviceChoice {
    fn from(arg: DeviceArg) -> Self {
        match arg {
            DeviceArg::Auto => Self::Auto,
            DeviceArg::Cpu => Self::Cpu,
            DeviceArg::Gpu => Self::Gpu,
        }
    }
}

/// Turns off Mesa's Vulkan device-selection layer unless `NODEVICE_SELECT` is set: when
/// a GPU is opened it connects to a Wayland display and prints errors on hosts without
/// one (batch and cluster nodes), and wgpu picks the adapter itself. Call first thing in
/// `main`, before any thread exists.
pub fn quiet_vulkan_layers() {
    if std::env::var_os("NODEVICE_SELECT").is_none() {
        std::env::set_var("NODEVICE_SELECT", "1");
    }
}

impl DeviceArg {
    /// Opens the device; also returns the line to log for `auto` and `gpu` (which names
    /// the device and, for `auto`, why; never a path).
    pub fn open(self) -> Result<(Device, Option<String>), DeviceError> {
        let (device, line) = DeviceChoice::from(self).open()?;
        Ok((device, (self != Self::Cpu).then_some(line)))
    }
}
