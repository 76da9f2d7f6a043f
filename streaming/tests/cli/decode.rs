//! `medprep decode` and `medprep info`.

use ndarray::ArrayD;
use ndarray_npy::ReadNpyExt;

use super::{fixture, medprep, scratch};

#[test]
fn decode_writes_raw_int16_and_float32_hounsfield_units() {
    let dir = scratch("decode");
    let raw = dir.join("raw.npy");
    let hu = dir.join("hu.npy");
    let input = fixture("ct_12bit.dcm");
    assert!(medprep(&[
        "decode".as_ref(),
        input.as_os_str(),
        "--raw".as_ref(),
        "--out".as_ref(),
        raw.as_os_str()
    ])
    .status
    .success());
    assert!(medprep(&[
        "decode".as_ref(),
        input.as_os_str(),
        "--out".as_ref(),
        hu.as_os_str()
    ])
    .status
    .success());
    let raw = ArrayD::<u16>::read_npy(std::fs::File::open(raw).expect("raw written"))
        .expect("uint16 npy");
    let hu =
        ArrayD::<f32>::read_npy(std::fs::File::open(hu).expect("hu written")).expect("float32 npy");
    assert_eq!(raw.shape(), &[128, 128]);
    assert_eq!(hu.shape(), &[128, 128]);
    // ct_12bit.dcm: slope 1, intercept -1024.
    for (s, v) in raw.iter().zip(hu.iter()) {
        assert_eq!(*v, f32::from(*s) - 1024.0);
    }
}

#[test]
fn decode_of_one_frame_drops_the_frame_axis() {
    let dir = scratch("frame");
    let out = dir.join("f.npy");
    let input = fixture("multiframe_ct.dcm");
    let status = medprep(&[
        "decode".as_ref(),
        input.as_os_str(),
        "--frame".as_ref(),
        "3".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
    ])
    .status;
    assert!(status.success());
    let frame = ArrayD::<f32>::read_npy(std::fs::File::open(out).expect("written")).expect("npy");
    assert_eq!(frame.shape(), &[64, 64]);
}

#[test]
fn info_prints_metadata_as_json() {
    let input = fixture("ct_slice.dcm");
    let output = medprep(&["info".as_ref(), input.as_os_str()]);
    assert!(output.status.success());
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON on stdout");
    assert_eq!(json["modality"], "CT");
    assert_eq!(json["rows"], 128);
    assert_eq!(json["study_date"], "2024-01-02");
    assert_eq!(
        json["geometry"]["pixel_spacing"],
        serde_json::json!([2.8, 2.8])
    );
}

#[test]
fn a_folder_with_a_broken_image_decodes_the_rest_and_exits_1() {
    let dir = scratch("folder");
    let inputs = dir.join("in");
    std::fs::create_dir_all(&inputs).expect("input dir");
    let good = std::fs::read(fixture("ct_slice.dcm")).expect("fixture");
    std::fs::write(inputs.join("good.dcm"), &good).expect("write");
    std::fs::write(inputs.join("cut.dcm"), &good[..good.len() / 2]).expect("write");
    std::fs::write(inputs.join("notes.txt"), "not an image").expect("write");
    let out = dir.join("out");
    let output = medprep(&[
        "decode".as_ref(),
        inputs.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cut.dcm: "), "{stderr}");
    assert!(stderr.contains("decoded 1 of 2 file(s)"), "{stderr}");
    assert!(stderr.contains("skipped 1 non-DICOM file(s)"), "{stderr}");
    assert!(out.join("good.dcm.npy").is_file());
    assert!(!out.join("cut.dcm.npy").exists());
}

#[test]
fn a_named_file_that_is_not_dicom_is_an_error() {
    let dir = scratch("named");
    let notes = dir.join("notes.txt");
    std::fs::write(&notes, "not an image").expect("write");
    let out = dir.join("x.npy");
    let output = medprep(&[
        "decode".as_ref(),
        notes.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("notes.txt: not a DICOM file"), "{stderr}");
}

#[test]
fn usage_errors_exit_2() {
    let output = medprep(&["decode".as_ref()]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn info_into_a_closed_pipe_ends_quietly() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let ct = fixture("ct_slice.dcm");
    let mut child = Command::new(env!("CARGO_BIN_EXE_medprep"))
        .arg("info")
        .args(std::iter::repeat_n(&ct, 5000))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("medprep info starts");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("a first line");
    drop(stdout);
    let output = child.wait_with_output().expect("medprep info ends");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
}
