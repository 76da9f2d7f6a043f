//! Reference tests of `medprep::cpu::filters` against scipy.ndimage, numpy and
//! scikit-image (see `filters.py`).
//!
//! Every case compares `|got - expected| <= TOLERANCE * scale`, where `scale` (written by
//! the script) is max |input| times the sum of the absolute kernel weights: a bound on the
//! magnitudes the sums pass through, so the tolerances are relative rounding budgets.

// A failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use medprep::cpu::filters::{
    correlate, gabor, gabor_bank, gabor_kernel, gabor_kernel_imaginary, gabor_magnitude, gaussian,
    gaussian_and_laplace, gaussian_laplace, load_kernel_bank, sobel_magnitude, Gabor,
    KernelBankError,
};
use ndarray::{Array2, Array3};
use serde_json::Value;

use crate::support::{read_npy, run_reference};

/// Gaussian smoothing: sums in f64 in scipy's order, so differences are f32 roundings.
const GAUSSIAN_RELATIVE: f64 = 1e-6;
/// Laplacian of Gaussian, relative to max |input| × Σ|second-derivative taps|.
const LAPLACE_RELATIVE: f64 = 1e-6;
/// Sobel magnitude, relative to 8 × max |input|.
const SOBEL_RELATIVE: f64 = 1e-6;
/// `correlate`: direct sums match scipy's order; rank-1 kernels round once more between
/// their two passes.
const CORRELATE_RELATIVE: f64 = 1e-6;
/// Gabor responses: our f32 kernel against scikit-image's rounded to f32.
const GABOR_RELATIVE: f64 = 1e-6;
/// Gabor kernel entries (the kernel peaks at 1) against scikit-image's.
const GABOR_KERNEL_ABSOLUTE: f32 = 1e-6;

struct Comparison {
    worst: f64,
    worst_at: (usize, usize),
    got: f32,
    expected: f32,
    exact: usize,
    total: usize,
}

/// The worst difference relative to `scale`, where it is, and how many pixels match exactly.
fn compare(got: &Array2<f32>, expected: &Array2<f32>, scale: f64) -> Result<Comparison, String> {
    if got.dim() != expected.dim() {
        return Err(format!(
            "shape {:?}, expected {:?}",
            got.dim(),
            expected.dim()
        ));
    }
    let mut c = Comparison {
        worst: 0.0,
        worst_at: (0, 0),
        got: 0.0,
        expected: 0.0,
        exact: 0,
        total: got.len(),
    };
    for ((at, &g), &e) in got.indexed_iter().zip(expected.iter()) {
        let d = if g == e || (g.is_nan() && e.is_nan()) {
            0.0
        } else {
            f64::from(g - e).abs() / scale.max(f64::MIN_POSITIVE)
        };
        let d = if d.is_nan() { f64::INFINITY } else { d };
        if d == 0.0 {
            c.exact += 1;
        }
        if d > c.worst || (d.is_infinite() && c.worst.is_finite()) {
            (c.worst, c.worst_at, c.got, c.expected) = (d, at, g, e);
        }
    }
    Ok(c)
}

