//! Inputs found by fuzzing (`fuzz/`, `docs/robustness.md`), or by reading the code the
//! fuzzers left uncovered, kept in `tests/regressions/`. Every one must give a clean
//! error or an image through every entry point, never a panic, and each has a test for
//! the specific way it used to go wrong.

use std::path::{Path, PathBuf};

use medprep::{DicomFile, ErrorKind, Frames, Image, Limits};

use crate::largest_allocation::largest_allocation;

/// The largest allocation reading a reproducer may make: they are a few hundred bytes,
/// and the lengths they declare (up to 4 GiB) would show here.
const MAX_ALLOCATION: usize = 16 << 20;

fn regression(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/regressions")
        .join(name)
}

/// The outcome of reading `path` through every entry point the fuzz target drives (all
/// frames, then the second frame alone), plus the path-based ones, in the order
/// `header_from_bytes`, `open_header`, `from_vec`, `open`. No allocation on the way may
/// exceed [`MAX_ALLOCATION`].
fn outcomes(path: &Path) -> [Result<(), medprep::Error>; 4] {
    let (outcomes, largest) = largest_allocation(|| read_everywhere(path));
    assert!(
        largest <= MAX_ALLOCATION,
        "{}: an allocation of {largest} bytes",
        path.display()
    );
    outcomes
}

fn read_everywhere(path: &Path) -> [Result<(), medprep::Error>; 4] {
    let bytes = std::fs::read(path).expect("regression file");
    let limits = Limits {
        max_samples: 1 << 22,
    };
    let full = |file: DicomFile| {
        file.metadata()?;
        let all = file.image(Frames::All, &limits).map(drop);
        let second = file.image(Frames::One(1), &limits).map(drop);
        all.and(second)
    };
    [
        DicomFile::header_from_bytes("r.dcm", &bytes).and_then(|f| f.metadata().map(drop)),
        DicomFile::open_header(path).and_then(|f| f.metadata().map(drop)),
        DicomFile::from_vec("r.dcm", bytes.clone()).and_then(full),
        DicomFile::open(path).and_then(full),
    ]
}

/// The second frame of the reproducer `name`, decoded under the default limits as
/// `medprep decode --frame 1` does. No allocation on the way may exceed
/// [`MAX_ALLOCATION`].
fn second_frame(name: &str) -> Result<Image, medprep::Error> {
    let bytes = std::fs::read(regression(name)).expect("regression file");
    let file = DicomFile::from_vec("r.dcm", bytes).expect("the header parses");
    let (image, largest) = largest_allocation(|| file.image(Frames::One(1), &Limits::default()));
    assert!(
        largest <= MAX_ALLOCATION,
        "{name}: an allocation of {largest} bytes"
    );
    image
}

#[test]
fn every_regression_input_gives_an_error_or_an_image_without_panicking() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/regressions");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).expect("regressions folder") {
        let path = entry.expect("entry").path();
        for outcome in outcomes(&path) {
            if let Err(e) = outcome {
                assert!(!e.to_string().is_empty(), "{}", path.display());
            }
        }
        count += 1;
    }
    assert!(count >= 1, "the reproducers are present");
}

/// Reads the reproducer `name` through every entry point: each must refuse it as
/// malformed with a message containing `expected`, and no allocation may exceed
/// [`MAX_ALLOCATION`] on the way.
fn assert_refused_everywhere(name: &str, expected: &str) {
    for outcome in outcomes(&regression(name)) {
        assert_malformed(name, outcome, expected);
    }
}

/// `outcome` of reading `name` is a malformed error whose message contains `expected`.
fn assert_malformed(name: &str, outcome: Result<(), medprep::Error>, expected: &str) {
    match outcome.expect_err(name).kind() {
        ErrorKind::Malformed(message) => assert!(message.contains(expected), "{message}"),
        other => panic!("{name}: expected a malformed error, got {other:?}"),
    }
}

#[test]
fn a_meta_element_with_an_undefined_vr_and_a_huge_length_is_refused_before_allocation() {
    // (0002,0010) with VR "@@" and, read as dicom-rs reads an unknown VR (UN: 32-bit
    // length), a length of 0x40404040 in a 512-byte file. dicom-rs allocated and zeroed
    // that gigabyte before failing; the walk must refuse it first, naming the element.
    assert_refused_everywhere(
        "meta_undefined_vr_huge_length.dcm",
        "(0002,0010) declares 1077952576 bytes",
    );
}

