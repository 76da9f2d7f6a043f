//! Broken, hostile and unsupported inputs: each gives a typed error that names the input.

use dicom_core::VR;
use dicom_dictionary_std::tags;
use medprep::{DicomFile, Error, ErrorKind, Frames, Limits};

use crate::support::{Builder, JPEG_BASELINE, RLE};

fn valid_ct() -> Builder {
    let mut b = Builder::grey(4, 4, 16, 16, true);
    b.native_i16(&[100; 16]);
    b
}

fn decode_bytes(name: &str, bytes: &[u8]) -> Result<(), Error> {
    let file = DicomFile::from_bytes(name, bytes)?;
    file.image(Frames::All, &Limits::default()).map(drop)
}

fn expect_error(name: &str, bytes: &[u8]) -> Error {
    let error = decode_bytes(name, bytes).expect_err("bad input must not decode");
    assert_eq!(error.input(), name);
    assert!(
        error.to_string().starts_with(&format!("{name}: ")),
        "message names the input: {error}"
    );
    error
}

#[test]
fn a_valid_file_decodes() {
    decode_bytes("valid.dcm", &valid_ct().bytes()).expect("the baseline for every case below");
}

#[test]
fn empty_and_non_dicom_inputs_are_not_dicom() {
    for (name, bytes) in [
        ("empty.dcm", Vec::new()),
        ("text.dcm", b"patient,scan\n1,2\n".repeat(20)),
        (
            "random.dcm",
            (0..4096u32)
                .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
                .collect(),
        ),
    ] {
        let error = expect_error(name, &bytes);
        assert!(
            matches!(error.kind(), ErrorKind::NotDicom(_)),
            "{name}: {error}"
        );
    }
}

#[test]
fn truncation_at_every_point_is_an_error_never_a_panic() {
    let bytes = valid_ct().bytes();
    for cut in (0..bytes.len()).step_by(7) {
        let error = expect_error("cut.dcm", &bytes[..cut]);
        assert!(
            matches!(
                error.kind(),
                ErrorKind::NotDicom(_)
                    | ErrorKind::Malformed(_)
                    | ErrorKind::PixelDataLength { .. }
                    | ErrorKind::NoPixelData
                    | ErrorKind::MissingAttribute(_)
            ),
            "cut at {cut}: {error}"
        );
    }
}

#[test]
fn missing_pixel_data_is_reported() {
    let mut b = valid_ct();
    b.remove(tags::PIXEL_DATA);
    let error = expect_error("nopixels.dcm", &b.bytes());
    assert!(matches!(error.kind(), ErrorKind::NoPixelData), "{error}");
}

#[test]
fn pixel_data_shorter_than_the_geometry_is_reported_with_both_lengths() {
    let mut b = Builder::grey(4, 4, 16, 16, true);
    b.native_i16(&[0; 10]);
    let error = expect_error("short.dcm", &b.bytes());
    assert!(
        matches!(
            error.kind(),
            ErrorKind::PixelDataLength {
                expected: 32,
                actual: 20
            }
        ),
        "{error}"
    );
}

#[test]
fn unknown_transfer_syntax_is_named() {
    // Swap the UID in the written meta group for an unknown one of the same length.
    let known = b"1.2.840.10008.1.2.1\0";
    let unknown = b"1.2.3.4.5.6.7.8.9.10";
    let mut bytes = valid_ct().bytes();
    let at = bytes
        .windows(known.len())
        .position(|w| w == known)
        .expect("transfer syntax in meta");
    bytes[at..at + known.len()].copy_from_slice(unknown);
    let error = expect_error("unknown.dcm", &bytes);
    assert!(
        matches!(error.kind(), ErrorKind::UnknownTransferSyntax(uid) if uid == "1.2.3.4.5.6.7.8.9.10"),
        "{error}"
    );
}

#[test]
fn impossible_headers_are_invalid_attributes() {
    type Edit = fn(&mut Builder);
    let cases: [(&str, Edit); 4] = [
        ("rows0.dcm", |b| {
            b.u16(tags::ROWS, 0);
        }),
        ("bits12.dcm", |b| {
            b.u16(tags::BITS_ALLOCATED, 12);
        }),
        ("stored17.dcm", |b| {
            b.u16(tags::BITS_STORED, 17);
        }),
        ("frames0.dcm", |b| {
            b.str(tags::NUMBER_OF_FRAMES, VR::IS, "0");
        }),
    ];
    for (name, edit) in cases {
        let mut b = valid_ct();
        edit(&mut b);
        let error = expect_error(name, &b.bytes());
        assert!(
            matches!(error.kind(), ErrorKind::InvalidAttribute { .. }),
            "{name}: {error}"
        );
    }
}

