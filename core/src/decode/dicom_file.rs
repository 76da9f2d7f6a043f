//! Opening DICOM files and in-memory DICOM bytes.

use std::fs::File;
use std::io::Read;
use std::ops::Range;
use std::path::Path;

use dicom_encoding::transfer_syntax::{Codec, TransferSyntaxIndex};
use dicom_encoding::Endianness;
use dicom_object::file::ReadPreamble;
use dicom_object::meta::FileMetaTable;
use dicom_object::{DefaultDicomObject, InMemDicomObject, OpenFileOptions};
use dicom_transfer_syntax_registry::TransferSyntaxRegistry;

use super::attributes as attr;
use super::element_walk::{self, Encoding, HeaderEnd};
use super::image::Image;
use super::limits::Limits;
use super::metadata::Metadata;
use super::modality::ModalityLut;
use super::pixels::{self, Frames, StoredPixels};
use crate::error::{Error, ErrorKind, Result};

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
    /// Reads and parses a whole DICOM file (Part 10: preamble or not, then `DICM`),
    /// with the default [`Limits`] (see [`DicomFile::open_with_limits`]).
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with_limits(path, &Limits::default())
    }

    /// Reads and parses a whole DICOM file. The file is refused before it is read when
    /// it is not a regular file (reading a FIFO would block) or is larger than
    /// [`Limits::max_input_bytes`].
    pub fn open_with_limits(path: impl AsRef<Path>, limits: &Limits) -> Result<Self> {
        let path = path.as_ref();
        let bytes = read_file(path, limits)?;
        Self::from_vec_with_limits(path.display().to_string(), bytes, limits)
    }

    /// Parses DICOM file bytes held in memory; `name` is used in error messages.
    /// [`DicomFile::from_vec`] avoids a copy when the bytes are already owned.
    pub fn from_bytes(name: impl Into<String>, bytes: &[u8]) -> Result<Self> {
        Self::from_vec(name, bytes.to_vec())
    }

    /// Parses DICOM file bytes, keeping them: native little-endian pixel data is then
    /// decoded straight from these bytes, without an intermediate copy. Uses the
    /// default [`Limits`] (see [`DicomFile::from_vec_with_limits`]).
    pub fn from_vec(name: impl Into<String>, bytes: Vec<u8>) -> Result<Self> {
        Self::from_vec_with_limits(name, bytes, &Limits::default())
    }

    /// Parses DICOM file bytes like [`DicomFile::from_vec`]; a deflated data set is
    /// refused once it inflates beyond [`Limits::max_input_bytes`].
    pub fn from_vec_with_limits(
        name: impl Into<String>,
        bytes: Vec<u8>,
        limits: &Limits,
    ) -> Result<Self> {
        let name = name.into();
        let wrap = |kind| Error::new(&name, kind);
        let start = part10_start(&bytes).map_err(wrap)?;
        if let Some(object) = parse_deflated(&bytes[start..], limits).map_err(wrap)? {
            return Ok(Self::new(name, object, true));
        }
        if let Some(value) = prescan(&bytes[start..]).map_err(wrap)? {
            let object = parse(&bytes[start..], true).map_err(wrap)?;
            let value = start + value.start..start + value.end;
            return Ok(Self {
                name,
                object,
                pixels: PixelSource::InBytes { bytes, value },
            });
        }
        let object = parse(&bytes[start..], false).map_err(wrap)?;
        Ok(Self::new(name, object, true))
    }

    /// Parses only the header of a file: reading stops before Pixel Data, which is
    /// never loaded. Pixel methods on the result fail with [`ErrorKind::NoPixelData`].
    /// The elements before Pixel Data are checked as they are read (lengths within the
    /// file, bounded nesting), with the default [`Limits`].
    pub fn open_header(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let wrap = |kind| Error::new(&name, kind);
        let limits = Limits::default();
        let (mut file, mut total) = open_regular(path, &limits).map_err(wrap)?;
        let mut prefix = Vec::with_capacity(HEAD_LEN);
        let mut want = HEAD_LEN as u64;
        let start = loop {
            let missing = want.saturating_sub(prefix.len() as u64);
            let read = (&mut file)
                .take(missing)
                .read_to_end(&mut prefix)
                .map_err(|e| wrap(e.into()))?;
            if (read as u64) < missing {
                // The file ended early (or shrank since it was measured).
                total = prefix.len() as u64;
            }
            let start = part10_start(&prefix).map_err(wrap)?;
            // Refuse meta lengths past the end before dicom-rs allocates them (see
            // `prescan`); a meta group longer than the prefix is refused with them.
            element_walk::meta_end(&prefix[start..]).map_err(|e| wrap(ErrorKind::Malformed(e)))?;
            if deflated(&prefix[start..]) {
                file.read_to_end(&mut prefix).map_err(|e| wrap(e.into()))?;
                let object = parse_deflated(&prefix[start..], &limits)
                    .map_err(wrap)?
                    .ok_or_else(|| {
                        wrap(ErrorKind::Malformed(
                            "the file meta group cannot be read".into(),
                        ))
                    })?;
                return Ok(Self::new(name, object, false));
            }
            let part10_total = total.saturating_sub(start as u64);
            if header_checked(&prefix[start..], part10_total).map_err(wrap)? {
                break start;
            }
            want = want.saturating_mul(2).min(total);
        };
        let object = parse(&prefix[start..], true).map_err(wrap)?;
        Ok(Self::new(name, object, false))
    }

    /// Parses only the header of in-memory DICOM bytes (see [`DicomFile::open_header`]).
    pub fn header_from_bytes(name: impl Into<String>, bytes: &[u8]) -> Result<Self> {
        let name = name.into();
        let wrap = |kind| Error::new(&name, kind);
        let start = part10_start(bytes).map_err(wrap)?;
        if let Some(object) = parse_deflated(&bytes[start..], &Limits::default()).map_err(wrap)? {
            return Ok(Self::new(name, object, false));
        }
        prescan(&bytes[start..]).map_err(wrap)?;
        let object = parse(&bytes[start..], true).map_err(wrap)?;
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
        let decoded = stored.first_frame..stored.first_frame + stored.frames;
        let lut = ModalityLut::read(&self.object, decoded, meta.signed)
            .map_err(|kind| self.error(kind))?;
        Ok(Image {
            pixels: lut.apply(&stored.samples, stored.frame_len()),
            frames: stored.frames,
            rows: stored.rows,
            cols: stored.cols,
            samples_per_pixel: stored.samples_per_pixel,
            photometric: stored.photometric,
            meta,
        })
    }

    /// The parsed data set, for readers of non-image objects (RTSTRUCT, SEG) and of
    /// attributes [`Metadata`] does not carry.
    pub(crate) fn object(&self) -> &InMemDicomObject {
        &self.object
    }

    pub(crate) fn error(&self, kind: ErrorKind) -> Error {
        Error::new(&self.name, kind)
    }
}

