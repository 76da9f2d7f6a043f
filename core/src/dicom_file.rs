//! Opening DICOM files and in-memory DICOM bytes.

use std::fs::File;
use std::io::{Cursor, Read};
use std::ops::Range;
use std::path::Path;

use dicom_encoding::transfer_syntax::{Codec, TransferSyntaxIndex};
use dicom_encoding::Endianness;
use dicom_object::file::ReadPreamble;
use dicom_object::meta::FileMetaTable;
use dicom_object::{DefaultDicomObject, OpenFileOptions};
use dicom_transfer_syntax_registry::TransferSyntaxRegistry;

use crate::attributes as attr;
use crate::element_walk::{self, Encoding};
use crate::error::{Error, ErrorKind, Result};
use crate::image::Image;
use crate::limits::Limits;
use crate::metadata::Metadata;
use crate::modality::ModalityLut;
use crate::pixels::{self, Frames, StoredPixels};

/// Bytes read up front to recognise a DICOM file (preamble, marker and file meta group).
const HEAD_LEN: usize = 64 * 1024;
const PREAMBLE_LEN: usize = 128;

/// A parsed DICOM file: its data set, and the name errors refer to it by.
#[derive(Debug)]
pub struct DicomFile {
    name: String,
    object: DefaultDicomObject,
    pixels: PixelSource,
}

/// Where the pixel data of a [`DicomFile`] is.
#[derive(Debug)]
enum PixelSource {
    /// Only the header was read.
    NotRead,
    /// In the parsed object (compressed, big-endian or deflated data, or none at all).
    Parsed,
    /// Native little-endian data left in the file bytes (see `element_walk`).
    InBytes { bytes: Vec<u8>, value: Range<usize> },
}

