//! Output writers shared by the subcommands. Every file is written beside its final
//! name (`NAME.partial`) and renamed into place when complete, so a reader or a rerun
//! never sees a torn file.

pub mod errors;
pub mod npy;
pub mod parquet;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Longest file name stem [`safe_file_name`] returns, well inside the usual 255-byte
/// limit once suffixes and extensions are added.
pub const MAX_STEM_LEN: usize = 120;

/// Keeps a name to `[A-Za-z0-9._-]` (others become `_`), without a leading dot and at
/// most [`MAX_STEM_LEN`] characters, so nothing from a header or a path can escape the
/// output folder or hide there. An empty result becomes `image`.
pub fn safe_file_name(name: &str) -> String {
    let mapped: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let trimmed: String = mapped
        .trim_start_matches('.')
        .chars()
        .take(MAX_STEM_LEN)
        .collect();
    if trimmed.is_empty() {
        "image".to_owned()
    } else {
        trimmed
    }
}

/// Where the file that will become `path` is written: `path` with `.partial` appended.
pub fn partial_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}

/// Writes `bytes` to `path` through its [`partial_path`].
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let partial = partial_path(path);
    std::fs::write(&partial, bytes)
        .with_context(|| format!("cannot write {}", partial.display()))?;
    finish(path)
}

/// Renames the [`partial_path`] of `path` into place.
pub fn finish(path: &Path) -> Result<()> {
    std::fs::rename(partial_path(path), path)
        .with_context(|| format!("cannot rename into {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_keep_a_safe_alphabet_and_length() {
        assert_eq!(safe_file_name("1.2.840.5"), "1.2.840.5");
        assert_eq!(safe_file_name("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(safe_file_name(".hidden"), "hidden");
        assert_eq!(safe_file_name("a b/c\\d"), "a_b_c_d");
        assert_eq!(safe_file_name("..."), "image");
        assert_eq!(safe_file_name(&"9".repeat(300)).len(), MAX_STEM_LEN);
        assert_eq!(safe_file_name("é"), "_");
    }

    #[test]
    fn partial_files_are_renamed_into_place() {
        let dir = std::env::temp_dir().join(format!("medprep-sinks-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create folder");
        let path = dir.join("x.parquet");
        assert_eq!(partial_path(&path), dir.join("x.parquet.partial"));
        write_atomically(&path, b"abc").expect("write");
        assert_eq!(std::fs::read(&path).expect("read file"), b"abc");
        assert!(!partial_path(&path).exists());
        std::fs::remove_dir_all(&dir).expect("remove folder");
    }
}