/// Walks the file meta group and the data set before dicom-rs parses them: refuses
/// element lengths that run past the end of the bytes (which dicom-rs would allocate
/// first), and returns the Pixel Data value's range when it is native little-endian
/// data that can be decoded in place. Deflated data sets, and meta groups dicom-rs will
/// reject, are left to dicom-rs.
fn prescan(part10: &[u8]) -> Result<Option<Range<usize>>, ErrorKind> {
    let Some(start) = element_walk::meta_end(part10).map_err(ErrorKind::Malformed)? else {
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
    let dataset = &part10[start..];
    let encoding = dataset_encoding(uid, ts.endianness(), dataset);
    element_walk::check_lengths(dataset, encoding).map_err(ErrorKind::Malformed)?;
    if !matches!(uid, IMPLICIT_VR_LITTLE_ENDIAN | EXPLICIT_VR_LITTLE_ENDIAN) {
        return Ok(None);
    }
    let value = element_walk::pixel_data_value(dataset, encoding.explicit_vr);
    Ok(value.map(|v| start + v.start..start + v.end))
}

/// Whether the Part 10 bytes declare a deflated transfer syntax.
fn deflated(part10: &[u8]) -> bool {
    FileMetaTable::from_reader(part10).is_ok_and(|meta| {
        TransferSyntaxRegistry
            .get(meta.transfer_syntax().trim_end_matches('\0'))
            .is_some_and(|ts| matches!(ts.codec(), Codec::Dataset(Some(_))))
    })
}

/// Parses a deflated data set, inflating it here rather than inside dicom-rs so that
/// a decompression bomb stops at [`Limits::max_input_bytes`], and the inflated elements
/// get the same checks as any other data set. `None` when the syntax is not deflated.
fn parse_deflated(part10: &[u8], limits: &Limits) -> Result<Option<DefaultDicomObject>, ErrorKind> {
    // Reading the meta group to learn the syntax is already a dicom-rs parse.
    let Some(start) = element_walk::meta_end(part10).map_err(ErrorKind::Malformed)? else {
        return Ok(None);
    };
    let Ok(meta) = FileMetaTable::from_reader(part10) else {
        return Ok(None);
    };
    let uid = meta.transfer_syntax().trim_end_matches('\0');
    let Some(Codec::Dataset(Some(adapter))) = TransferSyntaxRegistry.get(uid).map(|ts| ts.codec())
    else {
        return Ok(None);
    };
    let Some(plain) = TransferSyntaxRegistry.get(EXPLICIT_VR_LITTLE_ENDIAN) else {
        return Ok(None);
    };
    let cap = limits.max_input_bytes();
    let mut inflated = Vec::new();
    adapter
        .adapt_reader(Box::new(&part10[start..]))
        .take(cap.saturating_add(1))
        .read_to_end(&mut inflated)
        .map_err(|e| ErrorKind::Malformed(format!("cannot inflate the data set: {e}")))?;
    if inflated.len() as u64 > cap {
        return Err(ErrorKind::TooLarge {
            what: "inflated data set of more than",
            bytes: cap,
            limit: cap,
        });
    }
    let encoding = Encoding {
        explicit_vr: true,
        big_endian: false,
    };
    element_walk::check_lengths(&inflated, encoding).map_err(ErrorKind::Malformed)?;
    let object = InMemDicomObject::read_dataset_with_ts(inflated.as_slice(), plain)
        .map_err(|e| malformed(&e))?;
    Ok(Some(object.with_exact_meta(meta)))
}

/// Checks the header in `part10`, a prefix of Part 10 bytes that are `total` bytes
/// long; `false` when more bytes are needed to see where it ends.
fn header_checked(part10: &[u8], total: u64) -> Result<bool, ErrorKind> {
    let complete = part10.len() as u64 >= total;
    let Some(start) = element_walk::meta_end(part10).map_err(ErrorKind::Malformed)? else {
        // More bytes may finish a torn header; a meta group dicom-rs rejects, it reports.
        return Ok(complete || FileMetaTable::from_reader(part10).is_err());
    };
    let Ok(meta) = FileMetaTable::from_reader(part10) else {
        return Ok(true); // dicom-rs reports the broken meta group
    };
    let uid = meta.transfer_syntax().trim_end_matches('\0');
    let Some(ts) = TransferSyntaxRegistry.get(uid) else {
        return Ok(true);
    };
    let encoding = dataset_encoding(uid, ts.endianness(), &part10[start..]);
    let end = element_walk::header_end(
        &part10[start..],
        encoding,
        total.saturating_sub(start as u64),
    )
    .map_err(ErrorKind::Malformed)?;
    Ok(end != HeaderEnd::NeedMore)
}

/// Reads a whole input file, refusing before the read anything but a regular file
/// (opening a FIFO would block until a writer appears) and files larger than
/// [`Limits::max_input_bytes`].
pub fn read_file(path: impl AsRef<Path>, limits: &Limits) -> Result<Vec<u8>> {
    let path = path.as_ref();
    let wrap = |kind| Error::new(path.display().to_string(), kind);
    let (file, len) = open_regular(path, limits).map_err(wrap)?;
    let cap = limits.max_input_bytes();
    let mut bytes = Vec::with_capacity(len.min(cap) as usize);
    file.take(cap.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| wrap(e.into()))?;
    // The file may have grown since it was measured.
    limits
        .check_input_bytes("file", bytes.len() as u64)
        .map_err(wrap)?;
    Ok(bytes)
}

/// Opens a regular file within the size limit, and gives its length.
fn open_regular(path: &Path, limits: &Limits) -> Result<(File, u64), ErrorKind> {
    let kind = std::fs::metadata(path)?.file_type();
    if !kind.is_file() {
        return Err(ErrorKind::Io(std::io::Error::other(format!(
            "not a regular file but {}",
            describe(kind)
        ))));
    }
    let file = File::open(path)?;
    let len = file.metadata()?.len();
    limits.check_input_bytes("file", len)?;
    Ok((file, len))
}

/// Names a kind of file that is not a regular file.
fn describe(kind: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_socket() {
            return "a socket";
        }
        if kind.is_block_device() || kind.is_char_device() {
            return "a device";
        }
    }
    if kind.is_dir() {
        "a directory"
    } else {
        "a special file"
    }
}

