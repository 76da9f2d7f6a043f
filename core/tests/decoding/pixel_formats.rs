//! Stored values and physical values for each pixel storage form, checked against
//! values worked out by hand from PS3.3 C.7.6.3 and PS3.5 8 / Annex G.

use dicom_core::{DataElement, PrimitiveValue, VR};
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;
use medprep::{DicomFile, ErrorKind, Frames, Limits, Samples};

use crate::support::{Builder, EXPLICIT_BE, IMPLICIT_LE, RLE};

fn decode(builder: &Builder) -> (Samples, Vec<usize>, Vec<f32>) {
    let file = DicomFile::from_bytes("test.dcm", &builder.bytes()).expect("parses");
    let stored = file
        .stored_pixels(Frames::All, &Limits::default())
        .expect("decodes");
    let image = file
        .image(Frames::All, &Limits::default())
        .expect("decodes");
    let shape = stored.shape();
    assert_eq!(shape, image.shape(), "stored and physical shapes agree");
    (stored.samples, shape, image.pixels)
}

#[test]
fn signed_16_bit_with_rescale_gives_hounsfield_units() {
    let mut b = Builder::grey(2, 3, 16, 16, true);
    b.native_i16(&[-1024, -1, 0, 1, 40, 3071])
        .str(tags::RESCALE_SLOPE, VR::DS, "2")
        .str(tags::RESCALE_INTERCEPT, VR::DS, "-1024");
    let (samples, shape, hu) = decode(&b);
    assert_eq!(samples, Samples::I16(vec![-1024, -1, 0, 1, 40, 3071]));
    assert_eq!(shape, vec![2, 3]);
    assert_eq!(hu, vec![-3072.0, -1026.0, -1024.0, -1022.0, -944.0, 5118.0]);
}

#[test]
fn bits_stored_below_allocated_masks_unsigned_and_sign_extends_signed() {
    // 12 bits stored in 16: the top 4 bits are not part of the value (PS3.5 8.1.1).
    let mut unsigned = Builder::grey(1, 3, 16, 12, false);
    unsigned.native(vec![0xFF, 0xFF, 0x34, 0xF2, 0x00, 0x08]);
    assert_eq!(
        decode(&unsigned).0,
        Samples::U16(vec![0x0FFF, 0x0234, 0x0800])
    );
    let mut signed = Builder::grey(1, 3, 16, 12, true);
    signed.native(vec![0xFF, 0xFF, 0xFF, 0x07, 0x00, 0x08]);
    assert_eq!(decode(&signed).0, Samples::I16(vec![-1, 2047, -2048]));
}

#[test]
fn one_bit_pixels_unpack_least_significant_bit_first_across_frames() {
    // Two 2×3 frames = 12 bits; bit i of the stream is pixel i.
    let mut b = Builder::grey(2, 3, 1, 1, false);
    b.str(tags::NUMBER_OF_FRAMES, VR::IS, "2")
        .native(vec![0b1010_0101, 0b0000_1100]);
    let (samples, shape, _) = decode(&b);
    assert_eq!(
        samples,
        Samples::U8(vec![1, 0, 1, 0, 0, 1, 0, 1, 0, 0, 1, 1])
    );
    assert_eq!(shape, vec![2, 2, 3]);
}

#[test]
fn big_endian_and_implicit_syntaxes_decode_to_the_same_values() {
    let values = [-2000i16, -1, 0, 7, 1234, 32767];
    for syntax in [EXPLICIT_BE, IMPLICIT_LE] {
        let mut b = Builder::grey(2, 3, 16, 16, true).syntax(syntax);
        b.native_i16(&values);
        assert_eq!(decode(&b).0, Samples::I16(values.to_vec()), "{syntax}");
    }
}

#[test]
fn planar_rgb_is_returned_colour_by_pixel() {
    let mut b = Builder::grey(1, 2, 8, 8, false);
    b.u16(tags::SAMPLES_PER_PIXEL, 3)
        .u16(tags::PLANAR_CONFIGURATION, 1)
        .str(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, "RGB")
        .native(vec![10, 11, 20, 21, 30, 31]);
    let (samples, shape, _) = decode(&b);
    assert_eq!(samples, Samples::U8(vec![10, 20, 30, 11, 21, 31]));
    assert_eq!(shape, vec![1, 2, 3]);
}

#[test]
fn ybr_full_is_converted_to_rgb_with_bt601_full_range() {
    // PS3.3 C.7.6.3.1.2 (BT.601 full range), rounded half up and clipped:
    // Y=76 Cb=85 Cr=255: R = 76 + 1.402·127 = 254.05 → 254,
    // G = 76 + 0.344136·43 − 0.714136·127 = 0.10 → 0, B = 76 − 1.772·43 = −0.20 → 0.
    // Cb = Cr = 128 is grey.
    let mut b = Builder::grey(1, 2, 8, 8, false);
    b.u16(tags::SAMPLES_PER_PIXEL, 3)
        .u16(tags::PLANAR_CONFIGURATION, 0)
        .str(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, "YBR_FULL")
        .native(vec![76, 85, 255, 128, 128, 128]);
    let (samples, _, _) = decode(&b);
    assert_eq!(samples, Samples::U8(vec![254, 0, 0, 128, 128, 128]));
}

