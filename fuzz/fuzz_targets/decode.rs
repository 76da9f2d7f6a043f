//! DICOM parsing and decoding through medprep's entry points: the header-only parse
//! (`medprep info`) and the full parse, metadata and image (`medprep run`, the mapper).
//! Errors are expected; a panic, hang or unbounded allocation is a finding.

#![no_main]

use libfuzzer_sys::fuzz_target;
use medprep::{DicomFile, Frames, Limits};

/// 4 Mi samples (16 MiB as f32): fixtures fit, and a header that claims a huge image
/// is refused by the limit instead of exhausting the fuzzer's memory.
const LIMITS: Limits = Limits {
    max_samples: 1 << 22,
};

fuzz_target!(|data: &[u8]| {
    if let Ok(header) = DicomFile::header_from_bytes("fuzz.dcm", data) {
        let _ = header.metadata();
    }
    let Ok(file) = DicomFile::from_vec("fuzz.dcm", data.to_vec()) else {
        return;
    };
    let _ = file.transfer_syntax();
    let _ = file.metadata();
    let _ = file.image(Frames::All, &LIMITS);
    let _ = file.image(Frames::One(1), &LIMITS);
});
