//! Typed errors of decoding. Every error names the input it came from.

use std::fmt;

/// An error raised while reading or decoding one input, with the input's name.
///
/// Its message is the whole story (`input: what went wrong: detail`), so the kind is
/// not also exposed as a `source()`: error reporters would print it twice.
#[derive(Debug, thiserror::Error)]
#[error("{input}: {kind}")]
pub struct Error {
    input: String,
    kind: ErrorKind,
}

impl Error {
    pub(crate) fn new(input: impl Into<String>, kind: ErrorKind) -> Self {
        Self {
            input: input.into(),
            kind,
        }
    }

    /// The name of the input (a path, or the name given to in-memory bytes).
    pub fn input(&self) -> &str {
        &self.input
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }
}

/// What went wrong while decoding an input.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input could not be read from disk.
    #[error("cannot read file: {0}")]
    Io(std::io::Error),
    /// The input is not a DICOM file at all.
    #[error("not a DICOM file: {0}")]
    NotDicom(String),
    /// The DICOM data set is malformed or ends early.
    #[error("malformed DICOM data set: {0}")]
    Malformed(String),
    /// The data set has no Pixel Data element.
    #[error("no pixel data (7FE0,0010) in the data set")]
    NoPixelData,
    /// A required attribute is absent.
    #[error("missing required attribute {0}")]
    MissingAttribute(Attribute),
    /// An attribute holds a value that cannot describe an image.
    #[error("invalid {attribute} value {value:?}: {reason}")]
    InvalidAttribute {
        /// The attribute.
        attribute: Attribute,
        /// The offending value as text.
        value: String,
        /// Why it is not acceptable.
        reason: &'static str,
    },
    /// The transfer syntax is not known at all.
    #[error("unknown transfer syntax {0:?}")]
    UnknownTransferSyntax(String),
    /// The transfer syntax is known, but its pixel data cannot be decoded.
    #[error("pixel data in transfer syntax {name} ({uid}) cannot be decoded")]
    UnsupportedTransferSyntax {
        /// Transfer syntax UID.
        uid: String,
        /// Transfer syntax name.
        name: String,
    },
    /// The image is valid DICOM but uses a pixel format outside medprep's scope.
    #[error("unsupported pixel format: {0}")]
    UnsupportedPixelFormat(String),
    /// The native pixel data is shorter than the header requires.
    #[error("pixel data has {actual} bytes but the header requires {expected}")]
    PixelDataLength {
        /// Bytes the header's geometry requires.
        expected: u64,
        /// Bytes present.
        actual: u64,
    },
    /// A compressed frame could not be decoded.
    #[error("cannot decode frame {frame} ({transfer_syntax}): {message}")]
    Codec {
        /// Zero-based frame index.
        frame: u32,
        /// Transfer syntax name.
        transfer_syntax: String,
        /// The codec's message.
        message: String,
    },
    /// The input, or the decoded image, would exceed the configured size limit
    /// (see [`crate::Limits`]).
    #[error("{what} of {bytes} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// What is too large: the image, the file, the inflated data set.
        what: &'static str,
        /// Bytes it would need.
        bytes: u64,
        /// The configured limit.
        limit: u64,
    },
    /// A pipeline stage could not run on this image.
    #[error("pipeline: {0}")]
    Pipeline(String),
    /// A frame index beyond the number of frames was requested.
    #[error("frame {frame} requested but the image has {frames} frame(s)")]
    FrameOutOfRange {
        /// The requested frame.
        frame: u32,
        /// Frames in the image.
        frames: u32,
    },
}

impl From<std::io::Error> for ErrorKind {
    fn from(error: std::io::Error) -> Self {
        Self::Io(error)
    }
}

impl ErrorKind {
    /// A short, stable, snake_case label for counters and error records.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Io(_) => "io",
            Self::NotDicom(_) => "not_dicom",
            Self::Malformed(_) => "malformed",
            Self::NoPixelData => "no_pixel_data",
            Self::MissingAttribute(_) => "missing_attribute",
            Self::InvalidAttribute { .. } => "invalid_attribute",
            Self::UnknownTransferSyntax(_) => "unknown_transfer_syntax",
            Self::UnsupportedTransferSyntax { .. } => "unsupported_transfer_syntax",
            Self::UnsupportedPixelFormat(_) => "unsupported_pixel_format",
            Self::PixelDataLength { .. } => "pixel_data_length",
            Self::Codec { .. } => "codec",
            Self::TooLarge { .. } => "too_large",
            Self::FrameOutOfRange { .. } => "frame_out_of_range",
            Self::Pipeline(_) => "pipeline",
        }
    }
}

/// A DICOM attribute named in an error message, e.g. `Rows (0028,0010)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attribute {
    /// The attribute keyword.
    pub keyword: &'static str,
    /// The tag as (group, element).
    pub tag: (u16, u16),
}

impl fmt::Display for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({:04X},{:04X})",
            self.keyword, self.tag.0, self.tag.1
        )
    }
}

/// A `Result` with medprep's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
