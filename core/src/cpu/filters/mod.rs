//! Linear filters with scipy.ndimage semantics (docs/architecture.md, filters).
//!
//! - Boundary `reflect` everywhere: `d c b a | a b c d | d c b a`, the half-sample
//!   symmetric extension, repeated as often as a kernel larger than the image needs.
//! - Every filter is a correlation (scipy's `correlate`, origin 0: the centre of a kernel
//!   of `n` taps is tap `n / 2`).
//! - Images are f32; sums run in f64 in scipy's order and separable filters round to f32
//!   between their two 1-D passes, as scipy does when it filters a float32 array.
//!
//! [`gaussian`], [`gaussian_laplace`] and [`gaussian_and_laplace`] (both maps of one sigma
//! in one sweep) match `scipy.ndimage.gaussian_filter` and `gaussian_laplace` with
//! `truncate=4.0`; [`sobel_magnitude`] matches `hypot(sobel(x, 0), sobel(x, 1))`;
//! [`correlate`] takes any 2-D kernel and runs rank-1 kernels as two 1-D passes;
//! [`Gabor`] describes a Gabor filter ([`gabor_kernel`], [`gabor`], [`gabor_magnitude`],
//! [`gabor_bank`]); [`load_kernel_bank`] reads user kernels from an `.npy` file.
//!
//! Volumes (z, y, x) have their own three ([`gaussian_3d`], [`gaussian_laplace_3d`],
//! [`sobel_magnitude_3d`]) with every scipy boundary [`Padding`], a truncation, and
//! [`Dims::Planar`] to filter slice by slice; they share the 1-D kernels and sums above.
//!
//! ```
//! use medprep::cpu::filters::{gaussian, gaussian_and_laplace};
//! use ndarray::Array2;
//!
//! let image = Array2::from_shape_fn((64, 48), |(r, c)| (r * c) as f32);
//! let (smooth, log) = gaussian_and_laplace(image.view(), 2.0);
//! assert_eq!(smooth, gaussian(image.view(), [2.0, 2.0]));
//! assert_eq!(log.dim(), (64, 48));
//! ```

mod bank;
mod correlate;
mod gabor;
mod gaussian;
mod separable;
mod sobel;
mod volume;

pub use bank::{load_kernel_bank, KernelBankError, MAX_KERNEL_BANK_BYTES, MAX_KERNEL_SIDE};
pub use correlate::correlate;
pub use gabor::{
    gabor, gabor_bank, gabor_kernel, gabor_kernel_imaginary, gabor_magnitude, Gabor, InvalidGabor,
    NamedGabor, GABOR_STDS, MAX_GABOR_RADIUS,
};
pub use gaussian::{
    gaussian, gaussian_and_laplace, gaussian_laplace, MAX_SIGMA, MAX_TRUNCATE, TRUNCATE,
};
pub use sobel::sobel_magnitude;
pub use volume::{
    gaussian_3d, gaussian_laplace_3d, sigma_voxels, sobel_magnitude_3d, Dims, Padding,
};

// The GPU twin builds the same taps.
#[cfg(feature = "gpu")]
pub(crate) use correlate::{footprint, rank_one};
#[cfg(feature = "gpu")]
pub(crate) use gaussian::gaussian_taps;
#[cfg(feature = "gpu")]
pub(crate) use separable::{Symmetry, Taps};