#[test]
fn huge_declared_dimensions_are_refused_before_allocation() {
    // The largest header: 2^32 - 1 frames of 65535 x 65535 RGB, 5.5e19 samples, more
    // than a u64 holds.
    for (frames, samples_per_pixel) in [("1000", 1), ("4294967295", 3)] {
        let mut b = valid_ct();
        b.u16(tags::ROWS, 65535)
            .u16(tags::COLUMNS, 65535)
            .u16(tags::SAMPLES_PER_PIXEL, samples_per_pixel)
            .str(tags::NUMBER_OF_FRAMES, VR::IS, frames);
        let error = expect_error("huge.dcm", &b.bytes());
        assert!(
            matches!(error.kind(), ErrorKind::TooLarge { .. }),
            "{frames} frames: {error}"
        );
    }
}

#[test]
fn corrupt_compressed_frames_are_codec_errors() {
    for (syntax, fragment) in [
        (RLE, vec![1u8, 0, 0, 0, 64, 0, 0, 0]),
        (
            RLE,
            [vec![1u8, 0, 0, 0, 64], vec![0; 59], vec![0x7F, 1]].concat(),
        ),
        (
            JPEG_BASELINE,
            vec![0xFF, 0xD8, 0xFF, 0xDB, 0x00, 0x43, 0x00, 0xFF, 0xD9],
        ),
        (JPEG_BASELINE, Vec::new()),
    ] {
        let mut b = Builder::grey(4, 4, 8, 8, false).syntax(syntax);
        b.fragments(vec![fragment]);
        let error = expect_error("corrupt.dcm", &b.bytes());
        assert!(
            matches!(error.kind(), ErrorKind::Codec { frame: 0, .. }),
            "{syntax}: {error}"
        );
    }
}

#[test]
fn a_missing_file_and_a_directory_are_io_errors() {
    let missing = std::env::temp_dir().join("medprep-no-such-file.dcm");
    let error = DicomFile::open(&missing).expect_err("no such file");
    assert!(matches!(error.kind(), ErrorKind::Io(_)), "{error}");
    assert!(error.to_string().contains("medprep-no-such-file.dcm"));
    let error = DicomFile::open(std::env::temp_dir()).expect_err("a directory is not a file");
    assert!(matches!(error.kind(), ErrorKind::Io(_)), "{error}");
}

#[test]
fn header_only_reading_skips_pixel_data_and_says_so() {
    let bytes = valid_ct().bytes();
    let header = DicomFile::header_from_bytes("h.dcm", &bytes).expect("parses");
    let meta = header.metadata().expect("metadata");
    assert_eq!(
        (meta.rows, meta.cols, meta.modality.as_deref()),
        (4, 4, Some("CT"))
    );
    assert_eq!(
        meta.study_date.map(|d| d.to_string()).as_deref(),
        Some("2024-01-02")
    );
    let error = header
        .stored_pixels(Frames::All, &Limits::default())
        .expect_err("pixels were not read");
    assert!(matches!(error.kind(), ErrorKind::NoPixelData));
}

#[test]
fn an_absurd_element_length_is_refused_before_anything_is_allocated() {
    // Patch the Pixel Data length (the file's last element, 32 bytes) to 2 GB.
    let mut bytes = valid_ct().bytes();
    let header = [0xE0, 0x7F, 0x10, 0x00, b'O', b'W', 0, 0, 32, 0, 0, 0];
    let at = bytes
        .windows(header.len())
        .rposition(|w| w == header)
        .expect("pixel data header");
    bytes[at + 8..at + 12].copy_from_slice(&2_000_000_000u32.to_le_bytes());
    let error = expect_error("long.dcm", &bytes);
    assert!(
        matches!(error.kind(), ErrorKind::Malformed(m) if m.contains("(7FE0,0010) declares 2000000000 bytes")),
        "{error}"
    );
}
