//! Stored pixel values, exactly as `pydicom.Dataset.pixel_array` returns them.
//!
//! The steps follow pydicom 3: decode (native bytes, or a codec for encapsulated
//! syntaxes), put samples colour-by-pixel, correct unused high bits (or the
//! signedness of JPEG-LS / JPEG 2000 codestreams), and convert YCbCr to RGB.

use std::borrow::Cow;

use dicom_core::value::{PixelFragmentSequence, PrimitiveValue, Value};
use dicom_encoding::transfer_syntax::{Codec, TransferSyntaxIndex};
use dicom_encoding::TransferSyntax;
use dicom_object::{DefaultDicomObject, InMemDicomObject};
use dicom_transfer_syntax_registry::TransferSyntaxRegistry;

use super::attributes::{self as attr, DataSetExt};
use super::codecs::{declared, fragments, jpeg, rle};
use super::color;
use super::limits::Limits;
use super::metadata::number_of_frames;
use super::samples::{numpy_shape, Samples};
use super::transfer_syntax::Family;
use crate::error::ErrorKind;

/// Stored values of some or all frames of an image.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPixels {
    /// Samples in frame, row, column, sample order (colour-by-pixel).
    pub samples: Samples,
    /// Index of the first frame held, within the file.
    pub first_frame: u32,
    /// Number of frames held.
    pub frames: u32,
    /// Whether the frames form an axis of their own: all frames of a multi-frame file.
    pub frame_axis: bool,
    /// Rows per frame.
    pub rows: u32,
    /// Columns per frame.
    pub cols: u32,
    /// Samples per pixel (1 for grey, 3 for colour).
    pub samples_per_pixel: u16,
    /// Photometric interpretation of `samples`: `RGB` after a YCbCr conversion.
    pub photometric: String,
}

impl StoredPixels {
    /// Samples in one frame.
    pub fn frame_len(&self) -> usize {
        self.rows as usize * self.cols as usize * usize::from(self.samples_per_pixel)
    }

    /// The numpy shape pydicom gives this data: `(frames, rows, cols, samples)`, without
    /// the frame axis for a single-frame file or a single requested frame, and without
    /// the sample axis for one sample per pixel.
    pub fn shape(&self) -> Vec<usize> {
        numpy_shape(
            self.frame_axis,
            self.frames,
            self.rows,
            self.cols,
            self.samples_per_pixel,
        )
    }
}

/// Which frames to decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Frames {
    /// Every frame.
    #[default]
    All,
    /// One frame, zero-based.
    One(u32),
}

/// The Image Pixel module attributes that describe how samples are stored.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PixelFormat {
    pub rows: u32,
    pub cols: u32,
    pub frames: u32,
    pub samples_per_pixel: u16,
    pub bits_allocated: u16,
    pub bits_stored: u16,
    pub signed: bool,
    pub planar: bool,
    pub photometric: String,
}

impl PixelFormat {
    pub(crate) fn read(obj: &InMemDicomObject) -> Result<Self, ErrorKind> {
        let rows = obj.required_u16(attr::ROWS)?;
        let cols = obj.required_u16(attr::COLUMNS)?;
        let bits_allocated = obj.required_u16(attr::BITS_ALLOCATED)?;
        let bits_stored = obj.u16_of(attr::BITS_STORED)?.unwrap_or(bits_allocated);
        let samples_per_pixel = obj.u16_of(attr::SAMPLES_PER_PIXEL)?.unwrap_or(1);
        let photometric = obj
            .text(attr::PHOTOMETRIC_INTERPRETATION)
            .unwrap_or_else(|| {
                if samples_per_pixel == 1 {
                    "MONOCHROME2"
                } else {
                    "RGB"
                }
                .into()
            });
        let invalid = |attribute, value: u16, reason| ErrorKind::InvalidAttribute {
            attribute,
            value: value.to_string(),
            reason,
        };
        if rows == 0 {
            return Err(invalid(attr::ROWS, rows, "an image needs at least one row"));
        }
        if cols == 0 {
            return Err(invalid(
                attr::COLUMNS,
                cols,
                "an image needs at least one column",
            ));
        }
        if ![1, 8, 16, 32].contains(&bits_allocated) {
            return Err(invalid(
                attr::BITS_ALLOCATED,
                bits_allocated,
                "must be 1, 8, 16 or 32",
            ));
        }
        if bits_stored == 0 || bits_stored > bits_allocated {
            return Err(invalid(
                attr::BITS_STORED,
                bits_stored,
                "must be between 1 and Bits Allocated",
            ));
        }
        if samples_per_pixel != 1 && samples_per_pixel != 3 {
            return Err(invalid(
                attr::SAMPLES_PER_PIXEL,
                samples_per_pixel,
                "must be 1 or 3",
            ));
        }
        if bits_allocated == 1 && samples_per_pixel != 1 {
            return Err(ErrorKind::UnsupportedPixelFormat(
                "1-bit pixel data with more than one sample per pixel".into(),
            ));
        }
        Ok(Self {
            rows: rows.into(),
            cols: cols.into(),
            frames: number_of_frames(obj)?,
            samples_per_pixel,
            bits_allocated,
            bits_stored,
            signed: obj.u16_of(attr::PIXEL_REPRESENTATION)? == Some(1),
            planar: obj.u16_of(attr::PLANAR_CONFIGURATION)? == Some(1) && samples_per_pixel > 1,
            photometric,
        })
    }

