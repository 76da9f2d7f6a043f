//! One input through decode and the recipe's pipeline, never panicking: a bug costs
//! one input (an `internal` failure), not the batch.
//!
//! [`process`] does it all for one input; [`decode`] and [`process_decoded`] split it
//! so that many decoded inputs go through the pipeline in one
//! [`Pipeline::process_batch`] call, with the same outcomes.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use medprep::recipe::ImageFormat;
use medprep::{DicomFile, FrameResult, Frames, Image, Limits, Pipeline};
use rayon::prelude::*;

use crate::tables::ScanRow;
use crate::{encode, FrameOut, Outcome, Source};

/// An input decoded and waiting for the pipeline: see [`decode`] and [`process_decoded`].
#[derive(Debug)]
pub(crate) struct Decoded {
    /// The input's name (its `image_path`).
    name: String,
    image: Image,
    /// Bytes of DICOM read.
    bytes_read: u64,
}

/// Decodes one input named `name` (its `image_path`) and runs the pipeline on it,
/// within `limits`; preprocessed images are encoded as `images`.
pub(crate) fn process(
    source: Source<'_>,
    name: &str,
    pipeline: &Pipeline,
    images: ImageFormat,
    limits: &Limits,
) -> Outcome {
    match decode(source, name, limits) {
        Ok(decoded) => guarded(decoded.bytes_read, || {
            let results = pipeline.process(name, &decoded.image);
            outcome(&decoded, results, pipeline, images)
        }),
        Err(outcome) => outcome,
    }
}

/// The first half of [`process`]: reads and decodes one input, or gives the outcome of
/// its failure (the one `process` gives).
pub(crate) fn decode(source: Source<'_>, name: &str, limits: &Limits) -> Result<Decoded, Outcome> {
    let mut bytes_read = 0;
    let work = || -> Result<Decoded, Outcome> {
        let bytes = match source {
            Source::Path(path) => match medprep::read_file(&path, limits) {
                Ok(bytes) => bytes,
                Err(e) => return Err(Outcome::failed(e.kind().label(), e.kind().to_string())),
            },
            Source::Bytes(bytes) => bytes.into_owned(),
        };
        bytes_read = bytes.len() as u64;
        match DicomFile::from_vec_with_limits(name, bytes, limits)
            .and_then(|f| f.image(Frames::All, limits))
        {
            Ok(image) => Ok(Decoded {
                name: name.to_owned(),
                image,
                bytes_read,
            }),
            Err(e) => Err(Outcome::Failed {
                kind: e.kind().label().to_owned(),
                error: e.kind().to_string(),
                bytes_read,
            }),
        }
    };
    match catch_unwind(AssertUnwindSafe(work)) {
        Ok(decoded) => decoded,
        Err(panic) => Err(internal(panic.as_ref(), bytes_read)),
    }
}

/// The second half of [`process`] for many decoded inputs at once: their images go
/// through one [`Pipeline::process_batch`] call (on a GPU, frames stay on the device
/// from upload to statistics) and each outcome is the one `process` gives that input.
/// Should the batch call panic, each image is run again through `Pipeline::process`,
/// so that a bug costs one input, as in `process`. Runs its encoding on the current
/// rayon pool.
pub(crate) fn process_decoded(
    inputs: Vec<Result<Decoded, Outcome>>,
    pipeline: &Pipeline,
    images: ImageFormat,
) -> Vec<Outcome> {
    let ready: Vec<(&str, &Image)> = inputs
        .iter()
        .filter_map(|input| input.as_ref().ok())
        .map(|d| (d.name.as_str(), &d.image))
        .collect();
    let batch = catch_unwind(AssertUnwindSafe(|| pipeline.process_batch(&ready))).ok();
    drop(ready);
    let mut batch = batch.map(Vec::into_iter);
    let paired: Vec<_> = inputs
        .into_iter()
        .map(|input| {
            let result = match (&input, batch.as_mut()) {
                (Ok(_), Some(results)) => results.next(),
                _ => None,
            };
            (input, result)
        })
        .collect();
    paired
        .into_par_iter()
        .map(|(input, result)| match input {
            Ok(decoded) => guarded(decoded.bytes_read, || {
                let results =
                    result.unwrap_or_else(|| pipeline.process(&decoded.name, &decoded.image));
                outcome(&decoded, results, pipeline, images)
            }),
            Err(outcome) => outcome,
        })
        .collect()
}

/// `work`, or an `internal` failure should it panic.
fn guarded(bytes_read: u64, work: impl FnOnce() -> Outcome) -> Outcome {
    catch_unwind(AssertUnwindSafe(work))
        .unwrap_or_else(|panic| internal(panic.as_ref(), bytes_read))
}

/// The failure of an input whose processing panicked.
fn internal(panic: &(dyn std::any::Any + Send), bytes_read: u64) -> Outcome {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    Outcome::Failed {
        kind: "internal".into(),
        error: format!("internal error: {message}"),
        bytes_read,
    }
}

/// The outcome of a decoded input given the pipeline's results for it.
fn outcome(
    decoded: &Decoded,
    results: medprep::Result<Vec<FrameResult>>,
    pipeline: &Pipeline,
    images: ImageFormat,
) -> Outcome {
    let Decoded {
        name,
        image,
        bytes_read,
    } = decoded;
    let bytes_read = *bytes_read;
    let failed = |kind: &str, error: String| Outcome::Failed {
        kind: kind.to_owned(),
        error,
        bytes_read,
    };
    let results = match results {
        Ok(results) => results,
        Err(e) => return failed(e.kind().label(), e.kind().to_string()),
    };
    let mut frames = Vec::with_capacity(results.len());
    for result in results {
        if result.features.len() != pipeline.feature_names().len() {
            return failed(
                "internal",
                "the pipeline returned the wrong number of features".into(),
            );
        }
        let image = match &result.image {
            Some(img) => encode::to_bytes(img, images),
            None => Ok(None),
        };
        let image = match image {
            Ok(image) => image,
            Err(e) => return failed("output", format!("{e:#}")),
        };
        frames.push(FrameOut {
            frame: result.frame,
            features: result.features,
            image,
        });
    }
    let stem = image.meta.sop_instance_uid.clone().unwrap_or_else(|| {
        Path::new(name)
            .file_stem()
            .map_or_else(|| "image".into(), |s| s.to_string_lossy().into_owned())
    });
    Outcome::Done {
        scan: Box::new(ScanRow::new(
            name.clone(),
            &image.meta,
            &pipeline.recipe().name,
        )),
        frames,
        multi_frame: image.meta.frames > 1,
        stem,
        bytes_read,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_internal_failure_of_that_input() {
        let outcome = guarded(12, || panic!("index 7 out of range"));
        match outcome {
            Outcome::Failed {
                kind,
                error,
                bytes_read,
            } => {
                assert_eq!(kind, "internal");
                assert_eq!(error, "internal error: index 7 out of range");
                assert_eq!(bytes_read, 12);
            }
            Outcome::Done { .. } => panic!("a panic is no success"),
        }
        let formatted = guarded(0, || panic!("{} frames", 3));
        assert_eq!(
            formatted.error_kind(),
            Some("internal"),
            "a formatted panic message is a String payload"
        );
    }
}
