//! Series built in memory, one rule each. Expected grids and voxels are worked out by hand
//! from the positions and pixel values written (explained at each test); geometry is
//! compared within 1e-9 mm (only the DS text round trip and one division separate the
//! values), voxels exactly (stored · 2 − 1024 is exact in f32).

use std::collections::HashMap;

use dicom_core::value::DataSetSequence;
use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::meta::FileMetaTableBuilder;
use dicom_object::InMemDicomObject;

use super::*;

const AXIAL: [f64; 6] = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0];
const ROWS: u16 = 2;
const COLS: u16 = 3;
const TOLERANCE: f64 = 1e-9;

fn ds(obj: &mut InMemDicomObject, tag: Tag, values: &[f64]) {
    let text: Vec<String> = values.iter().map(|v| v.to_string()).collect();
    obj.put(DataElement::new(
        tag,
        VR::DS,
        PrimitiveValue::from(text.join("\\")),
    ));
}

fn text(obj: &mut InMemDicomObject, tag: Tag, vr: VR, value: &str) {
    obj.put(DataElement::new(tag, vr, PrimitiveValue::from(value)));
}

/// Stored values of the slice numbered `k`: 100·k + pixel index, so every voxel says
/// which slice and pixel it came from.
fn stored(k: usize, pixels: usize) -> Vec<i16> {
    (0..pixels).map(|i| (100 * k + i) as i16).collect()
}

/// Hounsfield units of [`stored`] through slope 2, intercept −1024.
fn hu(k: usize, pixels: usize) -> Vec<f32> {
    stored(k, pixels)
        .into_iter()
        .map(|v| f32::from(v) * 2.0 - 1024.0)
        .collect()
}

/// A CT slice of the default series, 2 rows × 3 columns, PixelSpacing 0.5 \ 0.7.
fn ct(k: usize, position: [f64; 3], orientation: [f64; 6]) -> InMemDicomObject {
    let mut obj = InMemDicomObject::new_empty();
    text(
        &mut obj,
        tags::SOP_CLASS_UID,
        VR::UI,
        "1.2.840.10008.5.1.4.1.1.2",
    );
    text(
        &mut obj,
        tags::SOP_INSTANCE_UID,
        VR::UI,
        &format!("2.25.1{k}"),
    );
    text(&mut obj, tags::MODALITY, VR::CS, "CT");
    text(
        &mut obj,
        tags::IMAGE_TYPE,
        VR::CS,
        "ORIGINAL\\PRIMARY\\AXIAL",
    );
    text(&mut obj, tags::SERIES_INSTANCE_UID, VR::UI, "2.25.100");
    text(&mut obj, tags::FRAME_OF_REFERENCE_UID, VR::UI, "2.25.200");
    text(&mut obj, tags::SERIES_DESCRIPTION, VR::LO, "chest");
    text(
        &mut obj,
        tags::PHOTOMETRIC_INTERPRETATION,
        VR::CS,
        "MONOCHROME2",
    );
    // Instance numbers deliberately run against the z order.
    text(
        &mut obj,
        tags::INSTANCE_NUMBER,
        VR::IS,
        &(50 - k).to_string(),
    );
    for (tag, value) in [
        (tags::SAMPLES_PER_PIXEL, 1),
        (tags::ROWS, ROWS),
        (tags::COLUMNS, COLS),
        (tags::BITS_ALLOCATED, 16),
        (tags::BITS_STORED, 16),
        (tags::HIGH_BIT, 15),
        (tags::PIXEL_REPRESENTATION, 1),
    ] {
        obj.put(DataElement::new(tag, VR::US, PrimitiveValue::from(value)));
    }
    ds(&mut obj, tags::PIXEL_SPACING, &[0.5, 0.7]);
    ds(&mut obj, tags::SLICE_THICKNESS, &[1.25]);
    ds(&mut obj, tags::IMAGE_POSITION_PATIENT, &position);
    ds(&mut obj, tags::IMAGE_ORIENTATION_PATIENT, &orientation);
    ds(&mut obj, tags::RESCALE_SLOPE, &[2.0]);
    ds(&mut obj, tags::RESCALE_INTERCEPT, &[-1024.0]);
    pixels(&mut obj, &stored(k, usize::from(ROWS * COLS)));
    obj
}

