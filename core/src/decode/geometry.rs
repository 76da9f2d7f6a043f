//! Pixel spacing, position and orientation of an image.

use dicom_object::InMemDicomObject;
use serde::Serialize;

use super::attributes::{self as attr, DataSetExt};
use super::functional_groups::frame_item;
use crate::error::ErrorKind;

/// Where the pixels are in patient space. Every field is optional: secondary captures
/// and many X-ray images carry none of them.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Geometry {
    /// Distance between pixel centres in mm as `[row spacing, column spacing]`
    /// (Pixel Spacing, else the Pixel Measures functional group, else Imager Pixel Spacing).
    pub pixel_spacing: Option<[f64; 2]>,
    /// Slice Thickness in mm.
    pub slice_thickness: Option<f64>,
    /// Patient-space position of the centre of the first pixel (Image Position (Patient)).
    pub origin: Option<[f64; 3]>,
    /// Direction cosines of the first row and the first column (Image Orientation (Patient)).
    pub direction: Option<[f64; 6]>,
}

impl Geometry {
    pub(crate) fn read(obj: &InMemDicomObject) -> Result<Self, ErrorKind> {
        let measures = frame_item(obj, 0, attr::PIXEL_MEASURES_SEQUENCE);
        let position = frame_item(obj, 0, attr::PLANE_POSITION_SEQUENCE);
        let orientation = frame_item(obj, 0, attr::PLANE_ORIENTATION_SEQUENCE);
        let from = |item: Option<&InMemDicomObject>, a| -> Result<Option<Vec<f64>>, ErrorKind> {
            match obj.f64s_of(a)? {
                Some(v) => Ok(Some(v)),
                None => item.map(|i| i.f64s_of(a)).transpose().map(Option::flatten),
            }
        };
        let pixel_spacing = match from(measures, attr::PIXEL_SPACING)? {
            Some(v) => Some(v),
            None => obj.f64s_of(attr::IMAGER_PIXEL_SPACING)?,
        };
        Ok(Self {
            pixel_spacing: pixel_spacing
                .and_then(|v| array::<2>(&v))
                .filter(|s| s.iter().all(|x| *x > 0.0)),
            slice_thickness: from(measures, attr::SLICE_THICKNESS)?
                .and_then(|v| v.first().copied()),
            origin: from(position, attr::IMAGE_POSITION_PATIENT)?.and_then(|v| array::<3>(&v)),
            direction: from(orientation, attr::IMAGE_ORIENTATION_PATIENT)?
                .and_then(|v| array::<6>(&v)),
        })
    }
}

fn array<const N: usize>(values: &[f64]) -> Option<[f64; N]> {
    values.get(..N)?.try_into().ok()
}
