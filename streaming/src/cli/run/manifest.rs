//! `manifest.json`: what a finished run did, so a rerun can skip it.
//!
//! Written last, after the tables are in place. It records the recipe (as a fingerprint
//! of its canonical TOML), the byte sizes of the two tables it describes, and per input
//! its size, modification time, status, frame count and preprocessed image files. A
//! rerun trusts it only when the tables still have those sizes.

use std::collections::HashMap;
use std::path::Path;
use std::time::UNIX_EPOCH;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

/// File name of the manifest inside the output folder.
pub const FILE_NAME: &str = "manifest.json";

/// The record of a finished run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Version of medprep that wrote it.
    pub medprep_version: String,
    /// Recipe name.
    pub recipe: String,
    /// FNV-1a hash of the recipe's canonical TOML, as 16 hex digits.
    pub recipe_fingerprint: String,
    /// Size of `scans.parquet` as written.
    pub scans_bytes: u64,
    /// Size of `features.parquet` as written.
    pub features_bytes: u64,
    /// Public name of the pseudonym key the tables were written with (none without
    /// `--pseudonymize`); rows are carried over only under the same key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pseudonym_key: Option<String>,
    /// Every input of the run, in table order.
    pub inputs: Vec<Entry>,
}

/// One input of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// The input as in the tables' `image_path`.
    pub path: String,
    /// What the file looked like when it was read.
    #[serde(flatten)]
    pub stamp: Stamp,
    /// Whether it produced rows.
    pub status: Status,
    /// Rows it has in `features.parquet`.
    pub frames: u32,
    /// Its files in `preprocessed/`.
    pub images: Vec<String>,
}

/// Size and modification time of a file: a changed file gets processed again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    /// Bytes.
    pub size: u64,
    /// Modification time in nanoseconds since 1970 (0 when the system gives none).
    pub modified_ns: u64,
}

impl Stamp {
    /// The stamp of `path` now.
    pub fn of(path: &Path) -> std::io::Result<Self> {
        let meta = std::fs::metadata(path)?;
        let modified_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
        Ok(Self {
            size: meta.len(),
            modified_ns,
        })
    }
}

/// Outcome of one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Rows written.
    Ok,
    /// An error record written.
    Failed,
}

impl Manifest {
    /// Reads `path`; `None` when there is none.
    pub fn load(path: &Path) -> Result<Option<Self>> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        let manifest = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a medprep manifest", path.display()))?;
        Ok(Some(manifest))
    }

    /// Writes the manifest to `path` atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        let mut text = serde_json::to_string_pretty(self)?;
        text.push('\n');
        crate::sinks::write_atomically(path, text.as_bytes())
    }

    /// The successful inputs by path, for carrying over.
    pub fn finished(&self) -> HashMap<&str, &Entry> {
        self.inputs
            .iter()
            .filter(|e| e.status == Status::Ok)
            .map(|e| (e.path.as_str(), e))
            .collect()
    }
}

/// FNV-1a (64-bit) of `text` as 16 hex digits: stable across builds and platforms,
/// unlike std's hasher. It tells recipes apart; it is not a security measure.
pub fn fingerprint(text: &str) -> String {
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_fnv1a() {
        // Published FNV-1a 64 test vectors.
        assert_eq!(fingerprint(""), "cbf29ce484222325");
        assert_eq!(fingerprint("a"), "af63dc4c8601ec8c");
        assert_eq!(fingerprint("foobar"), "85944171f73967e8");
    }

    #[test]
    fn manifests_round_trip_and_list_finished_inputs() {
        let dir = std::env::temp_dir().join(format!("medprep-manifest-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create folder");
        let path = dir.join(FILE_NAME);
        assert!(Manifest::load(&path).expect("load manifest").is_none());
        let entry = |path: &str, status| Entry {
            path: path.into(),
            stamp: Stamp {
                size: 10,
                modified_ns: 1_700_000_000_123_456_789,
            },
            status,
            frames: 1,
            images: vec!["x.png".into()],
        };
        let manifest = Manifest {
            medprep_version: "0.1.0".into(),
            recipe: "plain".into(),
            recipe_fingerprint: fingerprint("name = \"plain\""),
            scans_bytes: 1,
            features_bytes: 2,
            pseudonym_key: None,
            inputs: vec![entry("a.dcm", Status::Ok), entry("b.dcm", Status::Failed)],
        };
        manifest.save(&path).expect("save manifest");
        let back = Manifest::load(&path)
            .expect("load manifest")
            .expect("manifest saved");
        assert_eq!(back, manifest);
        let finished = back.finished();
        assert_eq!(finished.len(), 1);
        assert!(finished.contains_key("a.dcm"));
        std::fs::write(&path, "{").expect("write");
        assert!(Manifest::load(&path).is_err());
        std::fs::remove_dir_all(&dir).expect("remove folder");
    }
}
