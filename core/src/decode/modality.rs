//! The modality LUT: stored values to physical units (Hounsfield units for CT).
//!
//! `value = stored * RescaleSlope + RescaleIntercept`, evaluated in f64 and rounded
//! once to f32, exactly as `pydicom.pixels.apply_modality_lut` followed by a cast.
//! Enhanced multi-frame images carry the rescale per frame in functional groups.

use std::ops::Range;

use dicom_object::InMemDicomObject;
use serde::Serialize;

use super::attributes::{self as attr, DataSetExt};
use super::functional_groups::frame_item;
use super::samples::Samples;
use crate::error::ErrorKind;

/// A linear rescale from stored values to output units.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rescale {
    /// Rescale Slope (0028,1053).
    pub slope: f64,
    /// Rescale Intercept (0028,1052).
    pub intercept: f64,
}

impl Rescale {
    /// The rescale that applies to `frame`: top-level attributes (both must be present,
    /// as pydicom requires), else the frame's Pixel Value Transformation functional group.
    pub(crate) fn for_frame(obj: &InMemDicomObject, frame: u32) -> Result<Option<Self>, ErrorKind> {
        if let Some(rescale) = Self::from_item(obj)? {
            return Ok(Some(rescale));
        }
        match frame_item(obj, frame, attr::PIXEL_VALUE_TRANSFORMATION_SEQUENCE) {
            Some(item) => Self::from_item(item),
            None => Ok(None),
        }
    }

    fn from_item(item: &InMemDicomObject) -> Result<Option<Self>, ErrorKind> {
        match (
            item.f64_of(attr::RESCALE_SLOPE)?,
            item.f64_of(attr::RESCALE_INTERCEPT)?,
        ) {
            (Some(slope), Some(intercept)) => Ok(Some(Self { slope, intercept })),
            _ => Ok(None),
        }
    }
}

/// The modality transform of an image.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ModalityLut {
    /// Stored values are already in output units.
    Identity,
    /// One linear rescale per decoded frame, in order.
    Rescale(Vec<Option<Rescale>>),
    /// A lookup table (Modality LUT Sequence).
    Table {
        /// The stored value mapped to the first entry.
        first_mapped: i64,
        /// The table entries.
        entries: Vec<u16>,
    },
}

impl ModalityLut {
    /// The transform of `frames`, the frames decoded. Rescales are read for those frames
    /// only: a header may declare billions of frames while one is decoded.
    pub(crate) fn read(
        obj: &InMemDicomObject,
        frames: Range<u32>,
        signed: bool,
    ) -> Result<Self, ErrorKind> {
        if let Some(item) = obj.items(attr::MODALITY_LUT_SEQUENCE).first() {
            return Self::table(item, signed);
        }
        let per_frame = frames
            .map(|frame| Rescale::for_frame(obj, frame))
            .collect::<Result<Vec<_>, _>>()?;
        if per_frame.iter().all(Option::is_none) {
            Ok(Self::Identity)
        } else {
            Ok(Self::Rescale(per_frame))
        }
    }

    fn table(item: &InMemDicomObject, signed: bool) -> Result<Self, ErrorKind> {
        let descriptor = item
            .present(attr::LUT_DESCRIPTOR)
            .ok_or(ErrorKind::MissingAttribute(attr::LUT_DESCRIPTOR))?;
        let not_three = |value: String| ErrorKind::InvalidAttribute {
            attribute: attr::LUT_DESCRIPTOR,
            value,
            reason: "must hold three integers",
        };
        let [count, first, _bits] = <[i64; 3]>::try_from(
            descriptor
                .to_multi_int::<i64>()
                .map_err(|_| not_three(format!("{:?}", descriptor.vr())))?,
        )
        .map_err(|values| not_three(format!("{} values", values.len())))?;
        // LUT Descriptor is US or SS depending on Pixel Representation (PS3.3 C.11.1.1).
        let first_mapped = if signed && first > i64::from(i16::MAX) {
            first - 65536
        } else {
            first
        };
        let length = match count {
            0 => 65536,
            1..=65535 => count as usize,
            _ => {
                return Err(ErrorKind::InvalidAttribute {
                    attribute: attr::LUT_DESCRIPTOR,
                    value: count.to_string(),
                    reason: "the entry count must be 0 (for 65536) to 65535",
                })
            }
        };
        let entries = item
            .present(attr::LUT_DATA)
            .ok_or(ErrorKind::MissingAttribute(attr::LUT_DATA))?
            .to_multi_int::<u16>()
            .map_err(|_| ErrorKind::InvalidAttribute {
                attribute: attr::LUT_DATA,
                value: String::new(),
                reason: "must hold 16-bit entries",
            })?;
        if entries.len() < length {
            return Err(ErrorKind::InvalidAttribute {
                attribute: attr::LUT_DATA,
                value: format!("{} entries", entries.len()),
                reason: "shorter than LUT Descriptor's entry count",
            });
        }
        Ok(Self::Table {
            first_mapped,
            entries: entries[..length].to_vec(),
        })
    }

    /// Applies the transform to the stored `samples` of the frames it was read for,
    /// `per_frame` samples each, frame by frame, giving f32 output.
    pub(crate) fn apply(&self, samples: &Samples, per_frame: usize) -> Vec<f32> {
        let mut out = vec![0.0f32; samples.len()];
        for (i, chunk) in out.chunks_mut(per_frame.max(1)).enumerate() {
            let start = i * per_frame;
            match self {
                Self::Identity => samples.map_into(start, chunk, |v| v as f32),
                Self::Rescale(rescales) => match rescales.get(i).copied().flatten() {
                    Some(Rescale { slope, intercept }) => {
                        samples.map_into(start, chunk, |v| (v * slope + intercept) as f32)
                    }
                    None => samples.map_into(start, chunk, |v| v as f32),
                },
                Self::Table {
                    first_mapped,
                    entries,
                } => {
                    let last = entries.len() as i64 - 1;
                    samples.map_into(start, chunk, |v| {
                        let index = (v as i64 - first_mapped).clamp(0, last);
                        f32::from(entries[index as usize])
                    })
                }
            }
        }
        out
    }
}
