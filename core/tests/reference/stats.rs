//! Reference tests of `medprep::cpu::stats`.
//!
//! - The IBSI-1 digital phantom against the published consensus values
//!   (`ibsi_phantom/`, provenance in its README).
//! - Seeded random maps and the CT fixture against numpy and scikit-image (`stats.py`).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use medprep::cpu::stats::provenance::{IbsiFamily, GLCM, INTENSITY_HISTOGRAM};
use medprep::cpu::stats::{
    compute, first_order, glcm, glcm_aggregated, histogram, intensity_histogram, percentiles,
    Aggregation, Discretisation, FIRST_ORDER_NAMES, GLCM_NAMES, HISTOGRAM_NAMES,
};
use ndarray::{ArrayD, Ix3, IxDyn};
use serde_json::Value;

use crate::support;

/// First-order statistics in f64 against numpy (summation order differs).
const FIRST_ORDER_RTOL: f64 = 1e-9;
/// Histogram entropy and uniformity: same bins, sums in another order.
const HISTOGRAM_RTOL: f64 = 1e-12;
/// GLCM features: same matrices, sums over cells in another order.
const GLCM_RTOL: f64 = 1e-9;
/// Absolute floor for expected values of (nearly) zero.
const ATOL: f64 = 1e-12;
/// Percentiles follow np.percentile's arithmetic step by step: bit for bit.
const PERCENTILE_TOLERANCE: f64 = 0.0;

fn reference_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| support::run_reference("stats.py", &[]))
}

fn cases() -> Vec<Value> {
    let text = std::fs::read_to_string(reference_dir().join("cases.json"))
        .expect("well-formed reference data");
    let manifest: Value = serde_json::from_str(&text).expect("well-formed reference data");
    manifest["cases"]
        .as_array()
        .expect("well-formed reference data")
        .clone()
}

fn load(case: &Value) -> (ArrayD<f32>, Option<ArrayD<bool>>) {
    let name = case["name"].as_str().expect("well-formed reference data");
    let values = support::read_npy(&reference_dir().join(format!("{name}_values.npy")));
    let mask = case["mask"]
        .as_bool()
        .expect("well-formed reference data")
        .then(|| support::read_npy(&reference_dir().join(format!("{name}_mask.npy"))));
    (values, mask)
}

fn expected(file: &str) -> Vec<f64> {
    let array: ArrayD<f64> = support::read_npy(&reference_dir().join(file));
    array.iter().copied().collect()
}

fn discretisation(spec: &Value) -> Discretisation {
    match spec["kind"].as_str().expect("well-formed reference data") {
        "bins" => {
            Discretisation::Bins(spec["param"].as_u64().expect("well-formed reference data") as u32)
        }
        "width" => {
            Discretisation::BinWidth(spec["param"].as_f64().expect("well-formed reference data"))
        }
        _ => Discretisation::None,
    }
}

/// Compares named results with expected values; reports every mismatch.
fn compare(what: &str, got: &[(&str, f64)], want: &[f64], rtol: f64, atol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: number of values");
    let bad: Vec<String> = got
        .iter()
        .zip(want)
        .filter(|&(&(_, g), &w)| {
            !(g.is_nan() && w.is_nan() || (g - w).abs() <= rtol * w.abs() + atol)
        })
        .map(|(&(name, g), &w)| format!("{name}: got {g:e}, expected {w:e}"))
        .collect();
    assert!(bad.is_empty(), "{what}:\n  {}", bad.join("\n  "));
}

#[test]
fn first_order_matches_numpy() {
    for case in cases() {
        let (values, mask) = load(&case);
        let name = case["name"].as_str().expect("well-formed reference data");
        let got = first_order(values.view(), mask.as_ref().map(|m| m.view()))
            .expect("well-formed reference data");
        let names: Vec<_> = got.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, FIRST_ORDER_NAMES);
        compare(
            name,
            &got,
            &expected(&format!("{name}_first_order.npy")),
            FIRST_ORDER_RTOL,
            ATOL,
        );
    }
}

