//! Every expected mask here is written out by hand on the grid of [`grid`]: index
//! `(i, j, k)` ↔ patient `(10 + 0.5 i, -4 + 0.8 j, 30 + 2 k)` mm, 5 × 3 pixels a slice, so
//! a frame holds 15 pixels and BINARY frames after the first start inside a byte. The
//! segmentations are built element by element, their bits packed here by the rule of
//! PS3.5 8.1.1 (pixel n of the object is bit n % 8 of byte n / 8), written to Part 10
//! bytes and parsed back as medprep reads files.

use dicom_core::value::DataSetSequence;
use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_object::meta::FileMetaTableBuilder;

use super::*;

const SEGMENTATION_STORAGE: &str = "1.2.840.10008.5.1.4.1.1.66.4";
const EXPLICIT_VR_LITTLE_ENDIAN: &str = "1.2.840.10008.1.2.1";
const RLE_LOSSLESS: &str = "1.2.840.10008.1.2.5";
const ROWS: usize = 3;
const COLS: usize = 5;
const AXIAL: [f64; 6] = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0];

/// 5 × 3 × 4 voxels of 0.5 × 0.8 × 2 mm, first centre at (10, -4, 30) mm.
fn grid() -> Grid {
    Grid {
        size: [COLS, ROWS, 4],
        spacing: [0.5, 0.8, 2.0],
        origin: [10.0, -4.0, 30.0],
        direction: Grid::IDENTITY,
    }
}

/// The patient position of index (i, j, k) on [`grid`].
fn at(i: f64, j: f64, k: f64) -> [f64; 3] {
    [10.0 + 0.5 * i, -4.0 + 0.8 * j, 30.0 + 2.0 * k]
}

/// One frame: its segment, first-pixel position and rows × columns values.
struct TestFrame {
    segment: i64,
    position: [f64; 3],
    values: Vec<u8>,
}

/// A frame of `segment` at index (0, 0, k) with the pixels `inside` (row, column) set
/// to `on` and the others to 0.
fn frame(segment: i64, k: f64, inside: &[(usize, usize)], on: u8) -> TestFrame {
    let mut values = vec![0; ROWS * COLS];
    for &(r, c) in inside {
        values[r * COLS + c] = on;
    }
    TestFrame {
        segment,
        position: at(0.0, 0.0, k),
        values,
    }
}

/// What a test segmentation holds; each field may be changed to make it malformed.
struct Seg {
    kind: &'static str,
    bits: u16,
    max: Option<u16>,
    segments: Vec<(i64, &'static str)>,
    frames: Vec<TestFrame>,
    orientation: [f64; 6],
    spacing: [f64; 2],
    /// Orientation and spacing in each frame's item rather than the shared one.
    geometry_per_frame: bool,
}

impl Seg {
    fn binary(frames: Vec<TestFrame>) -> Self {
        Self {
            kind: "BINARY",
            bits: 1,
            max: None,
            segments: vec![(1, "liver"), (2, "Tumour")],
            frames,
            orientation: AXIAL,
            spacing: [0.8, 0.5],
            geometry_per_frame: false,
        }
    }

    fn fractional(max: u16, frames: Vec<TestFrame>) -> Self {
        Self {
            kind: "FRACTIONAL",
            bits: 8,
            max: Some(max),
            ..Self::binary(frames)
        }
    }

    /// Pixel Data: 8 bits a value, or for 1 bit the values packed continuously.
    fn pixel_data(&self) -> Vec<u8> {
        let values: Vec<u8> = self.frames.iter().flat_map(|f| f.values.clone()).collect();
        if self.bits != 1 {
            return values;
        }
        let mut packed = vec![0u8; values.len().div_ceil(8)];
        for (n, &v) in values.iter().enumerate() {
            if v != 0 {
                packed[n / 8] |= 1 << (n % 8);
            }
        }
        packed
    }