#[test]
fn per_frame_functional_groups_rescale_each_frame() {
    let mut b = Builder::grey(1, 2, 16, 16, true);
    b.str(tags::NUMBER_OF_FRAMES, VR::IS, "2")
        .native_i16(&[0, 10, 0, 10]);
    let frame_group = |intercept: &str| {
        let transform = InMemDicomObject::from_element_iter([
            DataElement::new(
                tags::RESCALE_INTERCEPT,
                VR::DS,
                PrimitiveValue::from(intercept),
            ),
            DataElement::new(tags::RESCALE_SLOPE, VR::DS, PrimitiveValue::from("1")),
        ]);
        InMemDicomObject::from_element_iter([DataElement::new(
            tags::PIXEL_VALUE_TRANSFORMATION_SEQUENCE,
            VR::SQ,
            dicom_core::value::DataSetSequence::from(vec![transform]),
        )])
    };
    b.object().put(DataElement::new(
        tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE,
        VR::SQ,
        dicom_core::value::DataSetSequence::from(vec![frame_group("-1024"), frame_group("5")]),
    ));
    let (_, shape, values) = decode(&b);
    assert_eq!(shape, vec![2, 1, 2]);
    assert_eq!(values, vec![-1024.0, -1014.0, 5.0, 15.0]);
    let file = DicomFile::from_bytes("t.dcm", &b.bytes()).expect("parses");
    let second = file
        .image(Frames::One(1), &Limits::default())
        .expect("decodes");
    assert_eq!(
        (second.shape(), second.pixels),
        (vec![1, 2], vec![5.0, 15.0])
    );
}

#[test]
fn rle_with_32_bit_samples_reassembles_four_byte_planes() {
    // One pixel 0x01020304: four segments of one literal byte each, MSB first.
    let mut fragment = vec![0u8; 64];
    fragment[0] = 4;
    for (i, offset) in [64u32, 66, 68, 70].iter().enumerate() {
        fragment[4 + 4 * i..8 + 4 * i].copy_from_slice(&offset.to_le_bytes());
    }
    fragment.extend_from_slice(&[0, 0x01, 0, 0x02, 0, 0x03, 0, 0x04]);
    let mut b = Builder::grey(1, 1, 32, 32, false).syntax(RLE);
    b.fragments(vec![fragment]);
    assert_eq!(decode(&b).0, Samples::U32(vec![0x0102_0304]));
}

/// Gives `b` a Modality LUT Sequence of one item: `descriptor` (US or SS) and US `entries`.
fn with_table(b: &mut Builder, descriptor: PrimitiveValue, entries: Vec<u16>) {
    let descriptor_vr = match descriptor {
        PrimitiveValue::I16(_) => VR::SS,
        _ => VR::US,
    };
    let item = InMemDicomObject::from_element_iter([
        DataElement::new(tags::LUT_DESCRIPTOR, descriptor_vr, descriptor),
        DataElement::new(tags::LUT_DATA, VR::US, PrimitiveValue::U16(entries.into())),
    ]);
    b.object().put(DataElement::new(
        tags::MODALITY_LUT_SEQUENCE,
        VR::SQ,
        dicom_core::value::DataSetSequence::from(vec![item]),
    ));
}

#[test]
fn modality_lut_sequence_maps_through_the_table() {
    let mut b = Builder::grey(1, 4, 16, 16, false);
    b.native(vec![0, 0, 1, 0, 2, 0, 9, 0]);
    with_table(
        &mut b,
        PrimitiveValue::U16(vec![3, 1, 16].into()),
        vec![100, 200, 300],
    );
    // Below the first mapped value → first entry; beyond the table → last entry.
    assert_eq!(decode(&b).2, vec![100.0, 100.0, 200.0, 300.0]);
}

#[test]
fn a_lut_descriptor_other_than_three_counts_is_refused_saying_what_it_holds() {
    // Two values; and an entry count read as SS that is negative (PS3.3 C.11.1.1 makes
    // the count unsigned: 0 stands for 65536, and nothing is above 65535).
    for (descriptor, expected) in [
        (PrimitiveValue::I16(vec![3, 1].into()), "2 values"),
        (PrimitiveValue::I16(vec![-25536, 0, 16].into()), "-25536"),
    ] {
        let mut b = Builder::grey(1, 1, 16, 16, true);
        b.native(vec![1, 0]);
        with_table(&mut b, descriptor, vec![100, 200, 300]);
        let file = DicomFile::from_bytes("t.dcm", &b.bytes()).expect("parses");
        let error = file
            .image(Frames::All, &Limits::default())
            .expect_err("the descriptor is refused");
        match error.kind() {
            ErrorKind::InvalidAttribute {
                attribute, value, ..
            } => assert_eq!(
                (attribute.keyword, value.as_str()),
                ("LUTDescriptor", expected)
            ),
            other => panic!("expected an invalid LUT Descriptor, got {other:?}"),
        }
    }
}

#[test]
fn frame_out_of_range_is_an_error() {
    let mut b = Builder::grey(1, 1, 16, 16, false);
    b.native(vec![1, 0]);
    let file = DicomFile::from_bytes("t.dcm", &b.bytes()).expect("parses");
    let error = file
        .stored_pixels(Frames::One(3), &Limits::default())
        .expect_err("only frame 0 exists");
    assert!(matches!(
        error.kind(),
        ErrorKind::FrameOutOfRange {
            frame: 3,
            frames: 1
        }
    ));
}