#[test]
fn a_huge_element_inside_the_meta_group_length_is_refused_before_allocation() {
    // (0002,0000) says the group runs on for 16 MiB. Within it come an element of group
    // 0000 (which dicom-rs reads as part of the meta group), then (0002,0002) with the
    // undefined VR "0U" and a 32-bit length of 841888000 bytes, which dicom-rs zeroed
    // before its read failed (a 10 s timeout under the fuzzer).
    assert_refused_everywhere(
        "meta_group_length_covers_huge_element.dcm",
        "(0002,0002) declares 841888000 bytes",
    );
}

#[test]
fn the_meta_check_comes_before_the_deflate_probe() {
    // An explicit VR file whose meta group ends in (0002,0002) with the undefined VR
    // "\0\0" and a 32-bit length of about 4 GiB. The probe for a deflated data set read
    // the meta group with dicom-rs before the meta lengths were checked, on the paths
    // that parse from bytes, and dicom-rs allocated the 4 GiB before its read failed
    // (found by the fuzzer).
    assert_refused_everywhere(
        "meta_check_skipped_by_the_deflate_probe.dcm",
        "(0002,0002) declares",
    );
}

#[test]
fn a_binary_value_of_a_length_its_values_do_not_divide_is_refused() {
    // A multi-frame CT whose (0018,1100) inside a functional group sequence is written as
    // UL with 6 bytes. dicom-rs reads one 4-byte value and goes on two bytes early, in the
    // middle of the value, where it read a tag (2034,0018) with a 1.4 GB length, and
    // allocated it before its read failed (1.4 GB resident, found by the fuzzer as a
    // timeout). The walk that checks lengths stepped over the whole 6 bytes, so it never
    // saw what dicom-rs saw.
    assert_refused_everywhere(
        "ul_value_not_a_whole_number_of_values.dcm",
        "(0018,1100) has 6 bytes, not a whole number of its 4-byte values",
    );
}

#[test]
fn a_meta_element_of_a_length_its_values_do_not_divide_is_refused() {
    // The same misreading in the meta group: (0002,0012) written as FD with 44 bytes.
    // dicom-rs read five 8-byte values and went on inside the value, and later read a
    // tag (3239,3631) with a length of 1.2 GB out of a date, in an 860-byte file.
    assert_refused_everywhere(
        "meta_fd_value_not_a_whole_number_of_values.dcm",
        "(0002,0012) has 44 bytes, not a whole number of its 8-byte values",
    );
}

#[test]
fn a_group_length_that_ends_inside_an_element_is_refused() {
    // An implicit VR file whose meta group, after (0002,0010), holds zero-filled elements
    // of group 0000 with the undefined VR "\0\0"; the last one runs past the end that
    // (0002,0000) gives. dicom-rs reads that element whole and starts the data set after
    // it, the length checks started where the group length ends, and dicom-rs then read
    // a (0000,0000) with a length of 2,801,795,072 and allocated it (found by the fuzzer
    // in a 516-byte file).
    assert_refused_everywhere(
        "meta_group_length_ends_inside_an_element.dcm",
        "the file meta group length (0002,0000) of 202 bytes ends inside element (0000,0000)",
    );
}

#[test]
fn a_malformed_number_quoted_in_an_error_is_cut_at_a_character_boundary() {
    // Number of Frames (0028,0008) written as CS with 278 bytes of text that is not a
    // number; the error message quotes at most 64 bytes of it, and the cut fell inside a
    // multi-byte character, which panicked (found by the fuzzer).
    // The header-only read reaches the metadata; the full reads stop earlier, at the
    // file's truncated end.
    let path = regression("number_of_frames_text_cut_inside_a_character.dcm");
    let outcomes = outcomes(&path);
    for outcome in &outcomes {
        assert!(outcome.is_err(), "{path:?} is truncated and malformed");
    }
    let [header_only, ..] = outcomes;
    match header_only
        .expect_err("Number of Frames is not a number")
        .kind()
    {
        ErrorKind::InvalidAttribute { value, .. } => {
            assert!(!value.is_empty() && value.len() <= 64, "{value:?}")
        }
        other => panic!("expected an invalid attribute error, got {other:?}"),
    }
}

