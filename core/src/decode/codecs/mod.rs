//! Codecs medprep runs itself, where the dicom-rs registry's adapters fall short of
//! pydicom: RLE Lossless with 32-bit samples, and JPEG through libjpeg-turbo (12-bit
//! and lossless processes, and DICOM's colour-space rules). JPEG-LS (CharLS) and
//! JPEG 2000 (OpenJPEG) go through the registry. See `docs/codecs.md` for the choices.

pub(crate) mod declared;
pub(crate) mod fragments;
pub(crate) mod jpeg;
pub(crate) mod rle;