fn pixels(obj: &mut InMemDicomObject, values: &[i16]) {
    let words: Vec<u16> = values.iter().map(|v| *v as u16).collect();
    obj.put(DataElement::new(
        tags::PIXEL_DATA,
        VR::OW,
        PrimitiveValue::U16(words.into()),
    ));
}

fn bytes(obj: &InMemDicomObject) -> Vec<u8> {
    let meta = FileMetaTableBuilder::new()
        .media_storage_sop_class_uid("1.2.840.10008.5.1.4.1.1.2")
        .media_storage_sop_instance_uid("2.25.1")
        .transfer_syntax("1.2.840.10008.1.2.1")
        .build()
        .expect("complete file meta group");
    let mut out = Vec::new();
    obj.clone()
        .with_exact_meta(meta)
        .write_all(&mut out)
        .expect("writable test file");
    out
}

/// Files by name, grouped from their headers and loaded from their bytes.
struct Folder(Vec<(String, Vec<u8>)>);

impl Folder {
    fn new(objects: Vec<(&str, InMemDicomObject)>) -> Self {
        Self(
            objects
                .into_iter()
                .map(|(name, obj)| (name.to_owned(), bytes(&obj)))
                .collect(),
        )
    }

    fn group(&self) -> Grouping {
        let headers = self
            .0
            .iter()
            .map(|(name, b)| DicomFile::header_from_bytes(name.clone(), b).expect("header"))
            .collect();
        group(headers)
    }

    fn assemble(&self, group: &SeriesGroup) -> Result<Vec<Series>, SeriesError> {
        let files: HashMap<&str, &[u8]> = self
            .0
            .iter()
            .map(|(n, b)| (n.as_str(), b.as_slice()))
            .collect();
        let load = |name: &str| DicomFile::from_bytes(name, files[name]);
        assemble(group, &load, &Limits::default())
    }

    /// The only series of the folder, assembled.
    fn only(&self) -> Result<Series, SeriesError> {
        let grouping = self.group();
        assert!(grouping.failures.is_empty(), "{:?}", grouping.failures);
        assert_eq!(grouping.series.len(), 1);
        let mut series = self.assemble(&grouping.series[0])?;
        assert_eq!(series.len(), 1);
        Ok(series.remove(0))
    }
}

fn close(actual: &[f64], expected: &[f64]) {
    assert_eq!(actual.len(), expected.len());
    for (a, e) in actual.iter().zip(expected) {
        assert!((a - e).abs() <= TOLERANCE, "{actual:?} vs {expected:?}");
    }
}

fn volume_of(slices: &[usize]) -> Vec<f32> {
    slices
        .iter()
        .flat_map(|&k| hu(k, usize::from(ROWS * COLS)))
        .collect()
}

#[test]
fn orders_shuffled_slices_by_position_not_instance_number() {
    // Slice k sits at z = 10 + 2.5 k; files are named and numbered against that order.
    let folder = Folder::new(vec![
        ("a.dcm", ct(2, [-5.0, 3.0, 15.0], AXIAL)),
        ("b.dcm", ct(0, [-5.0, 3.0, 10.0], AXIAL)),
        ("c.dcm", ct(3, [-5.0, 3.0, 17.5], AXIAL)),
        ("d.dcm", ct(1, [-5.0, 3.0, 12.5], AXIAL)),
    ]);
    let grouping = folder.group();
    assert_eq!(
        grouping.series[0].names(),
        ["b.dcm", "d.dcm", "a.dcm", "c.dcm"]
    );
    let series = folder.only().expect("assembles");
    let grid = &series.volume.grid;
    assert_eq!(grid.size, [3, 2, 4]);
    // x spacing is the column spacing PixelSpacing[1], y the row spacing PixelSpacing[0].
    close(&grid.spacing, &[0.7, 0.5, 2.5]);
    close(&grid.origin, &[-5.0, 3.0, 10.0]);
    close(&grid.direction, &Grid::IDENTITY);
    assert_eq!(series.volume.voxels, volume_of(&[0, 1, 2, 3]));
    assert_eq!(series.slices, ["b.dcm", "d.dcm", "a.dcm", "c.dcm"]);
    assert_eq!(series.frame_of_reference.as_deref(), Some("2.25.200"));
    assert_eq!(series.info.series_description.as_deref(), Some("chest"));
    assert_eq!(series.meta.sop_instance_uid.as_deref(), Some("2.25.10"));
    assert!(series.warnings.is_empty(), "{:?}", series.warnings);
}