#[test]
fn filters_match_scipy_and_scikit_image() {
    let dir = run_reference("filters.py", &[]);
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let gabors: Vec<Gabor> = serde_json::from_value(manifest["gabors"].clone()).unwrap();
    let mut inputs: BTreeMap<String, Array2<f32>> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut exact = BTreeMap::<String, (usize, usize, f64)>::new();
    let cases = manifest["cases"].as_array().unwrap();
    for case in cases {
        let op = case["op"].as_str().unwrap();
        let image = case["image"].as_str().unwrap();
        let params = &case["params"];
        let input = inputs
            .entry(image.to_owned())
            .or_insert_with(|| read_npy(&dir.join(format!("{image}_input.npy"))))
            .view();
        let expected: Array2<f32> = read_npy(&dir.join(case["expected"].as_str().unwrap()));
        let (got, tolerance) = match op {
            "gaussian" => {
                let s = &params["sigma"];
                (
                    gaussian(input, [s[0].as_f64().unwrap(), s[1].as_f64().unwrap()]),
                    GAUSSIAN_RELATIVE,
                )
            }
            "laplace" => (
                gaussian_laplace(input, params["sigma"].as_f64().unwrap()),
                LAPLACE_RELATIVE,
            ),
            "sobel" => (sobel_magnitude(input), SOBEL_RELATIVE),
            "correlate" => {
                let kernel: Array2<f32> = read_npy(
                    &dir.join(format!("kernel_{}.npy", params["kernel"].as_str().unwrap())),
                );
                (correlate(input, kernel.view()), CORRELATE_RELATIVE)
            }
            "gabor" => (
                gabor(input, &gabors[params["gabor"].as_u64().unwrap() as usize]),
                GABOR_RELATIVE,
            ),
            "gabor_magnitude" => (
                gabor_magnitude(input, &gabors[params["gabor"].as_u64().unwrap() as usize]),
                GABOR_RELATIVE,
            ),
            other => panic!("unknown op {other}"),
        };
        let label = format!("{op} {params} on {image}");
        match compare(&got, &expected, case["scale"].as_f64().unwrap()) {
            Err(e) => failures.push(format!("{label}: {e}")),
            Ok(c) => {
                let tally = exact.entry(op.to_owned()).or_default();
                tally.0 += c.exact;
                tally.1 += c.total;
                tally.2 = tally.2.max(c.worst);
                if c.worst > tolerance {
                    failures.push(format!(
                        "{label}: at {:?} got {} expected {} (difference {:.3e} of scale, tolerance {tolerance:e})",
                        c.worst_at, c.got, c.expected, c.worst
                    ));
                }
            }
        }
    }
    for (op, (same, total, worst)) in &exact {
        println!("{op}: {same} of {total} pixels bit-identical to the reference, worst {worst:.2e} of scale");
    }
    assert!(
        cases.len() > 200,
        "the script wrote only {} cases",
        cases.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn gaussian_and_laplace_is_bit_identical_to_the_separate_filters() {
    let dir = run_reference("filters.py", &[]);
    for image in [
        "random1x1",
        "random2x3",
        "random5x7",
        "random97x131",
        "ct_hu",
        "ct_window",
    ] {
        let input: Array2<f32> = read_npy(&dir.join(format!("{image}_input.npy")));
        for sigma in [0.0, 0.5, 1.0, 2.0, 4.0] {
            let (smooth, log) = gaussian_and_laplace(input.view(), sigma);
            assert_eq!(
                smooth,
                gaussian(input.view(), [sigma, sigma]),
                "gaussian sigma {sigma} on {image}"
            );
            assert_eq!(
                log,
                gaussian_laplace(input.view(), sigma),
                "laplace sigma {sigma} on {image}"
            );
        }
    }
}

#[test]
fn gabor_kernels_match_scikit_image() {
    let dir = run_reference("filters.py", &[]);
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let gabors: Vec<Gabor> = serde_json::from_value(manifest["gabors"].clone()).unwrap();
    assert!(gabors.len() >= 4);
    for (i, g) in gabors.iter().enumerate() {
        for (part, ours) in [
            ("real", gabor_kernel(g)),
            ("imag", gabor_kernel_imaginary(g)),
        ] {
            let theirs: Array2<f32> = read_npy(&dir.join(format!("gabor{i}_{part}.npy")));
            assert_eq!(ours.dim(), theirs.dim(), "gabor {i} {part} shape ({g:?})");
            for ((at, &a), &b) in ours.indexed_iter().zip(theirs.iter()) {
                assert!(
                    (a - b).abs() <= GABOR_KERNEL_ABSOLUTE,
                    "gabor {i} {part} at {at:?}: {a} vs {b} ({g:?})"
                );
            }
        }
    }
}

#[test]
fn gabor_bank_names_and_parameters() {
    let bank = gabor_bank(4, &[4.0, 5.5], 0.5);
    let names: Vec<&str> = bank.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "gabor_l4_t0",
            "gabor_l4_t45",
            "gabor_l4_t90",
            "gabor_l4_t135",
            "gabor_l5p5_t0",
            "gabor_l5p5_t45",
            "gabor_l5p5_t90",
            "gabor_l5p5_t135",
        ]
    );
    assert_eq!(bank[5].gabor.sigma, 2.75);
    assert_eq!(bank[5].gabor.wavelength, 5.5);
    assert!((bank[5].gabor.orientation - std::f64::consts::FRAC_PI_4).abs() < 1e-15);
    assert_eq!(gabor_bank(8, &[3.0], 0.5)[3].name, "gabor_l3_t67p5");
    assert!(gabor_bank(0, &[4.0], 0.5).is_empty());
}

#[test]
fn kernel_banks_written_by_numpy() {
    let dir = run_reference("filters.py", &[]);
    for name in ["bank_f64_3d", "bank_f32_2d", "bank_f32_fortran"] {
        let bank = load_kernel_bank(&dir.join(format!("{name}.npy"))).unwrap();
        let expected: Array3<f32> = read_npy(&dir.join(format!("{name}_expected.npy")));
        assert_eq!(bank.len(), expected.dim().0, "{name}");
        for (k, (got, want)) in bank.iter().zip(expected.outer_iter()).enumerate() {
            assert_eq!(got.view(), want, "{name} kernel {k}");
        }
    }
    let error = |name: &str| {
        let path = dir.join(format!("{name}.npy"));
        let e = load_kernel_bank(&path).expect_err(name);
        assert!(
            e.to_string().contains(&path.display().to_string()),
            "{name}: message {e} names the file"
        );
        e
    };
    assert!(
        matches!(error("bank_bad_4d"), KernelBankError::Ndim { shape, .. } if shape == [1, 2, 3, 3])
    );
    assert!(matches!(error("bank_bad_1d"), KernelBankError::Ndim { shape, .. } if shape == [9]));
    assert!(matches!(
        error("bank_bad_empty"),
        KernelBankError::Empty { .. }
    ));
    assert!(matches!(
        error("bank_bad_empty_rows"),
        KernelBankError::Empty { .. }
    ));
    assert!(matches!(
        error("bank_bad_nan"),
        KernelBankError::NonFinite {
            kernel: 1,
            row: 2,
            col: 3,
            ..
        }
    ));
    assert!(matches!(
        error("bank_bad_inf"),
        KernelBankError::NonFinite {
            kernel: 0,
            row: 4,
            col: 0,
            ..
        }
    ));
    assert!(matches!(
        error("bank_bad_large"),
        KernelBankError::TooLarge {
            rows: 256,
            cols: 3,
            ..
        }
    ));
    assert!(matches!(
        error("bank_bad_int"),
        KernelBankError::Format { .. }
    ));
    assert!(matches!(
        error("bank_bad_garbage"),
        KernelBankError::Format { .. }
    ));
    assert!(matches!(
        error("does_not_exist"),
        KernelBankError::Io { .. }
    ));
}
