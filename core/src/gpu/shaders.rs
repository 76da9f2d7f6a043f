//! The WGSL stages of `shaders/`, expanded (imports appended) and validated with naga at
//! build time by `core/build.rs`, with their reflection: one `Shader` constant per file
//! (`WINDOW` for `window.wgsl`, …) and [`ALL`].

/// How a binding of group 0 is declared in a stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Binding {
    /// `var<uniform>`: the stage's parameters.
    Uniform,
    /// `var<storage, read>`.
    Read,
    /// `var<storage, read_write>`.
    ReadWrite,
}

/// One stage: its source and what the build script read from it.
#[derive(Debug)]
pub(crate) struct Shader {
    /// The file name without `.wgsl`; also the pipeline's cache key and label.
    pub(crate) name: &'static str,
    /// WGSL with the shared helpers appended.
    pub(crate) source: &'static str,
    /// `@workgroup_size` of `main`.
    pub(crate) workgroup_size: [u32; 3],
    /// Bindings 0, 1, … of group 0.
    pub(crate) bindings: &'static [Binding],
    /// Size in bytes of the uniform struct `Params`.
    pub(crate) params_size: u32,
    /// Its members' names and offsets, checked against the Rust mirrors in tests.
    #[cfg_attr(not(test), allow(dead_code))] // Read by the layout tests only.
    pub(crate) params: &'static [(&'static str, u32)],
}

include!(concat!(env!("OUT_DIR"), "/shaders.rs"));
