//! The intensity window on the GPU: [`window`] on physical values
//! (`shaders/window.wgsl`, twin of [`Window::apply`]) and [`modality_window`] on stored
//! integer samples (`shaders/modality_window.wgsl`: the modality rescale and the window
//! in one pass, uploading the stored bytes rather than f32).

use std::borrow::Cow;

use bytemuck::{Pod, Zeroable};

use super::context::{Job, Slot};
use super::shaders::{MODALITY_WINDOW, WINDOW};
use super::{GpuContext, GpuError};
use crate::{Rescale, Samples, Window};

/// Mirrors `Params` in `shaders/window.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub(crate) struct Params {
    pub(crate) low: f32,
    pub(crate) width: f32,
    pub(crate) invert: u32,
    pub(crate) len: u32,
}

/// Mirrors `Params` in `shaders/modality_window.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub(crate) struct ModalityParams {
    pub(crate) len: u32,
    pub(crate) bits: u32,
    pub(crate) signed: u32,
    pub(crate) invert: u32,
    pub(crate) slope: f32,
    pub(crate) intercept: f32,
    pub(crate) low: f32,
    pub(crate) width: f32,
    pub(crate) base: u32,
    pub(crate) _pad0: u32,
    pub(crate) _pad1: u32,
    pub(crate) _pad2: u32,
}

/// How stored samples are packed in words: their width (8, 16 or 32 bits) and sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StoredFormat {
    pub(crate) bits: u32,
    pub(crate) signed: bool,
}

impl StoredFormat {
    /// The format of `samples`.
    pub(crate) fn of(samples: &Samples) -> Self {
        Self {
            bits: samples.bits(),
            signed: matches!(samples, Samples::I8(_) | Samples::I16(_) | Samples::I32(_)),
        }
    }
}

const _: () = assert!(size_of::<Params>() == WINDOW.params_size as usize);
const _: () = assert!(size_of::<ModalityParams>() == MODALITY_WINDOW.params_size as usize);

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
    ctx.run("window", |job| {
        let tile = job.max_binding_elements().max(1);
        let mut outputs = Vec::new();
        for part in values.chunks(tile) {
            let input = job.upload("window input", part)?;
            outputs.push(record_window(job, &input, part.len(), window, invert)?);
        }
        job.read(&outputs.iter().collect::<Vec<_>>())
    })
}

/// Records [`window`] of the first `len` values of `input` into a new slot.
pub(crate) fn record_window(
    job: &mut Job<'_>,
    input: &Slot,
    len: usize,
    window: &Window,
    invert: bool,
) -> Result<Slot, GpuError> {
    let output = job.output("window output", len)?;
    // The same f32 constants as Window::apply.
    let params = job.params(
        &WINDOW,
        &Params {
            low: (window.center - window.width / 2.0) as f32,
            width: window.width as f32,
            invert: u32::from(invert),
            len: len as u32,
        },
    )?;
    job.dispatch(&WINDOW, &[&params, input, &output], len as u64)?;
    Ok(output)
}

/// The modality rescale and the window in one pass over stored samples:
/// `stored * slope + intercept` (identity without a rescale), then [`Window::apply`]
/// with `invert` for MONOCHROME1. The samples are uploaded as stored (one or two bytes
/// each for 8- and 16-bit images), packed in words.
///
/// The rescale runs in f32 (the CPU rounds an f64 result once): identical for integer
/// slopes and intercepts such as CT's 1 and -1024, within an f32 rounding of the value
/// otherwise, and 32-bit samples beyond 2^24 round on conversion. Modality LUT tables
/// (Modality LUT Sequence) are not handled here.
pub fn modality_window(
    ctx: &GpuContext,
    samples: &Samples,
    rescale: Option<Rescale>,
    window: &Window,
    invert: bool,
) -> Result<Vec<f32>, GpuError> {
    let len = samples.len();
    if len == 0 {
        return Ok(Vec::new());
    }
    let format = StoredFormat::of(samples);
    let bytes = le_bytes(samples);
    let sample_bytes = format.bits as usize / 8;
    ctx.run("modality_window", |job| {
        // Whole words per tile, for every sample width.
        let tile = (job.max_binding_elements() / 4 * 4).max(4);
        let mut outputs = Vec::new();
        for part in bytes.chunks(tile * sample_bytes) {
            let input = job.upload_bytes("stored samples", part)?;
            let count = part.len() / sample_bytes;
            let windowed =
                record_modality_window(job, &input, 0, count, format, rescale, window, invert)?;
            outputs.push(windowed);
        }
        job.read(&outputs.iter().collect::<Vec<_>>())
    })
}

/// Records [`modality_window`] of `len` samples in `format` starting at word `base` of
/// `words` into a new slot.
#[allow(clippy::too_many_arguments)] // The stage's parameters, each needed.
pub(crate) fn record_modality_window(
    job: &mut Job<'_>,
    words: &Slot,
    base: usize,
    len: usize,
    format: StoredFormat,
    rescale: Option<Rescale>,
    window: &Window,
    invert: bool,
) -> Result<Slot, GpuError> {
    let Rescale { slope, intercept } = rescale.unwrap_or(Rescale {
        slope: 1.0,
        intercept: 0.0,
    });
    let output = job.output("windowed values", len)?;
    let params = job.params(
        &MODALITY_WINDOW,
        &ModalityParams {
            len: len as u32,
            bits: format.bits,
            signed: u32::from(format.signed),
            invert: u32::from(invert),
            slope: slope as f32,
            intercept: intercept as f32,
            low: (window.center - window.width / 2.0) as f32,
            width: window.width as f32,
            base: base as u32,
            _pad0: 0,
            _pad1: 0,
            _pad2: 0,
        },
    )?;
    job.dispatch(&MODALITY_WINDOW, &[&params, words, &output], len as u64)?;
    Ok(output)
}

/// The samples as little-endian bytes, the layout the shader reads (borrowed on
/// little-endian hosts).
fn le_bytes(samples: &Samples) -> Cow<'_, [u8]> {
    if cfg!(target_endian = "little") {
        return Cow::Borrowed(with_samples!(samples, v => bytemuck::cast_slice(v)));
    }
    Cow::Owned(with_samples!(samples, v => v.iter().flat_map(|s| s.to_le_bytes()).collect()))
}
