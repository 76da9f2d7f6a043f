//! `medprep run` in series mode, end to end: a CT series with an RTSTRUCT of two ROIs
//! (one with a hole), a second series without any and a third with a DICOM SEG of one
//! segment, through a TOML recipe with
//! re-segmentation and a fixed bin width, to `features.parquet`, `scans.parquet` and
//! `errors.jsonl`.
//!
//! Nothing expected here comes from medprep. `tests/series_fixture.py` writes the DICOM
//! files with pydicom (the SEG with highdicom) and `reference.json` beside them: the
//! segment's mask as given to highdicom, each RTSTRUCT ROI's mask from scikit-image's
//! polygon rasterisation (XOR per slice for the even-odd rule), its
//! intensity statistics from numpy over the re-segmented voxels, and its intensity
//! histogram from the IBSI grey-level formula. The tables are read back with pyarrow
//! (the test Python), not with the parquet crate medprep writes them with.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::Value;

use super::{medprep, python, scratch};

/// Series mode with IBSI configuration A's intensity settings and volumetric texture.
const RECIPE: &str = r#"name = "series-test"
[series]
resegment = { range = [-500.0, 400.0] }
families = ["first-order", "intensity-histogram", "glcm"]
discretisation = { bin-width = 25.0 }
texture = "3d"
volumes = true
"#;

/// Prints both tables of OUT (argv[1]) as JSON: rows, and each features field's type
/// and metadata. Non-finite floats become null, which JSON can carry.
const READ_TABLES: &str = r#"
import json, math, sys
import pyarrow.parquet as pq

out = sys.argv[1]

def rows(table):
    return [{k: None if isinstance(v, float) and not math.isfinite(v) else v
             for k, v in row.items()} for row in table.to_pylist()]

features = pq.read_table(f"{out}/features.parquet")
scans = pq.read_table(f"{out}/scans.parquet")
print(json.dumps({
    "features": rows(features),
    "scans": rows(scans),
    "fields": [{"name": f.name, "type": str(f.type),
                "metadata": {k.decode(): v.decode() for k, v in (f.metadata or {}).items()}}
               for f in features.schema],
}, default=str))
"#;

/// The key columns of `features`, before the feature columns.
const KEY_COLUMNS: [&str; 9] = [
    "patient_id",
    "series_instance_uid",
    "image_path",
    "temporal_position",
    "roi",
    "roi_number",
    "roi_voxels",
    "intensity_voxels",
    "mask",
];

/// Reads the NIfTI files the tables name with nibabel (not medprep's reader) and prints,
/// as JSON: per scan, the volume's shape and affine; per ROI, its inside voxels as
/// (z, y, x) (nibabel's arrays are x, y, z).
const READ_VOLUMES: &str = r#"
import json, sys
import nibabel as nib
import numpy as np
import pyarrow.parquet as pq

out = sys.argv[1]
scans = pq.read_table(f"{out}/scans.parquet").to_pylist()
features = pq.read_table(f"{out}/features.parquet").to_pylist()
volumes = {}
for row in scans:
    if row["volume"]:
        image = nib.load(f"{out}/{row['volume']}")
        volumes[row["series_instance_uid"]] = {
            "shape": list(image.shape), "affine": image.affine.tolist(),
            "min": float(image.get_fdata().min()), "max": float(image.get_fdata().max())}
masks = {}
for row in features:
    data = np.asarray(nib.load(f"{out}/{row['mask']}").dataobj).transpose(2, 1, 0)
    masks[row["roi"]] = np.argwhere(data == 1).tolist()
print(json.dumps({"volumes": volumes, "masks": masks}))
"#;

/// The columns compared with numpy: (column, reference key, IBSI symbol).
const STATISTICS: [(&str, &str, &str); 7] = [
    ("original_stat_mean", "mean", "stat.mean"),
    ("original_stat_var", "var", "stat.var"),
    ("original_stat_min", "min", "stat.min"),
    ("original_stat_max", "max", "stat.max"),
    ("original_stat_median", "median", "stat.median"),
    ("original_stat_p10", "p10", "stat.P10"),
    ("original_stat_p90", "p90", "stat.P90"),
];

/// The histogram columns compared with the reference's grey levels.
const HISTOGRAM: [(&str, &str, &str); 2] = [
    ("original_ih_entropy", "ih_entropy", "ih.entropy"),
    ("original_ih_mean", "ih_mean", "ih.mean"),
];

/// One run of the fixture through `medprep run`, shared by the tests below.
struct Run {
    input: PathBuf,
    output: Output,
    reference: Value,
    tables: Value,
    errors: Vec<Value>,
}