#[cfg(test)]
// A failed unwrap is a failed test.
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use ndarray::{array, Array2};
    use std::time::Instant;

    #[test]
    fn reflect_repeats_the_half_sample_symmetric_extension() {
        // ... a a b c c b a | a b c | c b a a b c c ...
        assert_eq!(
            (-7..10)
                .map(|i| separable::reflect(i, 3))
                .collect::<Vec<_>>(),
            [0, 0, 1, 2, 2, 1, 0, 0, 1, 2, 2, 1, 0, 0, 1, 2, 2]
        );
        assert!((-5..5).all(|i| separable::reflect(i, 1) == 0));
    }

    #[test]
    fn rank_one_and_general_kernels_agree_with_a_direct_sum() {
        let image = Array2::from_shape_fn((9, 11), |(r, c)| ((r * 7 + c * 3) % 5) as f32 - 2.0);
        let separable_kernel = array![[1.0f32, 2.0, -1.0], [2.0, 4.0, -2.0]];
        let general = array![[1.0f32, 2.0, -1.0], [2.0, 4.0, -2.5]];
        for kernel in [separable_kernel, general] {
            let got = correlate(image.view(), kernel.view());
            let (kh, kw) = kernel.dim();
            for ((y, x), &g) in got.indexed_iter() {
                let mut sum = 0.0f64;
                for ((a, b), &w) in kernel.indexed_iter() {
                    let r = separable::reflect(y as isize + a as isize - (kh / 2) as isize, 9);
                    let c = separable::reflect(x as isize + b as isize - (kw / 2) as isize, 11);
                    sum += f64::from(w) * f64::from(image[(r, c)]);
                }
                assert!(
                    (f64::from(g) - sum).abs() < 1e-5,
                    "({y}, {x}): {g} vs {sum}"
                );
            }
        }
    }

    #[test]
    fn degenerate_inputs_do_not_panic() {
        let empty = Array2::<f32>::zeros((0, 5));
        assert_eq!(gaussian(empty.view(), [2.0, 2.0]).dim(), (0, 5));
        assert_eq!(sobel_magnitude(empty.view()).dim(), (0, 5));
        assert_eq!(gaussian_and_laplace(empty.view(), 1.0).1.dim(), (0, 5));
        let one = array![[3.0f32]];
        assert_eq!(gaussian(one.view(), [f64::NAN, -1.0]), one);
        assert_eq!(gaussian(one.view(), [f64::INFINITY, 1e300])[(0, 0)], 3.0);
        assert_eq!(
            correlate(one.view(), Array2::<f32>::zeros((0, 3)).view()),
            array![[0.0f32]]
        );
        let bad = Gabor {
            sigma: 0.0,
            ..Gabor::default()
        };
        assert!(bad.validate().is_err());
        assert_eq!(gabor_kernel(&bad), array![[0.0f32]]);
    }

    #[test]
    fn gabor_defaults_and_serde() {
        let g: Gabor = serde_json::from_str(r#"{"wavelength": 8.0, "sigma": 4.0}"#).unwrap();
        assert_eq!(
            g,
            Gabor {
                wavelength: 8.0,
                sigma: 4.0,
                ..Gabor::default()
            }
        );
        assert!(serde_json::from_str::<Gabor>(r#"{"lambda": 8.0}"#).is_err());
        assert_eq!(Gabor::default().validate(), Ok(()));
        // theta = 0: the carrier runs along columns, so the kernel is even in x and
        // constant-signed down its centre column.
        let k = gabor_kernel(&Gabor::default());
        let (ry, rx) = Gabor::default().radius();
        assert_eq!(k.dim(), (2 * ry + 1, 2 * rx + 1));
        assert_eq!(k[(ry, rx)], 1.0);
        assert!(k.column(rx).iter().all(|&v| v > 0.0));
        assert!(k[(ry, rx + 2)] < 0.0);
    }

    /// Timing for the record (never asserted): the ct-standard Gaussian and LoG maps on a
    /// 358 × 358 slice. Meaningful in an optimised build only.
    #[test]
    fn timing_on_a_ct_sized_slice() {
        let image = Array2::from_shape_fn((358, 358), |(r, c)| ((r * 31 + c * 17) % 101) as f32);
        let time = |label: &str, f: &dyn Fn()| {
            f();
            let runs = 10;
            let start = Instant::now();
            for _ in 0..runs {
                f();
            }
            println!(
                "{label}: {:.3} ms",
                start.elapsed().as_secs_f64() * 1e3 / f64::from(runs)
            );
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        pool.install(|| {
            time("gaussian s4, 1 thread", &|| {
                drop(gaussian(image.view(), [4.0, 4.0]))
            });
            time("gaussian s1, 1 thread", &|| {
                drop(gaussian(image.view(), [1.0, 1.0]))
            });
            time("gaussian+log s4, 1 thread", &|| {
                drop(gaussian_and_laplace(image.view(), 4.0))
            });
            time("sobel, 1 thread", &|| drop(sobel_magnitude(image.view())));
            let g = Gabor {
                orientation: 0.5,
                ..Gabor::default()
            };
            time("gabor 19x19 direct, 1 thread", &|| {
                drop(gabor(image.view(), &g))
            });
        });
        time("gaussian s4, all threads", &|| {
            drop(gaussian(image.view(), [4.0, 4.0]))
        });
    }
}
