//! Linear filters with scipy.ndimage semantics (DESIGN §3).
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

pub use bank::{load_kernel_bank, KernelBankError, MAX_KERNEL_BANK_BYTES, MAX_KERNEL_SIDE};
pub use correlate::correlate;
pub use gabor::{
    gabor, gabor_bank, gabor_kernel, gabor_kernel_imaginary, gabor_magnitude, Gabor,
    InvalidGabor, NamedGabor, GABOR_STDS, MAX_GABOR_RADIUS,
};
pub use gaussian::{gaussian, gaussian_and_laplace, gaussian_laplace, MAX_SIGMA, TRUNCATE};
pub use sobel::sobel_magnitude;
