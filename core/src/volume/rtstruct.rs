//! ROI masks from RT Structure Sets: contours in patient space rasterised on a scan's grid.
//!
//! An RTSTRUCT holds no pixels: each ROI is a stack of planar polygons in patient
//! coordinates (mm, LPS), drawn on the slices of the scan it was made on. To measure an
//! ROI we need it as a [`Mask`] on that scan's [`Grid`], so this module reads the polygons
//! ([`StructureSet::read`]) and rasterises them ([`Roi::rasterise`]) by the rule IBSI's
//! reference implementation and most tools (pyradiomics' converters, plastimatch,
//! SimpleITK-based readers) follow:
//!
//! 1. Each `CLOSED_PLANAR` contour is mapped into the grid's continuous index space with
//!    [`Grid::index`]. Its points must share one slice index within
//!    [`PLANE_TOLERANCE`] slices, else its plane is not parallel to the slices
//!    ([`MaskError::NotParallel`]).
//! 2. The contour is assigned to the nearest slice. A contour more than half a slice
//!    beyond the first or last slice is [`MaskError::OutsideGrid`]: the mask belongs to
//!    more of the body than the scan covers, and silently cropping it would change every
//!    feature computed from it.
//! 3. All contours of the ROI on one slice are combined by the even-odd rule: a voxel
//!    centre is inside when a ray from it crosses the contours an odd number of times, so
//!    a contour inside another is a hole (a ring), and `CLOSEDPLANAR_XOR` contours,
//!    which DICOM defines as exactly that combination, are read the same way.
//! 4. Only voxel centres (integer x, y indices) are tested. Edges are half-open (an
//!    edge owns its lower end in y, and a crossing counts for centres strictly left of
//!    it), so a centre exactly on an edge shared by two adjacent polygons is inside
//!    exactly one of them; for a lone polygon that means centres on its left and lower
//!    edges (in index space) are inside and those on its right and upper edges are not.
//!    "Exactly" allows for the round-off of decimal mm coordinates: a vertex coordinate
//!    within 1e-6 voxels of a centre's is taken to be on it.
//!
//! `POINT`, `OPEN_PLANAR` and `OPEN_NONPLANAR` contours enclose nothing and are ignored,
//! but not silently: each ROI lists what was left out in [`Roi::warnings`], which the
//! Python module hands on as the mask volume's `warnings`. A closed contour of fewer than
//! three points is likewise ignored with a warning. An ROI that covers no voxel centre is
//! [`MaskError::EmptyRoi`], because statistics over an empty mask mean nothing.

use dicom_object::InMemDicomObject;

/// Shared with the SEG reader; re-exported here beside the structure set it checks.
pub use super::mask_error::check_frame_of_reference;
use super::mask_error::{self, MaskError, RoiSelector};
use super::{Grid, Mask};
use crate::decode::attributes::DataSetExt;
use crate::{Attribute, DicomFile};

const FRAME_OF_REFERENCE_UID: Attribute = Attribute {
    keyword: "FrameOfReferenceUID",
    tag: (0x0020, 0x0052),
};
const SERIES_INSTANCE_UID: Attribute = Attribute {
    keyword: "SeriesInstanceUID",
    tag: (0x0020, 0x000E),
};
const REFERENCED_FRAME_OF_REFERENCE_SEQUENCE: Attribute = Attribute {
    keyword: "ReferencedFrameOfReferenceSequence",
    tag: (0x3006, 0x0010),
};
const RT_REFERENCED_STUDY_SEQUENCE: Attribute = Attribute {
    keyword: "RTReferencedStudySequence",
    tag: (0x3006, 0x0012),
};
const RT_REFERENCED_SERIES_SEQUENCE: Attribute = Attribute {
    keyword: "RTReferencedSeriesSequence",
    tag: (0x3006, 0x0014),
};
const STRUCTURE_SET_ROI_SEQUENCE: Attribute = Attribute {
    keyword: "StructureSetROISequence",
    tag: (0x3006, 0x0020),
};
const ROI_NUMBER: Attribute = Attribute {
    keyword: "ROINumber",
    tag: (0x3006, 0x0022),
};
const REFERENCED_FRAME_OF_REFERENCE_UID: Attribute = Attribute {
    keyword: "ReferencedFrameOfReferenceUID",
    tag: (0x3006, 0x0024),
};
const ROI_NAME: Attribute = Attribute {
    keyword: "ROIName",
    tag: (0x3006, 0x0026),
};
const ROI_CONTOUR_SEQUENCE: Attribute = Attribute {
    keyword: "ROIContourSequence",
    tag: (0x3006, 0x0039),
};
const CONTOUR_SEQUENCE: Attribute = Attribute {
    keyword: "ContourSequence",
    tag: (0x3006, 0x0040),
};
const CONTOUR_GEOMETRIC_TYPE: Attribute = Attribute {
    keyword: "ContourGeometricType",
    tag: (0x3006, 0x0042),
};
const CONTOUR_DATA: Attribute = Attribute {
    keyword: "ContourData",
    tag: (0x3006, 0x0050),
};
const REFERENCED_ROI_NUMBER: Attribute = Attribute {
    keyword: "ReferencedROINumber",
    tag: (0x3006, 0x0084),
};

