//! Reading typed attribute values from a data set, with errors that name the attribute.

use dicom_core::header::HasLength;
use dicom_core::{PrimitiveValue, Tag, VR};
use dicom_object::InMemDicomObject;

use crate::error::{Attribute, ErrorKind};

macro_rules! attributes {
    ($($name:ident = $keyword:literal ($group:literal, $element:literal);)*) => {
        $(
            #[doc = concat!("`", $keyword, "`")]
            pub(crate) const $name: Attribute = Attribute { keyword: $keyword, tag: ($group, $element) };
        )*
    };
}

attributes! {
    SOP_CLASS_UID = "SOPClassUID" (0x0008, 0x0016);
    SOP_INSTANCE_UID = "SOPInstanceUID" (0x0008, 0x0018);
    STUDY_DATE = "StudyDate" (0x0008, 0x0020);
    ACQUISITION_DATE = "AcquisitionDate" (0x0008, 0x0022);
    MODALITY = "Modality" (0x0008, 0x0060);
    PATIENT_ID = "PatientID" (0x0010, 0x0020);
    SLICE_THICKNESS = "SliceThickness" (0x0018, 0x0050);
    IMAGER_PIXEL_SPACING = "ImagerPixelSpacing" (0x0018, 0x1164);
    STUDY_INSTANCE_UID = "StudyInstanceUID" (0x0020, 0x000D);
    SERIES_INSTANCE_UID = "SeriesInstanceUID" (0x0020, 0x000E);
    IMAGE_POSITION_PATIENT = "ImagePositionPatient" (0x0020, 0x0032);
    IMAGE_ORIENTATION_PATIENT = "ImageOrientationPatient" (0x0020, 0x0037);
    SAMPLES_PER_PIXEL = "SamplesPerPixel" (0x0028, 0x0002);
    PHOTOMETRIC_INTERPRETATION = "PhotometricInterpretation" (0x0028, 0x0004);
    PLANAR_CONFIGURATION = "PlanarConfiguration" (0x0028, 0x0006);
    NUMBER_OF_FRAMES = "NumberOfFrames" (0x0028, 0x0008);
    ROWS = "Rows" (0x0028, 0x0010);
    COLUMNS = "Columns" (0x0028, 0x0011);
    PIXEL_SPACING = "PixelSpacing" (0x0028, 0x0030);
    BITS_ALLOCATED = "BitsAllocated" (0x0028, 0x0100);
    BITS_STORED = "BitsStored" (0x0028, 0x0101);
    PIXEL_REPRESENTATION = "PixelRepresentation" (0x0028, 0x0103);
    WINDOW_CENTER = "WindowCenter" (0x0028, 0x1050);
    WINDOW_WIDTH = "WindowWidth" (0x0028, 0x1051);
    RESCALE_INTERCEPT = "RescaleIntercept" (0x0028, 0x1052);
    RESCALE_SLOPE = "RescaleSlope" (0x0028, 0x1053);
    MODALITY_LUT_SEQUENCE = "ModalityLUTSequence" (0x0028, 0x3000);
    LUT_DESCRIPTOR = "LUTDescriptor" (0x0028, 0x3002);
    LUT_DATA = "LUTData" (0x0028, 0x3006);
    PIXEL_MEASURES_SEQUENCE = "PixelMeasuresSequence" (0x0028, 0x9110);
    FRAME_VOI_LUT_SEQUENCE = "FrameVOILUTSequence" (0x0028, 0x9132);
    PIXEL_VALUE_TRANSFORMATION_SEQUENCE = "PixelValueTransformationSequence" (0x0028, 0x9145);
    PLANE_POSITION_SEQUENCE = "PlanePositionSequence" (0x0020, 0x9113);
    PLANE_ORIENTATION_SEQUENCE = "PlaneOrientationSequence" (0x0020, 0x9116);
    SHARED_FUNCTIONAL_GROUPS_SEQUENCE = "SharedFunctionalGroupsSequence" (0x5200, 0x9229);
    PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE = "PerFrameFunctionalGroupsSequence" (0x5200, 0x9230);
    PIXEL_DATA = "PixelData" (0x7FE0, 0x0010);
}

impl Attribute {
    pub(crate) fn dicom_tag(self) -> Tag {
        Tag(self.tag.0, self.tag.1)
    }
}

/// A data set seen through medprep's needs: optional typed values, and errors naming the attribute.
pub(crate) trait DataSetExt {
    /// A non-empty element, if present.
    fn present(&self, attribute: Attribute) -> Option<&dicom_object::mem::InMemElement>;

    /// The first value as an unsigned 16-bit integer (US), if present.
    fn u16_of(&self, attribute: Attribute) -> Result<Option<u16>, ErrorKind> {
        self.i64_of(attribute)?
            .map(|v| {
                u16::try_from(v).map_err(|_| ErrorKind::InvalidAttribute {
                    attribute,
                    value: v.to_string(),
                    reason: "out of range for an unsigned 16-bit value",
                })
            })
            .transpose()
    }

