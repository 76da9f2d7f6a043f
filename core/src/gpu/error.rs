//! Errors of the GPU backend. None of them is a bug of the caller's data: each means the
//! work should run on the CPU instead, with the message logged.

/// Why the GPU backend could not do something.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GpuError {
    /// No adapter matched (no Vulkan, Metal or DX12 driver, or none named
    /// `WGPU_ADAPTER_NAME`).
    #[error("no GPU adapter: {reason}")]
    NoAdapter {
        /// What was looked for and what exists.
        reason: String,
    },
    /// The adapter refused to create a device.
    #[error("requesting a device from {adapter} failed: {message}")]
    DeviceRequest {
        /// The adapter, as [`GpuContext::adapter_info`](super::GpuContext::adapter_info).
        adapter: String,
        /// The driver's reason.
        message: String,
    },
    /// The device rejected a shader or its pipeline.
    #[error("the device rejected shader `{stage}`: {message}")]
    Shader {
        /// The stage (the shader's file name without `.wgsl`).
        stage: &'static str,
        /// The validation message.
        message: String,
    },
    /// A buffer or a dispatch would exceed a limit of the device.
    #[error("{what} needs {needed}, more than the device's {limit} of {allowed}")]
    TooLarge {
        /// What was being allocated or dispatched.
        what: &'static str,
        /// Bytes or workgroups needed.
        needed: u64,
        /// The device limit that is exceeded.
        limit: &'static str,
        /// Its value.
        allowed: u64,
    },
    /// The device reported an error (validation, out of memory, internal) while an
    /// operation ran.
    #[error("the device failed during `{stage}`: {message}")]
    Device {
        /// The operation.
        stage: &'static str,
        /// The device's message.
        message: String,
    },
    /// The GPU backend does not handle these parameters (the CPU does).
    #[error("the GPU backend does not support {what}")]
    Unsupported {
        /// What was asked for.
        what: String,
    },
    /// Results could not be read back (device lost, mapping failed).
    #[error("reading the results of `{stage}` back failed: {message}")]
    Readback {
        /// The operation.
        stage: &'static str,
        /// What failed.
        message: String,
    },
}
