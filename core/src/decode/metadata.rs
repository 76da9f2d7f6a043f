//! Header fields that tables need, read without touching pixel data.

use dicom_object::InMemDicomObject;
use serde::Serialize;

use super::attributes::{self as attr, DataSetExt};
use super::geometry::Geometry;
use super::modality::Rescale;
use crate::error::ErrorKind;

/// Descriptive header fields of one DICOM image.
///
/// Identifiers (`patient_id`, UIDs) are sensitive: callers must not log them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metadata {
    /// Patient ID (0010,0020).
    pub patient_id: Option<String>,
    /// Study Instance UID (0020,000D).
    pub study_instance_uid: Option<String>,
    /// Series Instance UID (0020,000E).
    pub series_instance_uid: Option<String>,
    /// SOP Instance UID (0008,0018).
    pub sop_instance_uid: Option<String>,
    /// SOP Class UID (0008,0016).
    pub sop_class_uid: Option<String>,
    /// Modality (0008,0060), e.g. `CT`.
    pub modality: Option<String>,
    /// Study Date (0008,0020).
    pub study_date: Option<Date>,
    /// Acquisition Date (0008,0022).
    pub acquisition_date: Option<Date>,
    /// Rows (0028,0010).
    pub rows: u32,
    /// Columns (0028,0011).
    pub cols: u32,
    /// Number of Frames (0028,0008), 1 when absent.
    pub frames: u32,
    /// Samples per Pixel (0028,0002).
    pub samples_per_pixel: u16,
    /// Bits Allocated (0028,0100).
    pub bits_allocated: u16,
    /// Bits Stored (0028,0101).
    pub bits_stored: u16,
    /// Whether stored values are signed: Pixel Representation (0028,0103) is 1.
    pub signed: bool,
    /// Photometric Interpretation (0028,0004) as written in the header.
    pub photometric_interpretation: Option<String>,
    /// Window Center (0028,1050), one per window (top level or first frame's functional group).
    pub window_center: Vec<f64>,
    /// Window Width (0028,1051), one per window.
    pub window_width: Vec<f64>,
    /// Rescale of the first frame (top level or functional groups), if any.
    pub rescale: Option<Rescale>,
    /// Transfer Syntax UID of the file.
    pub transfer_syntax: String,
    /// Human-readable name of the transfer syntax.
    pub transfer_syntax_name: String,
    /// Spatial geometry.
    pub geometry: Geometry,
}

impl Metadata {
    pub(crate) fn read(obj: &InMemDicomObject, transfer_syntax: &str) -> Result<Self, ErrorKind> {
        let frames = number_of_frames(obj)?;
        let voi = super::functional_groups::frame_item(obj, 0, attr::FRAME_VOI_LUT_SEQUENCE);
        let window_source = if obj.present(attr::WINDOW_CENTER).is_some() {
            obj
        } else {
            voi.unwrap_or(obj)
        };
        Ok(Self {
            patient_id: obj.text(attr::PATIENT_ID),
            study_instance_uid: obj.text(attr::STUDY_INSTANCE_UID),
            series_instance_uid: obj.text(attr::SERIES_INSTANCE_UID),
            sop_instance_uid: obj.text(attr::SOP_INSTANCE_UID),
            sop_class_uid: obj.text(attr::SOP_CLASS_UID),
            modality: obj.text(attr::MODALITY),
            study_date: obj.text(attr::STUDY_DATE).and_then(|s| Date::parse_da(&s)),
            acquisition_date: obj
                .text(attr::ACQUISITION_DATE)
                .and_then(|s| Date::parse_da(&s)),
            rows: obj.u16_of(attr::ROWS)?.unwrap_or(0).into(),
            cols: obj.u16_of(attr::COLUMNS)?.unwrap_or(0).into(),
            frames,
            samples_per_pixel: obj.u16_of(attr::SAMPLES_PER_PIXEL)?.unwrap_or(1),
            bits_allocated: obj.u16_of(attr::BITS_ALLOCATED)?.unwrap_or(0),
            bits_stored: obj.u16_of(attr::BITS_STORED)?.unwrap_or(0),
            signed: obj.u16_of(attr::PIXEL_REPRESENTATION)? == Some(1),
            photometric_interpretation: obj.text(attr::PHOTOMETRIC_INTERPRETATION),
            window_center: window_source
                .f64s_of(attr::WINDOW_CENTER)?
                .unwrap_or_default(),
            window_width: window_source
                .f64s_of(attr::WINDOW_WIDTH)?
                .unwrap_or_default(),
            rescale: Rescale::for_frame(obj, 0)?,
            transfer_syntax: transfer_syntax.to_owned(),
            transfer_syntax_name: super::transfer_syntax::name(transfer_syntax),
            geometry: Geometry::read(obj)?,
        })
    }
}

/// Number of Frames, 1 when absent; zero or negative values are invalid.
pub(crate) fn number_of_frames(obj: &InMemDicomObject) -> Result<u32, ErrorKind> {
    match obj.i64_of(attr::NUMBER_OF_FRAMES)? {
        None => Ok(1),
        Some(n) if n >= 1 && n <= i64::from(u32::MAX) => Ok(n as u32),
        Some(n) => Err(ErrorKind::InvalidAttribute {
            attribute: attr::NUMBER_OF_FRAMES,
            value: n.to_string(),
            reason: "must be at least 1",
        }),
    }
}

/// A calendar date from a DICOM DA value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// Year, e.g. 2024.
    pub year: u16,
    /// Month, 1 to 12.
    pub month: u8,
    /// Day of month, 1 to 31.
    pub day: u8,
}

impl Date {
    /// Parses `YYYYMMDD` (and the legacy ACR-NEMA `YYYY.MM.DD`); anything else is `None`.
    pub fn parse_da(text: &str) -> Option<Self> {
        let digits: String = text.chars().filter(|c| *c != '.').collect();
        if digits.len() != 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let year: u16 = digits[0..4].parse().ok()?;
        let month: u8 = digits[4..6].parse().ok()?;
        let day: u8 = digits[6..8].parse().ok()?;
        let valid = (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month);
        valid.then_some(Self { year, month, day })
    }
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        _ => 31,
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::Date;

    #[test]
    fn parses_dicom_dates_and_rejects_impossible_ones() {
        assert_eq!(
            Date::parse_da("20240229"),
            Some(Date {
                year: 2024,
                month: 2,
                day: 29
            })
        );
        assert_eq!(
            Date::parse_da("1999.12.31").map(|d| d.to_string()),
            Some("1999-12-31".into())
        );
        assert_eq!(Date::parse_da("20230229"), None);
        assert_eq!(Date::parse_da("20241301"), None);
        assert_eq!(Date::parse_da("2024010"), None);
        assert_eq!(Date::parse_da(""), None);
    }
}