/// How far apart (in slices) the points of one contour may lie and still be on one
/// slice. On an axial scan every point carries the slice's z exactly; on an oblique one
/// the slice index mixes all three coordinates, which writers often round to 0.01 mm,
/// which is up to 0.02 slices apart on 0.5 mm slices. A plane tilted against the slices
/// spreads far more over an ROI's width.
pub const PLANE_TOLERANCE: f64 = 0.05;

/// An RT Structure Set: its ROIs and what they were drawn on.
#[derive(Debug, Clone, PartialEq)]
pub struct StructureSet {
    /// The frame of reference the contours are in (Referenced Frame of Reference
    /// Sequence, else the first ROI's Referenced Frame of Reference UID).
    pub frame_of_reference: Option<String>,
    /// The series the contours were drawn on (RT Referenced Series Sequence), if given.
    pub referenced_series: Option<String>,
    /// Every ROI of Structure Set ROI Sequence, in file order.
    pub rois: Vec<Roi>,
}

/// One ROI of a structure set: its number, name and closed contours.
#[derive(Debug, Clone, PartialEq)]
pub struct Roi {
    /// ROI Number, unique within the structure set.
    pub number: i64,
    /// ROI Name (empty when the file gives none).
    pub name: String,
    /// Closed planar contours, each a polygon of patient positions (mm).
    contours: Vec<Vec<[f64; 3]>>,
    /// What was read but left out (points, open contours), one line each.
    warnings: Vec<String>,
}

impl StructureSet {
    /// Reads the ROIs of an RTSTRUCT: Structure Set ROI Sequence (numbers and names),
    /// and ROI Contour Sequence (Referenced ROI Number, then each Contour Sequence
    /// item's Contour Geometric Type and Contour Data). A header-only file
    /// ([`DicomFile::open_header`]) is enough, as there is no pixel data.
    pub fn read(file: &DicomFile) -> Result<Self, MaskError> {
        Self::from_object(file.object())
    }

    fn from_object(obj: &InMemDicomObject) -> Result<Self, MaskError> {
        if obj.present(STRUCTURE_SET_ROI_SEQUENCE).is_none() {
            return Err(MaskError::Malformed(format!(
                "no {STRUCTURE_SET_ROI_SEQUENCE}: this is not an RT Structure Set (for a \
                 DICOM SEG, read it as a segmentation)"
            )));
        }
        let mut rois = Vec::new();
        for (i, item) in obj.items(STRUCTURE_SET_ROI_SEQUENCE).iter().enumerate() {
            let number = item.i64_of(ROI_NUMBER).map_err(malformed)?.ok_or_else(|| {
                MaskError::Malformed(format!(
                    "item {} of {STRUCTURE_SET_ROI_SEQUENCE} has no {ROI_NUMBER}",
                    i + 1
                ))
            })?;
            if rois.iter().any(|r: &Roi| r.number == number) {
                return Err(MaskError::Malformed(format!(
                    "{ROI_NUMBER} {number} is given to two ROIs"
                )));
            }
            rois.push(Roi {
                number,
                name: item.text(ROI_NAME).unwrap_or_default(),
                contours: Vec::new(),
                warnings: Vec::new(),
            });
        }
        for (i, item) in obj.items(ROI_CONTOUR_SEQUENCE).iter().enumerate() {
            let number = item
                .i64_of(REFERENCED_ROI_NUMBER)
                .map_err(malformed)?
                .ok_or_else(|| {
                    MaskError::Malformed(format!(
                        "item {} of {ROI_CONTOUR_SEQUENCE} has no {REFERENCED_ROI_NUMBER}",
                        i + 1
                    ))
                })?;
            let roi = rois
                .iter_mut()
                .find(|r| r.number == number)
                .ok_or_else(|| {
                    MaskError::Malformed(format!(
                        "{ROI_CONTOUR_SEQUENCE} refers to ROI number {number}, which \
                         {STRUCTURE_SET_ROI_SEQUENCE} does not list"
                    ))
                })?;
            roi.read_contours(item)?;
        }
        let referenced = obj.items(REFERENCED_FRAME_OF_REFERENCE_SEQUENCE);
        let frame_of_reference = referenced
            .iter()
            .find_map(|f| f.text(FRAME_OF_REFERENCE_UID))
            .or_else(|| {
                obj.items(STRUCTURE_SET_ROI_SEQUENCE)
                    .iter()
                    .find_map(|r| r.text(REFERENCED_FRAME_OF_REFERENCE_UID))
            });
        let referenced_series = referenced
            .iter()
            .flat_map(|f| f.items(RT_REFERENCED_STUDY_SEQUENCE))
            .flat_map(|s| s.items(RT_REFERENCED_SERIES_SEQUENCE))
            .find_map(|s| s.text(SERIES_INSTANCE_UID));
        Ok(Self {
            frame_of_reference,
            referenced_series,
            rois,
        })
    }

