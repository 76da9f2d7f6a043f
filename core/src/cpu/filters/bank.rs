//! User kernel banks from `.npy` files: shape `(kernels, rows, cols)` or `(rows, cols)`,
//! float32 or float64, little-endian, C or Fortran order.

use std::io::Read;
use std::path::{Path, PathBuf};

use ndarray::{Array2, ArrayViewD, Axis, Ix3};
use ndarray_npy::{ViewNpyError, ViewNpyExt};

/// Largest kernel side accepted.
pub const MAX_KERNEL_SIDE: usize = 255;
/// Largest kernel bank file accepted, in bytes (checked before reading).
pub const MAX_KERNEL_BANK_BYTES: u64 = 64 << 20;

/// Why a kernel bank could not be loaded; every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum KernelBankError {
    /// The file could not be opened or read.
    #[error("cannot read kernel bank {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is larger than [`MAX_KERNEL_BANK_BYTES`].
    #[error("kernel bank {} is {bytes} bytes; at most {MAX_KERNEL_BANK_BYTES} are accepted", path.display())]
    TooBig {
        /// The file.
        path: PathBuf,
        /// Its size.
        bytes: u64,
    },
    /// Not a little-endian float32 or float64 `.npy` array.
    #[error("kernel bank {} is not a float32/float64 .npy array: {reason}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong, from the `.npy` reader.
        reason: String,
    },
    /// Neither `(kernels, rows, cols)` nor `(rows, cols)`.
    #[error("kernel bank {} has shape {shape:?}; expected (kernels, rows, cols) or (rows, cols)", path.display())]
    Ndim {
        /// The file.
        path: PathBuf,
        /// The array's shape.
        shape: Vec<usize>,
    },
    /// No kernels, or kernels with no rows or columns.
    #[error("kernel bank {} is empty (shape {shape:?})", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
        /// The array's shape.
        shape: Vec<usize>,
    },
    /// Kernels larger than [`MAX_KERNEL_SIDE`] on a side.
    #[error("kernel bank {} holds {rows}×{cols} kernels; at most {MAX_KERNEL_SIDE}×{MAX_KERNEL_SIDE} are accepted", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Kernel rows.
        rows: usize,
        /// Kernel columns.
        cols: usize,
    },
    /// A NaN or infinite weight.
    #[error("kernel {kernel} of bank {} has a non-finite weight at ({row}, {col})", path.display())]
    NonFinite {
        /// The file.
        path: PathBuf,
        /// Index of the kernel in the bank.
        kernel: usize,
        /// Row of the weight.
        row: usize,
        /// Column of the weight.
        col: usize,
    },
}

/// Reads the kernels of an `.npy` file of shape `(kernels, rows, cols)` or `(rows, cols)`
/// (one kernel), float32 or float64 (converted to f32). Each kernel is meant for
/// [`correlate`](super::correlate).
pub fn load_kernel_bank(path: &Path) -> Result<Vec<Array2<f32>>, KernelBankError> {
    let io = |source| KernelBankError::Io {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let bytes = file.metadata().map_err(io)?.len();
    if bytes > MAX_KERNEL_BANK_BYTES {
        return Err(KernelBankError::TooBig {
            path: path.to_owned(),
            bytes,
        });
    }
    // Read into u64 words so the data (64-byte aligned inside the file) is aligned for
    // f64 and the reader can view it without copying or trusting the header's length.
    let len = bytes as usize;
    let mut words = vec![0u64; len.div_ceil(8)];
    let buffer = &mut bytemuck::cast_slice_mut::<u64, u8>(&mut words)[..len];
    file.take(bytes).read_exact(buffer).map_err(io)?;
    let buffer: &[u8] = buffer;

    let format = |e: ViewNpyError| KernelBankError::Format {
        path: path.to_owned(),
        reason: e.to_string(),
    };
    let kernels = match ArrayViewD::<f32>::view_npy(buffer) {
        Ok(view) => to_bank(path, view.to_owned())?,
        Err(ViewNpyError::WrongDescriptor(_)) => {
            let view = ArrayViewD::<f64>::view_npy(buffer).map_err(format)?;
            to_bank(path, view.mapv(|v| v as f32))?
        }
        Err(e) => return Err(format(e)),
    };
    Ok(kernels)
}

/// Checks the shape and the weights and splits the bank into kernels.
fn to_bank(path: &Path, array: ndarray::ArrayD<f32>) -> Result<Vec<Array2<f32>>, KernelBankError> {
    let shape = array.shape().to_vec();
    let bank = match shape.len() {
        2 => array.insert_axis(Axis(0)),
        3 => array,
        _ => {
            return Err(KernelBankError::Ndim {
                path: path.to_owned(),
                shape,
            })
        }
    };
    let bank = bank
        .into_dimensionality::<Ix3>()
        .map_err(|_| KernelBankError::Ndim {
            path: path.to_owned(),
            shape: shape.clone(),
        })?;
    let (count, rows, cols) = bank.dim();
    if count == 0 || rows == 0 || cols == 0 {
        return Err(KernelBankError::Empty {
            path: path.to_owned(),
            shape,
        });
    }
    if rows > MAX_KERNEL_SIDE || cols > MAX_KERNEL_SIDE {
        return Err(KernelBankError::TooLarge {
            path: path.to_owned(),
            rows,
            cols,
        });
    }
    if let Some(((kernel, row, col), _)) = bank.indexed_iter().find(|(_, v)| !v.is_finite()) {
        return Err(KernelBankError::NonFinite {
            path: path.to_owned(),
            kernel,
            row,
            col,
        });
    }
    Ok(bank
        .outer_iter()
        .map(|k| k.as_standard_layout().into_owned())
        .collect())
}