#[test]
fn oblique_stack_follows_the_normal() {
    // Rows along x, columns tilted 53.13° out of the axial plane: c = (0, 0.6, 0.8), so
    // n = r × c = (0, −0.8, 0.6). Slice k lies at p0 + 3 k n; given in reverse.
    let orientation = [1.0, 0.0, 0.0, 0.0, 0.6, 0.8];
    let position = |k: f64| [1.0, 2.0 - 2.4 * k, 3.0 + 1.8 * k];
    let folder = Folder::new(vec![
        ("s2.dcm", ct(2, position(2.0), orientation)),
        ("s1.dcm", ct(1, position(1.0), orientation)),
        ("s0.dcm", ct(0, position(0.0), orientation)),
    ]);
    let series = folder.only().expect("assembles");
    let grid = &series.volume.grid;
    close(&grid.spacing, &[0.7, 0.5, 3.0]);
    close(&grid.origin, &[1.0, 2.0, 3.0]);
    close(
        &grid.direction,
        &[1.0, 0.0, 0.0, 0.0, 0.6, -0.8, 0.0, 0.8, 0.6],
    );
    assert_eq!(series.volume.voxels, volume_of(&[0, 1, 2]));
}

#[test]
fn gantry_tilt_keeps_the_itk_grid_and_warns() {
    // Each 2 mm step along z also shifts y by 0.5 mm: tilt atan(0.5 / 2) = 14.036°.
    let folder = Folder::new(
        (0..4)
            .map(|k| {
                let name = ["t0", "t1", "t2", "t3"][k];
                (name, ct(k, [0.0, 0.5 * k as f64, 2.0 * k as f64], AXIAL))
            })
            .collect(),
    );
    let series = folder.only().expect("assembles");
    let grid = &series.volume.grid;
    close(&grid.spacing, &[0.7, 0.5, 2.0]);
    close(&grid.origin, &[0.0, 0.0, 0.0]);
    close(&grid.direction, &Grid::IDENTITY);
    assert_eq!(series.warnings.len(), 1, "{:?}", series.warnings);
    assert!(
        series.warnings[0].contains("14.04°"),
        "{}",
        series.warnings[0]
    );
}

fn stack_at(zs: &[f64]) -> Folder {
    let names: Vec<String> = (0..zs.len()).map(|k| format!("z{k}.dcm")).collect();
    let objects = zs
        .iter()
        .enumerate()
        .map(|(k, &z)| (names[k].as_str(), ct(k, [0.0, 0.0, z], AXIAL)))
        .collect();
    Folder::new(objects)
}

#[test]
fn a_gap_of_whole_steps_is_missing_slices() {
    // Steps 2, 2, 4, 2: the 4 mm gap between z = 4 and z = 8 is one missing slice.
    let error = stack_at(&[0.0, 2.0, 4.0, 8.0, 10.0]).only().unwrap_err();
    match &error {
        SeriesError::MissingSlices { step, gaps } => {
            assert!((step - 2.0).abs() < TOLERANCE);
            assert_eq!(
                gaps,
                &[Gap {
                    after: 4.0,
                    before: 8.0,
                    missing: 1
                }]
            );
        }
        other => panic!("expected MissingSlices, got {other}"),
    }
    assert!(error.to_string().contains("between 4.000 mm and 8.000 mm"));
}

#[test]
fn uneven_steps_are_refused() {
    // Steps 2, 2, 3, 2: 3 mm is 1.5 steps, not a whole number of them.
    match stack_at(&[0.0, 2.0, 4.0, 7.0, 9.0]).only().unwrap_err() {
        SeriesError::UnevenSpacing { min, max, median } => {
            assert_eq!((min, max, median), (2.0, 3.0, 2.0));
        }
        other => panic!("expected UnevenSpacing, got {other}"),
    }
}

#[test]
fn steps_within_one_percent_are_even() {
    // 2.5 and 2.51 mm differ by 0.4 % of the median: one grid, mean step (7.51 / 3).
    let series = stack_at(&[0.0, 2.5, 5.0, 7.51]).only().expect("assembles");
    assert!((series.volume.grid.spacing[2] - 7.51 / 3.0).abs() < TOLERANCE);
}