    /// The ROI `selector` names (see [`RoiSelector`]).
    pub fn roi(&self, selector: &RoiSelector) -> Result<&Roi, MaskError> {
        mask_error::select(selector, &self.rois, |r| (r.number, &r.name))
    }

    /// The only ROI of the structure set; with several, [`MaskError::AmbiguousRoi`]
    /// listing them, so the caller can choose.
    pub fn only_roi(&self) -> Result<&Roi, MaskError> {
        mask_error::only(&self.rois, "structure set", |r| (r.number, &r.name))
    }
}

impl Roi {
    /// What was left out of this ROI while reading (points, open contours, contours of
    /// fewer than three points), one line each; empty when nothing was.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Number of closed contours, the ones [`Roi::rasterise`] fills.
    pub fn contour_count(&self) -> usize {
        self.contours.len()
    }

    fn read_contours(&mut self, item: &InMemDicomObject) -> Result<(), MaskError> {
        let mut ignored: Vec<(String, usize)> = Vec::new();
        for (i, contour) in item.items(CONTOUR_SEQUENCE).iter().enumerate() {
            let where_ = || format!("contour {} of ROI {:?}", i + 1, self.name);
            let kind = contour.text(CONTOUR_GEOMETRIC_TYPE).ok_or_else(|| {
                MaskError::Malformed(format!("{} has no {CONTOUR_GEOMETRIC_TYPE}", where_()))
            })?;
            let data = contour
                .f64s_of(CONTOUR_DATA)
                .map_err(malformed)?
                .ok_or_else(|| {
                    MaskError::Malformed(format!("{} has no {CONTOUR_DATA}", where_()))
                })?;
            if data.len() % 3 != 0 {
                return Err(MaskError::Malformed(format!(
                    "{} has {} numbers in {CONTOUR_DATA}, not a multiple of 3 (x, y, z per point)",
                    where_(),
                    data.len()
                )));
            }
            let points: Vec<[f64; 3]> = data.chunks_exact(3).map(|p| [p[0], p[1], p[2]]).collect();
            match kind.as_str() {
                "CLOSED_PLANAR" | "CLOSEDPLANAR_XOR" if points.len() >= 3 => {
                    self.contours.push(points)
                }
                "CLOSED_PLANAR" | "CLOSEDPLANAR_XOR" => {
                    count(&mut ignored, format!("{kind} of fewer than 3 points"))
                }
                "POINT" | "OPEN_PLANAR" | "OPEN_NONPLANAR" => count(&mut ignored, kind),
                other => {
                    return Err(MaskError::Malformed(format!(
                        "{} has {CONTOUR_GEOMETRIC_TYPE} {other:?}; expected CLOSED_PLANAR, \
                         CLOSEDPLANAR_XOR, POINT, OPEN_PLANAR or OPEN_NONPLANAR",
                        where_()
                    )))
                }
            }
        }
        for (kind, n) in ignored {
            self.warnings.push(format!(
                "ROI {:?}: {n} {kind} contour(s) enclose no area and were left out of the mask",
                self.name
            ));
        }
        Ok(())
    }