#[test]
fn decoding_one_frame_reads_the_rescale_of_that_frame_only() {
    // Number of Frames (0028,0008) is 2,000,000 over two 1 x 1 RLE frames. Decoding the
    // second frame read a rescale for every declared frame first: a vector of 48 MB
    // here, and hours and 96 GB for the 4,000,000,000 frames a header may declare
    // (found by reading the code the decode fuzzer left uncovered).
    let image = second_frame("rle_two_million_frames_declared_one_decoded.dcm")
        .expect("the second frame decodes");
    // Stored value 5 through the rescale 2x - 1.
    assert_eq!((image.frames, image.pixels), (1, vec![9.0]));
}

#[test]
fn pixel_data_of_a_length_its_values_do_not_divide_is_refused() {
    // Explicit VR big endian; Pixel Data written as FL with 20,290 bytes. dicom-rs read
    // 5,072 floats, went on two bytes early and allocated a 4 GB "length" from inside the
    // value (found by fuzzing). The header-only read by path stops at Pixel Data and
    // parses none of it, so it gives the metadata; every other entry point refuses.
    let name = "pixel_data_fl_not_a_whole_number_of_values.dcm";
    let [from_bytes, header_by_path, from_vec, open] = outcomes(&regression(name));
    assert!(header_by_path.is_ok(), "{header_by_path:?}");
    for outcome in [from_bytes, from_vec, open] {
        assert_malformed(
            name,
            outcome,
            "(7FE0,0010) has 20290 bytes, not a whole number",
        );
    }
}

#[test]
fn an_item_delimiter_declaring_a_length_has_no_value() {
    // An implicit VR data set with an Item Delimitation Item (FFFE,E00D) outside any
    // sequence that declares a length of 9, followed by the text "Nested SQ". dicom-rs
    // gives a delimiter no value whatever length it declares, so it read the next header
    // from the text, tag (654E,7473) ("Nest") with a length of 1,394,631,781 ("ed S"), and
    // allocated it before its read failed. The walk that checks lengths skipped the 9
    // bytes as the delimiter's value, and never saw that header (found by the fuzzer).
    assert_refused_everywhere(
        "item_delimiter_declaring_a_length_at_top_level.dcm",
        "(654E,7473) declares 1394631781 bytes",
    );
}

#[test]
fn a_jpeg_2000_image_size_beyond_64_bits_is_refused_not_overflowed() {
    // A JPEG 2000 frame whose SIZ segment declares 1,994,551,040 x 1,862,299,362 minus
    // offsets, with 46,238 components: 1.5e21 samples, which overflowed the u64 product
    // (a panic in the fuzz build, a wrapped count in a release build) before it was
    // compared with the frame's size (found by the fuzzer).
    let name = "jpeg_2000_size_beyond_64_bits.dcm";
    let [from_bytes, header_by_path, from_vec, open] = outcomes(&regression(name));
    assert!(
        from_bytes.is_ok() && header_by_path.is_ok(),
        "the header is sound"
    );
    for outcome in [from_vec, open] {
        let message = outcome.expect_err(name).to_string();
        assert!(
            message.contains("the codestream declares 1543657364917867279336 samples"),
            "{message}"
        );
    }
}

#[test]
fn pixel_data_too_short_for_two_billion_large_frames_is_refused_when_one_is_decoded() {
    // 2^31 frames of 16384 x 16384 32-bit samples over 8 bytes of native Pixel Data (made
    // with pydicom). One frame is within the default sample limit, but the bytes all
    // frames require, 2^64 bits, wrapped to 0 in u64, passed the length check, and
    // slicing the frame panicked in a release build (found by reading the code after F11:
    // the fuzz target's sample limit keeps this product below 2^64).
    let image = second_frame("two_billion_frames_of_a_gigabyte_eight_bytes_present.dcm");
    match image.expect_err("8 bytes cannot hold the frames").kind() {
        ErrorKind::PixelDataLength { expected, actual } => {
            assert_eq!((*expected, *actual), (1 << 61, 8))
        }
        other => panic!("expected a pixel data length error, got {other:?}"),
    }
}
