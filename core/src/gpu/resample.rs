//! Resampling on the GPU (`shaders/resample.wgsl`), twin of
//! [`cpu::resample::resample`](crate::cpu::resample::resample): the per-axis taps are
//! built on the host by the CPU's own code and uploaded as tables, so both backends sample
//! the same positions with the same f32 weights.

use bytemuck::{Pod, Zeroable};
use ndarray::{Array2, ArrayView2};

use super::context::{shaped, Job, Slot};
use super::shaders::RESAMPLE;
use super::{GpuContext, GpuError};
use crate::cpu::resample::{axis_table, Grid, Interpolator};

/// Mirrors `Params` in `shaders/resample.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub(crate) struct Params {
    pub(crate) rows_in: u32,
    pub(crate) cols_in: u32,
    pub(crate) rows_out: u32,
    pub(crate) cols_out: u32,
    pub(crate) taps: u32,
    pub(crate) col_table: u32,
    pub(crate) filled: u32,
    pub(crate) fill: f32,
}

const _: () = assert!(size_of::<Params>() == RESAMPLE.params_size as usize);

/// Samples `input` on `grid` with `interpolator`, as the CPU's `resample`.
///
/// An empty input has nothing to clamp to: every sample is then `fill`, or NaN without one.
pub fn resample(
    ctx: &GpuContext,
    input: ArrayView2<'_, f32>,
    grid: &Grid,
    interpolator: Interpolator,
) -> Result<Array2<f32>, GpuError> {
    let [rows, cols] = grid.size;
    if input.is_empty() {
        return Ok(Array2::from_elem(
            (rows, cols),
            grid.fill.unwrap_or(f32::NAN),
        ));
    }
    if rows == 0 || cols == 0 {
        return Ok(Array2::zeros((rows, cols)));
    }
    ctx.run("resample", |job| {
        let image = job.upload_image("resample input", &input)?;
        let output = record_resample(job, &image, input.dim().into(), grid, interpolator)?;
        shaped(job, [rows, cols], &output)
    })
}

/// Records [`resample`] of the `[rows, cols]` image in `input` (not empty, nor the grid)
/// into a new slot; the tap tables are uploaded as constants.
pub(crate) fn record_resample(
    job: &mut Job<'_>,
    input: &Slot,
    [n, m]: [usize; 2],
    grid: &Grid,
    interpolator: Interpolator,
) -> Result<Slot, GpuError> {
    let [rows, cols] = grid.size;
    // The output must fit one binding; checked before `rows * cols` could overflow.
    let allowed = job.max_binding_elements();
    let len = rows
        .checked_mul(cols)
        .filter(|len| *len <= allowed)
        .ok_or(GpuError::TooLarge {
            what: "resample output",
            needed: (rows as u64).saturating_mul(cols as u64).saturating_mul(4),
            limit: "max_storage_buffer_binding_size",
            allowed: allowed as u64 * 4,
        })?;
    let filled = grid.fill.is_some();
    let (taps, mut table) = axis_table(interpolator, n, rows, grid.offset[0], grid.step[0], filled);
    let col_table = table.len();
    table.extend(axis_table(interpolator, m, cols, grid.offset[1], grid.step[1], filled).1);
    let table = job.constant("resample taps", &table)?;
    let output = job.output("resample output", len)?;
    let params = job.params(
        &RESAMPLE,
        &Params {
            rows_in: n as u32,
            cols_in: m as u32,
            rows_out: rows as u32,
            cols_out: cols as u32,
            taps: taps as u32,
            col_table: col_table as u32,
            filled: u32::from(filled),
            fill: grid.fill.unwrap_or(0.0),
        },
    )?;
    job.dispatch(&RESAMPLE, &[&params, &table, input, &output], len as u64)?;
    Ok(output)
}