    /// Rasterises the contours on `grid` at voxel centres (the rule is in the module
    /// documentation).
    pub fn rasterise(&self, grid: &Grid) -> Result<Mask, MaskError> {
        let len = mask_error::checked_len(grid)?;
        let [nx, ny, nz] = grid.size;
        // Polygons in index space (x, y), grouped by slice.
        let mut slices: Vec<Vec<Vec<[f64; 2]>>> = vec![Vec::new(); nz];
        for contour in &self.contours {
            let indices: Vec<[f64; 3]> = contour.iter().map(|&p| grid.index(p)).collect();
            let (low, high) = indices
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
                    (lo.min(p[2]), hi.max(p[2]))
                });
            if high - low > PLANE_TOLERANCE {
                return Err(MaskError::NotParallel {
                    roi: self.name.clone(),
                    spread: high - low,
                });
            }
            let z = (low + high) / 2.0;
            let slice = z.round();
            if !(slice >= 0.0 && slice < nz as f64) {
                let mean_z = contour.iter().map(|p| p[2]).sum::<f64>() / contour.len() as f64;
                return Err(MaskError::OutsideGrid {
                    roi: self.name.clone(),
                    z: mean_z,
                    index: z,
                    slices: nz,
                });
            }
            // In range by the test above, and nz fits in usize.
            let k = slice as usize;
            if let Some(polygons) = slices.get_mut(k) {
                polygons.push(indices.iter().map(|p| [snap(p[0]), snap(p[1])]).collect());
            }
        }
        let mut voxels = vec![false; len];
        let slice_len = nx * ny;
        for (k, polygons) in slices.iter().enumerate() {
            if polygons.is_empty() {
                continue;
            }
            let start = k * slice_len;
            if let Some(slice) = voxels.get_mut(start..start + slice_len) {
                fill_even_odd(polygons, nx, ny, slice);
            }
        }
        if !voxels.contains(&true) {
            return Err(MaskError::EmptyRoi {
                roi: self.name.clone(),
            });
        }
        Ok(Mask {
            grid: grid.clone(),
            voxels,
            roi: self.name.clone(),
        })
    }
}

/// How close (in voxels) to a voxel centre's coordinate a contour coordinate is taken
/// to be on it. Contour points are decimal strings in mm, rounded when written and
/// mapped through the grid's spacing and origin, so a vertex drawn exactly through a row
/// or column of centres arrives a few ulps to either side; snapping puts it back, so
/// the half-open edge rule decides such centres, not the round-off.
const SNAP: f64 = 1e-6;

fn snap(v: f64) -> f64 {
    let nearest = v.round();
    if (v - nearest).abs() < SNAP {
        nearest
    } else {
        v
    }
}

/// Marks the voxel centres of one slice (`nx` × `ny`, row-major) that lie inside an odd
/// number of `polygons` (index-space x, y). A scanline per row: every edge crossing row
/// `y` with the half-open rule (`(a.y > y) != (b.y > y)`, so a vertex on the row is
/// counted once) gives an x; sorted, consecutive pairs `[x0, x1)` bound the inside.
fn fill_even_odd(polygons: &[Vec<[f64; 2]>], nx: usize, ny: usize, slice: &mut [bool]) {
    let (low, high) = polygons
        .iter()
        .flatten()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
            (lo.min(p[1]), hi.max(p[1]))
        });
    let first = low.ceil().max(0.0);
    let last = high.floor().min(ny as f64 - 1.0);
    // Also false for NaN bounds (no finite point).
    if first.partial_cmp(&last).is_none_or(|o| o.is_gt()) {
        return;
    }
    let mut crossings = Vec::new();
    // Both ends are within 0..ny here.
    for row in first as usize..=last as usize {
        let y = row as f64;
        crossings.clear();
        for polygon in polygons {
            let edges = polygon.iter().zip(polygon.iter().cycle().skip(1));
            for (a, b) in edges {
                if (a[1] > y) != (b[1] > y) {
                    crossings.push(a[0] + (y - a[1]) * (b[0] - a[0]) / (b[1] - a[1]));
                }
            }
        }
        crossings.sort_by(f64::total_cmp);
        let line = &mut slice[row * nx..(row + 1) * nx];
        for pair in crossings.chunks_exact(2) {
            // Centres x with pair[0] <= x < pair[1], clipped to the row.
            let from = pair[0].ceil().max(0.0);
            let to = pair[1].ceil().min(nx as f64);
            if from < to {
                line[from as usize..to as usize].fill(true);
            }
        }
    }
}

fn malformed(kind: crate::ErrorKind) -> MaskError {
    MaskError::Malformed(kind.to_string())
}

/// Adds one to the count of `kind` in `counts`, keeping first-seen order.
fn count(counts: &mut Vec<(String, usize)>, kind: impl Into<String>) {
    let kind = kind.into();
    match counts.iter_mut().find(|(k, _)| *k == kind) {
        Some((_, n)) => *n += 1,
        None => counts.push((kind, 1)),
    }
}

#[cfg(test)]
mod tests {
    //! Every expected mask here is worked out by hand on the grid of [`grid`]: index
    //! `(i, j, k)` ↔ patient `(-2 + 0.5 i, 1 + j, 10 + 2 k)` mm, so contours are written
    //! by their index-space corners and the covered centres follow from the half-open
    //! rule of the module documentation (a square with corners `a..b` along an axis
    //! covers the integer centres `ceil(a) .. ceil(b) - 1`). Counts are exact.
    use dicom_core::value::DataSetSequence;
    use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
    use dicom_object::meta::FileMetaTableBuilder;

    use super::*;

