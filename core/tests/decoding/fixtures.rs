//! The bundled fixtures, checked against the parameters they were generated with
//! (`fixtures/README.md`, `scripts/make_fixtures.py`).

use medprep::{DicomFile, Frames, Image, Limits, Samples};

fn fixture(name: &str) -> DicomFile {
    let path = format!("{}/../fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    DicomFile::open(path).expect("fixture opens")
}

fn image(name: &str) -> Image {
    fixture(name)
        .image(Frames::All, &Limits::default())
        .expect("fixture decodes")
}

#[test]
fn one_ct_slice_in_four_encodings_gives_the_same_hounsfield_units() {
    // Signed explicit VR, 12-bit unsigned with intercept -1024 in implicit VR, RLE, JPEG-LS.
    let reference = image("ct_slice.dcm");
    assert_eq!(reference.shape(), vec![128, 128]);
    for name in ["ct_12bit.dcm", "ct_rle.dcm", "ct_jpegls.dcm"] {
        let other = image(name);
        assert_eq!(other.shape(), reference.shape(), "{name}");
        assert!(
            other.pixels == reference.pixels,
            "{name} differs from ct_slice.dcm"
        );
    }
    let (min, max) = reference
        .pixels
        .iter()
        .fold((f32::MAX, f32::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    assert_eq!((min, max), (-1024.0, 1030.0));
}

#[test]
fn per_frame_intercepts_of_the_enhanced_ct_are_applied_frame_by_frame() {
    let file = fixture("multiframe_ct.dcm");
    let stored = file
        .stored_pixels(Frames::All, &Limits::default())
        .expect("decodes");
    let hu = file
        .image(Frames::All, &Limits::default())
        .expect("decodes");
    let Samples::I16(stored) = stored.samples else {
        panic!("int16 fixture")
    };
    let frame_len = 64 * 64;
    for (frame, intercept) in [-1024.0f32, -1000.0, 0.0, 10.0].into_iter().enumerate() {
        let range = frame * frame_len..(frame + 1) * frame_len;
        for (&s, &v) in stored[range.clone()].iter().zip(&hu.pixels[range]) {
            assert_eq!(v, f32::from(s) + intercept, "frame {frame}");
        }
    }
    assert_eq!(hu.shape(), vec![4, 64, 64]);
}

#[test]
fn metadata_and_geometry_come_from_where_each_header_keeps_them() {
    let ct = fixture("ct_slice.dcm").metadata().expect("metadata");
    assert_eq!(ct.modality.as_deref(), Some("CT"));
    assert_eq!(
        ct.study_date.map(|d| d.to_string()).as_deref(),
        Some("2024-01-02")
    );
    assert_eq!(
        (ct.window_center.clone(), ct.window_width.clone()),
        (vec![40.0], vec![400.0])
    );
    assert_eq!(ct.geometry.pixel_spacing, Some([2.8, 2.8]));
    assert_eq!(ct.geometry.origin, Some([-177.8, -177.8, 120.0]));
    assert_eq!(ct.geometry.direction, Some([1.0, 0.0, 0.0, 0.0, 1.0, 0.0]));

    let enhanced = fixture("multiframe_ct.dcm").metadata().expect("metadata");
    assert_eq!(enhanced.frames, 4);
    assert_eq!(
        enhanced.geometry.pixel_spacing,
        Some([5.6, 5.6]),
        "shared functional group"
    );
    assert_eq!(
        enhanced.geometry.origin.map(|o| o[2]),
        Some(110.0),
        "first frame's plane position"
    );
    assert_eq!(
        enhanced.rescale.map(|r| r.intercept),
        Some(-1024.0),
        "first frame's rescale"
    );

    let xray = fixture("mono1_xray.dcm").metadata().expect("metadata");
    assert_eq!(
        xray.photometric_interpretation.as_deref(),
        Some("MONOCHROME1")
    );
    assert_eq!(
        xray.geometry.pixel_spacing,
        Some([5.0, 5.0]),
        "Imager Pixel Spacing fallback"
    );

    let mr = fixture("mr_slice.dcm").metadata().expect("metadata");
    assert_eq!(
        (mr.transfer_syntax.as_str(), mr.bits_stored, mr.signed),
        ("1.2.840.10008.1.2.2", 12, false)
    );
}

#[test]
fn colour_by_plane_rgb_has_its_corner_markers_in_place() {
    // The generator paints 8×8 corners: top-left red, top-right green, bottom-left blue,
    // bottom-right yellow.
    let rgb = fixture("rgb_secondary_capture.dcm")
        .stored_pixels(Frames::All, &Limits::default())
        .expect("decodes");
    assert_eq!(rgb.shape(), vec![64, 64, 3]);
    let Samples::U8(v) = rgb.samples else {
        panic!("8-bit fixture")
    };
    let at = |r: usize, c: usize| {
        [
            v[(r * 64 + c) * 3],
            v[(r * 64 + c) * 3 + 1],
            v[(r * 64 + c) * 3 + 2],
        ]
    };
    assert_eq!(at(2, 2), [255, 0, 0]);
    assert_eq!(at(2, 61), [0, 255, 0]);
    assert_eq!(at(61, 2), [0, 0, 255]);
    assert_eq!(at(61, 61), [255, 255, 0]);
}