#[test]
fn two_slices_at_one_position_are_an_error_unless_one_instance() {
    let mut twin = ct(1, [0.0, 0.0, 2.0], AXIAL);
    text(&mut twin, tags::SOP_INSTANCE_UID, VR::UI, "2.25.99");
    let folder = Folder::new(vec![
        ("a.dcm", ct(0, [0.0, 0.0, 0.0], AXIAL)),
        ("b.dcm", ct(1, [0.0, 0.0, 2.0], AXIAL)),
        ("c.dcm", twin),
    ]);
    match folder.only().unwrap_err() {
        SeriesError::DuplicatePosition { position, .. } => assert_eq!(position, 2.0),
        other => panic!("expected DuplicatePosition, got {other}"),
    }

    // The same SOP instance twice (a copied file): one is kept, with a warning.
    let folder = Folder::new(vec![
        ("a.dcm", ct(0, [0.0, 0.0, 0.0], AXIAL)),
        ("b.dcm", ct(1, [0.0, 0.0, 2.0], AXIAL)),
        ("copy of b.dcm", ct(1, [0.0, 0.0, 2.0], AXIAL)),
        ("c.dcm", ct(2, [0.0, 0.0, 4.0], AXIAL)),
    ]);
    let series = folder.only().expect("assembles");
    assert_eq!(series.volume.grid.size, [3, 2, 3]);
    assert_eq!(series.volume.voxels, volume_of(&[0, 1, 2]));
    assert_eq!(series.warnings.len(), 1, "{:?}", series.warnings);
    assert!(series.warnings[0].contains("second copy"));
}

#[test]
fn separates_series_sizes_and_localizers() {
    let other_series = |k: usize, z: f64| {
        let mut obj = ct(k, [0.0, 0.0, z], AXIAL);
        text(&mut obj, tags::SERIES_INSTANCE_UID, VR::UI, "2.25.101");
        obj
    };
    let mut small = ct(7, [0.0, 0.0, 0.0], AXIAL);
    small.put(DataElement::new(
        tags::ROWS,
        VR::US,
        PrimitiveValue::from(1u16),
    ));
    pixels(&mut small, &stored(7, usize::from(COLS)));
    let mut scout = ct(8, [0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0, 0.0, -1.0]);
    text(
        &mut scout,
        tags::IMAGE_TYPE,
        VR::CS,
        "ORIGINAL\\PRIMARY\\LOCALIZER",
    );
    let coronal = ct(9, [0.0, 5.0, 0.0], [1.0, 0.0, 0.0, 0.0, 0.0, -1.0]);
    let folder = Folder::new(vec![
        ("scout.dcm", scout),
        ("a1.dcm", ct(1, [0.0, 0.0, 2.0], AXIAL)),
        ("b0.dcm", other_series(0, 0.0)),
        ("a0.dcm", ct(0, [0.0, 0.0, 0.0], AXIAL)),
        ("small.dcm", small),
        ("b1.dcm", other_series(1, 2.0)),
        ("coronal.dcm", coronal),
    ]);
    let grouping = folder.group();
    let names: Vec<&[String]> = grouping.series.iter().map(SeriesGroup::names).collect();
    // Order of first appearance; the localizer and the minority orientation last.
    assert_eq!(
        names,
        [
            &["a0.dcm", "a1.dcm"][..],
            &["b0.dcm", "b1.dcm"],
            &["small.dcm"],
            &["scout.dcm"],
            &["coronal.dcm"],
        ]
    );
    let warnings = &grouping.series[0].warnings;
    assert_eq!(warnings.len(), 3, "{warnings:?}");
    assert!(
        warnings[0].contains("several sizes (3×2, 3×1"),
        "{warnings:?}"
    );
    assert!(warnings[1].contains("1 localizer"), "{warnings:?}");
    assert!(warnings[2].contains("oriented differently"), "{warnings:?}");
    assert!(grouping.series[3].warnings[0].contains("localizer"));

    let small = folder.assemble(&grouping.series[2]).expect("assembles");
    assert_eq!(small[0].volume.grid.size, [3, 1, 1]);
    // A single slice: z spacing is its SliceThickness, 1.25 mm.
    close(&small[0].volume.grid.spacing, &[0.7, 0.5, 1.25]);
    assert!(small[0]
        .warnings
        .iter()
        .any(|w| w.contains("SliceThickness")));
}