    /// 12 × 8 × 3 voxels of 0.5 × 1 × 2 mm, first centre at (-2, 1, 10) mm.
    fn grid() -> Grid {
        Grid {
            size: [12, 8, 3],
            spacing: [0.5, 1.0, 2.0],
            origin: [-2.0, 1.0, 10.0],
            direction: Grid::IDENTITY,
        }
    }

    /// Contour Data of index-space `(i, j)` corners on slice index `k`, in patient mm.
    fn on_slice(k: f64, corners: &[(f64, f64)]) -> Vec<f64> {
        corners
            .iter()
            .flat_map(|&(i, j)| [-2.0 + 0.5 * i, 1.0 + j, 10.0 + 2.0 * k])
            .collect()
    }

    fn square(k: f64, (i0, j0): (f64, f64), (i1, j1): (f64, f64)) -> Vec<f64> {
        on_slice(k, &[(i0, j0), (i1, j0), (i1, j1), (i0, j1)])
    }

    fn text(tag: (u16, u16), vr: VR, value: &str) -> DataElement<InMemDicomObject> {
        DataElement::new(Tag(tag.0, tag.1), vr, PrimitiveValue::from(value))
    }

    fn sequence(tag: (u16, u16), items: Vec<InMemDicomObject>) -> DataElement<InMemDicomObject> {
        DataElement::new(Tag(tag.0, tag.1), VR::SQ, DataSetSequence::from(items))
    }

    fn numbers(values: &[f64]) -> String {
        values
            .iter()
            .map(|v| format!("{v}"))
            .collect::<Vec<_>>()
            .join("\\")
    }

    /// A contour item; `None` fields are left out, to test malformed files.
    fn contour(kind: Option<&str>, data: Option<&str>) -> InMemDicomObject {
        let mut item = InMemDicomObject::new_empty();
        if let Some(kind) = kind {
            item.put(text(CONTOUR_GEOMETRIC_TYPE.tag, VR::CS, kind));
        }
        if let Some(data) = data {
            item.put(text(CONTOUR_DATA.tag, VR::DS, data));
        }
        item
    }

    fn closed(data: &[f64]) -> InMemDicomObject {
        contour(Some("CLOSED_PLANAR"), Some(&numbers(data)))
    }

    /// An RTSTRUCT with `rois` as (number, name, contour items), written to Part 10
    /// bytes and parsed back as medprep reads files.
    fn rtstruct(rois: Vec<(i64, &str, Vec<InMemDicomObject>)>, frame: Option<&str>) -> DicomFile {
        let mut obj = InMemDicomObject::new_empty();
        obj.put(text(
            (0x0008, 0x0016),
            VR::UI,
            "1.2.840.10008.5.1.4.1.1.481.3",
        ));
        obj.put(text((0x0008, 0x0018), VR::UI, "2.25.7"));
        obj.put(text((0x0008, 0x0060), VR::CS, "RTSTRUCT"));
        let mut referenced = InMemDicomObject::new_empty();
        if let Some(frame) = frame {
            referenced.put(text(FRAME_OF_REFERENCE_UID.tag, VR::UI, frame));
        }
        let mut series = InMemDicomObject::new_empty();
        series.put(text(SERIES_INSTANCE_UID.tag, VR::UI, "2.25.99"));
        let mut study = InMemDicomObject::new_empty();
        study.put(sequence(RT_REFERENCED_SERIES_SEQUENCE.tag, vec![series]));
        referenced.put(sequence(RT_REFERENCED_STUDY_SEQUENCE.tag, vec![study]));
        obj.put(sequence(
            REFERENCED_FRAME_OF_REFERENCE_SEQUENCE.tag,
            vec![referenced],
        ));
        let mut set_items = Vec::new();
        let mut contour_items = Vec::new();
        for (number, name, contours) in rois {
            let mut roi = InMemDicomObject::new_empty();
            roi.put(text(ROI_NUMBER.tag, VR::IS, &number.to_string()));
            roi.put(text(ROI_NAME.tag, VR::LO, name));
            set_items.push(roi);
            let mut item = InMemDicomObject::new_empty();
            item.put(text(REFERENCED_ROI_NUMBER.tag, VR::IS, &number.to_string()));
            item.put(sequence(CONTOUR_SEQUENCE.tag, contours));
            contour_items.push(item);
        }
        obj.put(sequence(STRUCTURE_SET_ROI_SEQUENCE.tag, set_items));
        obj.put(sequence(ROI_CONTOUR_SEQUENCE.tag, contour_items));
        let meta = FileMetaTableBuilder::new()
            .media_storage_sop_class_uid("1.2.840.10008.5.1.4.1.1.481.3")
            .media_storage_sop_instance_uid("2.25.7")
            .transfer_syntax("1.2.840.10008.1.2.1")
            .build()
            .expect("complete file meta group");
        let mut bytes = Vec::new();
        obj.with_exact_meta(meta)
            .write_all(&mut bytes)
            .expect("writable test file");
        DicomFile::header_from_bytes("rs.dcm", &bytes).expect("a parsable test file")
    }