fn run() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| {
        let dir = scratch("series");
        let generated = Command::new(python())
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/series_fixture.py"))
            .arg(&dir)
            .output()
            .expect("run series_fixture.py");
        assert!(
            generated.status.success(),
            "series_fixture.py failed:\n{}",
            String::from_utf8_lossy(&generated.stderr)
        );
        let reference: Value = serde_json::from_slice(
            &std::fs::read(dir.join("reference.json")).expect("reference.json written"),
        )
        .expect("reference.json is JSON");

        let recipe = dir.join("series.toml");
        std::fs::write(&recipe, RECIPE).expect("write recipe");
        let input = dir.join("scan");
        let out = dir.join("out");
        let output = medprep(&[
            "run".as_ref(),
            "--recipe".as_ref(),
            recipe.as_os_str(),
            "--quiet".as_ref(),
            "--out".as_ref(),
            out.as_os_str(),
            input.as_os_str(),
        ]);

        let tables = python_json(READ_TABLES, &out, &output.stderr);
        let errors = std::fs::read_to_string(out.join("errors.jsonl"))
            .expect("errors.jsonl written")
            .lines()
            .map(|l| serde_json::from_str(l).expect("each error record is JSON"))
            .collect();
        Run {
            input,
            output,
            reference,
            tables,
            errors,
        }
    })
}

/// What `script` prints (JSON) when run by the test Python on the output folder `out`;
/// `stderr` is medprep's, shown if the script fails.
fn python_json(script: &str, out: &Path, stderr: &[u8]) -> Value {
    let read = Command::new(python())
        .args(["-c", script])
        .arg(out)
        .output()
        .expect("run the test Python");
    assert!(
        read.status.success(),
        "reading the outputs in Python failed:\n{}\nmedprep's stderr:\n{}",
        String::from_utf8_lossy(&read.stderr),
        String::from_utf8_lossy(stderr)
    );
    serde_json::from_slice(&read.stdout).expect("the script prints JSON")
}

fn rows<'a>(run: &'a Run, table: &str) -> &'a [Value] {
    rows_of(&run.tables, table)
}

/// The rows of `table` in what [`READ_TABLES`] printed.
fn rows_of<'a>(tables: &'a Value, table: &str) -> &'a [Value] {
    tables[table].as_array().expect("rows")
}

/// The features row of ROI `name`, exactly one.
fn roi_row<'a>(run: &'a Run, name: &str) -> &'a Value {
    let found: Vec<&Value> = rows(run, "features")
        .iter()
        .filter(|r| r["roi"] == name)
        .collect();
    assert_eq!(found.len(), 1, "features rows of ROI {name:?}: {found:?}");
    found[0]
}

fn number(value: &Value, what: &str) -> f64 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("{what} is {value}, not a number"))
}

/// Whether `got` is `want` within `rel` relative, with an absolute floor `abs` (the
/// reference values are float64 sums and sorts of whole HU, so medprep's different
/// summation order may only move the last bits).
fn close(got: f64, want: f64, rel: f64, abs: f64) -> bool {
    (got - want).abs() <= (rel * want.abs()).max(abs)
}

#[test]
fn the_unmasked_series_is_the_only_failure() {
    let run = run();
    let stderr = String::from_utf8_lossy(&run.output.stderr);
    assert_eq!(run.output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("3 scans, 3 ROIs measured, 1 failed"),
        "{stderr}"
    );
    assert_eq!(run.errors.len(), 1, "{:?}", run.errors);
    let error = &run.errors[0];
    assert_eq!(error["kind"], "no_mask", "{error}");
    let image_path = error["image_path"].as_str().expect("image_path");
    assert!(
        Path::new(image_path).starts_with(run.input.join("other")),
        "{error}"
    );
}

#[test]
fn each_roi_of_the_masked_series_has_one_row() {
    let run = run();
    let features = rows(run, "features");
    let rois: Vec<&str> = features
        .iter()
        .map(|r| r["roi"].as_str().expect("roi"))
        .collect();
    assert_eq!(features.len(), 3, "ROIs {rois:?}");
    for (name, expected) in run.reference["rois"].as_object().expect("rois") {
        let row = roi_row(run, name);
        assert_eq!(
            row["series_instance_uid"], expected["series_instance_uid"],
            "{name}"
        );
        assert_eq!(row["roi_number"], expected["number"], "{name}");
        assert_eq!(row["patient_id"], "SYNTH-SERIES-RUN", "{name}");
    }
}