impl DicomFile {
    /// Reads and parses a whole DICOM file (Part 10: preamble or not, then `DICM`).
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| Error::new(&name, e.into()))?;
        Self::from_vec(name, bytes)
    }

    /// Parses DICOM file bytes held in memory; `name` is used in error messages.
    /// [`DicomFile::from_vec`] avoids a copy when the bytes are already owned.
    pub fn from_bytes(name: impl Into<String>, bytes: &[u8]) -> Result<Self> {
        Self::from_vec(name, bytes.to_vec())
    }

    /// Parses DICOM file bytes, keeping them: native little-endian pixel data is then
    /// decoded straight from these bytes, without an intermediate copy.
    pub fn from_vec(name: impl Into<String>, bytes: Vec<u8>) -> Result<Self> {
        let name = name.into();
        let wrap = |kind| Error::new(&name, kind);
        let start = part10_start(&bytes).map_err(wrap)?;
        if let Some(value) = prescan(&bytes[start..]).map_err(wrap)? {
            let object = parse(&bytes[start..], Some(attr::PIXEL_DATA)).map_err(wrap)?;
            let value = start + value.start..start + value.end;
            return Ok(Self {
                name,
                object,
                pixels: PixelSource::InBytes { bytes, value },
            });
        }
        let object = parse(&bytes[start..], None).map_err(wrap)?;
        Ok(Self::new(name, object, true))
    }

    /// Parses only the header of a file: reading stops before Pixel Data, which is
    /// never loaded. Pixel methods on the result fail with [`ErrorKind::NoPixelData`].
    pub fn open_header(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let wrap = |kind| Error::new(&name, kind);
        let mut file = File::open(path).map_err(|e| wrap(e.into()))?;
        let mut head = Vec::with_capacity(HEAD_LEN);
        (&mut file)
            .take(HEAD_LEN as u64)
            .read_to_end(&mut head)
            .map_err(|e| wrap(e.into()))?;
        let start = part10_start(&head).map_err(wrap)?;
        // Refuse meta lengths past the end before dicom-rs allocates them (see
        // `prescan`); a meta group longer than the head is refused with them.
        element_walk::check_meta_lengths(&head[start..])
            .map_err(|e| wrap(ErrorKind::Malformed(e)))?;
        let reader = Cursor::new(&head[start..]).chain(file);
        let object = parse(reader, Some(attr::PIXEL_DATA)).map_err(wrap)?;
        Ok(Self::new(name, object, false))
    }

    /// Parses only the header of in-memory DICOM bytes (see [`DicomFile::open_header`]).
    pub fn header_from_bytes(name: impl Into<String>, bytes: &[u8]) -> Result<Self> {
        let name = name.into();
        let wrap = |kind| Error::new(&name, kind);
        let start = part10_start(bytes).map_err(wrap)?;
        prescan(&bytes[start..]).map_err(wrap)?;
        let object = parse(&bytes[start..], Some(attr::PIXEL_DATA)).map_err(wrap)?;
        Ok(Self::new(name, object, false))
    }

    fn new(name: String, object: DefaultDicomObject, pixels_read: bool) -> Self {
        let pixels = if pixels_read {
            PixelSource::Parsed
        } else {
            PixelSource::NotRead
        };
        Self {
            name,
            object,
            pixels,
        }
    }

    /// The name errors refer to this file by.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The Transfer Syntax UID of the file.
    pub fn transfer_syntax(&self) -> &str {
        self.object.meta().transfer_syntax().trim_end_matches('\0')
    }

    /// The header fields tables need.
    pub fn metadata(&self) -> Result<Metadata> {
        Metadata::read(&self.object, self.transfer_syntax()).map_err(|kind| self.error(kind))
    }

    /// Stored values, exactly as `pydicom.Dataset.pixel_array` (or `pixel_array(ds,
    /// index=frame)` for one frame) returns them.
    pub fn stored_pixels(&self, frames: Frames, limits: &Limits) -> Result<StoredPixels> {
        let native = match &self.pixels {
            PixelSource::NotRead => return Err(self.error(ErrorKind::NoPixelData)),
            PixelSource::Parsed => None,
            PixelSource::InBytes { bytes, value } => Some(&bytes[value.clone()]),
        };
        pixels::decode(&self.object, native, frames, limits).map_err(|kind| self.error(kind))
    }

    /// The image in physical units: stored values through the modality LUT, as f32.
    pub fn image(&self, frames: Frames, limits: &Limits) -> Result<Image> {
        let meta = self.metadata()?;
        let stored = self.stored_pixels(frames, limits)?;
        let lut = ModalityLut::read(&self.object, meta.frames, meta.signed)
            .map_err(|kind| self.error(kind))?;
        Ok(Image {
            pixels: lut.apply(&stored),
            frames: stored.frames,
            rows: stored.rows,
            cols: stored.cols,
            samples_per_pixel: stored.samples_per_pixel,
            photometric: stored.photometric,
            meta,
        })
    }

    fn error(&self, kind: ErrorKind) -> Error {
        Error::new(&self.name, kind)
    }
}

/// Walks the file meta group and the data set before dicom-rs parses them: refuses
/// element lengths that run past the end of the bytes (which dicom-rs would allocate
/// first), and returns the Pixel Data value's range when it is native little-endian
/// data that can be decoded in place. Deflated data sets, and meta groups dicom-rs will
/// reject, are left to dicom-rs.
fn prescan(part10: &[u8]) -> Result<Option<Range<usize>>, ErrorKind> {
    element_walk::check_meta_lengths(part10).map_err(ErrorKind::Malformed)?;
    let Some(start) = element_walk::dataset_start(part10) else {
        return Ok(None);
    };
    let Ok(meta) = FileMetaTable::from_reader(part10) else {
        return Ok(None);
    };
    let uid = meta.transfer_syntax().trim_end_matches('\0');
    let Some(ts) = TransferSyntaxRegistry.get(uid) else {
        return Ok(None);
    };
    if matches!(ts.codec(), Codec::Dataset(_)) {
        return Ok(None);
    }
    let encoding = Encoding {
        explicit_vr: uid != IMPLICIT_VR_LITTLE_ENDIAN,
        big_endian: ts.endianness() == Endianness::Big,
    };
    let dataset = &part10[start..];
    element_walk::check_lengths(dataset, encoding).map_err(ErrorKind::Malformed)?;
    if !matches!(uid, IMPLICIT_VR_LITTLE_ENDIAN | EXPLICIT_VR_LITTLE_ENDIAN) {
        return Ok(None);
    }
    let value = element_walk::pixel_data_value(dataset, encoding.explicit_vr);
    Ok(value.map(|v| start + v.start..start + v.end))
}

