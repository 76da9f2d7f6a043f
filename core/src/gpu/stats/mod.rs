//! Statistics on the GPU, twins of [`cpu::stats`](crate::cpu::stats):
//! - [`statistics`]: every first-order and histogram statistic of a batch of maps, all
//!   passes on the device between one upload and one readback of partial sums, selected
//!   order statistics and bin counts (`batch`, which also records into a caller's job so
//!   maps made on the device stay there);
//! - [`moments`]: minimum, maximum, Σ x, Σ x² by workgroup reductions
//!   (`shaders/moments.wgsl`);
//! - [`histogram`]: the fixed-bin-number histogram features on thresholds built on the
//!   host (`shaders/histogram.wgsl`);
//! - [`glcm`]: the GLCM features from co-occurrences counted on the device
//!   (`shaders/glcm.wgsl`), finished by the CPU's own code.
//!
//! Only per-workgroup partials, keys and counts come back; the host finishes in f64 in a
//! fixed order.

pub(crate) mod batch;

use bytemuck::{Pod, Zeroable};

use ndarray::ArrayView2;

use super::shaders::{GLCM, HISTOGRAM, MOMENTS};
use super::{GpuContext, GpuError};
use crate::cpu::stats::{
    features_of_counts, fixed_bins, glcm_counted, Discretisation, StatsError, GLCM_DIRECTIONS,
};
use crate::recipe::Family;
pub use batch::MapStatistics;
use batch::{record_statistics, MOMENT_WORDS};

/// Values each workgroup reduces: 16 per invocation.
const PER_GROUP: usize = 256 * 16;
/// Bins one workgroup counts in its own memory (`shaders/histogram.wgsl`).
pub const MAX_GPU_BINS: u32 = 1024;

