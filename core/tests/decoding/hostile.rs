//! Inputs built to exhaust memory or stack: absurd lengths where the whole-file checks
//! do not reach (header-only reads, implicit-VR sequences, deflated data sets), deep
//! nesting, decompression bombs and codestreams that outgrow their DICOM header. Each
//! must be refused with a typed error, without the allocation it asks for.

use std::io::Write;
use std::path::PathBuf;

use dicom_encoding::transfer_syntax::{Codec, TransferSyntaxIndex};
use dicom_transfer_syntax_registry::TransferSyntaxRegistry;
use medprep::{DicomFile, Error, ErrorKind, Frames, Limits, Samples};

use crate::support::{Builder, IMPLICIT_LE, JPEG_BASELINE, RLE};

const DEFLATED: &str = "1.2.840.10008.1.2.1.99";
const JPEG_LS_LOSSLESS: &str = "1.2.840.10008.1.2.4.80";
/// Nesting far beyond anything real, and far beyond what recursion survives.
const DEEP: usize = 10_000;
/// Content Sequence (0040,A730): an SQ in the dictionary, so implicit VR parses it as one.
const CONTENT_SEQUENCE: [u8; 4] = [0x40, 0x00, 0x30, 0xA7];

fn valid_ct(syntax: &'static str) -> Builder {
    let mut b = Builder::grey(4, 4, 16, 16, true).syntax(syntax);
    b.native_i16(&[100; 16]);
    b
}

/// `bytes` with `inserted` spliced in just before the Pixel Data element.
fn before_pixel_data(bytes: &[u8], inserted: &[u8]) -> Vec<u8> {
    let at = bytes
        .windows(4)
        .rposition(|w| w == [0xE0, 0x7F, 0x10, 0x00])
        .expect("pixel data tag");
    [&bytes[..at], inserted, &bytes[at..]].concat()
}

fn u32le(v: usize) -> [u8; 4] {
    (v as u32).to_le_bytes()
}

/// `depth` explicit-VR sequences of undefined length, each holding the next in one item.
fn nested_explicit(depth: usize) -> Vec<u8> {
    let open = [
        &CONTENT_SEQUENCE[..],
        b"SQ",
        &[0, 0, 0xFF, 0xFF, 0xFF, 0xFF],
        &[0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF],
    ]
    .concat();
    let close = [
        0xFE, 0xFF, 0x0D, 0xE0, 0, 0, 0, 0, 0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0,
    ];
    [open.repeat(depth), close.repeat(depth)].concat()
}

/// `depth` implicit-VR sequences of defined length, each holding the next in one item.
fn nested_implicit(depth: usize) -> Vec<u8> {
    let mut content = Vec::new();
    for _ in 0..depth {
        let item = [
            &[0xFE, 0xFF, 0x00, 0xE0][..],
            &u32le(content.len()),
            &content,
        ]
        .concat();
        content = [&CONTENT_SEQUENCE[..], &u32le(item.len()), &item].concat();
    }
    content
}

fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("medprep-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("temp file");
    path
}

fn decode(bytes: &[u8], limits: &Limits) -> Result<Samples, Error> {
    DicomFile::from_vec_with_limits("x.dcm", bytes.to_vec(), limits)?
        .stored_pixels(Frames::All, limits)
        .map(|p| p.samples)
}

fn assert_malformed(result: Result<impl std::fmt::Debug, Error>, needle: &str, case: &str) {
    let error = result.expect_err(case);
    assert!(
        matches!(error.kind(), ErrorKind::Malformed(m) if m.contains(needle)),
        "{case}: {error}"
    );
}

#[test]
fn thousands_of_nested_sequences_are_refused_not_a_stack_overflow() {
    for (syntax, nested) in [
        (crate::support::EXPLICIT_LE, nested_explicit(DEEP)),
        (IMPLICIT_LE, nested_implicit(DEEP)),
    ] {
        let bytes = before_pixel_data(&valid_ct(syntax).bytes(), &nested);
        let path = temp_file("deep.dcm", &bytes);
        assert_malformed(decode(&bytes, &Limits::default()), "nested deeper", syntax);
        assert_malformed(
            DicomFile::header_from_bytes("x.dcm", &bytes),
            "nested deeper",
            syntax,
        );
        assert_malformed(DicomFile::open_header(&path), "nested deeper", syntax);
    }
    // Moderate nesting, as real structured reports have, is fine.
    let bytes = before_pixel_data(&valid_ct(IMPLICIT_LE).bytes(), &nested_implicit(8));
    decode(&bytes, &Limits::default()).expect("eight levels are normal");
}

