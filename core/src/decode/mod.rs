//! DICOM decoding: from the bytes of a file to an [`Image`](crate::Image) in physical
//! units. Nothing here knows of recipes, the pipeline or the GPU; the pipeline depends on
//! this module (for [`Image`](crate::Image), [`Rescale`](crate::Rescale), the
//! [`Samples`](crate::Samples) the GPU uploads and the attribute names its errors cite),
//! never the other way round. Outside this module it uses only [`crate::error`].
//!
//! Data flows from bytes to `Image` through these submodules, lower layers first (each
//! uses only the ones above it in this list):
//!
//! - [`samples`]: [`Samples`](crate::Samples), stored values in the integer type
//!   `pydicom`'s `pixel_array` uses (its numpy dtype and shape), and the `with_samples!`
//!   macro.
//! - [`limits`]: [`Limits`](crate::Limits), the caps checked before any large allocation.
//! - [`attributes`]: the attributes read (keyword and tag) and typed reads of their
//!   values, with errors that name the attribute.
//! - [`transfer_syntax`]: the decoding family of a Transfer Syntax UID and its name.
//! - [`color`]: YCbCr to RGB and the 4:2:2 expansion, with pydicom's arithmetic.
//! - [`codecs`]: the codecs medprep runs itself (RLE, JPEG through libjpeg-turbo), the
//!   grouping of encapsulated fragments into frames, and the sizes JPEG-LS and JPEG 2000
//!   codestreams declare.
//! - [`element_walk`]: a walk over the raw elements of a data set, run before dicom-rs
//!   parses it, that refuses hostile lengths and finds native Pixel Data in place.
//! - [`functional_groups`]: per-frame values of enhanced multi-frame images.
//! - [`geometry`]: [`Geometry`](crate::Geometry), pixel spacing, position, orientation.
//! - [`modality`]: [`Rescale`](crate::Rescale) and the modality LUT that turns stored
//!   values into physical units (Hounsfield units for CT).
//! - [`metadata`]: [`Metadata`](crate::Metadata), the header fields tables need, read
//!   without touching pixel data.
//! - [`pixels`]: [`StoredPixels`](crate::StoredPixels), the stored values exactly as
//!   `pydicom.Dataset.pixel_array` returns them (native or through a codec, colour by
//!   pixel, unused high bits corrected, YCbCr converted), for the requested
//!   [`Frames`](crate::Frames).
//! - [`image`]: [`Image`](crate::Image), the model every later stage works on.
//! - [`dicom_file`]: [`DicomFile`](crate::DicomFile), the entry point that ties them
//!   together.
//!
//! The flow: [`DicomFile`](crate::DicomFile) reads a file or takes bytes; `element_walk`
//! checks the declared lengths (and, bounded by `limits`, any deflated data set once
//! inflated) before dicom-rs parses the data set into an in-memory object, and notes
//! where native Pixel Data lies. [`DicomFile::metadata`](crate::DicomFile::metadata)
//! reads `Metadata` from that object (`attributes`, `functional_groups`, `geometry`,
//! `modality`'s `Rescale`, `transfer_syntax`'s name).
//! [`DicomFile::stored_pixels`](crate::DicomFile::stored_pixels) reads the pixel format,
//! picks the path by `transfer_syntax`'s family (native bytes, or the frame's fragments
//! through `codecs` or the dicom-rs registry), checks the sizes against `limits`, and
//! gives `StoredPixels` holding `Samples`. [`DicomFile::image`](crate::DicomFile::image)
//! then reads the modality LUT for the frames held, applies it to the samples in f64,
//! rounding once to f32, and returns an `Image` with the `Metadata`.

#[macro_use]
pub(crate) mod samples;

pub(crate) mod attributes;
mod codecs;
mod color;
pub(crate) mod dicom_file;
mod element_walk;
pub(crate) mod functional_groups;
pub(crate) mod geometry;
pub(crate) mod image;
pub(crate) mod limits;
pub(crate) mod metadata;
pub(crate) mod modality;
pub(crate) mod pixels;
mod transfer_syntax;
