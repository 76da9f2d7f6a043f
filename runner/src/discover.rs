//! Finding the inputs of a batch: files named on the command line, and DICOM files
//! found by content (the `DICM` marker, not the extension) inside named folders.

use std::collections::HashSet;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};

/// What a walk over the command-line inputs found.
#[derive(Debug, Default)]
pub struct Found {
    /// Files to process, sorted and without duplicates.
    pub files: Vec<PathBuf>,
    /// Files inside folders that are not DICOM; they are reported, not processed.
    pub skipped: usize,
}

/// Files named directly (always taken, DICOM or not, so a wrong file becomes an error
/// rather than silence), and every DICOM file under named folders, recursively.
/// A file whose first bytes cannot be read is taken, so the read error gets reported.
/// Special files (FIFOs, sockets, devices) are never opened: reading a FIFO blocks.
pub fn discover(inputs: &[PathBuf]) -> Result<Found> {
    let mut found = Found::default();
    let mut seen_dirs = HashSet::new();
    let mut pending: Vec<(PathBuf, bool)> = inputs.iter().map(|p| (p.clone(), true)).collect();
    while let Some((path, named)) = pending.pop() {
        if path.is_dir() {
            // A symbolic link back up the tree would otherwise make the walk endless.
            let real = path.canonicalize().unwrap_or_else(|_| path.clone());
            if !seen_dirs.insert(real) {
                continue;
            }
            let entries = std::fs::read_dir(&path)
                .with_context(|| format!("cannot list folder {}", path.display()))?;
            for entry in entries {
                let entry =
                    entry.with_context(|| format!("cannot list folder {}", path.display()))?;
                pending.push((entry.path(), false));
            }
        } else if path.is_file() {
            if named || medprep::is_dicom_file(&path).unwrap_or(true) {
                found.files.push(path);
            } else {
                found.skipped += 1;
            }
        } else if std::fs::symlink_metadata(&path).is_ok() {
            // A FIFO, socket or device (or a dangling link): named, it becomes an error
            // record, never opened; inside a folder it is skipped like other non-DICOM.
            if named {
                found.files.push(path);
            } else {
                found.skipped += 1;
            }
        } else if named {
            bail!("{}: no such file or directory", path.display());
        }
    }
    found.files.sort();
    found.files.dedup();
    Ok(found)
}