const IMPLICIT_VR_LITTLE_ENDIAN: &str = "1.2.840.10008.1.2";
const EXPLICIT_VR_LITTLE_ENDIAN: &str = "1.2.840.10008.1.2.1";

/// Whether the file at `path` is a DICOM Part 10 file by its content: the `DICM`
/// marker after a 128-byte preamble, or at its very start. Folder walks use this to
/// tell images from the other files that live beside them.
pub fn is_dicom_file(path: impl AsRef<Path>) -> std::io::Result<bool> {
    let mut head = Vec::with_capacity(PREAMBLE_LEN + 4);
    File::open(path)?
        .take(PREAMBLE_LEN as u64 + 4)
        .read_to_end(&mut head)?;
    Ok(part10_start(&head).is_ok())
}

/// Where the `DICM` marker starts: after a 128-byte preamble, or at byte 0.
fn part10_start(bytes: &[u8]) -> Result<usize, ErrorKind> {
    if bytes.is_empty() {
        return Err(ErrorKind::NotDicom("the file is empty".into()));
    }
    if bytes.get(PREAMBLE_LEN..PREAMBLE_LEN + 4) == Some(b"DICM") {
        Ok(PREAMBLE_LEN)
    } else if bytes.starts_with(b"DICM") {
        Ok(0)
    } else {
        Err(ErrorKind::NotDicom(
            "no 'DICM' marker after a 128-byte preamble (files without a file meta group are not supported)".into(),
        ))
    }
}

/// Parses the file meta group and data set starting at the `DICM` marker.
fn parse(
    mut reader: impl Read,
    read_until: Option<crate::error::Attribute>,
) -> Result<DefaultDicomObject, ErrorKind> {
    // The meta group is read on its own first so that an unknown or unsupported
    // transfer syntax is reported as such rather than as a parse failure.
    let mut meta_bytes = Vec::new();
    let meta = {
        let mut tee = TeeReader {
            inner: &mut reader,
            copy: &mut meta_bytes,
        };
        FileMetaTable::from_reader(&mut tee).map_err(|e| malformed(&e))?
    };
    let uid = meta.transfer_syntax().trim_end_matches('\0');
    let ts = TransferSyntaxRegistry
        .get(uid)
        .ok_or_else(|| ErrorKind::UnknownTransferSyntax(uid.to_owned()))?;
    if ts.is_unsupported() {
        return Err(ErrorKind::UnsupportedTransferSyntax {
            uid: uid.to_owned(),
            name: ts.name().to_owned(),
        });
    }
    let mut options = OpenFileOptions::new().read_preamble(ReadPreamble::Never);
    if let Some(attribute) = read_until {
        options = options.read_until(attribute.dicom_tag());
    }
    options
        .from_reader(Cursor::new(meta_bytes).chain(reader))
        .map_err(|e| malformed(&e))
}

/// Passes reads through while keeping a copy, so the meta group can be parsed twice.
struct TeeReader<'a, R> {
    inner: &'a mut R,
    copy: &'a mut Vec<u8>,
}

impl<R: Read> Read for TeeReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.copy.extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

/// A parse error with its chain of causes, which is where the useful detail lives.
fn malformed(error: &dyn std::error::Error) -> ErrorKind {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    ErrorKind::Malformed(message)
}
