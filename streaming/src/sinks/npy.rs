//! Writing pixel arrays as numpy `.npy` files.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use anyhow::{Context, Result};
use medprep::Samples;
use ndarray::{ArrayD, IxDyn};
use ndarray_npy::{WritableElement, WriteNpyExt};

/// Writes stored samples with the given numpy shape, keeping their dtype.
pub fn write_samples(path: &Path, samples: Samples, shape: &[usize]) -> Result<()> {
    match samples {
        Samples::U8(v) => write(path, v, shape),
        Samples::I8(v) => write(path, v, shape),
        Samples::U16(v) => write(path, v, shape),
        Samples::I16(v) => write(path, v, shape),
        Samples::U32(v) => write(path, v, shape),
        Samples::I32(v) => write(path, v, shape),
    }
}

/// Writes `values` as an `.npy` array of the given shape. The file is written beside
/// its final name and renamed into place, so readers never see a torn file.
pub fn write<T: WritableElement>(path: &Path, values: Vec<T>, shape: &[usize]) -> Result<()> {
    let array = ArrayD::from_shape_vec(IxDyn(shape), values)
        .context("sample count does not match the image shape")?;
    let partial = path.with_extension("npy.partial");
    let file =
        File::create(&partial).with_context(|| format!("cannot create {}", partial.display()))?;
    array
        .write_npy(BufWriter::new(file))
        .with_context(|| format!("cannot write {}", partial.display()))?;
    std::fs::rename(&partial, path).with_context(|| format!("cannot rename to {}", path.display()))
}