    fn one_roi(contours: Vec<InMemDicomObject>) -> Roi {
        let set = StructureSet::read(&rtstruct(vec![(1, "GTV", contours)], None))
            .expect("a valid structure set");
        set.rois.into_iter().next().expect("one ROI")
    }

    fn mask(contours: Vec<InMemDicomObject>) -> Result<Mask, MaskError> {
        one_roi(contours).rasterise(&grid())
    }

    /// The (x, y, z) indices inside, sorted as the flat z-major order gives them.
    fn inside(mask: &Mask) -> Vec<(usize, usize, usize)> {
        mask.view()
            .indexed_iter()
            .filter(|(_, &v)| v)
            .map(|((z, y, x), _)| (x, y, z))
            .collect()
    }

    fn rect(
        xs: std::ops::Range<usize>,
        ys: std::ops::Range<usize>,
        z: usize,
    ) -> Vec<(usize, usize, usize)> {
        let mut out: Vec<_> = ys
            .flat_map(|y| xs.clone().map(move |x| (x, y, z)))
            .collect();
        out.sort_by_key(|&(x, y, z)| (z, y, x));
        out
    }

    #[test]
    fn a_square_covers_the_centres_on_its_lower_edges_and_inside() {
        // Corners x 1.5..4.5, y 2..5 on slice 1: centres x 2, 3, 4 and rows 2, 3, 4
        // (row 5 lies on the upper edge, which is open).
        let m = mask(vec![closed(&square(1.0, (1.5, 2.0), (4.5, 5.0)))]).expect("a mask");
        assert_eq!(inside(&m), rect(2..5, 2..5, 1));
        assert_eq!(m.roi, "GTV");
        assert_eq!(m.grid, grid());
    }

    #[test]
    fn a_triangle_covers_the_centres_below_its_hypotenuse() {
        // (0,0), (8,0), (0,8): row y crosses the left edge at 0 and the hypotenuse at
        // 8 - y, so centres 0 <= x < 8 - y: 8 + 7 + ... + 1 = 36 on rows 0..=7.
        let m = mask(vec![closed(&on_slice(
            0.0,
            &[(0.0, 0.0), (8.0, 0.0), (0.0, 8.0)],
        ))])
        .expect("a mask");
        let expected: Vec<_> = (0..8)
            .flat_map(|y| (0..8 - y).map(move |x| (x, y, 0)))
            .collect();
        assert_eq!(inside(&m), expected);
        assert_eq!(m.count(), 36);
    }

    #[test]
    fn two_contours_on_a_slice_add_up_and_slices_stay_apart() {
        let m = mask(vec![
            closed(&square(2.0, (0.5, 0.5), (2.5, 2.5))),
            closed(&square(2.0, (6.5, 4.5), (9.5, 6.5))),
            closed(&square(0.0, (0.0, 0.0), (1.0, 1.0))),
        ])
        .expect("a mask");
        let mut expected = rect(1..3, 1..3, 2);
        expected.extend(rect(7..10, 5..7, 2));
        expected.extend(rect(0..1, 0..1, 0));
        expected.sort_by_key(|&(x, y, z)| (z, y, x));
        assert_eq!(inside(&m), expected);
    }

    #[test]
    fn a_contour_inside_another_is_a_hole() {
        // Outer: centres x 1..=8, y 1..=6 (48); inner: x 3..=5, y 3..=4 (6): 42 left.
        let m = mask(vec![
            closed(&square(1.0, (0.5, 0.5), (8.5, 6.5))),
            closed(&square(1.0, (2.5, 2.5), (5.5, 4.5))),
        ])
        .expect("a mask");
        assert_eq!(m.count(), 42);
        let view = m.view();
        assert!(view[[1, 1, 1]] && view[[1, 6, 8]] && view[[1, 2, 4]]);
        assert!(!view[[1, 3, 3]] && !view[[1, 4, 5]] && !view[[1, 3, 4]]);
    }

