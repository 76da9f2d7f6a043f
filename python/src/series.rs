//! `read_series`: a folder (or a list) of DICOM slice files read as one [`Volume`].
//!
//! The grouping and assembly are core's (`medprep::volume::series`); this module only
//! finds the files, picks the series the caller asked for, and turns every way a folder
//! can fail to be one scan into a `DecodeError` whose message says what to do.

use std::path::{Path, PathBuf};

use medprep::volume::series::{self, Grouping};
use medprep::{is_dicom_file, DicomFile, Limits};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

use crate::errors;
use crate::volume::Volume;

/// Why reading failed: a bad argument (`ValueError`) or an input that is not one
/// series (`DecodeError`).
enum Failure {
    Argument(String),
    Decode(String),
}

/// Reads the series in `source` (a folder, or a list of file paths) as a float32 volume
/// in physical units; `series` picks one by index when the folder holds several.
#[pyfunction]
#[pyo3(signature = (source, *, series = None))]
pub fn read_series(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    series: Option<usize>,
) -> PyResult<Volume> {
    let input = if let Ok(path) = source.extract::<PathBuf>() {
        Input::Path(path)
    } else if let Ok(paths) = source.extract::<Vec<PathBuf>>() {
        Input::List(paths)
    } else {
        return Err(PyTypeError::new_err(
            "read_series takes a folder (str or os.PathLike) or a list of file paths",
        ));
    };
    let read = py.detach(|| read(&input, series));
    match read {
        Ok((volume, warnings)) => Ok(Volume::from_core(py, volume, warnings)),
        Err(Failure::Argument(message)) => Err(PyValueError::new_err(message)),
        Err(Failure::Decode(message)) => Err(errors::DecodeError::new_err(message)),
    }
}

enum Input {
    Path(PathBuf),
    List(Vec<PathBuf>),
}

fn read(input: &Input, pick: Option<usize>) -> Result<(medprep::Volume, Vec<String>), Failure> {
    let paths = match input {
        Input::Path(path) if path.is_dir() => folder_files(path)?,
        Input::Path(path) => vec![path.clone()],
        Input::List(paths) => paths.clone(),
    };
    let mut unreadable = Vec::new();
    let mut headers = Vec::with_capacity(paths.len());
    for path in &paths {
        match DicomFile::open_header(path) {
            Ok(file) => headers.push(file),
            Err(error) => unreadable.push(error.to_string()),
        }
    }
    let Grouping {
        series: groups,
        masks,
        failures,
    } = series::group(headers);
    unreadable.extend(failures.iter().map(|(_, error)| error.to_string()));
    let group = match (groups.len(), pick) {
        (0, _) => {
            let why = unreadable
                .first()
                .map_or_else(String::new, |first| format!("; the first failure: {first}"));
            return Err(Failure::Decode(format!(
                "no image series among {} file(s){why}",
                paths.len()
            )));
        }
        (_, Some(index)) => groups.get(index).ok_or_else(|| {
            Failure::Argument(format!(
                "series={index}, but there are {} series (0 to {})",
                groups.len(),
                groups.len() - 1
            ))
        })?,
        (1, None) => &groups[0],
        (n, None) => {
            let listed: Vec<String> = groups
                .iter()
                .enumerate()
                .map(|(i, g)| {
                    let first = g.names().first().map_or("", String::as_str);
                    format!("{i}: {} file(s) from {first}", g.len())
                })
                .collect();
            return Err(Failure::Decode(format!(
                "{n} series found ({}); pass series=0 to {} to pick one",
                listed.join("; "),
                n - 1
            )));
        }
    };
    let limits = Limits::default();
    let load = |name: &str| DicomFile::open_with_limits(name, &limits);
    let mut volumes =
        series::assemble(group, &load, &limits).map_err(|e| Failure::Decode(e.to_string()))?;
    if volumes.len() > 1 {
        return Err(Failure::Decode(format!(
            "the series holds {} temporal positions, and read_series returns one volume; \
             read each time point's files as a list",
            volumes.len()
        )));
    }
    let Some(one) = volumes.pop() else {
        return Err(Failure::Decode("the series holds no image".into()));
    };
    let mut warnings = one.warnings;
    let skipped = masks.len();
    if skipped > 0 {
        warnings.push(format!(
            "{skipped} RTSTRUCT/SEG file(s) skipped: they are masks, not slices"
        ));
    }
    if let Some(first) = unreadable.first() {
        warnings.push(format!(
            "{} file(s) skipped as not images of a series; the first: {first}",
            unreadable.len()
        ));
    }
    Ok((one.volume, warnings))
}

/// The DICOM files of a folder (by content, not extension), sorted by name so that the
/// series order is the same on every file system.
fn folder_files(folder: &Path) -> Result<Vec<PathBuf>, Failure> {
    let cannot = |e: std::io::Error| {
        Failure::Decode(format!("{}: cannot list the folder: {e}", folder.display()))
    };
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(folder).map_err(cannot)? {
        let path = entry.map_err(cannot)?.path();
        // A file that cannot even be probed is not a slice; it is left out like any
        // other non-DICOM file beside the series.
        if is_dicom_file(&path).unwrap_or(false) {
            paths.push(path);
        }
    }
    paths.sort();
    Ok(paths)
}