#[test]
fn percentiles_match_numpy() {
    let text = std::fs::read_to_string(reference_dir().join("cases.json"))
        .expect("well-formed reference data");
    let manifest: Value = serde_json::from_str(&text).expect("well-formed reference data");
    let q: Vec<f64> = manifest["percentiles"]
        .as_array()
        .expect("well-formed reference data")
        .iter()
        .map(|v| v.as_f64().expect("well-formed reference data"))
        .collect();
    for case in cases() {
        let (values, mask) = load(&case);
        let name = case["name"].as_str().expect("well-formed reference data");
        let got = percentiles(values.view(), mask.as_ref().map(|m| m.view()), &q)
            .expect("well-formed reference data");
        let named: Vec<(&str, f64)> = got.iter().map(|&v| ("percentile", v)).collect();
        let want = expected(&format!("{name}_percentiles.npy"));
        compare(
            &format!("{name} percentiles {q:?}"),
            &named,
            &want,
            0.0,
            PERCENTILE_TOLERANCE,
        );
    }
}

#[test]
fn histogram_matches_numpy() {
    for case in cases() {
        let (values, mask) = load(&case);
        for spec in case["histograms"]
            .as_array()
            .expect("well-formed reference data")
        {
            let d = discretisation(spec);
            let got = histogram(values.view(), mask.as_ref().map(|m| m.view()), d)
                .expect("well-formed reference data");
            let what = format!("{} histogram {d:?}", case["name"]);
            compare(
                &what,
                &got,
                &expected(spec["file"].as_str().expect("well-formed reference data")),
                HISTOGRAM_RTOL,
                ATOL,
            );
        }
    }
}

#[test]
fn glcm_matches_scikit_image_and_numpy() {
    let mut checked = 0;
    for case in cases() {
        let Some(spec) = case["glcm"].as_object() else {
            continue;
        };
        let spec = Value::Object(spec.clone());
        let (values, mask) = load(&case);
        let d = discretisation(&spec);
        let got = glcm(values.view(), mask.as_ref().map(|m| m.view()), d)
            .expect("well-formed reference data");
        let names: Vec<_> = got.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, GLCM_NAMES);
        let what = format!("{} GLCM {d:?}", case["name"]);
        compare(
            &what,
            &got,
            &expected(spec["file"].as_str().expect("well-formed reference data")),
            GLCM_RTOL,
            ATOL,
        );
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} GLCM cases");
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let case = cases()
        .into_iter()
        .find(|c| c["name"] == "volume_masked")
        .expect("well-formed reference data");
    let (values, mask) = load(&case);
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("well-formed reference data");
        pool.install(|| {
            compute(
                values.view(),
                mask.as_ref().map(|m| m.view()),
                Discretisation::Bins(16),
            )
        })
        .expect("well-formed reference data")
        .iter()
        .map(|(_, v)| v.to_bits())
        .collect::<Vec<_>>()
    };
    let one = run(1);
    assert_eq!(
        one.len(),
        FIRST_ORDER_NAMES.len() + HISTOGRAM_NAMES.len() + GLCM_NAMES.len()
    );
    assert_eq!(one, run(2));
    assert_eq!(one, run(7));
}

fn phantom_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/ibsi_phantom")
}

/// The phantom: values and ROI mask, slices × rows × cols.
fn phantom() -> (ArrayD<f32>, ArrayD<bool>) {
    let text = std::fs::read_to_string(phantom_dir().join("phantom.json"))
        .expect("well-formed reference data");
    let json: Value = serde_json::from_str(&text).expect("well-formed reference data");
    let shape: Vec<usize> = json["shape"]
        .as_array()
        .expect("well-formed reference data")
        .iter()
        .map(|v| v.as_u64().expect("well-formed reference data") as usize)
        .collect();
    let flat = |key: &str| -> Vec<f64> {
        json[key]
            .as_array()
            .expect("well-formed reference data")
            .iter()
            .flat_map(|s| s.as_array().expect("well-formed reference data"))
            .flat_map(|r| r.as_array().expect("well-formed reference data"))
            .map(|v| v.as_f64().expect("well-formed reference data"))
            .collect()
    };
    let values = flat("values").into_iter().map(|v| v as f32).collect();
    let mask = flat("mask").into_iter().map(|v| v == 1.0).collect();
    (
        ArrayD::from_shape_vec(IxDyn(&shape), values).expect("well-formed reference data"),
        ArrayD::from_shape_vec(IxDyn(&shape), mask).expect("well-formed reference data"),
    )
}

/// Half a unit in the third significant digit: the precision IBSI publishes.
fn published_tolerance(value: f64) -> f64 {
    0.5 * 10f64.powi(value.abs().log10().floor() as i32 - 2)
}