    fn frame_pixels(&self) -> usize {
        self.rows as usize * self.cols as usize
    }

    /// Samples per frame once decoded (YBR_FULL_422 is expanded to full resolution).
    fn frame_samples(&self) -> usize {
        self.frame_pixels() * usize::from(self.samples_per_pixel)
    }

    /// Bits one native frame occupies in the data set.
    fn native_frame_bits(&self) -> u64 {
        let samples = if self.photometric == "YBR_FULL_422" && self.samples_per_pixel == 3 {
            self.frame_pixels() as u64 * 2
        } else {
            self.frame_samples() as u64
        };
        samples * u64::from(self.bits_allocated)
    }

    fn sample_bytes(&self) -> usize {
        usize::from(self.bits_allocated).div_ceil(8)
    }
}

/// Decodes the stored values of the selected frames. `native` is the Pixel Data value
/// when the caller located it in little-endian file bytes; otherwise it is read from `obj`.
pub(crate) fn decode(
    obj: &DefaultDicomObject,
    native: Option<&[u8]>,
    frames: Frames,
    limits: &Limits,
) -> Result<StoredPixels, ErrorKind> {
    let format = PixelFormat::read(obj)?;
    let selected = match frames {
        Frames::All => 0..format.frames,
        Frames::One(f) if f < format.frames => f..f + 1,
        Frames::One(frame) => {
            return Err(ErrorKind::FrameOutOfRange {
                frame,
                frames: format.frames,
            })
        }
    };
    let count = selected.end - selected.start;
    // Saturating: 2^32 frames of 65535 x 65535 x 3 samples overflow a u64.
    limits.check_samples(u64::from(count).saturating_mul(format.frame_samples() as u64))?;

    let uid = obj
        .meta()
        .transfer_syntax()
        .trim_end_matches('\0')
        .to_owned();
    let ts = TransferSyntaxRegistry
        .get(&uid)
        .ok_or_else(|| ErrorKind::UnknownTransferSyntax(uid.clone()))?;
    let family = Family::of(&uid);
    let (mut samples, photometric) = if let Some(bytes) = native {
        native_samples(bytes, &format, selected.clone())?
    } else {
        let pixel_data = obj
            .get(attr::PIXEL_DATA.dicom_tag())
            .ok_or(ErrorKind::NoPixelData)?;
        match pixel_data.value() {
            Value::Primitive(value) => {
                let bytes = native_bytes(
                    value,
                    ts.endianness() == dicom_encoding::Endianness::Big,
                    format.bits_allocated,
                );
                native_samples(&bytes, &format, selected.clone())?
            }
            Value::PixelSequence(sequence) => {
                encapsulated_samples(obj, ts, family, &format, sequence, selected.clone())?
            }
            Value::Sequence(_) => return Err(ErrorKind::NoPixelData),
        }
    };

    if matches!(
        family,
        Family::Native | Family::Rle | Family::Jpeg | Family::OtherEncapsulated
    ) && format.bits_stored < format.bits_allocated
    {
        samples.keep_low_bits(u32::from(format.bits_stored));
    }
    let photometric = match (&mut samples, photometric.as_str()) {
        (Samples::U8(values), "YBR_FULL" | "YBR_FULL_422") if format.samples_per_pixel == 3 => {
            color::ybr_full_to_rgb(values);
            "RGB".to_owned()
        }
        _ => photometric,
    };
    Ok(StoredPixels {
        samples,
        first_frame: selected.start,
        frames: count,
        frame_axis: frames == Frames::All && format.frames > 1,
        rows: format.rows,
        cols: format.cols,
        samples_per_pixel: format.samples_per_pixel,
        photometric,
    })
}

