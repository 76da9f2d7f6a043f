//! Reference tests of `medprep::cpu::resample` against scipy.ndimage, SimpleITK and a
//! numpy implementation of the cubic and Lanczos kernels (see `resample.py`).

use std::path::Path;
use std::time::Instant;

use medprep::cpu::resample::{resample, Fit, Grid, Interpolator};
use ndarray::{Array2, ArrayView2};
use serde::Deserialize;

use crate::support;

/// Errors are bounded by the tolerance times the largest input magnitude (at least 1):
/// f32 arithmetic rounds relative to the data scale, so HU data get proportionally wider
/// bounds than [0, 1] data.
/// Nearest copies input pixels: no rounding at all.
const NEAREST_TOLERANCE: f64 = 0.0;
/// Two f32 passes of 2 taps each against float64 references.
const LINEAR_TOLERANCE: f64 = 1e-6;
/// Two f32 passes of 4 taps, weights summing to 1 with |w| summing to about 1.2.
const CUBIC_TOLERANCE: f64 = 1e-6;
/// Two f32 passes of 6 normalised taps.
const LANCZOS3_TOLERANCE: f64 = 1e-6;
/// Grid parameters from the constructors against the script's formulas.
const GRID_TOLERANCE: f64 = 1e-12;

#[derive(Debug, Deserialize)]
struct Case {
    name: String,
    input: String,
    size: [usize; 2],
    step: [f64; 2],
    offset: [f64; 2],
    fill: Option<f32>,
    constructor: Constructor,
    references: Vec<Reference>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Constructor {
    ToSpacing {
        spacing: [f64; 2],
        target: [f64; 2],
    },
    ToSize {
        spacing: [f64; 2],
        target_size: [usize; 2],
    },
    KeepAspect {
        spacing: [f64; 2],
        target_size: [usize; 2],
        fit: Fit,
        fill: f32,
    },
}

#[derive(Debug, Deserialize)]
struct Reference {
    interpolator: Interpolator,
    source: String,
    file: String,
    compared: usize,
}

fn tolerance(interpolator: Interpolator) -> f64 {
    match interpolator {
        Interpolator::Nearest => NEAREST_TOLERANCE,
        Interpolator::Linear => LINEAR_TOLERANCE,
        Interpolator::Cubic => CUBIC_TOLERANCE,
        Interpolator::Lanczos3 => LANCZOS3_TOLERANCE,
    }
}

fn build(constructor: &Constructor, shape: [usize; 2]) -> Grid {
    match *constructor {
        Constructor::ToSpacing { spacing, target } => Grid::to_spacing(shape, spacing, target),
        Constructor::ToSize {
            spacing,
            target_size,
        } => Grid::to_size(shape, spacing, target_size),
        Constructor::KeepAspect {
            spacing,
            target_size,
            fit,
            fill,
        } => Grid::to_size_keep_aspect(shape, spacing, target_size, fit, fill),
    }
}

fn check_grid(case: &Case, grid: &Grid) {
    let close = |a: f64, b: f64| (a - b).abs() <= GRID_TOLERANCE * a.abs().max(1.0);
    assert_eq!(grid.size, case.size, "{}: size", case.name);
    assert_eq!(grid.fill, case.fill, "{}: fill", case.name);
    for axis in 0..2 {
        assert!(
            close(grid.step[axis], case.step[axis]) && close(grid.offset[axis], case.offset[axis]),
            "{}: step {:?} offset {:?}, expected {:?} {:?}",
            case.name,
            grid.step,
            grid.offset,
            case.step,
            case.offset
        );
    }
}

/// Compares where `expected` is not NaN; on failure writes what medprep produced beside the
/// reference and reports the worst sample. Returns the largest error over `scale`.
fn compare(
    out: &Path,
    case: &Case,
    reference: &Reference,
    got: ArrayView2<'_, f32>,
    expected: ArrayView2<'_, f64>,
    scale: f64,
) -> f64 {
    assert_eq!(
        got.dim(),
        expected.dim(),
        "{} {:?}: shape",
        case.name,
        reference.interpolator
    );
    let bound = tolerance(reference.interpolator) * scale;
    let mut compared = 0;
    let mut worst: Option<((usize, usize), f64)> = None;
    let mut largest = 0.0_f64;
    for ((at, &g), &e) in got.indexed_iter().zip(expected.iter()) {
        if e.is_nan() {
            continue;
        }
        compared += 1;
        let error = (f64::from(g) - e).abs();
        largest = largest.max(error / scale);
        if (error > bound || error.is_nan()) && worst.is_none_or(|(_, w)| error > w) {
            worst = Some((at, error));
        }
    }
    assert_eq!(
        compared, reference.compared,
        "{} {:?}: compared samples",
        case.name, reference.interpolator
    );
    if let Some((at, error)) = worst {
        let path = out.join(reference.file.replace(".npy", "_medprep.npy"));
        ndarray_npy::write_npy(&path, &got.to_owned()).expect("write medprep output");
        panic!(
            "{} {:?} vs {}: at {at:?} got {} expected {} (error {error:e} > {bound:e}); \
             medprep's output is in {}",
            case.name,
            reference.interpolator,
            reference.source,
            got[at],
            expected[at],
            path.display()
        );
    }
    largest
}

#[test]
fn resample_matches_scipy_simpleitk_and_numpy() {
    let out = support::run_reference("resample.py", &[]);
    let text = std::fs::read_to_string(out.join("cases.json")).expect("read cases.json");
    let cases: Vec<Case> = serde_json::from_str(&text).expect("parse cases.json");
    assert!(cases.len() >= 20, "only {} cases", cases.len());
    let mut checked = 0;
    let mut largest = std::collections::BTreeMap::new();
    for case in &cases {
        let input: Array2<f32> = support::read_npy(&out.join(&case.input));
        let shape = [input.nrows(), input.ncols()];
        let grid = build(&case.constructor, shape);
        check_grid(case, &grid);
        let scale = input
            .iter()
            .fold(1.0_f64, |m, &v| m.max(f64::from(v).abs()));
        for reference in &case.references {
            let expected: Array2<f64> = support::read_npy(&out.join(&reference.file));
            let got = resample(input.view(), &grid, reference.interpolator);
            let error = compare(&out, case, reference, got.view(), expected.view(), scale);
            let entry = largest
                .entry(format!(
                    "{:?} vs {}",
                    reference.interpolator, reference.source
                ))
                .or_insert(0.0_f64);
            *entry = entry.max(error);
            checked += reference.compared;
        }
    }
    println!("{} cases, {checked} samples compared", cases.len());
    for (what, error) in largest {
        println!("  {what}: largest error / scale {error:.2e}");
    }
}

/// The benchmark's shape: 512×512 at 0.7 mm to 1.0 mm, linear. Prints the time per image;
/// optimised builds are the ones to read.
#[test]
fn resample_yardstick_timing() {
    let input = Array2::from_shape_fn((512, 512), |(r, c)| {
        ((r * 31 + c * 17) % 251) as f32 / 250.0
    });
    let grid = Grid::to_spacing([512, 512], [0.7, 0.7], [1.0, 1.0]);
    assert_eq!(grid.size, [358, 358]);
    let runs = 20;
    let start = Instant::now();
    let mut sum = 0.0_f64;
    for _ in 0..runs {
        sum += f64::from(resample(input.view(), &grid, Interpolator::Linear)[[100, 100]]);
    }
    let each = start.elapsed() / runs;
    println!("512x512 -> 358x358 linear: {each:?} per image ({sum})");
}
