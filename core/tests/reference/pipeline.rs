//! The ct-standard preset end to end against `ct_standard.py` (pydicom + scipy), on a
//! synthetic CT series made by `scripts/gen_corpus.py` and on the CT fixtures.

use std::collections::BTreeMap;
use std::process::Command;

use medprep::{DicomFile, Frames, Limits, Pipeline, Recipe};

use crate::feature_tolerance::{agree, ill_conditioned};
use crate::support::{python, repo_root, run_reference};

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
                if ill_conditioned(name, by_name) {
                    exempt.insert(name.clone());
                    continue;
                }
                compared += 1;
                if !agree(got, want) {
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
