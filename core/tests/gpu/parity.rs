//! Every GPU stage against its CPU twin, on random images (including sizes that are not
//! multiples of the workgroup), tiny ones (kernels longer than the image) and the CT
//! fixture. Each case is written once: [`check`] runs both backends and compares.

use medprep::cpu;
use medprep::cpu::resample::{Fit, Grid, Interpolator};
use medprep::gpu::{self, GpuContext, GpuError};
use medprep::{DicomFile, Frames, Limits, Rescale, Samples, Window};
use ndarray::{Array2, ArrayView2};

use crate::support::{compare, context, ct_slice, random, scale_of, Tolerance};

/// The window divides in f32 and WGSL allows 2.5 ULP for division; outputs lie in [0, 1],
/// so the scale is 1 (lavapipe: exact).
const WINDOW_TOLERANCE: Tolerance = Tolerance {
    name: "WINDOW_TOLERANCE",
    relative: 1e-6,
};
/// Rescale and window: the rescale in f32 against f64 rounded once, relative to the
/// largest rescaled value over the window width, the scale of its rounding in the output
/// (lavapipe: 2.4e-7; exact on the fixtures, whose rescales are integers).
const MODALITY_TOLERANCE: Tolerance = Tolerance {
    name: "MODALITY_TOLERANCE",
    relative: 1e-6,
};
/// Gaussian: f32 weights and sums on the GPU against f64 sums on the CPU, two passes
/// (lavapipe: 2.4e-7, two units in the last place of the largest input).
const GAUSSIAN_TOLERANCE: Tolerance = Tolerance {
    name: "GAUSSIAN_TOLERANCE",
    relative: 1e-6,
};
/// Laplacian of Gaussian: as the Gaussian, for the four passes of its two terms, relative
/// to the largest input times the second derivative's scale max(1, 1/sigma^2)
/// (lavapipe: 2.3e-7).
const LOG_TOLERANCE: Tolerance = Tolerance {
    name: "LOG_TOLERANCE",
    relative: 1e-6,
};
/// Sobel: sums of up to 8 input-sized terms in f32 against f64, then a square root
/// (lavapipe: 6.4e-7).
const SOBEL_TOLERANCE: Tolerance = Tolerance {
    name: "SOBEL_TOLERANCE",
    relative: 2e-6,
};
/// Nearest neighbour copies input samples: exact.
const NEAREST_TOLERANCE: Tolerance = Tolerance {
    name: "NEAREST_TOLERANCE",
    relative: 0.0,
};
/// Linear: the same f32 weights, combined in the order of the CPU's rows-first pass (the
/// CPU goes columns first when that is cheaper, and a GPU may fuse multiply-adds)
/// (lavapipe: 2.4e-7).
const LINEAR_TOLERANCE: Tolerance = Tolerance {
    name: "LINEAR_TOLERANCE",
    relative: 1e-6,
};
/// Cubic and Lanczos-3: 16 and 36 taps with negative lobes, same caveats as linear
/// (lavapipe: 4.0e-7).
const CUBIC_TOLERANCE: Tolerance = Tolerance {
    name: "CUBIC_TOLERANCE",
    relative: 1.5e-6,
};

/// The images every filter sees: random HU-like values on a size that is no multiple of
/// the workgroup, tiny and degenerate shapes, and the CT fixture.
fn images() -> Vec<(&'static str, Array2<f32>)> {
    vec![
        ("random 513x301", random(513, 301, 1, -1024.0, 3071.0)),
        ("random 3x2", random(3, 2, 2, -5.0, 5.0)),
        ("random 1x1", random(1, 1, 3, 0.0, 10.0)),
        ("random 1x7", random(1, 7, 4, 0.0, 10.0)),
        ("random 31x1", random(31, 1, 5, 0.0, 10.0)),
        ("ct_slice.dcm", ct_slice()),
    ]
}