const IMPLICIT_VR_LITTLE_ENDIAN: &str = "1.2.840.10008.1.2";
const EXPLICIT_VR_LITTLE_ENDIAN: &str = "1.2.840.10008.1.2.1";

/// Whether the file at `path` is a DICOM Part 10 file by its content: the `DICM`
/// marker after a 128-byte preamble, or at its very start. Folder walks use this to
/// tell images from the other files that live beside them.
/// Anything but a regular file (a folder, a FIFO, a device) is not, and is not opened.
pub fn is_dicom_file(path: impl AsRef<Path>) -> std::io::Result<bool> {
    let path = path.as_ref();
    if !std::fs::metadata(path)?.is_file() {
        return Ok(false);
    }
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

/// How the data set after the file meta group is encoded. The transfer syntax says,
/// except for one quirk pydicom reads and so medprep must: a data set written in
/// implicit VR under an explicit-VR little-endian syntax (pydicom's `SC_rgb_jpeg.dcm`).
/// pydicom tells the two apart by the first element's VR bytes: two upper-case letters
/// are an explicit VR, anything else means the data set is implicit; the same test is
/// made here. Implicit VR is little-endian only, so big-endian syntaxes keep theirs.
fn dataset_encoding(uid: &str, endianness: Endianness, dataset: &[u8]) -> Encoding {
    let big_endian = endianness == Endianness::Big;
    let declared_explicit = uid != IMPLICIT_VR_LITTLE_ENDIAN;
    let written_implicit = dataset
        .get(4..6)
        .is_some_and(|vr| !vr.iter().all(u8::is_ascii_uppercase));
    Encoding {
        explicit_vr: declared_explicit && (big_endian || !written_implicit),
        big_endian,
    }
}

/// Parses the file meta group and data set of Part 10 bytes starting at the `DICM`
/// marker; with `header_only`, reading stops before Pixel Data.
fn parse(part10: &[u8], header_only: bool) -> Result<DefaultDicomObject, ErrorKind> {
    // The meta group is read on its own first so that an unknown or unsupported
    // transfer syntax is reported as such rather than as a parse failure.
    let mut dataset = part10;
    let meta = FileMetaTable::from_reader(&mut dataset).map_err(|e| malformed(&e))?;
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
    let encoding = dataset_encoding(uid, ts.endianness(), dataset);
    if !encoding.explicit_vr && uid != IMPLICIT_VR_LITTLE_ENDIAN {
        return parse_implicit_quirk(dataset, encoding, header_only, meta);
    }
    let mut options = OpenFileOptions::new().read_preamble(ReadPreamble::Never);
    if header_only {
        options = options.read_until(attr::PIXEL_DATA.dicom_tag());
    }
    options.from_reader(part10).map_err(|e| malformed(&e))
}

/// Parses a data set written in implicit VR under an explicit-VR syntax (see
/// [`dataset_encoding`]) as implicit VR little-endian, keeping the file's meta group:
/// its transfer syntax still says how Pixel Data is encoded.
fn parse_implicit_quirk(
    dataset: &[u8],
    encoding: Encoding,
    header_only: bool,
    meta: FileMetaTable,
) -> Result<DefaultDicomObject, ErrorKind> {
    let implicit = TransferSyntaxRegistry
        .get(IMPLICIT_VR_LITTLE_ENDIAN)
        .ok_or_else(|| ErrorKind::UnknownTransferSyntax(IMPLICIT_VR_LITTLE_ENDIAN.to_owned()))?;
    let dataset = if header_only {
        match element_walk::header_end(dataset, encoding, dataset.len() as u64)
            .map_err(ErrorKind::Malformed)?
        {
            HeaderEnd::PixelData(end) => &dataset[..end],
            HeaderEnd::End | HeaderEnd::NeedMore => dataset,
        }
    } else {
        dataset
    };
    let object =
        InMemDicomObject::read_dataset_with_ts(dataset, implicit).map_err(|e| malformed(&e))?;
    Ok(object.with_exact_meta(meta))
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

#[cfg(test)]
mod tests {
    use dicom_core::{dicom_value, DataElement, PrimitiveValue, Tag, VR};
    use dicom_object::meta::FileMetaTableBuilder;
    use dicom_transfer_syntax_registry::entries;

    use super::*;

    /// Part 10 bytes (from `DICM`) of a 3×2 MONOCHROME2 image whose meta group declares
    /// Explicit VR Little Endian, with the data set written in `written_as`.
    fn part10(written_as: &dicom_encoding::transfer_syntax::TransferSyntax) -> Vec<u8> {
        let pixels: Vec<u16> = vec![0, 100, 200, 300, 400, 65535];
        let object = InMemDicomObject::from_element_iter([
            DataElement::new(Tag(0x0008, 0x0016), VR::UI, "1.2.840.10008.5.1.4.1.1.7"),
            DataElement::new(Tag(0x0008, 0x0018), VR::UI, "2.25.1"),
            DataElement::new(Tag(0x0008, 0x0060), VR::CS, "OT"),
            DataElement::new(Tag(0x0028, 0x0002), VR::US, dicom_value!(U16, 1)),
            DataElement::new(Tag(0x0028, 0x0004), VR::CS, "MONOCHROME2"),
            DataElement::new(Tag(0x0028, 0x0010), VR::US, dicom_value!(U16, 2)),
            DataElement::new(Tag(0x0028, 0x0011), VR::US, dicom_value!(U16, 3)),
            DataElement::new(Tag(0x0028, 0x0100), VR::US, dicom_value!(U16, 16)),
            DataElement::new(Tag(0x0028, 0x0101), VR::US, dicom_value!(U16, 16)),
            DataElement::new(Tag(0x0028, 0x0102), VR::US, dicom_value!(U16, 15)),
            DataElement::new(Tag(0x0028, 0x0103), VR::US, dicom_value!(U16, 0)),
            DataElement::new(
                Tag(0x7FE0, 0x0010),
                VR::OW,
                PrimitiveValue::U16(pixels.into()),
            ),
        ]);
        let meta = FileMetaTableBuilder::new()
            .media_storage_sop_class_uid("1.2.840.10008.5.1.4.1.1.7")
            .media_storage_sop_instance_uid("2.25.1")
            .transfer_syntax(EXPLICIT_VR_LITTLE_ENDIAN)
            .build()
            .expect("meta group");
        let mut bytes = b"DICM".to_vec();
        meta.write(&mut bytes).expect("meta written");
        object
            .write_dataset_with_ts(&mut bytes, written_as)
            .expect("data set written");
        bytes
    }

    #[test]
    fn reads_an_implicit_vr_data_set_under_an_explicit_vr_syntax_as_pydicom_does() {
        let proper = part10(&entries::EXPLICIT_VR_LITTLE_ENDIAN.erased());
        let quirky = part10(&entries::IMPLICIT_VR_LITTLE_ENDIAN.erased());
        assert_ne!(proper, quirky);
        // Without the quirk test the first element's VR would be read from its length.
        let dataset = element_walk::meta_end(&quirky).unwrap().unwrap();
        assert!(
            !dataset_encoding(
                EXPLICIT_VR_LITTLE_ENDIAN,
                Endianness::Little,
                &quirky[dataset..]
            )
            .explicit_vr
        );
        assert!(
            dataset_encoding(
                EXPLICIT_VR_LITTLE_ENDIAN,
                Endianness::Little,
                &proper[dataset..]
            )
            .explicit_vr
        );

        let limits = Limits::default();
        let expected = DicomFile::from_vec("proper", proper)
            .unwrap()
            .stored_pixels(Frames::All, &limits)
            .unwrap();
        let file = DicomFile::from_vec("quirky", quirky.clone()).expect("the quirk is read");
        assert_eq!(file.stored_pixels(Frames::All, &limits).unwrap(), expected);
        assert_eq!(file.metadata().unwrap().rows, 2);

        let header = DicomFile::header_from_bytes("quirky", &quirky).expect("header");
        assert_eq!(header.metadata().unwrap().cols, 3);
        assert!(header
            .object()
            .element(attr::PIXEL_DATA.dicom_tag())
            .is_err());
    }
}
