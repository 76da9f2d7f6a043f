//! What an adapter hands the runner: one [`Task`] per input, its [`Job`] (an image to
//! decode from a [`Source`], or an outcome already known) and the adapter's own context,
//! which comes back with the outcome.

use std::borrow::Cow;
use std::path::Path;

use crate::Outcome;

/// Where an input's DICOM bytes come from.
#[derive(Debug, Clone)]
pub enum Source<'a> {
    /// A file to read. A path that is not a regular file (a folder, a FIFO) fails
    /// without being opened, so a FIFO cannot block the run.
    Path(Cow<'a, Path>),
    /// The file's content, already in memory (a base64 or typed bytes record, Python
    /// `bytes`). Borrowed bytes are copied when the input is decoded, owned ones moved.
    Bytes(Cow<'a, [u8]>),
}

/// What the runner does for one input.
#[derive(Debug)]
pub enum Job<'a> {
    /// Decode the image and run the pipeline on it.
    Image {
        /// The input's name: its `image_path`, and the name errors give it.
        name: String,
        /// Where its bytes come from.
        source: Source<'a>,
    },
    /// Nothing to run: the adapter already knows the outcome (a malformed record).
    Settled(Outcome),
}

impl<'a> Job<'a> {
    /// An image named `name` (its `image_path`) to decode from `source`.
    pub fn image(name: impl Into<String>, source: Source<'a>) -> Self {
        Self::Image {
            name: name.into(),
            source,
        }
    }
}

/// One input of a run, with the adapter's `context` (an index, a record's key), which
/// the runner hands back beside the input's outcome.
#[derive(Debug)]
pub struct Task<'a, C> {
    /// The adapter's own data for this input.
    pub context: C,
    /// What to do.
    pub job: Job<'a>,
}

impl<'a, C> Task<'a, C> {
    /// A task of `job` carrying `context`.
    pub fn new(context: C, job: Job<'a>) -> Self {
        Self { context, job }
    }
}