    fn object(&self) -> InMemDicomObject {
        let mut obj = InMemDicomObject::new_empty();
        obj.put(text((0x0008, 0x0016), VR::UI, SEGMENTATION_STORAGE));
        obj.put(text((0x0008, 0x0018), VR::UI, "2.25.8"));
        obj.put(text((0x0008, 0x0060), VR::CS, "SEG"));
        obj.put(text(FRAME_OF_REFERENCE_UID.tag, VR::UI, "1.2.3.4"));
        let mut series = InMemDicomObject::new_empty();
        series.put(text(attr::SERIES_INSTANCE_UID.tag, VR::UI, "2.25.99"));
        obj.put(sequence(REFERENCED_SERIES_SEQUENCE.tag, vec![series]));
        obj.put(text(SEGMENTATION_TYPE.tag, VR::CS, self.kind));
        if let Some(max) = self.max {
            obj.put(us(MAXIMUM_FRACTIONAL_VALUE.tag, max));
        }
        obj.put(us(attr::SAMPLES_PER_PIXEL.tag, 1));
        obj.put(text((0x0028, 0x0004), VR::CS, "MONOCHROME2"));
        obj.put(us(attr::ROWS.tag, ROWS as u16));
        obj.put(us(attr::COLUMNS.tag, COLS as u16));
        obj.put(us(attr::BITS_ALLOCATED.tag, self.bits));
        obj.put(us(attr::BITS_STORED.tag, self.bits));
        obj.put(us((0x0028, 0x0102), self.bits - 1));
        obj.put(us((0x0028, 0x0103), 0));
        obj.put(text(
            attr::NUMBER_OF_FRAMES.tag,
            VR::IS,
            &self.frames.len().to_string(),
        ));
        let segments = self
            .segments
            .iter()
            .map(|&(number, label)| {
                let mut item = InMemDicomObject::new_empty();
                item.put(us(SEGMENT_NUMBER.tag, number as u16));
                item.put(text(SEGMENT_LABEL.tag, VR::LO, label));
                item
            })
            .collect();
        obj.put(sequence(SEGMENT_SEQUENCE.tag, segments));
        let geometry = || {
            let mut orientation = InMemDicomObject::new_empty();
            orientation.put(text(
                attr::IMAGE_ORIENTATION_PATIENT.tag,
                VR::DS,
                &numbers_text(&self.orientation),
            ));
            let mut measures = InMemDicomObject::new_empty();
            measures.put(text(
                attr::PIXEL_SPACING.tag,
                VR::DS,
                &numbers_text(&self.spacing),
            ));
            [
                sequence(attr::PLANE_ORIENTATION_SEQUENCE.tag, vec![orientation]),
                sequence(attr::PIXEL_MEASURES_SEQUENCE.tag, vec![measures]),
            ]
        };
        let per_frame = self
            .frames
            .iter()
            .map(|f| {
                let mut item = InMemDicomObject::new_empty();
                let mut identification = InMemDicomObject::new_empty();
                identification.put(us(REFERENCED_SEGMENT_NUMBER.tag, f.segment as u16));
                item.put(sequence(
                    SEGMENT_IDENTIFICATION_SEQUENCE.tag,
                    vec![identification],
                ));
                let mut position = InMemDicomObject::new_empty();
                position.put(text(
                    attr::IMAGE_POSITION_PATIENT.tag,
                    VR::DS,
                    &numbers_text(&f.position),
                ));
                item.put(sequence(attr::PLANE_POSITION_SEQUENCE.tag, vec![position]));
                if self.geometry_per_frame {
                    for element in geometry() {
                        item.put(element);
                    }
                }
                item
            })
            .collect();
        obj.put(sequence(
            attr::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE.tag,
            per_frame,
        ));
        let mut shared = InMemDicomObject::new_empty();
        if !self.geometry_per_frame {
            for element in geometry() {
                shared.put(element);
            }
        }
        obj.put(sequence(
            attr::SHARED_FUNCTIONAL_GROUPS_SEQUENCE.tag,
            vec![shared],
        ));
        obj.put(DataElement::new(
            Tag(0x7FE0, 0x0010),
            VR::OB,
            PrimitiveValue::U8(self.pixel_data().into()),
        ));
        obj
    }