#[test]
fn an_absurd_length_inside_an_implicit_vr_sequence_is_refused() {
    // Content Sequence of defined length, one item, whose (0008,1150) claims 500 MB.
    let element = [&[0x08, 0x00, 0x50, 0x11][..], &u32le(500_000_000)].concat();
    let item = [
        &[0xFE, 0xFF, 0x00, 0xE0][..],
        &u32le(element.len()),
        &element,
    ]
    .concat();
    let sequence = [&CONTENT_SEQUENCE[..], &u32le(item.len()), &item].concat();
    let bytes = before_pixel_data(&valid_ct(IMPLICIT_LE).bytes(), &sequence);
    let needle = "(0008,1150) declares 500000000 bytes";
    assert_malformed(decode(&bytes, &Limits::default()), needle, "whole file");
    assert_malformed(
        DicomFile::open_header(temp_file("implicit.dcm", &bytes)),
        needle,
        "header only",
    );
}

#[test]
fn header_only_reads_refuse_absurd_lengths_and_read_long_headers() {
    // A private OB element before Pixel Data that claims 2 GB in a small file.
    let long = [
        &[0x09, 0x00, 0x10, 0x10][..],
        b"OB",
        &[0, 0],
        &u32le(2_000_000_000),
    ]
    .concat();
    let bytes = before_pixel_data(&valid_ct(crate::support::EXPLICIT_LE).bytes(), &long);
    assert_malformed(
        DicomFile::open_header(temp_file("long.dcm", &bytes)),
        "(0009,1010) declares 2000000000 bytes",
        "absurd length",
    );
    // A genuine 300 kB private element: the header is longer than the first read.
    let big = vec![0x5A; 300_000];
    let element = [
        &[0x09, 0x00, 0x10, 0x10][..],
        b"OB",
        &[0, 0],
        &u32le(big.len()),
        &big,
    ]
    .concat();
    let bytes = before_pixel_data(&valid_ct(crate::support::EXPLICIT_LE).bytes(), &element);
    let header = DicomFile::open_header(temp_file("big.dcm", &bytes)).expect("a long header");
    assert_eq!(header.metadata().expect("metadata").rows, 4);
}

/// The Part 10 bytes of `builder`'s file meta group followed by `dataset`, deflated.
fn deflated_file(builder: Builder, dataset: impl FnOnce(&mut dyn Write)) -> Vec<u8> {
    let reference = builder.syntax(DEFLATED).bytes();
    // The meta group: explicit VR little endian elements of group 0002 after `DICM`.
    let mut at = 132;
    while reference[at..at + 2] == [0x02, 0x00] {
        let long = matches!(&reference[at + 4..at + 6], b"OB" | b"UN" | b"SQ");
        at += if long {
            12 + u32::from_le_bytes(reference[at + 8..at + 12].try_into().expect("4 bytes"))
                as usize
        } else {
            8 + usize::from(u16::from_le_bytes([reference[at + 6], reference[at + 7]]))
        };
    }
    let Some(Codec::Dataset(Some(adapter))) =
        TransferSyntaxRegistry.get(DEFLATED).map(|t| t.codec())
    else {
        panic!("the registry deflates");
    };
    let mut out = reference[..at].to_vec();
    {
        let mut writer = adapter.adapt_writer(Box::new(&mut out));
        dataset(&mut *writer);
        writer.flush().expect("deflate");
    }
    out
}