/// Decodes the selected frames of encapsulated pixel data, with the photometric
/// interpretation of the codec's output.
fn encapsulated_samples(
    obj: &DefaultDicomObject,
    ts: &TransferSyntax,
    family: Family,
    format: &PixelFormat,
    sequence: &PixelFragmentSequence<Vec<u8>>,
    selected: std::ops::Range<u32>,
) -> Result<(Samples, String), ErrorKind> {
    let frame_bytes = format.frame_samples() * format.sample_bytes();
    let mut bytes = Vec::with_capacity(selected.len() * frame_bytes);
    for frame in selected {
        let codec_error = |message| ErrorKind::Codec {
            frame,
            transfer_syntax: ts.name().to_owned(),
            message,
        };
        let decoded = decode_encapsulated_frame(obj, ts, family, format, sequence, frame)
            .map_err(codec_error)?;
        if decoded.len() < frame_bytes {
            return Err(codec_error(format!(
                "decoded {} bytes where the header requires {frame_bytes}",
                decoded.len()
            )));
        }
        bytes.extend_from_slice(&decoded[..frame_bytes]);
    }
    let mut samples = Samples::from_le_bytes(&bytes, format.bits_allocated, format.signed);
    correct_codestream_sign(&mut samples, format, family, sequence);
    let photometric = if family == Family::Rle {
        format.photometric.clone()
    } else {
        decoded_photometric(format)
    };
    Ok((samples, photometric))
}

/// Decodes one encapsulated frame into little-endian, colour-by-pixel sample bytes.
fn decode_encapsulated_frame(
    obj: &DefaultDicomObject,
    ts: &TransferSyntax,
    family: Family,
    format: &PixelFormat,
    sequence: &PixelFragmentSequence<Vec<u8>>,
    frame: u32,
) -> Result<Vec<u8>, String> {
    let encoded = || {
        fragments::frame(
            sequence.fragments(),
            sequence.offset_table(),
            format.frames,
            frame,
        )
        .ok_or_else(|| format!("no encapsulated data for frame {frame}"))
    };
    match family {
        Family::Rle => rle::decode_frame(
            &encoded()?,
            format.frame_pixels(),
            usize::from(format.samples_per_pixel),
            format.sample_bytes(),
        ),
        Family::Jpeg => {
            let encoded = encoded()?;
            let colour = if format.photometric == "RGB" && !jpeg::declares_colour_space(&encoded) {
                jpeg::Colour::AsStored
            } else {
                jpeg::Colour::ToRgb
            };
            jpeg::decode_frame(
                &encoded,
                colour,
                format.sample_bytes(),
                format.frame_samples(),
            )
        }
        _ => {
            let Codec::EncapsulatedPixelData(Some(reader), _) = ts.codec() else {
                return Err(format!("no decoder for {}", ts.name()));
            };
            let declared = match family {
                Family::JpegLs => declared::jpeg_ls_samples(&encoded()?),
                Family::Jpeg2000 => declared::jpeg_2000_samples(&encoded()?),
                _ => None,
            };
            let frame_samples = format.frame_samples() as u128;
            if let Some(declared) = declared.filter(|&d| d > frame_samples) {
                return Err(format!(
                    "the codestream declares {declared} samples, more than the {frame_samples} of the frame"
                ));
            }
            let mut bytes = Vec::new();
            reader
                .decode_frame(obj, frame, &mut bytes)
                .map_err(|e| e.to_string())?;
            Ok(bytes)
        }
    }
}

/// Native pixel data as little-endian sample bytes, borrowed where the parser's values allow.
fn native_bytes(value: &PrimitiveValue, big_endian: bool, bits_allocated: u16) -> Cow<'_, [u8]> {
    match value {
        PrimitiveValue::U8(bytes) => Cow::Borrowed(bytes.as_slice()),
        // 32-bit samples read as OW words: the parser swapped each 16-bit half on its
        // own, so in a big-endian file the two halves of each sample are in the wrong order.
        PrimitiveValue::U16(words) if big_endian && bits_allocated == 32 => Cow::Owned(
            words
                .chunks(2)
                .flat_map(|pair| {
                    let (hi, lo) = (pair[0], pair.get(1).copied().unwrap_or(0));
                    (u32::from(hi) << 16 | u32::from(lo)).to_le_bytes()
                })
                .collect(),
        ),
        #[cfg(target_endian = "little")]
        PrimitiveValue::U16(words) => Cow::Borrowed(bytemuck::cast_slice(words.as_slice())),
        other => other.to_bytes(),
    }
}

