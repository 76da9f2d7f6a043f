//! `errors.jsonl`: one JSON object per failed input.
//!
//! A record names the input, a stable snake_case `kind` (medprep's
//! `ErrorKind::label`, or `internal`/`output` for failures outside decoding) and a
//! message. Messages come from medprep's typed errors, which never quote identifying
//! header values such as the patient ID.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

/// One failed input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorRecord {
    /// The input as discovered (relative when given relative).
    pub image_path: String,
    /// Stable snake_case category, e.g. `malformed` or `not_dicom`.
    pub kind: String,
    /// What went wrong, for people.
    pub error: String,
}

/// Writes records to a `.partial` file; [`ErrorsWriter::finish`] puts it in place.
#[derive(Debug)]
pub struct ErrorsWriter {
    path: PathBuf,
    out: BufWriter<File>,
    count: usize,
}

impl ErrorsWriter {
    /// Starts `path` (through its partial file).
    pub fn create(path: &Path) -> Result<Self> {
        let partial = super::partial_path(path);
        let file = File::create(&partial)
            .with_context(|| format!("cannot create {}", partial.display()))?;
        Ok(Self {
            path: path.to_owned(),
            out: BufWriter::new(file),
            count: 0,
        })
    }

    /// Appends one record as a JSON line.
    pub fn write(&mut self, record: &ErrorRecord) -> Result<()> {
        serde_json::to_writer(&mut self.out, record)?;
        self.out.write_all(b"\n")?;
        self.count += 1;
        Ok(())
    }

    /// Flushes and renames the file into place; returns the number of records.
    pub fn finish(mut self) -> Result<usize> {
        self.out
            .flush()
            .with_context(|| format!("cannot write {}", self.path.display()))?;
        drop(self.out);
        super::finish(&self.path)?;
        Ok(self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_json_lines_with_three_fields() {
        let dir = std::env::temp_dir().join(format!("medprep-errors-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create folder");
        let path = dir.join("errors.jsonl");
        let mut writer = ErrorsWriter::create(&path).expect("create");
        let record = ErrorRecord {
            image_path: "in/a \"b\".dcm".into(),
            kind: "malformed".into(),
            error: "malformed DICOM data set: ends early\nat byte 7".into(),
        };
        writer.write(&record).expect("write");
        writer.write(&record).expect("write");
        assert!(!path.exists(), "only the partial file exists before finish");
        assert_eq!(writer.finish().expect("finish"), 2);
        let text = std::fs::read_to_string(&path).expect("read file");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        let back: ErrorRecord = serde_json::from_str(lines[0]).expect("valid JSON");
        assert_eq!(back, record);
        std::fs::remove_dir_all(&dir).expect("remove folder");
    }
}