#[test]
fn rois_are_rasterised_like_scikit_image_and_segments_as_written() {
    let run = run();
    for (name, expected) in run.reference["rois"].as_object().expect("rois") {
        let row = roi_row(run, name);
        assert_eq!(row["roi_voxels"], expected["voxels"], "ROI {name}");
        assert_eq!(
            row["intensity_voxels"], expected["intensity"]["count"],
            "ROI {name} after re-segmentation to [-500, 400] HU"
        );
    }
}

#[test]
fn first_order_and_histogram_features_match_numpy() {
    let run = run();
    let mut differences = Vec::new();
    for (name, expected) in run.reference["rois"].as_object().expect("rois") {
        let row = roi_row(run, name);
        let intensity = &expected["intensity"];
        let columns = STATISTICS
            .iter()
            .map(|&(column, key, _)| (column, key, 1e-9, 1e-6))
            .chain(
                HISTOGRAM
                    .iter()
                    .map(|&(column, key, _)| (column, key, 0.0, 1e-9)),
            );
        for (column, key, rel, abs) in columns {
            let got = number(&row[column], column);
            let want = number(&intensity[key], key);
            if !close(got, want, rel, abs) {
                differences.push(format!("{name} {column}: medprep {got}, reference {want}"));
            }
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

#[test]
fn every_feature_column_carries_its_ibsi_provenance() {
    let run = run();
    let fields = run.tables["fields"].as_array().expect("fields");
    let names: Vec<&str> = fields
        .iter()
        .map(|f| f["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names[..KEY_COLUMNS.len()], KEY_COLUMNS, "{names:?}");
    let features = &fields[KEY_COLUMNS.len()..];
    assert!(names.contains(&"original_cm_joint_max_3d_avg"), "{names:?}");
    let mut symbols = BTreeMap::new();
    for field in features {
        let name = field["name"].as_str().expect("name");
        assert_eq!(field["type"], "double", "{name}");
        let metadata = &field["metadata"];
        for key in ["map", "family", "feature", "ibsi_code", "ibsi_symbol"] {
            assert!(
                metadata[key].as_str().is_some_and(|v| !v.is_empty()),
                "{name} lacks {key}: {metadata}"
            );
        }
        // Texture features differ by aggregation, the others have none.
        assert_eq!(
            metadata.get("aggregation").is_some(),
            name.starts_with("original_cm_"),
            "{name}: {metadata}"
        );
        symbols.insert(name, metadata["ibsi_symbol"].as_str().unwrap_or_default());
    }
    for (column, _, symbol) in STATISTICS.iter().chain(&HISTOGRAM) {
        assert_eq!(symbols.get(column), Some(symbol), "{column}");
    }
}

#[test]
fn scans_has_one_row_per_series_with_its_geometry() {
    let run = run();
    let scans = rows(run, "scans");
    assert_eq!(scans.len(), 3, "{scans:?}");
    for (uid, size) in [
        ("series_instance_uid", "size"),
        ("other_series_instance_uid", "other_size"),
        ("segmented_series_instance_uid", "segmented_size"),
    ] {
        let uid = &run.reference[uid];
        let row = scans
            .iter()
            .find(|r| &r["series_instance_uid"] == uid)
            .unwrap_or_else(|| panic!("no scans row of series {uid}: {scans:?}"));
        let size = &run.reference[size];
        for (axis, column) in ["size_x", "size_y", "size_z"].iter().enumerate() {
            assert_eq!(row[column], size[axis], "{column} of {uid}");
        }
        for (axis, column) in ["spacing_x", "spacing_y", "spacing_z"].iter().enumerate() {
            let got = number(&row[column], column);
            let want = number(&run.reference["spacing"][axis], column);
            assert!(
                (got - want).abs() <= 1e-9,
                "{column} of {uid}: {got}, want {want}"
            );
        }
    }
}

#[test]
fn volumes_and_masks_are_written_as_nifti_that_nibabel_reads() {
    let run = run();
    let out = run.input.parent().expect("scratch").join("out");
    let read = python_json(READ_VOLUMES, &out, &run.output.stderr);
    let volumes = read["volumes"].as_object().expect("volumes");
    // The scan without a mask is not measured, so it has no processed volume.
    assert_eq!(volumes.len(), 2, "{volumes:?}");
    let volume = &volumes[run.reference["series_instance_uid"].as_str().expect("uid")];
    assert_eq!(volume["shape"], run.reference["size"], "{volume}");
    // No resampling: the spacing on the diagonal, LPS x and y negated into RAS.
    let affine = &volume["affine"];
    for (axis, sign) in [-1.0, -1.0, 1.0].into_iter().enumerate() {
        let got = number(&affine[axis][axis], "affine");
        let want = sign * number(&run.reference["spacing"][axis], "spacing");
        assert!((got - want).abs() < 1e-5, "affine {affine}: axis {axis}");
    }
    assert!(number(&volume["min"], "min") >= -900.0 && number(&volume["max"], "max") <= 600.0);
    for (name, expected) in run.reference["rois"].as_object().expect("rois") {
        let mut got: Vec<Value> = read["masks"][name].as_array().expect("mask").clone();
        let mut want: Vec<Value> = expected["mask_zyx"].as_array().expect("mask_zyx").clone();
        let key = |v: &Value| v.to_string();
        got.sort_by_key(key);
        want.sort_by_key(key);
        assert!(
            got == want,
            "ROI {name}: the NIfTI mask differs from the reference"
        );
    }
}

/// The pseudonyms of `--pseudonymize` computed with Python's hmac module (argv[1] the
/// key, argv[2:] the values): HMAC-SHA256 of `patient_id:<id>` as hex, of `uid:<uid>` as
/// `2.25.<first 16 bytes as an integer>`; printed as a JSON object value -> pseudonym.
const PSEUDONYMS: &str = r#"
import hashlib, hmac, json, sys

key = sys.argv[1].encode()
def mac(domain, value):
    return hmac.new(key, f"{domain}:{value}".encode(), hashlib.sha256).digest()
out = {}
for value in sys.argv[2:]:
    if value.startswith("2.25."):
        out[value] = "2.25." + str(int.from_bytes(mac("uid", value)[:16], "big"))
    else:
        out[value] = mac("patient_id", value).hex()
print(json.dumps(out))
"#;

#[test]
fn pseudonymize_replaces_identifiers_in_tables_and_file_names() {
    const KEY: &str = "series-mode-pseudonym-key-0123456789";
    let run = run();
    let out = run.input.parent().expect("scratch").join("pseudonymized");
    let recipe = run.input.parent().expect("scratch").join("series.toml");
    let output = Command::new(env!("CARGO_BIN_EXE_medprep"))
        .arg("run")
        .arg("--recipe")
        .arg(&recipe)
        .args(["--quiet", "--pseudonymize", "--out"])
        .arg(&out)
        .arg(&run.input)
        .env("MEDPREP_PSEUDONYM_KEY", KEY)
        .output()
        .expect("medprep runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("3 scans, 3 ROIs measured, 1 failed"),
        "{stderr}"
    );
    let raw = [
        "SYNTH-SERIES-RUN",
        "2.25.71000",
        "2.25.71001",
        "2.25.71002",
        "2.25.72001",
        "2.25.73001",
    ];
    let expected = Command::new(python())
        .args(["-c", PSEUDONYMS, KEY])
        .args(raw)
        .output()
        .expect("run Python's hmac");
    let expected: Value = serde_json::from_slice(&expected.stdout).expect("JSON");
    let tables = python_json(READ_TABLES, &out, &output.stderr);
    for row in rows_of(&tables, "features") {
        assert_eq!(row["patient_id"], expected["SYNTH-SERIES-RUN"], "{row}");
        let uid = run.reference["rois"][row["roi"].as_str().expect("roi")]["series_instance_uid"]
            .as_str()
            .expect("uid");
        assert_eq!(row["series_instance_uid"], expected[uid], "{row}");
    }
    let scans = rows_of(&tables, "scans");
    assert_eq!(scans.len(), 3);
    for row in scans {
        assert_eq!(row["study_instance_uid"], expected["2.25.71000"], "{row}");
    }
    let main = scans
        .iter()
        .find(|r| r["series_instance_uid"] == expected["2.25.71001"])
        .expect("the main scan's row");
    assert_eq!(main["frame_of_reference_uid"], expected["2.25.71002"]);
    assert_eq!(
        main["montage"].as_str(),
        Some(
            format!(
                "montages/{}.png",
                expected["2.25.71001"].as_str().expect("uid")
            )
            .as_str()
        )
    );
    // No raw identifier anywhere: not in the tables' values, not in a file name.
    let text = tables.to_string();
    let mut names = Vec::new();
    for folder in ["", "montages", "volumes"] {
        for entry in std::fs::read_dir(out.join(folder)).expect("output folder") {
            names.push(
                entry
                    .expect("entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned(),
            );
        }
    }
    for id in raw {
        assert!(!text.contains(id), "{id} in the tables");
        assert!(
            !names.iter().any(|n| n.contains(id)),
            "{id} in a file name: {names:?}"
        );
    }
}
