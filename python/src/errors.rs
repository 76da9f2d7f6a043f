//! The exception hierarchy: `MedprepError` and one subclass per Rust error type, with the
//! Rust error's message.

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::PyErr;

create_exception!(
    medprep,
    MedprepError,
    PyException,
    "Base class of every error medprep raises for bad input."
);
create_exception!(
    medprep,
    DecodeError,
    MedprepError,
    "A DICOM input could not be read or decoded."
);
create_exception!(
    medprep,
    PipelineError,
    MedprepError,
    "A decoded image could not go through the pipeline."
);
create_exception!(
    medprep,
    RecipeError,
    MedprepError,
    "A recipe could not be read or does not make a pipeline."
);
create_exception!(
    medprep,
    StatsError,
    MedprepError,
    "Statistics could not be computed (empty ROI, non-finite values, bad bins)."
);

/// The exception for a core error: `PipelineError` for pipeline stages, else `DecodeError`.
pub(crate) fn from_core(error: &medprep::Error) -> PyErr {
    let message = error.to_string();
    match error.kind() {
        medprep::ErrorKind::Pipeline(_) => PipelineError::new_err(message),
        _ => DecodeError::new_err(message),
    }
}

/// The exception for a failed input of a run, from its outcome: `PipelineError` for
/// pipeline stages, `MedprepError` for an internal error (a bug, which failed that input
/// alone), `StatsError` for an ROI whose features cannot be computed (series mode), else
/// `DecodeError`; the message is `image_path: error`, as a core error's.
pub(crate) fn from_failure(image_path: &str, kind: &str, error: &str) -> PyErr {
    let message = format!("{image_path}: {error}");
    match kind {
        "pipeline" => PipelineError::new_err(message),
        "features" => StatsError::new_err(message),
        "internal" => MedprepError::new_err(message),
        _ => DecodeError::new_err(message),
    }
}

/// The exception for a recipe error.
pub(crate) fn from_recipe(error: &medprep::RecipeError) -> PyErr {
    RecipeError::new_err(error.to_string())
}

/// The exception for a statistics error.
pub(crate) fn from_stats(error: &medprep::cpu::stats::StatsError) -> PyErr {
    StatsError::new_err(error.to_string())
}
