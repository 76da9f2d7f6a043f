//! Correlation with 2-D kernels and the Gabor magnitude against their CPU twins: random
//! and CT images, kernels that take the direct path (asymmetric, even-sized, sparse, a
//! rotated Gabor) and the separable one (rank 1, a Gabor at 0°), kernels longer than the
//! image.

use medprep::cpu;
use medprep::cpu::filters::Gabor;
use medprep::gpu::{self, GpuError};
use ndarray::{array, Array2};

use crate::support::{compare, context, ct_slice, random, scale_of, Tolerance};

/// Direct correlation: f32 products and sums on the GPU against f64 on the CPU, relative
/// to the largest input times the kernel's L1 norm, which bounds every partial sum; the
/// rounding error of n terms is at most about n·ε of that, and random-walks far below
/// (lavapipe: 1.2e-7, the Gabor kernel at 0° on the CT slice).
const CORRELATE_TOLERANCE: Tolerance = Tolerance {
    name: "CORRELATE_TOLERANCE",
    relative: 1e-6,
};
/// Gabor magnitude: the two correlations' errors, through `hypot` in f32 (one more
/// rounding than the CPU's f64 root), on the same scale (lavapipe: 2.6e-7, 112.5° on the
/// CT slice).
const GABOR_MAGNITUDE_TOLERANCE: Tolerance = Tolerance {
    name: "GABOR_MAGNITUDE_TOLERANCE",
    relative: 1e-6,
};

fn images() -> Vec<(&'static str, Array2<f32>)> {
    vec![
        ("random 203x117", random(203, 117, 11, -1024.0, 3071.0)),
        ("random 3x2", random(3, 2, 12, -5.0, 5.0)),
        ("random 1x7", random(1, 7, 13, 0.0, 10.0)),
        ("ct_slice.dcm", ct_slice()),
    ]
}

/// The kernels: the CPU correlates the random, sparse and 45° Gabor ones directly and
/// factors the rank-one, 1 × 1 and 0° Gabor ones into two 1-D passes, and so does the
/// GPU.
fn kernels() -> Vec<(&'static str, Array2<f32>)> {
    let gabor_45 = Gabor {
        orientation: std::f64::consts::FRAC_PI_4,
        ..Gabor::default()
    };
    vec![
        ("random 5x3", random(5, 3, 21, -1.0, 1.0)),
        ("random even 4x6", random(4, 6, 22, -1.0, 1.0)),
        (
            "sparse 3x3",
            array![[0.0, 0.0, 1.5], [0.0, -2.0, 0.0], [0.25, 0.0, 0.0]],
        ),
        ("1x1", array![[-0.75]]),
        (
            "rank one 3x4",
            array![[1.0f32], [2.0], [3.0]].dot(&array![[0.5f32, -1.0, 0.25, 2.0]]),
        ),
        ("Gabor 0deg", cpu::filters::gabor_kernel(&Gabor::default())),
        ("Gabor 45deg", cpu::filters::gabor_kernel(&gabor_45)),
    ]
}

fn l1(kernel: &Array2<f32>) -> f64 {
    kernel.iter().map(|&w| f64::from(w.abs())).sum()
}

#[test]
fn correlate_matches_the_cpu() {
    let Some(ctx) = context("correlate_matches_the_cpu") else {
        return;
    };
    for (image_name, image) in images() {
        for (kernel_name, kernel) in kernels() {
            let case = format!("correlate {kernel_name} on {image_name}");
            let expected = cpu::filters::correlate(image.view(), kernel.view());
            let got = gpu::filters::correlate(ctx, image.view(), kernel.view())
                .unwrap_or_else(|e| panic!("{case}: {e}"));
            let scale = scale_of(&image) * l1(&kernel).max(1.0);
            compare(&case, &image, &expected, &got, CORRELATE_TOLERANCE, scale);
        }
    }
}

#[test]
fn gabor_magnitude_matches_the_cpu() {
    let Some(ctx) = context("gabor_magnitude_matches_the_cpu") else {
        return;
    };
    for (image_name, image) in images() {
        for degrees in [0.0f64, 45.0, 112.5] {
            let gabor = Gabor {
                orientation: degrees.to_radians(),
                wavelength: 6.0,
                sigma: 3.0,
                ..Gabor::default()
            };
            let case = format!("Gabor magnitude {degrees} deg on {image_name}");
            let expected = cpu::filters::gabor_magnitude(image.view(), &gabor);
            let got = gpu::filters::gabor_magnitude(ctx, image.view(), &gabor)
                .unwrap_or_else(|e| panic!("{case}: {e}"));
            let norm = l1(&cpu::filters::gabor_kernel(&gabor))
                .max(l1(&cpu::filters::gabor_kernel_imaginary(&gabor)));
            let scale = scale_of(&image) * norm;
            compare(
                &case,
                &image,
                &expected,
                &got,
                GABOR_MAGNITUDE_TOLERANCE,
                scale,
            );
        }
    }
}

#[test]
fn degenerate_kernels_and_parameters() {
    let Some(ctx) = context("degenerate_kernels_and_parameters") else {
        return;
    };
    let image = random(9, 8, 31, -3.0, 3.0);
    // An empty kernel and invalid Gabor parameters give zeros, as on the CPU.
    let empty = Array2::<f32>::zeros((0, 3));
    assert_eq!(
        gpu::filters::correlate(ctx, image.view(), empty.view()).unwrap(),
        cpu::filters::correlate(image.view(), empty.view())
    );
    let invalid = Gabor {
        sigma: -1.0,
        ..Gabor::default()
    };
    assert_eq!(
        gpu::filters::gabor_magnitude(ctx, image.view(), &invalid).unwrap(),
        cpu::filters::gabor_magnitude(image.view(), &invalid)
    );
    // A kernel of zeros has an empty footprint: zeros, even next to infinities.
    let mut with_inf = image.clone();
    with_inf[(4, 4)] = f32::INFINITY;
    let zeros = Array2::<f32>::zeros((3, 3));
    assert_eq!(
        gpu::filters::correlate(ctx, with_inf.view(), zeros.view()).unwrap(),
        cpu::filters::correlate(with_inf.view(), zeros.view())
    );
    // Sides beyond the limit are refused, not truncated.
    let long = Array2::<f32>::ones((1, gpu::filters::MAX_GPU_KERNEL_SIDE + 1));
    assert!(matches!(
        gpu::filters::correlate(ctx, image.view(), long.view()),
        Err(GpuError::Unsupported { .. })
    ));
}