#[test]
fn a_deflated_data_set_decodes_and_a_deflate_bomb_is_refused() {
    let valid = valid_ct(DEFLATED).bytes();
    assert_eq!(
        decode(&valid, &Limits::default()).expect("a deflated file decodes"),
        Samples::I16(vec![100; 16])
    );

    // 80 MiB of zeros in one element: about 80 kB deflated, beyond the inflate cap of
    // a small sample limit (16 samples × 4 bytes + 64 MiB).
    const BOMB: usize = 80 << 20;
    let bomb = deflated_file(valid_ct(DEFLATED), |w| {
        w.write_all(&[&[0x09, 0x00, 0x10, 0x10][..], b"OB", &[0, 0], &u32le(BOMB)].concat())
            .expect("write");
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..BOMB >> 20 {
            w.write_all(&zeros).expect("write");
        }
    });
    assert!(bomb.len() < 1 << 20, "{} bytes", bomb.len());
    let small = Limits { max_samples: 16 };
    let error = decode(&bomb, &small).expect_err("a bomb");
    assert!(
        matches!(error.kind(), ErrorKind::TooLarge { limit, .. } if *limit == small.max_input_bytes()),
        "{error}"
    );

    // Inflated elements get the same length checks as any other data set.
    let lying = deflated_file(valid_ct(DEFLATED), |w| {
        w.write_all(
            &[
                &[0x09, 0x00, 0x10, 0x10][..],
                b"OB",
                &[0, 0],
                &u32le(500_000_000),
            ]
            .concat(),
        )
        .expect("write");
    });
    assert_malformed(
        decode(&lying, &Limits::default()),
        "(0009,1010) declares 500000000 bytes",
        "deflated",
    );
    assert_malformed(
        DicomFile::open_header(temp_file("lying.dcm", &lying)),
        "(0009,1010) declares 500000000 bytes",
        "deflated header",
    );
}

#[test]
fn an_rle_segment_that_runs_past_the_frame_stops_at_the_declared_size() {
    // One segment for a 2 × 2 8-bit frame, holding a run of 128 bytes of 7.
    let mut fragment = vec![0u8; 64];
    fragment[0] = 1;
    fragment[4] = 64;
    fragment.extend_from_slice(&[0x81, 7]);
    let mut b = Builder::grey(2, 2, 8, 8, false).syntax(RLE);
    b.fragments(vec![fragment]);
    assert_eq!(
        decode(&b.bytes(), &Limits::default()).expect("decodes"),
        Samples::U8(vec![7; 4])
    );
}

#[test]
fn codestreams_declaring_more_than_the_header_are_refused_before_decoding() {
    // JPEG: SOF0 of 60000 × 60000 behind a 4 × 4 DICOM header.
    let sof = [
        0xFF, 0xC0, 0x00, 0x0B, 8, 0xEA, 0x60, 0xEA, 0x60, 1, 1, 0x11, 0,
    ];
    let sos = [0xFF, 0xDA, 0x00, 0x08, 1, 1, 0x00, 0, 63, 0];
    let jpeg = [&[0xFF, 0xD8][..], &sof, &sos, &[0xFF, 0xD9]].concat();
    let mut b = Builder::grey(4, 4, 8, 8, false).syntax(JPEG_BASELINE);
    b.fragments(vec![jpeg]);
    let error = decode(&b.bytes(), &Limits::default()).expect_err("a lying JPEG");
    assert!(
        matches!(error.kind(), ErrorKind::Codec { message, .. } if message.contains("60000 × 60000 × 1 samples")),
        "{error}"
    );

    // JPEG-LS: the fixture with its frame header patched to 65535 × 65535.
    let path = format!("{}/../fixtures/ct_jpegls.dcm", env!("CARGO_MANIFEST_DIR"));
    let mut bytes = std::fs::read(path).expect("fixture");
    assert!(
        bytes.windows(3).any(|w| w == b"\x2E\x38\x30"),
        "a JPEG-LS file"
    );
    let sof55 = bytes
        .windows(2)
        .position(|w| w == [0xFF, 0xF7])
        .expect("JPEG-LS frame header");
    bytes[sof55 + 5..sof55 + 9].copy_from_slice(&[0xFF; 4]);
    let error = decode(&bytes, &Limits::default()).expect_err("a lying JPEG-LS stream");
    assert!(
        matches!(error.kind(), ErrorKind::Codec { message, .. } if message.contains("declares 4294836225 samples")),
        "{JPEG_LS_LOSSLESS}: {error}"
    );
}
