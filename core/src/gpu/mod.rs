//! The GPU backend: the pipeline's stages as WGSL compute shaders run through wgpu, each
//! the twin of a CPU function with the same name and the same arithmetic, agreeing with
//! it within named tolerances (see the parity tests).
//!
//! - [`GpuContext`] is created once: device, queue, pipelines compiled on first use and
//!   cached by stage, and a pool of buffers keyed by size and usage.
//!   [`GpuContext::new`] picks an adapter (honouring `WGPU_BACKEND` and
//!   `WGPU_ADAPTER_NAME`); [`GpuContext::from_device`] takes an application's device and
//!   queue. No adapter is an ordinary [`GpuError`], never a panic: callers fall back to
//!   the CPU.
//! - The stages so far: [`window::window`] (twin of [`Window::apply`](crate::Window::apply))
//!   and [`window::modality_window`] (stored integers through rescale and window),
//!   [`filters::gaussian`], [`filters::gaussian_laplace`], [`filters::sobel_magnitude`],
//!   [`filters::correlate`] (any kernel up to 255 × 255), [`filters::gabor_magnitude`]
//!   and [`resample::resample`]
//!   (all interpolators); [`stats::statistics`] (the 18 first-order statistics and the
//!   histogram features of a batch of maps: exact percentiles by radix selection, shifted
//!   moments and deviations, counts over device-built edges), [`stats::moments`]
//!   (minimum, maximum, Σ x, Σ x² by workgroup reductions) and [`stats::histogram`]
//!   (entropy and uniformity over fixed bins, counted with workgroup atomics) and
//!   [`stats::glcm`] (co-occurrences counted with atomics, features on the host). Each
//!   uploads its input, records its dispatches in one encoder and reads the result (or
//!   only the partial sums, keys and counts) back in one submission. Each is a thin
//!   wrapper of a crate-internal `record_*` twin that takes and returns device buffers
//!   inside a caller's job, so the batched pipeline
//!   ([`Pipeline::process_batch`](crate::Pipeline::process_batch)) chains the same
//!   shader code on the device from one upload to one readback.
//! - [`GpuContext::transfers`] counts host↔device traffic ([`Transfers`]): data uploads,
//!   parameter uploads and readbacks, calls and bytes.
//! - Shaders live in `shaders/` at the top of the repository, one stage per file with
//!   entry point `main`, helpers in `shaders/shared/` pulled in by `// #import NAME`
//!   lines. The build script validates every one with naga (a broken shader fails the
//!   build with its source span) and generates their sources and reflection (workgroup
//!   size, bindings, uniform layout), so the Rust side never retypes them; each
//!   `#[repr(C)]` parameter struct names the WGSL struct it mirrors and is checked
//!   against the reflected layout.
//! - Every operation runs inside device error scopes: validation and out-of-memory
//!   errors, a rejected shader, a buffer beyond the device's limits and a failed readback
//!   are all typed [`GpuError`]s. Element-wise stages tile inputs larger than one storage
//!   binding; images are dispatched over a 2-D grid of workgroups so no dimension
//!   exceeds `max_compute_workgroups_per_dimension`. Filters and resampling need the
//!   image within one storage binding (128 MiB or more on every device) and otherwise
//!   return [`GpuError::TooLarge`].
//!
//! Stages, shaders and CPU twins do not always share a name: one shader serves several
//! stages (`separable.wgsl`), a stage may run several shaders, and some twins are
//! methods or one pass of a larger CPU function. This table pairs them (shaders are in
//! `shaders/`, their shared helpers in `shaders/shared/`, e.g. `reflect.wgsl`, twin of
//! `reflect` in `cpu/filters/separable.rs`):
//!
//! | GPU stage | shader(s) | CPU twin |
//! |---|---|---|
//! | [`window::window`] | `window.wgsl` | [`Window::apply`](crate::Window::apply) |
//! | [`window::modality_window`] | `modality_window.wgsl` | the rescale branch of the modality LUT (`decode/modality.rs`, applied by [`DicomFile::image`](crate::DicomFile::image)), then [`Window::apply`](crate::Window::apply) |
//! | [`filters::gaussian`] | `separable.wgsl` (two passes, recorded by `gpu/separable.rs`) | [`cpu::filters::gaussian`](crate::cpu::filters::gaussian) |
//! | [`filters::gaussian_laplace`] | `separable.wgsl` (four passes), `add.wgsl` | [`cpu::filters::gaussian_laplace`](crate::cpu::filters::gaussian_laplace) |
//! | [`filters::sobel_magnitude`] | `sobel_magnitude.wgsl` | [`cpu::filters::sobel_magnitude`](crate::cpu::filters::sobel_magnitude) |
//! | [`filters::correlate`] (defined in `gpu/correlate.rs`) | `correlate.wgsl`, or `separable.wgsl` twice for a rank-one kernel | [`cpu::filters::correlate`](crate::cpu::filters::correlate) (same two paths) |
//! | [`filters::gabor_magnitude`] (defined in `gpu/correlate.rs`) | as `correlate`, for the real and the imaginary kernel, then `hypot.wgsl` | [`cpu::filters::gabor_magnitude`](crate::cpu::filters::gabor_magnitude) (in `cpu/filters/gabor.rs`; `hypot` in `cpu/filters/separable.rs`) |
//! | [`resample::resample`] | `resample.wgsl` | [`cpu::resample::resample`](crate::cpu::resample::resample) |
//! | [`stats::statistics`] (passes in `gpu/stats/batch.rs`) | `moments.wgsl`, `stats_finalize.wgsl`, `stats_radix_count.wgsl`, `stats_radix_choose.wgsl`, `stats_deviations.wgsl`, `stats_absolute.wgsl`, `stats_histogram.wgsl` | [`cpu::stats::first_order`](crate::cpu::stats::first_order) and [`cpu::stats::histogram`](crate::cpu::stats::histogram) |
//! | [`stats::moments`] | `moments.wgsl` | the moments pass of [`cpu::stats::first_order`](crate::cpu::stats::first_order) |
//! | [`stats::histogram`] | `histogram.wgsl` | [`cpu::stats::histogram`](crate::cpu::stats::histogram) with `Discretisation::Bins` |
//! | [`stats::glcm`] | `glcm.wgsl` (the counts; the features are the CPU's code) | [`cpu::stats::glcm`](crate::cpu::stats::glcm) |
//!
//! ```
//! use medprep::gpu::{filters, GpuContext};
//! use ndarray::Array2;
//!
//! match GpuContext::new() {
//!     Ok(ctx) => {
//!         let image = Array2::from_shape_fn((64, 48), |(r, c)| (r * c) as f32);
//!         let smooth = filters::gaussian(&ctx, image.view(), [2.0, 2.0])?;
//!         assert_eq!(smooth.dim(), (64, 48));
//!     }
//!     Err(e) => eprintln!("no GPU, the CPU backend runs instead: {e}"),
//! }
//! # Ok::<(), medprep::gpu::GpuError>(())
//! ```