    #[test]
    fn a_centre_on_an_edge_shared_by_two_rois_belongs_to_exactly_one() {
        // Squares x 1..4 and 4..7 share the edge x = 4, rows 1..3 (both with centres on
        // the edge y = 1 and not on y = 3): the column x = 4 belongs to the right one.
        let set = StructureSet::read(&rtstruct(
            vec![
                (
                    1,
                    "left",
                    vec![closed(&square(0.0, (1.0, 1.0), (4.0, 3.0)))],
                ),
                (
                    2,
                    "right",
                    vec![closed(&square(0.0, (4.0, 1.0), (7.0, 3.0)))],
                ),
            ],
            None,
        ))
        .expect("a valid structure set");
        let left = set.rois[0].rasterise(&grid()).expect("a mask");
        let right = set.rois[1].rasterise(&grid()).expect("a mask");
        assert_eq!(inside(&left), rect(1..4, 1..3, 0));
        assert_eq!(inside(&right), rect(4..7, 1..3, 0));
        // A diamond with vertices on centres: (4,0), (6,2), (4,4), (2,2). Row 2 crosses
        // at 2 and 6 (the vertices are counted once each): x 2..=5; row 1: 3..=4
        // (crossings at 3 and 5); row 3 likewise; row 0 (the bottom vertex, both edges
        // above it) crosses at 4 twice: nothing. 4 + 2 + 2 = 8.
        let diamond = mask(vec![closed(&on_slice(
            0.0,
            &[(4.0, 0.0), (6.0, 2.0), (4.0, 4.0), (2.0, 2.0)],
        ))])
        .expect("a mask");
        let mut expected = rect(3..5, 1..2, 0);
        expected.extend(rect(2..6, 2..3, 0));
        expected.extend(rect(3..5, 3..4, 0));
        assert_eq!(inside(&diamond), expected);
    }

    #[test]
    fn contours_clip_at_the_grid_edges_and_snap_to_the_nearest_slice() {
        // x -5..3, y 6..20: centres x 0..=2, rows 6 and 7 (the grid has 8 rows); the
        // contour lies 0.4 slices below slice 0 and is assigned to it.
        let m = mask(vec![closed(&square(-0.4, (-5.0, 6.0), (3.0, 20.0)))]).expect("a mask");
        assert_eq!(inside(&m), rect(0..3, 6..8, 0));
    }

    #[test]
    fn a_contour_beyond_the_last_slice_is_outside_the_grid() {
        // Slice index 2.6 rounds to 3, one past the last of 3 slices; z = 10 + 2 * 2.6.
        let err = mask(vec![closed(&square(2.6, (1.0, 1.0), (3.0, 3.0)))]).err();
        match err {
            Some(MaskError::OutsideGrid {
                roi,
                z,
                index,
                slices,
            }) => {
                assert_eq!((roi.as_str(), slices), ("GTV", 3));
                assert!(
                    (z - 15.2).abs() < 1e-9 && (index - 2.6).abs() < 1e-9,
                    "{z} {index}"
                );
            }
            other => panic!("expected OutsideGrid, got {other:?}"),
        }
    }

    #[test]
    fn a_tilted_contour_is_refused() {
        let mut data = square(1.0, (1.0, 1.0), (3.0, 3.0));
        data[2] += 0.5; // the first point 0.25 slices above the others
        let err = mask(vec![closed(&data)]).err();
        assert!(
            matches!(err, Some(MaskError::NotParallel { spread, .. }) if (spread - 0.25).abs() < 1e-9),
            "{err:?}"
        );
    }

    #[test]
    fn empty_rois_are_errors_and_ignored_contours_are_reported() {
        // Beside the grid (x 20..25 of 12 columns).
        let beside = mask(vec![closed(&square(0.0, (20.0, 1.0), (25.0, 3.0)))]).err();
        assert!(matches!(beside, Some(MaskError::EmptyRoi { roi }) if roi == "GTV"));
        assert!(matches!(mask(Vec::new()), Err(MaskError::EmptyRoi { .. })));
        // Smaller than a voxel, between centres.
        let tiny = mask(vec![closed(&square(0.0, (1.2, 1.2), (1.8, 1.8)))]).err();
        assert!(matches!(tiny, Some(MaskError::EmptyRoi { .. })));
        let roi = one_roi(vec![
            contour(Some("POINT"), Some(&numbers(&on_slice(0.0, &[(1.0, 1.0)])))),
            contour(Some("POINT"), Some(&numbers(&on_slice(0.0, &[(2.0, 1.0)])))),
            contour(
                Some("OPEN_PLANAR"),
                Some(&numbers(&on_slice(0.0, &[(1.0, 1.0), (5.0, 5.0)]))),
            ),
            closed(&square(0.0, (1.0, 1.0), (3.0, 3.0))),
        ]);
        assert_eq!(roi.contour_count(), 1);
        assert_eq!(
            roi.warnings(),
            [
                r#"ROI "GTV": 2 POINT contour(s) enclose no area and were left out of the mask"#,
                r#"ROI "GTV": 1 OPEN_PLANAR contour(s) enclose no area and were left out of the mask"#,
            ]
        );
        assert_eq!(roi.rasterise(&grid()).map(|m| m.count()).ok(), Some(4));
    }

