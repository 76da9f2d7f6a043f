//! What became of one input.

use crate::tables::ScanRow;

/// What became of one input.
#[derive(Debug)]
pub enum Outcome {
    /// The image was decoded and every frame went through the pipeline.
    Done {
        /// The image's row in `scans`.
        scan: Box<ScanRow>,
        /// One entry per frame, in frame order.
        frames: Vec<FrameOut>,
        /// Whether the image has more than one frame (names its images per frame).
        multi_frame: bool,
        /// Stem for preprocessed image names: SOP Instance UID, else the file stem.
        stem: String,
        /// Bytes of DICOM read.
        bytes_read: u64,
    },
    /// The input failed; `kind` is a stable snake_case label (see
    /// [`medprep::ErrorKind::label`], plus `internal`, `output` and `timeout` of the
    /// runner) and `error` the message, free of header values and of the input's name.
    Failed {
        /// Error kind label.
        kind: String,
        /// Error message.
        error: String,
        /// Bytes of DICOM read before the failure.
        bytes_read: u64,
    },
}

impl Outcome {
    /// A failure of `kind` before any DICOM byte was read.
    pub fn failed(kind: &str, error: impl Into<String>) -> Self {
        Self::Failed {
            kind: kind.to_owned(),
            error: error.into(),
            bytes_read: 0,
        }
    }

    /// The kind label of a failure; `None` for a success.
    pub fn error_kind(&self) -> Option<&str> {
        match self {
            Self::Done { .. } => None,
            Self::Failed { kind, .. } => Some(kind),
        }
    }
}

/// The pipeline's result for one frame.
#[derive(Debug)]
pub struct FrameOut {
    /// Zero-based frame index.
    pub frame: u32,
    /// Feature values in the pipeline's column order.
    pub features: Vec<f64>,
    /// Encoded preprocessed image (`.npy` or `.png` bytes) when the run asks for one.
    pub image: Option<Vec<u8>>,
}