mod context;
mod correlate;
mod error;
pub mod filters;
mod pool;
pub mod resample;
mod separable;
mod shaders;
pub mod stats;
pub mod window;

pub use context::{GpuContext, Transfers};
pub(crate) use context::{Job, Slot};
pub use error::GpuError;

#[cfg(test)]
mod tests {
    use super::shaders::{self, Binding, Shader};

    /// Checks each field of a Rust mirror against the offsets naga computed for the WGSL
    /// struct, and that neither side has fields the other lacks.
    macro_rules! assert_layout {
        ($rust:ty, $shader:expr, [$($field:ident),* $(,)?]) => {{
            let shader: &Shader = &$shader;
            let rust: Vec<(&str, u32)> =
                vec![$((stringify!($field), std::mem::offset_of!($rust, $field) as u32)),*];
            assert_eq!(rust, shader.params.to_vec(), "{}", shader.name);
            assert_eq!(size_of::<$rust>(), shader.params_size as usize, "{}", shader.name);
        }};
    }

    #[test]
    fn parameter_structs_match_their_wgsl_mirrors() {
        assert_layout!(
            super::window::Params,
            shaders::WINDOW,
            [low, width, invert, len]
        );
        assert_layout!(
            super::window::ModalityParams,
            shaders::MODALITY_WINDOW,
            [len, bits, signed, invert, slope, intercept, low, width, base, _pad0, _pad1, _pad2]
        );
        assert_layout!(
            super::separable::SeparableParams,
            shaders::SEPARABLE,
            [rows, cols, axis, taps, symmetry, _pad0, _pad1, _pad2]
        );
        assert_layout!(
            super::filters::AddParams,
            shaders::ADD,
            [len, scale, _pad0, _pad1]
        );
        assert_layout!(
            super::filters::SobelParams,
            shaders::SOBEL_MAGNITUDE,
            [rows, cols, _pad0, _pad1]
        );
        assert_layout!(
            super::correlate::CorrelateParams,
            shaders::CORRELATE,
            [rows, cols, taps, _pad0, above, below, left, right]
        );
        assert_layout!(
            super::correlate::HypotParams,
            shaders::HYPOT,
            [len, _pad0, _pad1, _pad2]
        );
        assert_layout!(
            super::resample::Params,
            shaders::RESAMPLE,
            [rows_in, cols_in, rows_out, cols_out, taps, col_table, filled, fill]
        );
        // One parameter struct for the statistics stages.
        for shader in [
            &shaders::MOMENTS,
            &shaders::STATS_FINALIZE,
            &shaders::STATS_RADIX_COUNT,
            &shaders::STATS_RADIX_CHOOSE,
            &shaders::STATS_DEVIATIONS,
            &shaders::STATS_ABSOLUTE,
            &shaders::STATS_HISTOGRAM,
        ] {
            assert_layout!(
                super::stats::StatsParams,
                *shader,
                [
                    maps,
                    map_len,
                    per_group,
                    blocks_per_map,
                    ranks,
                    shift,
                    bins,
                    lo10,
                    hi10,
                    lo50,
                    lo90,
                    hi90,
                    zero,
                    _pad0,
                    _pad1,
                    _pad2,
                ]
            );
        }
        assert_layout!(
            super::stats::GlcmParams,
            shaders::GLCM,
            [rows, cols, levels, _pad0]
        );
        assert_layout!(
            super::stats::HistogramParams,
            shaders::HISTOGRAM,
            [len, per_group, bins, _pad0, low, scale, _pad1, _pad2]
        );
    }

    #[test]
    fn the_context_can_be_shared_between_threads() {
        fn shared<T: Send + Sync>() {}
        shared::<super::GpuContext>();
    }

    #[test]
    fn every_stage_is_reflected_with_its_uniform_first() {
        assert_eq!(shaders::ALL.len(), 17);
        for shader in shaders::ALL {
            assert_eq!(
                shader.bindings.first(),
                Some(&Binding::Uniform),
                "{}",
                shader.name
            );
            assert_eq!(
                shader.bindings.last(),
                Some(&Binding::ReadWrite),
                "{}",
                shader.name
            );
            assert_eq!(shader.workgroup_size, [256, 1, 1], "{}", shader.name);
            // Imports are appended, so the stage's own first line comes first.
            assert!(shader.source.starts_with("//"), "{}", shader.name);
        }
    }
}