#[test]
fn ibsi_digital_phantom_matches_the_published_values() {
    let (values, mask) = phantom();
    assert_eq!(mask.iter().filter(|&&m| m).count(), 74);
    let text = std::fs::read_to_string(phantom_dir().join("reference_values.json"))
        .expect("well-formed reference data");
    let reference: Value = serde_json::from_str(&text).expect("well-formed reference data");
    let families = [
        (
            "first_order",
            first_order(values.view(), Some(mask.view())).expect("well-formed reference data"),
        ),
        (
            "histogram",
            histogram(values.view(), Some(mask.view()), Discretisation::None)
                .expect("well-formed reference data"),
        ),
        (
            "glcm_2d_averaged",
            glcm(values.view(), Some(mask.view()), Discretisation::None)
                .expect("well-formed reference data"),
        ),
    ];
    let mut bad = Vec::new();
    let mut checked = 0;
    for (family, got) in &families {
        let published = reference[*family]
            .as_object()
            .expect("well-formed reference data");
        assert_eq!(
            published.len(),
            got.len(),
            "{family}: every feature has a published value"
        );
        for (name, value) in got {
            let want = published[*name]
                .as_f64()
                .expect("well-formed reference data");
            let tolerance = published_tolerance(want);
            if (value - want).abs() > tolerance {
                bad.push(format!(
                    "{family}/{name}: got {value}, published {want} ± {tolerance}"
                ));
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 45);
    assert!(bad.is_empty(), "IBSI phantom:\n  {}", bad.join("\n  "));
    // The same features through 6 fixed bins or a bin width of 1 (IBSI: equivalent here).
    for d in [Discretisation::Bins(6), Discretisation::BinWidth(1.0)] {
        let glcm_binned =
            glcm(values.view(), Some(mask.view()), d).expect("well-formed reference data");
        let joint_average = glcm_binned[1].1;
        assert!(
            (joint_average - 2.14).abs() <= 0.005,
            "{d:?}: joint average {joint_average}"
        );
    }
}

/// The published values of `family` under `published` (IBSI symbol → value) that `got`
/// (medprep name → value) misses, and how many were compared.
fn compare_by_symbol(
    label: &str,
    family: &IbsiFamily,
    got: &[(&str, f64)],
    published: &Value,
    bad: &mut Vec<String>,
) -> usize {
    let published = published.as_object().expect("well-formed reference data");
    assert_eq!(
        published.len(),
        got.len(),
        "{label}: every feature has a published value"
    );
    for (name, value) in got {
        let symbol = family.feature(name).expect("a catalogued feature").symbol;
        let want = published[symbol]
            .as_f64()
            .expect("well-formed reference data");
        let tolerance = published_tolerance(want);
        if (value - want).abs() > tolerance {
            bad.push(format!(
                "{label} {symbol}: got {value}, published {want} ± {tolerance}"
            ));
        }
    }
    got.len()
}

#[test]
fn ibsi_digital_phantom_histogram_and_every_glcm_aggregation() {
    let (values, mask) = phantom();
    let text = std::fs::read_to_string(phantom_dir().join("reference_values.json"))
        .expect("well-formed reference data");
    let reference: Value = serde_json::from_str(&text).expect("well-formed reference data");
    let mut bad = Vec::new();
    let histogram =
        intensity_histogram(values.view(), Some(mask.view()), Discretisation::None, None)
            .expect("well-formed reference data");
    let mut checked = compare_by_symbol(
        "intensity histogram",
        &INTENSITY_HISTOGRAM,
        &histogram,
        &reference["intensity_histogram"],
        &mut bad,
    );
    let (values, mask) = (
        values.into_dimensionality::<Ix3>().expect("a volume"),
        mask.into_dimensionality::<Ix3>().expect("a volume"),
    );
    let all: Vec<_> = Aggregation::PLANAR
        .into_iter()
        .chain(Aggregation::VOLUMETRIC)
        .collect();
    let aggregated = glcm_aggregated(values.view(), mask.view(), Discretisation::None, None, &all)
        .expect("well-formed reference data");
    for (aggregation, features) in &aggregated {
        checked += compare_by_symbol(
            aggregation.ibsi_name(),
            &GLCM,
            features,
            &reference["glcm_aggregated"][aggregation.ibsi_name()],
            &mut bad,
        );
    }
    assert_eq!(checked, 23 + 6 * 25);
    assert!(bad.is_empty(), "IBSI phantom:\n  {}", bad.join("\n  "));
    // The slice pipeline's 2D average is the same computation.
    let planar = glcm(
        values.view().into_dyn(),
        Some(mask.view().into_dyn()),
        Discretisation::None,
    )
    .expect("well-formed reference data");
    assert_eq!(planar, aggregated[0].1);
}