    /// The first value as an integer (IS, US, UL…), if present.
    fn i64_of(&self, attribute: Attribute) -> Result<Option<i64>, ErrorKind> {
        self.present(attribute)
            .map(|e| match unknown_vr_bytes(e) {
                Some(bytes) => un_integer(bytes).ok_or_else(|| invalid(attribute, e, NotANumber)),
                None => e.to_int::<i64>().map_err(|err| invalid(attribute, e, err)),
            })
            .transpose()
    }

    /// All values as floating point numbers (DS, FD…), if present.
    fn f64s_of(&self, attribute: Attribute) -> Result<Option<Vec<f64>>, ErrorKind> {
        self.present(attribute)
            .map(|e| {
                match unknown_vr_bytes(e) {
                    Some(bytes) => {
                        un_numbers(bytes).ok_or_else(|| invalid(attribute, e, NotANumber))
                    }
                    None => e
                        .to_multi_float64()
                        .map_err(|err| invalid(attribute, e, err)),
                }
                .and_then(|values| {
                    if values.iter().all(|v| v.is_finite()) {
                        Ok(values)
                    } else {
                        Err(ErrorKind::InvalidAttribute {
                            attribute,
                            value: text_of(e),
                            reason: "not a finite number",
                        })
                    }
                })
            })
            .transpose()
    }

    /// The first value as a float, if present.
    fn f64_of(&self, attribute: Attribute) -> Result<Option<f64>, ErrorKind> {
        Ok(self.f64s_of(attribute)?.and_then(|v| v.first().copied()))
    }

    /// The value as trimmed text, if present and not blank.
    fn text(&self, attribute: Attribute) -> Option<String> {
        let e = self.present(attribute)?;
        let s = match unknown_vr_bytes(e) {
            Some(bytes) => String::from_utf8_lossy(bytes),
            None => e.to_str().ok()?,
        };
        let trimmed = s.trim_matches(|c: char| c == '\0' || c.is_whitespace());
        (!trimmed.is_empty()).then(|| trimmed.to_owned())
    }

    /// The items of a sequence, empty if absent.
    fn items(&self, attribute: Attribute) -> &[InMemDicomObject] {
        self.present(attribute)
            .and_then(|e| e.items())
            .unwrap_or_default()
    }

    /// A required unsigned 16-bit value.
    fn required_u16(&self, attribute: Attribute) -> Result<u16, ErrorKind> {
        self.u16_of(attribute)?
            .ok_or(ErrorKind::MissingAttribute(attribute))
    }
}

impl DataSetExt for InMemDicomObject {
    fn present(&self, attribute: Attribute) -> Option<&dicom_object::mem::InMemElement> {
        self.get(attribute.dicom_tag())
            .filter(|e| !e.value().primitive().is_some_and(|p| p.is_empty()))
    }
}

/// The raw bytes of an element read with VR UN (unknown), which explicit-VR files use
/// for attributes the writer did not know. pydicom reinterprets them by the dictionary's
/// VR; medprep does the same for the numbers it needs.
fn unknown_vr_bytes(e: &dicom_object::mem::InMemElement) -> Option<&[u8]> {
    match e.value() {
        dicom_core::DicomValue::Primitive(PrimitiveValue::U8(bytes)) if e.vr() == VR::UN => {
            Some(bytes)
        }
        _ => None,
    }
}

/// Numbers of an UN element: decimal strings (DS, IS) separated by backslashes.
fn un_numbers(bytes: &[u8]) -> Option<Vec<f64>> {
    let text = std::str::from_utf8(bytes).ok()?;
    text.trim_matches(|c: char| c == '\0' || c.is_whitespace())
        .split('\\')
        .map(|v| v.trim().parse::<f64>().ok())
        .collect()
}

/// An integer of an UN element: a decimal string (IS), else a little-endian US or UL.
fn un_integer(bytes: &[u8]) -> Option<i64> {
    if let Some(v) = un_numbers(bytes).and_then(|v| v.first().copied()) {
        return (v.fract() == 0.0).then_some(v as i64);
    }
    match *bytes {
        [a, b] => Some(i64::from(u16::from_le_bytes([a, b]))),
        [a, b, c, d] => Some(i64::from(u32::from_le_bytes([a, b, c, d]))),
        _ => None,
    }
}

#[derive(Debug, thiserror::Error)]
#[error("not a number")]
struct NotANumber;

/// The element's text for an error message, at most [`TEXT_IN_ERRORS`] bytes, cut at a
/// character boundary (a multi-byte character across the limit once made this panic;
/// found by fuzzing).
fn text_of(e: &dicom_object::mem::InMemElement) -> String {
    let mut s = e.to_str().map(|s| s.into_owned()).unwrap_or_default();
    let end = (0..=TEXT_IN_ERRORS.min(s.len()))
        .rev()
        .find(|&i| s.is_char_boundary(i))
        .unwrap_or(0);
    s.truncate(end);
    s
}

/// How much of a malformed value an error message quotes.
const TEXT_IN_ERRORS: usize = 64;

fn invalid(
    attribute: Attribute,
    e: &dicom_object::mem::InMemElement,
    _err: impl std::error::Error,
) -> ErrorKind {
    ErrorKind::InvalidAttribute {
        attribute,
        value: text_of(e),
        reason: "not a number of the expected kind",
    }
}
