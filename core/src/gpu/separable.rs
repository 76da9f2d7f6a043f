//! The separable correlation pass on the GPU (`shaders/separable.wgsl`), twin of
//! `cpu::filters::separable`: one 1-D correlation of taps along an axis, boundary
//! `reflect`. [`filters::gaussian`](super::filters::gaussian) and
//! [`filters::gaussian_laplace`](super::filters::gaussian_laplace) are made of such
//! passes, and so is [`filters::correlate`](super::filters::correlate) for a rank-one
//! kernel.

use bytemuck::{Pod, Zeroable};

use super::context::{Job, Slot};
use super::shaders::SEPARABLE;
use super::GpuError;
use crate::cpu::filters::{Symmetry, Taps};

/// Mirrors `Params` in `shaders/separable.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub(crate) struct SeparableParams {
    pub(crate) rows: u32,
    pub(crate) cols: u32,
    pub(crate) axis: u32,
    pub(crate) taps: u32,
    pub(crate) symmetry: u32,
    pub(crate) _pad0: u32,
    pub(crate) _pad1: u32,
    pub(crate) _pad2: u32,
}

const _: () = assert!(size_of::<SeparableParams>() == SEPARABLE.params_size as usize);

/// Records one 1-D correlation of `taps` along `axis` from `input` into `output`.
pub(super) fn separable_pass(
    job: &mut Job<'_>,
    [rows, cols]: [usize; 2],
    axis: u32,
    taps: &Taps,
    input: &Slot,
    output: &Slot,
) -> Result<(), GpuError> {
    let weights: Vec<f32> = taps.weights().iter().map(|&w| w as f32).collect();
    let weights = job.constant("filter taps", &weights)?;
    let params = job.params(
        &SEPARABLE,
        &SeparableParams {
            rows: rows as u32,
            cols: cols as u32,
            axis,
            taps: taps.len() as u32,
            symmetry: match taps.symmetry() {
                Symmetry::Symmetric => 0,
                Symmetry::Antisymmetric => 1,
                Symmetry::None => 2,
            },
            _pad0: 0,
            _pad1: 0,
            _pad2: 0,
        },
    )?;
    job.dispatch(
        &SEPARABLE,
        &[&params, &weights, input, output],
        (rows * cols) as u64,
    )
}
