//! Where a [`Pipeline`](super::Pipeline) computes: [`Device::Cpu`], or [`Device::Gpu`],
//! which runs the stages that have a GPU twin on the GPU and the others on the CPU.
//!
//! [`DeviceChoice`] is the `auto | cpu | gpu` of the command lines and the Python
//! module, parsed once ([`str::parse`]) and opened into a device and one line for logs
//! ([`DeviceChoice::open`]). `gpu` takes any adapter, a software one (lavapipe,
//! llvmpipe) included, and is an error without one; `auto` takes a hardware adapter
//! only, since a software adapter is slower than the CPU path, and otherwise the CPU.

use std::fmt;
use std::str::FromStr;
#[cfg(feature = "gpu")]
use std::sync::Arc;

#[cfg(feature = "gpu")]
use crate::gpu::GpuContext;

/// The device a user asks for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum DeviceChoice {
    /// A hardware GPU when one can be opened, else the CPU.
    #[default]
    Auto,
    /// The CPU (rayon).
    Cpu,
    /// Any GPU adapter, software ones included; an error without one.
    Gpu,
}

impl DeviceChoice {
    /// Every choice, in the order help texts list them.
    pub const ALL: [Self; 3] = [Self::Auto, Self::Cpu, Self::Gpu];

    /// `auto`, `cpu` or `gpu`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Cpu => "cpu",
            Self::Gpu => "gpu",
        }
    }

    /// Opens the device (see the module documentation), with one line for logs naming
    /// the device chosen (and for `auto`, why).
    pub fn open(self) -> Result<(Device, String), DeviceError> {
        match self {
            Self::Auto => Ok(Device::auto()),
            Self::Cpu => Ok((Device::Cpu, "device cpu".into())),
            Self::Gpu => {
                let device = Device::gpu()?;
                let line = format!("device gpu ({})", device.adapter());
                Ok((device, line))
            }
        }
    }
}

impl FromStr for DeviceChoice {
    type Err = DeviceError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|choice| choice.name() == name)
            .ok_or_else(|| DeviceError::UnknownName(name.into()))
    }
}

impl fmt::Display for DeviceChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a [`Pipeline`](super::Pipeline) computes.
#[derive(Debug, Clone, Default)]
pub enum Device {
    /// Every stage on the CPU (rayon).
    #[default]
    Cpu,
    /// On this GPU. [`Pipeline::process_batch`](super::Pipeline::process_batch) keeps
    /// batches of frames on the device from upload to statistics when every stage of
    /// the recipe has a GPU twin; other images, and [`Pipeline::process`](super::Pipeline::process),
    /// run the window, resampling and maps on the GPU and the rest on the CPU. A GPU
    /// failure fails the image ([`ErrorKind::Pipeline`](crate::ErrorKind::Pipeline))
    /// rather than silently running it on the CPU.
    #[cfg(feature = "gpu")]
    Gpu(Arc<GpuContext>),
}

/// A device name that cannot be honoured.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeviceError {
    /// The name is none of `auto`, `cpu`, `gpu`.
    #[error("device must be \"auto\", \"cpu\" or \"gpu\", not {0:?}")]
    UnknownName(String),
    /// `gpu` was asked for and no GPU can be opened.
    #[error("device \"gpu\" needs a GPU and none is usable: {reason}")]
    NoGpu {
        /// Why (no adapter, the device request failed, built without the backend).
        reason: String,
    },
}

impl Device {
    /// The GPU `GpuContext::new` opens (honouring `WGPU_BACKEND`, `WGPU_ADAPTER_NAME`,
    /// `WGPU_POWER_PREF`), software adapters included.
    pub fn gpu() -> Result<Self, DeviceError> {
        #[cfg(feature = "gpu")]
        let opened = GpuContext::new()
            .map(|ctx| Self::Gpu(Arc::new(ctx)))
            .map_err(|e| e.to_string());
        #[cfg(not(feature = "gpu"))]
        let opened = Err(String::from(
            "this build has no GPU backend (cargo feature `gpu`)",
        ));
        opened.map_err(|reason| DeviceError::NoGpu { reason })
    }

    /// A hardware GPU when one can be opened, else the CPU, with one line for logs
    /// saying which and why. A software adapter is never chosen here.
    pub fn auto() -> (Self, String) {
        match Self::gpu() {
            Ok(device) if device.is_software() => (
                Self::Cpu,
                format!(
                    "device auto: cpu, because the GPU adapter found ({}) is a software \
                     implementation, slower than the CPU path",
                    device.adapter()
                ),
            ),
            Ok(device) => {
                let line = format!(
                    "device auto: gpu ({}), a hardware adapter",
                    device.adapter()
                );
                (device, line)
            }
            Err(DeviceError::NoGpu { reason }) => {
                (Self::Cpu, format!("device auto: cpu, because {reason}"))
            }
            Err(e) => (Self::Cpu, format!("device auto: cpu, because {e}")),
        }
    }

    /// `cpu` or `gpu`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Cpu => "cpu",
            #[cfg(feature = "gpu")]
            Self::Gpu(_) => "gpu",
        }
    }

    /// Whether inputs should go through
    /// [`Pipeline::process_batch`](super::Pipeline::process_batch) together, many at a
    /// time: on a GPU, where a batch stays on the device; on the CPU a batch is only
    /// `process` per image, so inputs are better run one per worker.
    pub fn batches(&self) -> bool {
        !matches!(self, Self::Cpu)
    }

    /// The GPU context, on [`Device::Gpu`].
    #[cfg(feature = "gpu")]
    pub fn context(&self) -> Option<&GpuContext> {
        match self {
            Self::Cpu => None,
            Self::Gpu(ctx) => Some(ctx),
        }
    }

    /// The adapter's one-line description, or `cpu`.
    fn adapter(&self) -> String {
        match self {
            Self::Cpu => "cpu".into(),
            #[cfg(feature = "gpu")]
            Self::Gpu(ctx) => ctx.adapter_info(),
        }
    }

    fn is_software(&self) -> bool {
        match self {
            Self::Cpu => false,
            #[cfg(feature = "gpu")]
            Self::Gpu(ctx) => ctx.is_software(),
        }
    }
}
