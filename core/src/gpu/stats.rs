//! Statistics on the GPU, twins of [`cpu::stats`](crate::cpu::stats): the first read of
//! the first-order statistics ([`moments`]: minimum, maximum, Σ x, Σ x² by workgroup
//! reductions in `shaders/moments.wgsl`) and the fixed-bin-number histogram features
//! ([`histogram`], counts in `shaders/histogram.wgsl`). Only the per-workgroup partials
//! and the bin counts come back; the host finishes in f64 in a fixed order.

use bytemuck::{Pod, Zeroable};

use super::shaders::{HISTOGRAM, MOMENTS};
use super::{GpuContext, GpuError};
use crate::cpu::stats::{features_of_counts, fixed_bins};

/// Values each workgroup reduces: 16 per invocation.
const PER_GROUP: usize = 256 * 16;
/// Bins one workgroup counts in its own memory (`shaders/histogram.wgsl`).
pub const MAX_GPU_BINS: u32 = 1024;

/// Mirrors `Params` in `shaders/moments.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub(crate) struct BlockParams {
    pub(crate) len: u32,
    pub(crate) per_group: u32,
    pub(crate) _pad0: u32,
    pub(crate) _pad1: u32,
}

/// Mirrors `Params` in `shaders/histogram.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub(crate) struct HistogramParams {
    pub(crate) len: u32,
    pub(crate) per_group: u32,
    pub(crate) bins: u32,
    pub(crate) _pad0: u32,
    pub(crate) low: f32,
    pub(crate) scale: f32,
    pub(crate) _pad1: u32,
    pub(crate) _pad2: u32,
}

const _: () = assert!(size_of::<BlockParams>() == MOMENTS.params_size as usize);
const _: () = assert!(size_of::<HistogramParams>() == HISTOGRAM.params_size as usize);

/// The first moments of a set of values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Moments {
    /// Number of values.
    pub count: usize,
    /// Smallest value.
    pub min: f32,
    /// Largest value.
    pub max: f32,
    /// Σ x (f32 within each workgroup's block, f64 across blocks).
    pub sum: f64,
    /// Σ x², IBSI's energy (same accumulation).
    pub energy: f64,
}

impl Moments {
    /// Σ x / n.
    pub fn mean(&self) -> f64 {
        self.sum / self.count as f64
    }
}

/// Minimum, maximum, Σ x and Σ x² of finite `values`; `None` when there are none.
/// Inputs larger than one storage binding are reduced tile by tile.
pub fn moments(ctx: &GpuContext, values: &[f32]) -> Result<Option<Moments>, GpuError> {
    if values.is_empty() {
        return Ok(None);
    }
    let partials: Vec<f32> = ctx.run("moments", |job| {
        let tile = tile_len(job.max_binding_elements());
        let mut outputs = Vec::new();
        for part in values.chunks(tile) {
            let blocks = part.len().div_ceil(PER_GROUP);
            let input = job.upload("moments input", part)?;
            let output = job.output("moments partials", blocks * 4)?;
            let params = job.params(
                &MOMENTS,
                &BlockParams {
                    len: part.len() as u32,
                    per_group: PER_GROUP as u32,
                    _pad0: 0,
                    _pad1: 0,
                },
            )?;
            job.dispatch(&MOMENTS, &[&params, &input, &output], blocks as u64 * 256)?;
            outputs.push(output);
        }
        job.read(&outputs.iter().collect::<Vec<_>>())
    })?;
    let mut m = Moments {
        count: values.len(),
        min: f32::INFINITY,
        max: f32::NEG_INFINITY,
        sum: 0.0,
        energy: 0.0,
    };
    for block in partials.chunks_exact(4) {
        m.min = m.min.min(block[0]);
        m.max = m.max.max(block[1]);
        m.sum += f64::from(block[2]);
        m.energy += f64::from(block[3]);
    }
    Ok(Some(m))
}

/// Entropy (log2) and uniformity of `values` in `bins` bins over their own min..max on
/// numpy's edges: [`cpu::stats::histogram`](crate::cpu::stats::histogram) with
/// `Discretisation::Bins(bins)` and no mask. `None` when there are no values; `bins` must
/// be in `1..=MAX_GPU_BINS` (else [`GpuError::Unsupported`]). Values must be finite.
pub fn histogram(
    ctx: &GpuContext,
    values: &[f32],
    bins: u32,
) -> Result<Option<Vec<(&'static str, f64)>>, GpuError> {
    if bins == 0 || bins > MAX_GPU_BINS {
        return Err(GpuError::Unsupported {
            what: format!("{bins} histogram bins (the GPU counts 1 to {MAX_GPU_BINS})"),
        });
    }
    let Some(range) = moments(ctx, values)? else {
        return Ok(None);
    };
    let counts = match fixed_bins(range.min, range.max, bins) {
        // A constant set: every value in the first bin.
        None => vec![values.len() as u64],
        Some((low, scale, interior)) => {
            let counts: Vec<u32> = ctx.run("histogram", |job| {
                // One element at least: an empty binding is invalid (one bin reads none).
                let interior = if interior.is_empty() {
                    vec![0.0]
                } else {
                    interior
                };
                let thresholds = job.upload("histogram thresholds", &interior)?;
                let counts = job.zeroed("histogram counts", bins as usize)?;
                for part in values.chunks(tile_len(job.max_binding_elements())) {
                    let input = job.upload("histogram input", part)?;
                    let params = job.params(
                        &HISTOGRAM,
                        &HistogramParams {
                            len: part.len() as u32,
                            per_group: PER_GROUP as u32,
                            bins,
                            _pad0: 0,
                            low,
                            scale,
                            _pad1: 0,
                            _pad2: 0,
                        },
                    )?;
                    let blocks = part.len().div_ceil(PER_GROUP);
                    job.dispatch(
                        &HISTOGRAM,
                        &[&params, &input, &thresholds, &counts],
                        blocks as u64 * 256,
                    )?;
                }
                job.read(&[&counts])
            })?;
            counts.into_iter().map(u64::from).collect()
        }
    };
    Ok(Some(features_of_counts(&counts, values.len())))
}

/// Values per tile: whole blocks within one binding.
fn tile_len(max_elements: usize) -> usize {
    (max_elements / PER_GROUP * PER_GROUP)
        .max(PER_GROUP.min(max_elements))
        .max(1)
}