#[test]
fn temporal_position_identifiers_split_classic_files() {
    // Two time points of two slices each, at z = 0 and 3: without the identifiers these
    // would be duplicate positions.
    let timed = |k: usize, z: f64, t: &str| {
        let mut obj = ct(k, [0.0, 0.0, z], AXIAL);
        text(&mut obj, TEMPORAL_POSITION_IDENTIFIER_TAG, VR::IS, t);
        obj
    };
    let folder = Folder::new(vec![
        ("a.dcm", timed(0, 3.0, "2")),
        ("b.dcm", timed(1, 0.0, "1")),
        ("c.dcm", timed(2, 0.0, "2")),
        ("d.dcm", timed(3, 3.0, "1")),
    ]);
    let grouping = folder.group();
    let series = folder.assemble(&grouping.series[0]).expect("assembles");
    assert_eq!(series.len(), 2);
    assert_eq!(series[0].info.temporal_position, Some(1));
    assert_eq!(series[0].slices, ["b.dcm", "d.dcm"]);
    assert_eq!(series[0].volume.voxels, volume_of(&[1, 3]));
    assert_eq!(series[1].info.temporal_position, Some(2));
    assert_eq!(series[1].volume.voxels, volume_of(&[2, 0]));
    close(&series[1].volume.grid.spacing, &[0.7, 0.5, 3.0]);
}

/// Temporal Position Identifier (0020,0100).
const TEMPORAL_POSITION_IDENTIFIER_TAG: Tag = Tag(0x0020, 0x0100);

#[test]
fn masks_are_set_aside_by_role() {
    let mut rtstruct = InMemDicomObject::new_empty();
    text(
        &mut rtstruct,
        tags::SOP_CLASS_UID,
        VR::UI,
        "1.2.840.10008.5.1.4.1.1.481.3",
    );
    let mut seg = InMemDicomObject::new_empty();
    text(&mut seg, tags::MODALITY, VR::CS, "SEG");
    let folder = Folder::new(vec![
        ("rt.dcm", rtstruct),
        ("seg.dcm", seg),
        ("a.dcm", ct(0, [0.0; 3], AXIAL)),
    ]);
    let grouping = folder.group();
    let roles: Vec<Role> = grouping.masks.iter().map(role).collect();
    assert_eq!(roles, [Role::RtStruct, Role::Seg]);
    assert_eq!(grouping.series.len(), 1);
}

#[test]
fn geometry_is_required_for_several_slices() {
    let mut bare = ct(1, [0.0, 0.0, 2.0], AXIAL);
    bare.remove_element(tags::IMAGE_POSITION_PATIENT);
    let folder = Folder::new(vec![("a.dcm", ct(0, [0.0; 3], AXIAL)), ("b.dcm", bare)]);
    match folder.only().unwrap_err() {
        SeriesError::MissingGeometry { file, attribute } => {
            assert_eq!(file, "b.dcm");
            assert_eq!(attribute.keyword, "ImagePositionPatient");
        }
        other => panic!("expected MissingGeometry, got {other}"),
    }
}

#[test]
fn colour_is_refused() {
    let mut colour = ct(0, [0.0; 3], AXIAL);
    colour.put(DataElement::new(
        tags::SAMPLES_PER_PIXEL,
        VR::US,
        PrimitiveValue::from(3u16),
    ));
    let error = Folder::new(vec![("rgb.dcm", colour)]).only().unwrap_err();
    assert!(
        matches!(error, SeriesError::Colour { samples: 3, .. }),
        "{error}"
    );
}

#[test]
fn the_voxel_cap_applies_before_any_load() {
    let folder = stack_at(&[0.0, 1.0, 2.0]);
    let grouping = folder.group();
    let load = |name: &str| -> crate::Result<DicomFile> {
        panic!("{name} loaded although the series is over the limit")
    };
    // 3 × 2 × 3 = 18 voxels against a cap of 17.
    let limits = Limits { max_samples: 17 };
    match assemble(&grouping.series[0], &load, &limits).unwrap_err() {
        SeriesError::TooLarge { voxels, limit } => assert_eq!((voxels, limit), (18, 17)),
        other => panic!("expected TooLarge, got {other}"),
    }
}