/// Extracts the selected frames of native pixel data into typed, colour-by-pixel samples.
fn native_samples(
    bytes: &[u8],
    format: &PixelFormat,
    selected: std::ops::Range<u32>,
) -> Result<(Samples, String), ErrorKind> {
    let frame_bits = format.native_frame_bits();
    // In u128: every frame the header declares is counted, not only the selected ones
    // (whose samples the limit bounds), and 2^31 frames of 2^33 bits wrapped a u64 to
    // 0, which passed this check and left the frame's slice out of range, a panic.
    let required = (u128::from(format.frames) * u128::from(frame_bits)).div_ceil(8);
    if (bytes.len() as u128) < required {
        return Err(ErrorKind::PixelDataLength {
            expected: u64::try_from(required).unwrap_or(u64::MAX),
            actual: bytes.len() as u64,
        });
    }
    if format.bits_allocated == 1 {
        let first = u64::from(selected.start) * frame_bits;
        let count = u64::from(selected.end - selected.start) * frame_bits;
        let bits = (first..first + count).map(|bit| (bytes[(bit / 8) as usize] >> (bit % 8)) & 1);
        return Ok((Samples::U8(bits.collect()), format.photometric.clone()));
    }
    let frame_bytes = (frame_bits / 8) as usize;
    let range = selected.start as usize * frame_bytes..selected.end as usize * frame_bytes;
    let selected_bytes = &bytes[range];
    if format.photometric == "YBR_FULL_422" && format.samples_per_pixel == 3 {
        if format.bits_allocated != 8 {
            return Err(ErrorKind::UnsupportedPixelFormat(
                "YBR_FULL_422 with more than 8 bits per sample".into(),
            ));
        }
        return Ok((
            Samples::from_le_bytes(&color::expand_422(selected_bytes), 8, format.signed),
            format.photometric.clone(),
        ));
    }
    let mut samples = Samples::from_le_bytes(selected_bytes, format.bits_allocated, format.signed);
    if format.planar {
        samples.interleave_planes(format.frame_pixels(), usize::from(format.samples_per_pixel));
    }
    Ok((samples, format.photometric.clone()))
}

/// The photometric interpretation of a codec's output: colour codecs (JPEG, JPEG-LS,
/// JPEG 2000) undo their colour transform themselves and hand back RGB.
fn decoded_photometric(format: &PixelFormat) -> String {
    if format.samples_per_pixel == 3 {
        "RGB".to_owned()
    } else {
        format.photometric.clone()
    }
}

/// JPEG-LS has no notion of signed samples and JPEG 2000 codestreams may disagree
/// with Pixel Representation; pydicom reinterprets the low `precision` bits in both
/// cases, and so does medprep.
fn correct_codestream_sign(
    samples: &mut Samples,
    format: &PixelFormat,
    family: Family,
    sequence: &PixelFragmentSequence<Vec<u8>>,
) {
    let first_fragment = sequence
        .fragments()
        .first()
        .map(Vec::as_slice)
        .unwrap_or_default();
    match family {
        Family::JpegLs if format.signed => {
            let precision =
                codestream::jpeg_ls_precision(first_fragment).unwrap_or(format.bits_stored.into());
            samples.keep_low_bits(precision);
        }
        Family::Jpeg2000 if format.photometric.starts_with("MONOCHROME") => {
            let (signed, precision) = codestream::jpeg2000_sign_precision(first_fragment)
                .unwrap_or((format.signed, format.bits_stored.into()));
            if signed != format.signed {
                samples.keep_low_bits(precision);
            }
        }
        _ => {}
    }
}

mod codestream {
    //! Just enough of the JPEG-LS and JPEG 2000 headers to read sample precision and sign.

    /// Sample precision P from the JPEG-LS frame header (SOF55, `FF F7`).
    pub(super) fn jpeg_ls_precision(stream: &[u8]) -> Option<u32> {
        let at = find(stream, &[0xFF, 0xF7])?;
        stream.get(at + 4).map(|&p| u32::from(p))
    }

    /// Signedness and precision of component 0 from the JPEG 2000 SIZ segment (`FF 51`).
    pub(super) fn jpeg2000_sign_precision(stream: &[u8]) -> Option<(bool, u32)> {
        let at = find(stream, &[0xFF, 0x4F, 0xFF, 0x51])?;
        let ssiz = *stream.get(at + 42)?;
        Some((ssiz & 0x80 != 0, u32::from(ssiz & 0x7F) + 1))
    }

    fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
        haystack.windows(needle.len()).position(|w| w == needle)
    }
}