    #[test]
    fn frames_of_reference_and_series_are_read_and_compared() {
        let set = StructureSet::read(&rtstruct(
            vec![(1, "GTV", vec![closed(&square(0.0, (1.0, 1.0), (3.0, 3.0)))])],
            Some("1.2.3.4"),
        ))
        .expect("a valid structure set");
        assert_eq!(set.frame_of_reference.as_deref(), Some("1.2.3.4"));
        assert_eq!(set.referenced_series.as_deref(), Some("2.25.99"));
        let err = check_frame_of_reference(
            "rs.dcm",
            set.frame_of_reference.as_deref(),
            "ct/",
            Some("1.2.3.5"),
        );
        assert!(
            matches!(err, Err(MaskError::FrameOfReference { mask, image }) if mask == "rs.dcm" && image == "ct/")
        );
    }

    #[test]
    fn rois_are_chosen_by_number_or_name() {
        let square = || vec![closed(&square(0.0, (1.0, 1.0), (3.0, 3.0)))];
        let set = StructureSet::read(&rtstruct(
            vec![(4, "GTV", square()), (7, "Lung", square())],
            None,
        ))
        .expect("a valid structure set");
        let pick = |s: &str| {
            set.roi(&s.parse().unwrap_or_else(|e| match e {}))
                .map(|r| r.number)
        };
        assert_eq!(pick("7").ok(), Some(7));
        assert_eq!(pick("lung").ok(), Some(7));
        let err = pick("heart")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains(r#"4 "GTV", 7 "Lung""#), "{err}");
        assert!(
            matches!(set.only_roi(), Err(MaskError::AmbiguousRoi { candidates, .. }) if candidates.len() == 2)
        );
    }

    fn read_error(rois: Vec<(i64, &str, Vec<InMemDicomObject>)>) -> String {
        match StructureSet::read(&rtstruct(rois, None)) {
            Err(MaskError::Malformed(message)) => message,
            other => panic!("expected Malformed, got {other:?}"),
        }
    }

    #[test]
    fn malformed_structure_sets_are_errors_not_panics() {
        let missing = read_error(vec![(1, "GTV", vec![contour(Some("CLOSED_PLANAR"), None)])]);
        assert!(missing.contains("ContourData"), "{missing}");
        let odd = read_error(vec![(
            1,
            "GTV",
            vec![contour(Some("CLOSED_PLANAR"), Some("1\\2\\3\\4\\5\\6\\7"))],
        )]);
        assert!(odd.contains("7 numbers"), "{odd}");
        let untyped = read_error(vec![(1, "GTV", vec![contour(None, Some("1\\2\\3"))])]);
        assert!(untyped.contains("ContourGeometricType"), "{untyped}");
        let unknown = read_error(vec![(
            1,
            "GTV",
            vec![contour(Some("CIRCLE"), Some("1\\2\\3"))],
        )]);
        assert!(unknown.contains("CIRCLE"), "{unknown}");
        let letters = read_error(vec![(
            1,
            "GTV",
            vec![contour(Some("CLOSED_PLANAR"), Some("a\\b\\c"))],
        )]);
        assert!(letters.contains("ContourData"), "{letters}");
        let twice = read_error(vec![(1, "A", Vec::new()), (1, "B", Vec::new())]);
        assert!(twice.contains("two ROIs"), "{twice}");

        // A contour sequence for an ROI the structure set does not list.
        let mut file = rtstruct(vec![(1, "GTV", Vec::new())], None)
            .object()
            .clone();
        let mut stray = InMemDicomObject::new_empty();
        stray.put(text(REFERENCED_ROI_NUMBER.tag, VR::IS, "9"));
        file.put(sequence(ROI_CONTOUR_SEQUENCE.tag, vec![stray]));
        assert!(
            matches!(StructureSet::from_object(&file), Err(MaskError::Malformed(m)) if m.contains("number 9"))
        );
        // Not a structure set at all.
        file.remove_element(Tag(0x3006, 0x0020));
        assert!(
            matches!(StructureSet::from_object(&file), Err(MaskError::Malformed(m)) if m.contains("not an RT Structure Set"))
        );
    }

    #[test]
    fn grids_that_cannot_hold_a_mask_are_refused() {
        let roi = one_roi(vec![closed(&square(0.0, (1.0, 1.0), (3.0, 3.0)))]);
        let mut flat = grid();
        flat.spacing[2] = 0.0;
        assert!(matches!(
            roi.rasterise(&flat),
            Err(MaskError::InvalidGrid(_))
        ));
        let mut huge = grid();
        huge.size = [usize::MAX, 2, 1];
        assert!(matches!(
            roi.rasterise(&huge),
            Err(MaskError::InvalidGrid(_))
        ));
        let mut nan = grid();
        nan.origin[0] = f64::NAN;
        assert!(matches!(
            roi.rasterise(&nan),
            Err(MaskError::InvalidGrid(_))
        ));
    }
}