    fn file(&self) -> DicomFile {
        write(self.object())
    }
}

fn text(tag: (u16, u16), vr: VR, value: &str) -> DataElement<InMemDicomObject> {
    DataElement::new(Tag(tag.0, tag.1), vr, PrimitiveValue::from(value))
}

fn us(tag: (u16, u16), value: u16) -> DataElement<InMemDicomObject> {
    DataElement::new(Tag(tag.0, tag.1), VR::US, PrimitiveValue::from(value))
}

fn sequence(tag: (u16, u16), items: Vec<InMemDicomObject>) -> DataElement<InMemDicomObject> {
    DataElement::new(Tag(tag.0, tag.1), VR::SQ, DataSetSequence::from(items))
}

fn numbers_text(values: &[f64]) -> String {
    values
        .iter()
        .map(|v| format!("{v}"))
        .collect::<Vec<_>>()
        .join("\\")
}

/// Part 10 bytes of `obj`, parsed back whole.
fn write(obj: InMemDicomObject) -> DicomFile {
    let meta = FileMetaTableBuilder::new()
        .media_storage_sop_class_uid(SEGMENTATION_STORAGE)
        .media_storage_sop_instance_uid("2.25.8")
        .transfer_syntax(EXPLICIT_VR_LITTLE_ENDIAN)
        .build()
        .expect("complete file meta group");
    let mut bytes = Vec::new();
    obj.with_exact_meta(meta)
        .write_all(&mut bytes)
        .expect("writable test file");
    DicomFile::from_vec("seg.dcm", bytes).expect("a parsable test file")
}

/// Segment `selector` of `file` on [`grid`].
fn mask_of(file: &DicomFile, selector: &str) -> Result<Mask, MaskError> {
    let seg = Segmentation::read(file)?;
    let segment = seg.segment(&selector.parse().unwrap_or_else(|e| match e {}))?;
    seg.rasterise(segment, file, &grid(), &Limits::default())
}

/// The (x, y, z) indices inside, in the flat z-major order.
fn inside(mask: &Mask) -> Vec<(usize, usize, usize)> {
    mask.view()
        .indexed_iter()
        .filter(|(_, &v)| v)
        .map(|((z, y, x), _)| (x, y, z))
        .collect()
}

#[test]
fn binary_frames_are_unpacked_across_bytes_and_placed_by_position() {
    // File order slice 2, slice 0 (segment 1), slice 1 (segment 2), slice 0 again
    // (segment 1): order in the file says nothing, positions everything. Frame 2
    // starts at bit 15, frame 3 at bit 30, frame 4 at bit 45.
    let file = Seg::binary(vec![
        frame(1, 2.0, &[(0, 0), (2, 4)], 1),
        frame(1, 0.0, &[(1, 1), (1, 2), (0, 4)], 1),
        frame(2, 1.0, &[(0, 0), (2, 0), (2, 4)], 1),
        frame(1, 0.0, &[(2, 3)], 1),
    ])
    .file();
    let liver = mask_of(&file, "liver").expect("a mask");
    // (x, y, z) = (column, row, slice), sorted z-major.
    assert_eq!(
        inside(&liver),
        [
            (4, 0, 0),
            (1, 1, 0),
            (2, 1, 0),
            (3, 2, 0),
            (0, 0, 2),
            (4, 2, 2)
        ]
    );
    assert_eq!((liver.roi.as_str(), liver.grid.clone()), ("liver", grid()));
    let tumour = mask_of(&file, "2").expect("a mask");
    assert_eq!(inside(&tumour), [(0, 0, 1), (0, 2, 1), (4, 2, 1)]);
    assert_eq!(tumour.roi, "Tumour");
}

#[test]
fn geometry_may_be_given_per_frame_instead_of_shared() {
    let mut seg = Seg::binary(vec![frame(2, 3.0, &[(1, 3)], 1)]);
    seg.geometry_per_frame = true;
    let mask = mask_of(&seg.file(), "tumour").expect("a mask");
    assert_eq!(inside(&mask), [(3, 1, 3)]);
}

#[test]
fn fractional_values_are_inside_from_half_the_maximum() {
    // max 255: 127 / 255 < 0.5 <= 128 / 255. max 200: 99 < 100 = 200 / 2.
    let values = |vs: [u8; 4]| TestFrame {
        segment: 1,
        position: at(0.0, 0.0, 1.0),
        values: [vs.as_slice(), &[0; ROWS * COLS - 4]].concat(),
    };
    let file = Seg::fractional(255, vec![values([127, 128, 255, 1])]).file();
    assert_eq!(
        inside(&mask_of(&file, "1").expect("a mask")),
        [(1, 0, 1), (2, 0, 1)]
    );
    let file = Seg::fractional(200, vec![values([99, 100, 200, 150])]).file();
    assert_eq!(
        inside(&mask_of(&file, "1").expect("a mask")),
        [(1, 0, 1), (2, 0, 1), (3, 0, 1)]
    );
}

#[test]
fn a_frame_offset_by_whole_pixels_is_shifted_and_must_stay_on_the_grid() {
    // First pixel on voxel (1, 1): pixel (row 0, column 2) marks voxel (3, 1).
    let shifted = |inside: &[(usize, usize)]| {
        let mut f = frame(1, 0.0, inside, 1);
        f.position = at(1.0, 1.0, 0.0);
        Seg::binary(vec![f]).file()
    };
    let mask = mask_of(&shifted(&[(0, 2), (1, 0)]), "1").expect("a mask");
    assert_eq!(inside(&mask), [(3, 1, 0), (1, 2, 0)]);
    // Column 4 would be voxel 5 of 5 columns; row 2 would be row 3 of 3.
    for beyond in [(0, 4), (2, 0)] {
        let err = mask_of(&shifted(&[beyond]), "1").err();
        assert!(
            matches!(&err, Some(MaskError::FrameMismatch { reason, .. }) if reason.contains("beyond the grid's 5 × 3")),
            "{err:?}"
        );
    }
}

#[test]
fn frames_off_the_grid_are_errors_naming_both_geometries() {
    let moved = |position: [f64; 3]| {
        let mut f = frame(1, 0.0, &[(0, 0)], 1);
        f.position = position;
        Seg::binary(vec![f]).file()
    };
    // Half a slice, and a tenth of a pixel, off.
    for position in [at(0.0, 0.0, 1.5), at(0.1, 0.0, 1.0)] {
        let err = mask_of(&moved(position), "1").err().map(|e| e.to_string());
        let err = err.unwrap_or_default();
        assert!(err.contains("between voxel centres"), "{err}");
        assert!(err.contains("origin (10.000, -4.000, 30.000)"), "{err}");
    }
    // Within the tolerance: placed on the nearest voxel.
    let near = mask_of(&moved(at(0.01, -0.02, 2.03)), "1").expect("a mask");
    assert_eq!(inside(&near), [(0, 0, 2)]);
    // One slice past the last.
    match mask_of(&moved(at(0.0, 0.0, 4.0)), "1") {
        Err(MaskError::OutsideGrid {
            roi, index, slices, ..
        }) => assert_eq!((roi.as_str(), index, slices), ("liver", 4.0, 4)),
        other => panic!("expected OutsideGrid, got {other:?}"),
    }
    // Another pixel spacing, another orientation.
    let mut spacing = Seg::binary(vec![frame(1, 0.0, &[(0, 0)], 1)]);
    spacing.spacing = [0.8, 0.6];
    let mut rotated = Seg::binary(vec![frame(1, 0.0, &[(0, 0)], 1)]);
    rotated.orientation = [0.0, 1.0, 0.0, -1.0, 0.0, 0.0];
    for seg in [spacing, rotated] {
        let err = mask_of(&seg.file(), "1").err().map(|e| e.to_string());
        let err = err.unwrap_or_default();
        assert!(
            err.contains(
                "the grid (1.0000, 0.0000, 0.0000, 0.0000, 1.0000, 0.0000) and (0.5000, 0.8000) mm"
            ),
            "{err}"
        );
    }
}

#[test]
fn empty_segments_are_errors() {
    // A frame of zeros, and a segment without frames.
    let file = Seg::binary(vec![frame(1, 0.0, &[], 1)]).file();
    for selector in ["liver", "Tumour"] {
        let err = mask_of(&file, selector).err();
        assert!(
            matches!(&err, Some(MaskError::EmptyRoi { roi }) if roi.eq_ignore_ascii_case(selector)),
            "{err:?}"
        );
    }
}

#[test]
fn segments_are_chosen_by_number_or_label_and_references_are_read() {
    let seg = Segmentation::read(&Seg::binary(vec![frame(1, 0.0, &[(0, 0)], 1)]).file())
        .expect("a valid segmentation");
    assert_eq!(seg.frame_of_reference.as_deref(), Some("1.2.3.4"));
    assert_eq!(seg.referenced_series.as_deref(), Some("2.25.99"));
    let pick = |s: &str| {
        seg.segment(&s.parse().unwrap_or_else(|e| match e {}))
            .map(|s| s.number)
    };
    assert_eq!((pick("tumour").ok(), pick("1").ok()), (Some(2), Some(1)));
    let err = pick("heart")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains(r#"1 "liver", 2 "Tumour""#), "{err}");
    assert!(
        matches!(seg.only_segment(), Err(MaskError::AmbiguousRoi { candidates, .. }) if candidates.len() == 2)
    );
}

/// The message of the [`MaskError::Malformed`] `obj` gives when written and read.
fn malformed_message(obj: &InMemDicomObject) -> String {
    match Segmentation::read(&write(obj.clone())) {
        Err(MaskError::Malformed(message)) => message,
        other => panic!("expected Malformed, got {other:?}"),
    }
}

#[test]
fn malformed_segmentations_are_errors_not_panics() {
    let good = || {
        Seg::binary(vec![
            frame(1, 0.0, &[(0, 0)], 1),
            frame(2, 1.0, &[(0, 0)], 1),
        ])
    };
    let mut obj = good().object();
    obj.put(text(attr::NUMBER_OF_FRAMES.tag, VR::IS, "4294967295"));
    let many = malformed_message(&obj);
    assert!(
        many.contains("4294967295") && many.contains("2 item(s)"),
        "{many}"
    );

    let mut seg = good();
    seg.bits = 8;
    assert!(malformed_message(&seg.object()).contains("BitsAllocated (0028,0100) 8"));
    let mut seg = good();
    seg.kind = "PARTIAL";
    assert!(malformed_message(&seg.object()).contains("\"PARTIAL\""));
    let mut seg = Seg::fractional(0, good().frames);
    assert!(malformed_message(&seg.object()).contains("between 1 and 255"));
    seg.max = None;
    assert!(malformed_message(&seg.object()).contains("without MaximumFractionalValue"));
    let mut seg = good();
    seg.segments = vec![(1, "a"), (1, "b")];
    assert!(malformed_message(&seg.object()).contains("two segments"));
    let mut seg = good();
    seg.segments = vec![(1, "liver")];
    let stray = malformed_message(&seg.object());
    assert!(
        stray.contains("belongs to segment 2") && stray.contains("does not list"),
        "{stray}"
    );

    // Each functional group missing from the frames and the shared item.
    for (group, keyword) in [
        (
            SEGMENT_IDENTIFICATION_SEQUENCE,
            "SegmentIdentificationSequence",
        ),
        (attr::PLANE_POSITION_SEQUENCE, "PlanePositionSequence"),
        (attr::PLANE_ORIENTATION_SEQUENCE, "PlaneOrientationSequence"),
        (attr::PIXEL_MEASURES_SEQUENCE, "PixelMeasuresSequence"),
    ] {
        let mut seg = good();
        seg.geometry_per_frame = true;
        let mut obj = seg.object();
        let items: Vec<InMemDicomObject> = obj
            .items(attr::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE)
            .iter()
            .map(|item| {
                let mut item = item.clone();
                item.remove_element(group.dicom_tag());
                item
            })
            .collect();
        obj.put(sequence(
            attr::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE.tag,
            items,
        ));
        let message = malformed_message(&obj);
        assert!(message.contains(keyword), "{keyword}: {message}");
    }

    let mut obj = good().object();
    obj.remove_element(SEGMENT_SEQUENCE.dicom_tag());
    assert!(malformed_message(&obj).contains("not a Segmentation"));
    let mut obj = good().object();
    obj.put(us(attr::ROWS.tag, 0));
    assert!(malformed_message(&obj).contains("Rows (0028,0010) is 0"));
}

#[test]
fn unsupported_segmentations_are_refused() {
    let seg = Seg::binary(vec![frame(1, 0.0, &[(0, 0)], 1)]);
    let compressed = Segmentation::from_object(&seg.object(), RLE_LOSSLESS);
    assert!(
        matches!(&compressed, Err(MaskError::Unsupported(m)) if m.contains("compressed")),
        "{compressed:?}"
    );
    let mut obj = seg.object();
    obj.put(text(SEGMENTATION_TYPE.tag, VR::CS, "LABELMAP"));
    let labelmap = Segmentation::from_object(&obj, EXPLICIT_VR_LITTLE_ENDIAN);
    assert!(
        matches!(&labelmap, Err(MaskError::Unsupported(m)) if m.contains("LABELMAP")),
        "{labelmap:?}"
    );
}

#[test]
fn pixel_data_shorter_than_declared_or_absent_is_an_error() {
    // Two 15-bit frames need 4 bytes (30 bits); 2 are refused whichever frame is read.
    let seg = Seg::binary(vec![
        frame(1, 0.0, &[(0, 0)], 1),
        frame(2, 1.0, &[(0, 0)], 1),
    ]);
    let mut obj = seg.object();
    obj.put(DataElement::new(
        Tag(0x7FE0, 0x0010),
        VR::OB,
        PrimitiveValue::U8(vec![1, 0].into()),
    ));
    let short = write(obj);
    for selector in ["1", "2"] {
        let err = mask_of(&short, selector).err();
        assert!(
            matches!(&err, Some(MaskError::Pixels(m)) if m.contains("2 bytes but the header requires 4")),
            "{err:?}"
        );
    }
    // 65535 × 65535 pixels a frame overflow nothing and are refused by the limits.
    let mut obj = seg.object();
    obj.put(us(attr::ROWS.tag, u16::MAX));
    obj.put(us(attr::COLUMNS.tag, u16::MAX));
    let huge = write(obj);
    let err = mask_of(&huge, "1").err();
    assert!(matches!(err, Some(MaskError::Pixels(_))), "{err:?}");
    // A header-only file has no pixel data to place.
    let mut bytes = Vec::new();
    let meta = FileMetaTableBuilder::new()
        .media_storage_sop_class_uid(SEGMENTATION_STORAGE)
        .media_storage_sop_instance_uid("2.25.8")
        .transfer_syntax(EXPLICIT_VR_LITTLE_ENDIAN)
        .build()
        .expect("complete file meta group");
    seg.object()
        .with_exact_meta(meta)
        .write_all(&mut bytes)
        .expect("writable test file");
    let header = DicomFile::header_from_bytes("seg.dcm", &bytes).expect("a parsable header");
    let err = mask_of(&header, "1").err();
    assert!(matches!(err, Some(MaskError::Pixels(_))), "{err:?}");
}

#[test]
fn grids_that_cannot_hold_a_mask_are_refused() {
    let file = Seg::binary(vec![frame(1, 0.0, &[(0, 0)], 1)]).file();
    let seg = Segmentation::read(&file).expect("a valid segmentation");
    let mut huge = grid();
    huge.size = [usize::MAX, 2, 1];
    let result = seg.rasterise(&seg.segments[0], &file, &huge, &Limits::default());
    assert!(matches!(result, Err(MaskError::InvalidGrid(_))));
}