/// Runs `gpu` and `cpu` on `input` and compares them within `tolerance` of `scale`.
fn check(
    ctx: &GpuContext,
    case: &str,
    input: &Array2<f32>,
    tolerance: Tolerance,
    scale: f64,
    cpu: impl Fn(ArrayView2<'_, f32>) -> Array2<f32>,
    gpu: impl Fn(&GpuContext, ArrayView2<'_, f32>) -> Result<Array2<f32>, GpuError>,
) {
    let expected = cpu(input.view());
    let got = gpu(ctx, input.view()).unwrap_or_else(|e| panic!("{case}: {e}"));
    compare(case, input, &expected, &got, tolerance, scale);
}

#[test]
fn window_matches_the_cpu() {
    let Some(ctx) = context("window_matches_the_cpu") else {
        return;
    };
    let mut inputs = images();
    // Values on and next to the window edges.
    let edges = Array2::from_shape_vec(
        (2, 4),
        vec![
            -160.0,
            240.0,
            40.0,
            -160.000_02,
            240.000_02,
            -3000.0,
            3000.0,
            0.0,
        ],
    )
    .unwrap();
    inputs.push(("edges", edges));
    for (name, input) in &inputs {
        for (preset, window) in [
            ("soft tissue", Window::CT_SOFT_TISSUE),
            ("lung", Window::CT_LUNG),
            ("brain", Window::CT_BRAIN),
        ] {
            for invert in [false, true] {
                let case = format!("window {preset} invert={invert} on {name}");
                check(
                    ctx,
                    &case,
                    input,
                    WINDOW_TOLERANCE,
                    1.0,
                    |x| {
                        let mut values = x.to_owned();
                        window.apply(values.as_slice_mut().unwrap(), invert);
                        values
                    },
                    |ctx, x| {
                        let values =
                            gpu::window::window(ctx, x.as_slice().unwrap(), &window, invert)?;
                        Ok(Array2::from_shape_vec(x.dim(), values).unwrap())
                    },
                );
            }
        }
    }
}

/// `Samples` of `len` random values over the whole range of each integer type.
fn random_samples(len: usize, seed: u64) -> Vec<(&'static str, Samples)> {
    let unit = random(1, len, seed, 0.0, 1.0).into_raw_vec_and_offset().0;
    let scaled = |low: f64, high: f64| {
        unit.iter()
            .map(move |&u| (low + f64::from(u) * (high - low)).round())
    };
    vec![
        (
            "u8",
            Samples::U8(scaled(0.0, 255.0).map(|v| v as u8).collect()),
        ),
        (
            "i8",
            Samples::I8(scaled(-128.0, 127.0).map(|v| v as i8).collect()),
        ),
        (
            "u16",
            Samples::U16(scaled(0.0, 65535.0).map(|v| v as u16).collect()),
        ),
        (
            "i16",
            Samples::I16(scaled(-32768.0, 32767.0).map(|v| v as i16).collect()),
        ),
        (
            "u32",
            Samples::U32(scaled(0.0, 4e9).map(|v| v as u32).collect()),
        ),
        (
            "i32",
            Samples::I32(scaled(-2e9, 2e9).map(|v| v as i32).collect()),
        ),
    ]
}

#[test]
fn modality_window_matches_the_cpu() {
    let Some(ctx) = context("modality_window_matches_the_cpu") else {
        return;
    };
    // Odd lengths leave part of the last word unused.
    for len in [513 * 301, 7, 1] {
        for (dtype, samples) in random_samples(len, len as u64) {
            for rescale in [
                None,
                Some(Rescale {
                    slope: 1.0,
                    intercept: -1024.0,
                }),
                Some(Rescale {
                    slope: 0.7,
                    intercept: -3.25,
                }),
            ] {
                let (slope, intercept) = rescale.map_or((1.0, 0.0), |r| (r.slope, r.intercept));
                let mut values = vec![0.0f32; len];
                // The modality LUT's arithmetic (core/src/decode/modality.rs): f64, rounded
                // once.
                match &samples {
                    Samples::U8(v) => values
                        .iter_mut()
                        .zip(v)
                        .for_each(|(o, &s)| *o = (f64::from(s) * slope + intercept) as f32),
                    Samples::I8(v) => values
                        .iter_mut()
                        .zip(v)
                        .for_each(|(o, &s)| *o = (f64::from(s) * slope + intercept) as f32),
                    Samples::U16(v) => values
                        .iter_mut()
                        .zip(v)
                        .for_each(|(o, &s)| *o = (f64::from(s) * slope + intercept) as f32),
                    Samples::I16(v) => values
                        .iter_mut()
                        .zip(v)
                        .for_each(|(o, &s)| *o = (f64::from(s) * slope + intercept) as f32),
                    Samples::U32(v) => values
                        .iter_mut()
                        .zip(v)
                        .for_each(|(o, &s)| *o = (f64::from(s) * slope + intercept) as f32),
                    Samples::I32(v) => values
                        .iter_mut()
                        .zip(v)
                        .for_each(|(o, &s)| *o = (f64::from(s) * slope + intercept) as f32),
                }
                let physical = Array2::from_shape_vec((1, len), values).unwrap();
                let largest = scale_of(&physical);
                for window in [
                    Window::CT_LUNG,
                    Window {
                        center: largest / 3.0,
                        width: largest,
                    },
                ] {
                    for invert in [false, true] {
                        check(
                            ctx,
                            &format!("modality_window {dtype} x{len} {rescale:?} {window:?} invert={invert}"),
                            &physical,
                            MODALITY_TOLERANCE,
                            (largest / window.width).max(1.0),
                            |x| {
                                let mut v = x.to_owned();
                                window.apply(v.as_slice_mut().unwrap(), invert);
                                v
                            },
                            |ctx, _| {
                                let v = gpu::window::modality_window(ctx, &samples, rescale, &window, invert)?;
                                Ok(Array2::from_shape_vec((1, len), v).unwrap())
                            },
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn modality_window_matches_the_decoder_on_the_fixtures() {
    let Some(ctx) = context("modality_window_matches_the_decoder_on_the_fixtures") else {
        return;
    };
    for name in [
        "ct_slice",
        "ct_12bit",
        "ct_jpegls",
        "ct_rle",
        "mr_slice",
        "mono1_xray",
    ] {
        let path = format!("{}/../fixtures/{name}.dcm", env!("CARGO_MANIFEST_DIR"));
        let file = DicomFile::open(&path).unwrap();
        let stored = file.stored_pixels(Frames::All, &Limits::default()).unwrap();
        let image = file.image(Frames::All, &Limits::default()).unwrap();
        let rescale = file.metadata().unwrap().rescale;
        let window = Window::from_header(&image.meta).unwrap_or(Window::CT_SOFT_TISSUE);
        let invert = image.photometric == "MONOCHROME1";
        let shape = (image.rows as usize, image.cols as usize);
        let physical = Array2::from_shape_vec(shape, image.pixels.clone()).unwrap();
        let largest = scale_of(&physical);
        check(
            ctx,
            &format!("modality_window on {name}.dcm"),
            &physical,
            MODALITY_TOLERANCE,
            (largest / window.width).max(1.0),
            |x| {
                let mut v = x.to_owned();
                window.apply(v.as_slice_mut().unwrap(), invert);
                v
            },
            |ctx, _| {
                let v =
                    gpu::window::modality_window(ctx, &stored.samples, rescale, &window, invert)?;
                Ok(Array2::from_shape_vec(shape, v).unwrap())
            },
        );
    }
}

#[test]
fn gaussian_matches_the_cpu() {
    let Some(ctx) = context("gaussian_matches_the_cpu") else {
        return;
    };
    for (name, input) in &images() {
        for sigma in [[1.0, 1.0], [2.0, 2.0], [4.0, 4.0], [0.0, 3.0], [0.5, 7.0]] {
            check(
                ctx,
                &format!("gaussian sigma={sigma:?} on {name}"),
                input,
                GAUSSIAN_TOLERANCE,
                scale_of(input),
                |x| cpu::filters::gaussian(x, sigma),
                |ctx, x| gpu::filters::gaussian(ctx, x, sigma),
            );
        }
    }
    // A strided view is uploaded in row-major order.
    let input = random(40, 70, 9, -100.0, 100.0);
    check(
        ctx,
        "gaussian on a transposed view",
        &input.t().to_owned(),
        GAUSSIAN_TOLERANCE,
        scale_of(&input),
        |_| cpu::filters::gaussian(input.t(), [2.0, 1.0]),
        |ctx, _| gpu::filters::gaussian(ctx, input.t(), [2.0, 1.0]),
    );
}

#[test]
fn gaussian_laplace_matches_the_cpu() {
    let Some(ctx) = context("gaussian_laplace_matches_the_cpu") else {
        return;
    };
    for (name, input) in &images() {
        // The ct-standard sigmas, a small one and one longer than the tiny images.
        for sigma in [1.0f64, 2.0, 4.0, 0.6, 9.0] {
            check(
                ctx,
                &format!("gaussian_laplace sigma={sigma} on {name}"),
                input,
                LOG_TOLERANCE,
                scale_of(input) * (1.0 / (sigma * sigma)).max(1.0),
                |x| cpu::filters::gaussian_laplace(x, sigma),
                |ctx, x| gpu::filters::gaussian_laplace(ctx, x, sigma),
            );
        }
    }
}

#[test]
fn sobel_magnitude_matches_the_cpu() {
    let Some(ctx) = context("sobel_magnitude_matches_the_cpu") else {
        return;
    };
    let mut inputs = images();
    inputs.push(("constant", Array2::from_elem((9, 5), 1234.5)));
    for (name, input) in &inputs {
        check(
            ctx,
            &format!("sobel_magnitude on {name}"),
            input,
            SOBEL_TOLERANCE,
            scale_of(input),
            cpu::filters::sobel_magnitude,
            gpu::filters::sobel_magnitude,
        );
    }
}

#[test]
fn resample_matches_the_cpu() {
    let Some(ctx) = context("resample_matches_the_cpu") else {
        return;
    };
    let interpolators = [
        (Interpolator::Nearest, NEAREST_TOLERANCE),
        (Interpolator::Linear, LINEAR_TOLERANCE),
        (Interpolator::Cubic, CUBIC_TOLERANCE),
        (Interpolator::Lanczos3, CUBIC_TOLERANCE),
    ];
    for (name, input) in &images() {
        let size = [input.nrows(), input.ncols()];
        let grids = [
            (
                "ct-standard 0.7 mm to 1 mm",
                Grid::to_spacing(size, [0.7, 0.7], [1.0, 1.0]),
            ),
            ("enlarge", Grid::to_spacing(size, [2.8, 1.3], [1.0, 1.0])),
            ("to size 7x33", Grid::to_size(size, [1.0, 1.0], [7, 33])),
            (
                "keep aspect, pad",
                Grid::to_size_keep_aspect(size, [1.0, 0.6], [50, 50], Fit::Pad, -1.0),
            ),
            (
                "reversed and shifted",
                Grid {
                    size: [9, 11],
                    step: [0.9, -1.7],
                    offset: [-3.2, 14.6],
                    fill: None,
                },
            ),
        ];
        for (grid_name, grid) in &grids {
            for (interpolator, tolerance) in interpolators {
                check(
                    ctx,
                    &format!("resample {interpolator:?} {grid_name} on {name}"),
                    input,
                    tolerance,
                    scale_of(input),
                    |x| cpu::resample::resample(x, grid, interpolator),
                    |ctx, x| gpu::resample::resample(ctx, x, grid, interpolator),
                );
            }
        }
    }
}

#[test]
fn empty_inputs_match_the_cpu() {
    let Some(ctx) = context("empty_inputs_match_the_cpu") else {
        return;
    };
    let empty = Array2::<f32>::zeros((0, 5));
    assert_eq!(
        gpu::filters::gaussian(ctx, empty.view(), [2.0, 2.0]).unwrap(),
        cpu::filters::gaussian(empty.view(), [2.0, 2.0])
    );
    assert_eq!(
        gpu::filters::sobel_magnitude(ctx, empty.view())
            .unwrap()
            .dim(),
        (0, 5)
    );
    let grid = Grid::to_size([0, 5], [1.0, 1.0], [2, 3]);
    let got = gpu::resample::resample(ctx, empty.view(), &grid, Interpolator::Linear).unwrap();
    assert_eq!(got.dim(), (2, 3));
    assert!(got.iter().all(|v| v.is_nan()));
    assert!(gpu::window::window(ctx, &[], &Window::CT_BONE, false)
        .unwrap()
        .is_empty());
}
