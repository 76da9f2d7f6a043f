//! Where a [`Pipeline`](super::Pipeline) computes: [`Device::Cpu`], or [`Device::Gpu`],
//! which runs the stages that have a GPU twin on the GPU and the others on the CPU.
//!
//! [`Device::from_name`] turns the `auto | cpu | gpu` of the command lines and the Python
//! module into a device and one line for logs. `gpu` takes any adapter, a software one
//! (lavapipe, llvmpipe) included, and is an error without one; `auto` takes a hardware
//! adapter only, since a software adapter is slower than the CPU path, and otherwise the
//! CPU.

#[cfg(feature = "gpu")]
use std::sync::Arc;

#[cfg(feature = "gpu")]
use crate::gpu::GpuContext;

/// Where a [`Pipeline`](super::Pipeline) computes.
#[derive(Debug, Clone, Default)]
pub enum Device {
    /// Every stage on the CPU (rayon).
    #[default]
    Cpu,
    /// On this GPU: the window, resampling without anti-aliasing and the Gaussian, LoG
    /// and Sobel maps; everything else on the CPU. A GPU failure fails the image
    /// ([`ErrorKind::Pipeline`](crate::ErrorKind::Pipeline)) rather than silently running
    /// it on the CPU.
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

    /// `auto`, `cpu` or `gpu` (see the module documentation), with one line for logs
    /// naming the device chosen (and for `auto`, why).
    pub fn from_name(name: &str) -> Result<(Self, String), DeviceError> {
        match name {
            "auto" => Ok(Self::auto()),
            "cpu" => Ok((Self::Cpu, "device cpu".into())),
            "gpu" => {
                let device = Self::gpu()?;
                let line = format!("device gpu ({})", device.adapter());
                Ok((device, line))
            }
            other => Err(DeviceError::UnknownName(other.into())),
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