/// Mirrors `Params` in `shaders/shared/stats.wgsl`, the parameters of `moments.wgsl` and
/// of the batch stages (`stats_*.wgsl`); each stage reads the fields it needs.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, Pod, Zeroable)]
pub(crate) struct StatsParams {
    pub(crate) maps: u32,
    pub(crate) map_len: u32,
    pub(crate) per_group: u32,
    pub(crate) blocks_per_map: u32,
    pub(crate) ranks: u32,
    pub(crate) shift: u32,
    pub(crate) bins: u32,
    pub(crate) lo10: u32,
    pub(crate) hi10: u32,
    pub(crate) lo50: u32,
    pub(crate) lo90: u32,
    pub(crate) hi90: u32,
    /// Always 0, an opaque zero for `shaders/shared/float_float.wgsl`.
    pub(crate) zero: u32,
    pub(crate) _pad0: u32,
    pub(crate) _pad1: u32,
    pub(crate) _pad2: u32,
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

const _: () = assert!(size_of::<StatsParams>() == MOMENTS.params_size as usize);
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
    let partials: Vec<u32> = ctx.run("moments", |job| {
        let tile = tile_len(job.max_binding_elements());
        let mut outputs = Vec::new();
        for part in values.chunks(tile) {
            let blocks = part.len().div_ceil(PER_GROUP);
            let input = job.upload("moments input", part)?;
            let output = job.output("moments partials", blocks * MOMENT_WORDS)?;
            let params = job.params(
                &MOMENTS,
                &StatsParams {
                    maps: 1,
                    map_len: part.len() as u32,
                    per_group: PER_GROUP as u32,
                    blocks_per_map: blocks as u32,
                    ..StatsParams::default()
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
    for block in partials.chunks_exact(MOMENT_WORDS) {
        let value = |i: usize| f32::from_bits(block[i]);
        m.min = m.min.min(value(0));
        m.max = m.max.max(value(1));
        m.sum += f64::from(value(2));
        m.energy += f64::from(value(3));
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

/// The statistics `families` of each of `maps` (all of one length), as
/// [`cpu::stats::first_order`](crate::cpu::stats::first_order) and
/// [`cpu::stats::histogram`](crate::cpu::stats::histogram) compute them without a mask:
/// per map the families' values in order ([`FIRST_ORDER_NAMES`](crate::cpu::stats::FIRST_ORDER_NAMES)
/// then [`HISTOGRAM_NAMES`](crate::cpu::stats::HISTOGRAM_NAMES) per family), or the map's
/// error ([`StatsError::NonFinite`] for a NaN
/// or infinite value, `EmptyRoi` for empty maps).
///
/// One upload, every pass on the device, one readback of partial sums, selected order
/// statistics and bin counts (never the maps). Percentiles, minimum, maximum, iqr and
/// range are exactly the CPU's; the other statistics agree within f32 summation (see the
/// parity tests for the bounds). [`Family::Glcm`] and histograms other than
/// `Discretisation::Bins(1..=MAX_GPU_BINS)` are [`GpuError::Unsupported`].
///
/// ```
/// use medprep::cpu::stats::Discretisation;
/// use medprep::gpu::{stats, GpuContext};
/// use medprep::recipe::Family;
///
/// if let Ok(ctx) = GpuContext::new() {
///     let (a, b) = ([1.0f32, 2.0, 3.0, 4.0], [5.0f32; 4]);
///     let families = [Family::FirstOrder, Family::Histogram];
///     let all = stats::statistics(&ctx, &[&a, &b], &families, Discretisation::Bins(4))?;
///     let first = all[0].clone()?;
///     assert_eq!(first[0], 2.5); // the mean
///     assert_eq!(first[4], 2.5); // the median
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn statistics(
    ctx: &GpuContext,
    maps: &[&[f32]],
    families: &[Family],
    discretisation: Discretisation,
) -> Result<Vec<MapStatistics>, GpuError> {
    let map_len = maps.first().map_or(0, |m| m.len());
    if maps.iter().any(|m| m.len() != map_len) {
        return Err(GpuError::Unsupported {
            what: "statistics of maps of different lengths in one call".into(),
        });
    }
    ctx.run("statistics", |job| {
        let values: Vec<f32> = maps.concat();
        // An empty binding is invalid; nothing reads the padding.
        let input = job.upload(
            "statistics maps",
            if values.is_empty() { &[0.0] } else { &values },
        )?;
        let pending =
            record_statistics(job, &input, maps.len(), map_len, families, discretisation)?;
        let slots = pending.slots();
        let words = if slots.is_empty() {
            Vec::new()
        } else {
            job.read::<u32>(&slots)?
        };
        pending.finish(&words)
    })
}

/// Values per tile: whole blocks within one binding.
fn tile_len(max_elements: usize) -> usize {
    (max_elements / PER_GROUP * PER_GROUP)
        .max(PER_GROUP.min(max_elements))
        .max(1)
}

/// Mirrors `Params` in `shaders/glcm.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, Pod, Zeroable)]
pub(crate) struct GlcmParams {
    pub(crate) rows: u32,
    pub(crate) cols: u32,
    pub(crate) levels: u32,
    pub(crate) _pad0: u32,
}

const _: () = assert!(size_of::<GlcmParams>() == GLCM.params_size as usize);

/// Why [`glcm`] failed: the statistics' own error or the device's.
enum GlcmFailure {
    Stats(StatsError),
    Gpu(GpuError),
}

impl From<StatsError> for GlcmFailure {
    fn from(e: StatsError) -> Self {
        Self::Stats(e)
    }
}

/// The 25 GLCM features of `values` (one 2-D map, no mask) as
/// [`cpu::stats::glcm`](crate::cpu::stats::glcm) computes them: the co-occurrences of
/// the four directions counted on the device (`shaders/glcm.wgsl`, exact integer counts),
/// the grey levels, features and average by the CPU's own code, so the result is the
/// CPU's bit for bit. The CPU's errors (an empty map, a non-finite value, more than
/// [`MAX_GLCM_GREY_LEVELS`](crate::cpu::stats::MAX_GLCM_GREY_LEVELS) levels) come back
/// as [`GpuError::Unsupported`] with their message.
pub fn glcm(
    ctx: &GpuContext,
    values: ArrayView2<'_, f32>,
    discretisation: Discretisation,
) -> Result<Vec<(&'static str, f64)>, GpuError> {
    let (rows, cols) = values.dim();
    let counted = glcm_counted(values, discretisation, |grey: &[u32], levels: usize| {
        let cells = levels * levels;
        let counts: Vec<u32> = ctx
            .run("glcm", |job| {
                let offsets: Vec<i32> = GLCM_DIRECTIONS
                    .iter()
                    .flat_map(|&(dr, dc)| [dr as i32, dc as i32])
                    .collect();
                let offsets = job.constant("GLCM directions", &offsets)?;
                let image = job.upload("GLCM grey levels", grey)?;
                let counts = job.zeroed("GLCM counts", GLCM_DIRECTIONS.len() * cells)?;
                let params = job.params(
                    &GLCM,
                    &GlcmParams {
                        rows: rows as u32,
                        cols: cols as u32,
                        levels: levels as u32,
                        _pad0: 0,
                    },
                )?;
                job.dispatch(
                    &GLCM,
                    &[&params, &offsets, &image, &counts],
                    grey.len() as u64,
                )?;
                job.read(&[&counts])
            })
            .map_err(GlcmFailure::Gpu)?;
        Ok(counts
            .chunks_exact(cells.max(1))
            .map(|m| m.iter().map(|&c| u64::from(c)).collect())
            .collect())
    });
    counted.map_err(|failure| match failure {
        GlcmFailure::Gpu(e) => e,
        GlcmFailure::Stats(e) => GpuError::Unsupported {
            what: format!("GLCM: {e}"),
        },
    })
}