/// An enhanced CT of frames at `positions`, with optional Temporal Position Indices; the
/// frame f holds [`stored`]`(f)`.
fn enhanced(positions: &[[f64; 3]], temporal: Option<&[i64]>) -> InMemDicomObject {
    let mut obj = ct(0, [0.0; 3], AXIAL);
    for tag in [
        tags::IMAGE_POSITION_PATIENT,
        tags::IMAGE_ORIENTATION_PATIENT,
        tags::PIXEL_SPACING,
        tags::SLICE_THICKNESS,
    ] {
        obj.remove_element(tag);
    }
    text(
        &mut obj,
        tags::SOP_CLASS_UID,
        VR::UI,
        "1.2.840.10008.5.1.4.1.1.2.1",
    );
    text(
        &mut obj,
        tags::NUMBER_OF_FRAMES,
        VR::IS,
        &positions.len().to_string(),
    );
    let item = |elements: Vec<DataElement<InMemDicomObject>>| {
        InMemDicomObject::from_element_iter(elements)
    };
    let sequence = |tag, items: Vec<InMemDicomObject>| {
        DataElement::new(tag, VR::SQ, DataSetSequence::from(items))
    };
    let mut measures = InMemDicomObject::new_empty();
    ds(&mut measures, tags::PIXEL_SPACING, &[0.5, 0.7]);
    ds(&mut measures, tags::SLICE_THICKNESS, &[1.25]);
    let mut orientation = InMemDicomObject::new_empty();
    ds(&mut orientation, tags::IMAGE_ORIENTATION_PATIENT, &AXIAL);
    obj.put(sequence(
        tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE,
        vec![item(vec![
            sequence(tags::PIXEL_MEASURES_SEQUENCE, vec![measures]),
            sequence(tags::PLANE_ORIENTATION_SEQUENCE, vec![orientation]),
        ])],
    ));
    let frames = positions
        .iter()
        .enumerate()
        .map(|(f, position)| {
            let mut plane = InMemDicomObject::new_empty();
            ds(&mut plane, tags::IMAGE_POSITION_PATIENT, position);
            let mut groups = vec![sequence(tags::PLANE_POSITION_SEQUENCE, vec![plane])];
            if let Some(indices) = temporal {
                let mut content = InMemDicomObject::new_empty();
                content.put(DataElement::new(
                    tags::TEMPORAL_POSITION_INDEX,
                    VR::UL,
                    PrimitiveValue::from(indices[f] as u32),
                ));
                groups.push(sequence(tags::FRAME_CONTENT_SEQUENCE, vec![content]));
            }
            item(groups)
        })
        .collect();
    obj.put(sequence(tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE, frames));
    let all: Vec<i16> = (0..positions.len())
        .flat_map(|f| stored(f, usize::from(ROWS * COLS)))
        .collect();
    pixels(&mut obj, &all);
    obj
}

#[test]
fn enhanced_multi_frame_is_a_volume_in_z_order() {
    // Frames 0..4 at z = 6, 0, 4, 2: z order is frames 1, 3, 2, 0.
    let positions = [
        [0.0, 0.0, 6.0],
        [0.0, 0.0, 0.0],
        [0.0, 0.0, 4.0],
        [0.0, 0.0, 2.0],
    ];
    let series = Folder::new(vec![("mf.dcm", enhanced(&positions, None))])
        .only()
        .expect("assembles");
    let grid = &series.volume.grid;
    assert_eq!(grid.size, [3, 2, 4]);
    close(&grid.spacing, &[0.7, 0.5, 2.0]);
    close(&grid.origin, &[0.0, 0.0, 0.0]);
    assert_eq!(series.volume.voxels, volume_of(&[1, 3, 2, 0]));
    assert_eq!(series.info.temporal_position, None);
}

#[test]
fn temporal_positions_split_into_one_series_each() {
    // Frames 0, 1 are time 1 at z = 0, 2; frames 2, 3 time 2 at z = 2, 0.
    let positions = [
        [0.0, 0.0, 0.0],
        [0.0, 0.0, 2.0],
        [0.0, 0.0, 2.0],
        [0.0, 0.0, 0.0],
    ];
    let check = |series: Vec<Series>| {
        assert_eq!(series.len(), 2);
        assert_eq!(series[0].info.temporal_position, Some(1));
        assert_eq!(series[1].info.temporal_position, Some(2));
        assert_eq!(series[0].volume.voxels, volume_of(&[0, 1]));
        assert_eq!(series[1].volume.voxels, volume_of(&[3, 2]));
        for s in &series {
            close(&s.volume.grid.spacing, &[0.7, 0.5, 2.0]);
        }
    };
    for temporal in [Some(&[1, 1, 2, 2][..]), None] {
        let folder = Folder::new(vec![("mf.dcm", enhanced(&positions, temporal))]);
        let grouping = folder.group();
        check(folder.assemble(&grouping.series[0]).expect("assembles"));
    }
}
