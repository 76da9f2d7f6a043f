//! The ct-standard preset end to end against `ct_standard.py` (pydicom + scipy), on a
//! synthetic CT series made by `scripts/gen_corpus.py` and on the CT fixtures.

use std::collections::BTreeMap;
use std::process::Command;

use medprep::{DicomFile, Frames, Limits, Pipeline, Recipe};

use crate::support::{python, repo_root, run_reference};

/// Agreement asked of every feature: `|medprep - scipy| <= ABS + REL * |scipy|`.
const ABS: f64 = 1e-4;
const REL: f64 = 1e-3;
/// A ratio whose denominator is smaller than this fraction of its natural scale (cov:
/// mean vs sd; qcod: p75 + p25 vs iqr) amplifies last-bit differences of its inputs
/// without bound, so it is not compared. This exempts cov and qcod of the zero-mean
/// LoG maps; their inputs (mean, variance, percentiles) are compared like every feature.
const ILL_CONDITIONED: f64 = 1e-2;

#[derive(serde::Deserialize)]
struct Reference {
    features: Vec<String>,
    images: BTreeMap<String, Vec<Vec<Option<f64>>>>,
}

#[test]
fn ct_standard_matches_the_scipy_pipeline() {
    let root = repo_root();
    let corpus =
        std::env::temp_dir().join(format!("medprep-ct-standard-corpus-{}", std::process::id()));
    let status = Command::new(python())
        .arg(root.join("scripts/gen_corpus.py"))
        .arg(&corpus)
        .args([
            "--n",
            "4",
            "--slice-thickness",
            "60",
            "--syntax",
            "explicit",
            "--quiet",
        ])
        .status()
        .expect("run gen_corpus.py");
    assert!(status.success(), "gen_corpus.py failed");
    let mut inputs = vec![corpus.join("explicit").display().to_string()];
    for fixture in [
        "ct_slice",
        "ct_12bit",
        "ct_rle",
        "ct_jpegls",
        "multiframe_ct",
    ] {
        inputs.push(
            root.join(format!("fixtures/{fixture}.dcm"))
                .display()
                .to_string(),
        );
    }
    let args: Vec<&str> = inputs.iter().map(String::as_str).collect();
    let out = run_reference("ct_standard.py", &args);
    let text = std::fs::read_to_string(out.join("reference.json")).expect("reference.json");
    let reference: Reference = serde_json::from_str(&text).expect("parse reference.json");

    let pipeline = Pipeline::new(Recipe::preset("ct-standard").expect("preset")).expect("pipeline");
    assert_eq!(pipeline.feature_names(), reference.features.as_slice());
    assert_eq!(
        reference.images.len(),
        9,
        "4 synthetic slices and 5 fixtures"
    );

    let mut failures = Vec::new();
    let mut exempt = std::collections::BTreeSet::new();
    let mut compared = 0;
    for (path, expected_frames) in &reference.images {
        let image = DicomFile::open(path)
            .and_then(|f| f.image(Frames::All, &Limits::default()))
            .expect("decode");
        let frames = pipeline.process(path, &image).expect("process");
        assert_eq!(frames.len(), expected_frames.len(), "{path}: frames");
        for (frame, expected) in frames.iter().zip(expected_frames) {
            let expected: Vec<f64> = expected.iter().map(|v| v.unwrap_or(f64::NAN)).collect();
            let by_name = |name: &str| {
                expected[reference
                    .features
                    .iter()
                    .position(|n| n == name)
                    .expect("name")]
            };
            for (i, name) in reference.features.iter().enumerate() {
                let (got, want) = (frame.features[i], expected[i]);
                let map = &name[..name.rfind('_').expect("map_stat")];
                let ill_conditioned = match &name[map.len() + 1..] {
                    "cov" => {
                        by_name(&format!("{map}_mean")).abs()
                            < ILL_CONDITIONED * by_name(&format!("{map}_variance")).sqrt()
                    }
                    "qcod" => {
                        let (p25_plus_p75, iqr) = qcod_parts(
                            by_name(&format!("{map}_qcod")),
                            by_name(&format!("{map}_iqr")),
                        );
                        p25_plus_p75.abs() < ILL_CONDITIONED * iqr
                    }
                    _ => false,
                };
                if ill_conditioned {
                    exempt.insert(name.clone());
                    continue;
                }
                compared += 1;
                let agree =
                    (got - want).abs() <= ABS + REL * want.abs() || (got.is_nan() && want.is_nan());
                if !agree {
                    failures.push(format!(
                        "{path} frame {}: {name}: medprep {got} scipy {want}",
                        frame.frame
                    ));
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(&corpus);
    eprintln!("ct-standard vs scipy: {compared} values compared; ill-conditioned, not compared: {exempt:?}");
    assert!(
        failures.is_empty(),
        "{} disagreements:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// `(p75 + p25, iqr)` from `qcod = iqr / (p75 + p25)` and `iqr`.
fn qcod_parts(qcod: f64, iqr: f64) -> (f64, f64) {
    if qcod.is_nan() || qcod == 0.0 {
        return (0.0, iqr);
    }
    (iqr / qcod, iqr)
}
