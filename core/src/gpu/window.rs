//! The intensity window on the GPU (`shaders/window.wgsl`), twin of [`Window::apply`].

use bytemuck::{Pod, Zeroable};

use super::shaders::WINDOW;
use super::{GpuContext, GpuError};
use crate::Window;

/// Mirrors `Params` in `shaders/window.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub(crate) struct Params {
    pub(crate) low: f32,
    pub(crate) width: f32,
    pub(crate) invert: u32,
    pub(crate) len: u32,
}

const _: () = assert!(size_of::<Params>() == WINDOW.params_size as usize);

/// [`Window::apply`] on the GPU: `clamp((x - (c - w/2)) / w, 0, 1)`, flipped when
/// `invert` (MONOCHROME1), returned as a new vector.
///
/// Inputs larger than one storage binding of the device are processed in tiles. Results
/// match the CPU within a few units in the last place (WGSL allows division 2.5 ULP);
/// non-finite inputs give unspecified values.
pub fn window(
    ctx: &GpuContext,
    values: &[f32],
    window: &Window,
    invert: bool,
) -> Result<Vec<f32>, GpuError> {
    if values.is_empty() {
        return Ok(Vec::new());
    }
    // The same f32 constants as Window::apply.
    let low = (window.center - window.width / 2.0) as f32;
    let width = window.width as f32;
    ctx.run("window", |job| {
        let tile = job.max_binding_elements().max(1);
        let mut outputs = Vec::new();
        for part in values.chunks(tile) {
            let input = job.upload("window input", part)?;
            let output = job.output("window output", part.len())?;
            let params = job.params(
                &WINDOW,
                &Params {
                    low,
                    width,
                    invert: u32::from(invert),
                    len: part.len() as u32,
                },
            )?;
            job.dispatch(&WINDOW, &[&params, &input, &output], part.len() as u64)?;
            outputs.push(output);
        }
        job.read(&outputs.iter().collect::<Vec<_>>())
    })
}
