//! `--pseudonymize`: identifiers replaced by keyed hashes, so outputs carry no raw
//! patient ID or instance UID yet still link rows of the same patient, study or series.
//!
//! A pseudonym is HMAC-SHA256 under a secret key of the field's domain, a colon and the
//! value (`patient_id:PAT01`, `uid:1.2.840...`). All instance UIDs share one domain, so a
//! UID maps to the same pseudonym wherever it appears, as DICOM's de-identification
//! profile asks of UID replacement. Encodings:
//!
//! - patient ID: the 32 bytes of the MAC as 64 lowercase hex digits (fits the 64
//!   characters of a DICOM LO value);
//! - UIDs: `2.25.` and the first 16 bytes as an unsigned decimal, a valid UID under the
//!   ISO/ITU-T UUID arc (at most 44 characters), so DICOM tools still accept it.
//!
//! Without the key, pseudonyms cannot be reversed or recomputed from guessed values;
//! with it, the same value always gets the same pseudonym (across runs and tasks). The
//! key is never printed, not even in errors.

use std::path::Path;

use anyhow::{bail, Context, Result};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use medprep_runner::tables::{RoiFeatureRow, ScanRow, SeriesRow};
use medprep_runner::Outcome;

/// Environment variable holding the key when no key file is given.
pub const KEY_VARIABLE: &str = "MEDPREP_PSEUDONYM_KEY";

/// Shortest accepted key in bytes: a short key could be found by trying keys on a
/// known identifier.
pub const MIN_KEY_BYTES: usize = 16;

/// The key and the hashing of identifiers.
#[derive(Clone)]
pub struct Pseudonymizer {
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for Pseudonymizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pseudonymizer { key: <hidden> }")
    }
}

impl Pseudonymizer {
    /// The pseudonymizer of a run given `--pseudonymize` (`enabled`) and
    /// `--pseudonym-key-file` (`key_file`): the key is the file's bytes, else the value
    /// of [`KEY_VARIABLE`]; one trailing newline is dropped. `None` when not enabled.
    pub fn from_options(enabled: bool, key_file: Option<&Path>) -> Result<Option<Self>> {
        if !enabled {
            if key_file.is_some() {
                bail!("--pseudonym-key-file needs --pseudonymize");
            }
            return Ok(None);
        }
        let key = match key_file {
            Some(path) => std::fs::read(path).with_context(|| {
                format!("cannot read the pseudonym key file {}", path.display())
            })?,
            None => match std::env::var_os(KEY_VARIABLE) {
                Some(value) => value.into_encoded_bytes(),
                None => bail!(
                    "--pseudonymize needs a key: --pseudonym-key-file FILE or the \
                     {KEY_VARIABLE} environment variable"
                ),
            },
        };
        Self::new(strip_newline(&key)).map(Some)
    }

    /// A pseudonymizer with `key`, which must have at least [`MIN_KEY_BYTES`] bytes.
    pub fn new(key: &[u8]) -> Result<Self> {
        if key.len() < MIN_KEY_BYTES {
            bail!(
                "the pseudonym key has {} byte(s); at least {MIN_KEY_BYTES} are needed \
                 (e.g. 32 random bytes as hex)",
                key.len()
            );
        }
        Ok(Self { mac: mac(key)? })
    }

    /// HMAC-SHA256 of `domain`, `:` and `value`.
    fn digest(&self, domain: &str, value: &str) -> [u8; 32] {
        let mut mac = self.mac.clone();
        mac.update(domain.as_bytes());
        mac.update(b":");
        mac.update(value.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// The pseudonym of a patient ID: 64 lowercase hex digits.
    pub fn patient_id(&self, id: &str) -> String {
        hex(&self.digest("patient_id", id))
    }

    /// The pseudonym of a study, series or SOP instance UID: `2.25.<decimal>`.
    pub fn uid(&self, uid: &str) -> String {
        let digest = self.digest("uid", uid);
        let mut first = [0_u8; 16];
        first.copy_from_slice(&digest[..16]);
        format!("2.25.{}", u128::from_be_bytes(first))
    }

    /// The pseudonym of another name that would become a file name (a file stem), in the
    /// hex form of patient IDs.
    pub fn name(&self, name: &str) -> String {
        hex(&self.digest("name", name))
    }

    /// Replaces the patient ID and the study, series and SOP instance UIDs of `scan`;
    /// the SOP Class UID (a kind of object, not an instance) stays.
    pub fn scan(&self, scan: &mut ScanRow) {
        self.replace(
            &mut scan.patient_id,
            [
                &mut scan.study_instance_uid,
                &mut scan.series_instance_uid,
                &mut scan.sop_instance_uid,
            ],
        );
    }

    /// Series mode's scan row: the patient ID and the study, series and frame of
    /// reference UIDs (all instance UIDs, in the one UID domain).
    pub fn series_row(&self, row: &mut SeriesRow) {
        self.replace(
            &mut row.patient_id,
            [
                &mut row.study_instance_uid,
                &mut row.series_instance_uid,
                &mut row.frame_of_reference_uid,
            ],
        );
    }

    /// Series mode's ROI row: the patient ID and the series UID, as in its scan row.
    pub fn roi_row(&self, row: &mut RoiFeatureRow) {
        self.replace(&mut row.patient_id, [&mut row.series_instance_uid]);
    }

    /// Replaces a patient ID and instance UIDs, where present, by their pseudonyms.
    fn replace<'a>(
        &self,
        patient_id: &mut Option<String>,
        uids: impl IntoIterator<Item = &'a mut Option<String>>,
    ) {
        if let Some(id) = patient_id {
            *id = self.patient_id(id);
        }
        for uid in uids.into_iter().flatten() {
            *uid = self.uid(uid);
        }
    }

    /// `outcome` with the identifiers of its row pseudonymized and its image name stem
    /// the pseudonymized SOP Instance UID, else the pseudonym of the stem (a file stem
    /// may carry a name too). Error records carry no identifiers and pass unchanged.
    pub fn outcome(&self, mut outcome: Outcome) -> Outcome {
        if let Outcome::Done { scan, stem, .. } = &mut outcome {
            self.scan(scan);
            *stem = match &scan.sop_instance_uid {
                Some(uid) => uid.clone(),
                None => self.name(stem),
            };
        }
        outcome
    }

    /// A short public name of the key (HMAC of a fixed label, 16 hex digits), recorded
    /// in the manifest so a rerun with another key does not mix pseudonyms. It reveals
    /// nothing of the key beyond telling keys apart.
    pub fn key_id(&self) -> String {
        hex(&self.digest("key_id", "medprep")[..8])
    }
}

fn mac(key: &[u8]) -> Result<Hmac<Sha256>> {
    <Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .map_err(|_| anyhow::anyhow!("HMAC-SHA256 refused the pseudonym key"))
}

/// `key` without one trailing `\n` or `\r\n` (as editors and `echo` leave).
fn strip_newline(key: &[u8]) -> &[u8] {
    let key = key.strip_suffix(b"\n").unwrap_or(key);
    key.strip_suffix(b"\r").unwrap_or(key)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// HMAC-SHA256 of `data` under `key`, as hex.
    fn hmac_hex(key: &[u8], data: &[u8]) -> String {
        let mut mac = mac(key).expect("any key length");
        mac.update(data);
        hex(&mac.finalize().into_bytes())
    }

    #[test]
    fn hmac_sha256_matches_rfc_4231() {
        // RFC 4231, test cases 1, 2, 3, 4, 6 and 7 (case 5 is a truncated MAC).
        let cases: [(Vec<u8>, Vec<u8>, &str); 6] = [
            (
                vec![0x0b; 20],
                b"Hi There".to_vec(),
                "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
            ),
            (
                b"Jefe".to_vec(),
                b"what do ya want for nothing?".to_vec(),
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            ),
            (
                vec![0xaa; 20],
                vec![0xdd; 50],
                "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
            ),
            (
                (1..=25).collect(),
                vec![0xcd; 50],
                "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
            ),
            (
                vec![0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(),
                "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            ),
            (
                vec![0xaa; 131],
                b"This is a test using a larger than block-size key and a larger than \
                  block-size data. The key needs to be hashed before being used by the \
                  HMAC algorithm."
                    .to_vec(),
                "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
            ),
        ];
        for (key, data, expected) in cases {
            assert_eq!(
                hmac_hex(&key, &data),
                expected,
                "key of {} bytes",
                key.len()
            );
        }
    }

    #[test]
    fn pseudonyms_are_domain_separated_hmacs_in_their_encodings() {
        let key = b"0123456789abcdef0123456789abcdef";
        let p = Pseudonymizer::new(key).expect("key long enough");
        assert_eq!(p.patient_id("PAT01"), hmac_hex(key, b"patient_id:PAT01"));
        let full = hmac_hex(key, b"uid:1.2.3");
        let first = u128::from_str_radix(&full[..32], 16).expect("hex");
        assert_eq!(p.uid("1.2.3"), format!("2.25.{first}"));
        // Valid DICOM UID: at most 64 characters, digits and dots, no leading zeros.
        let uid = p.uid("1.2.840.10008.5.1.4.1.1.2");
        assert!(uid.len() <= 64);
        assert!(uid.split('.').all(|c| !c.is_empty()
            && c.bytes().all(|b| b.is_ascii_digit())
            && (c == "0" || !c.starts_with('0'))));
        // The same value in another domain gets another pseudonym.
        assert_ne!(p.patient_id("1.2.3"), p.name("1.2.3"));
        let other = Pseudonymizer::new(b"fedcba9876543210fedcba9876543210").expect("key");
        assert_ne!(p.uid("1.2.3"), other.uid("1.2.3"));
        assert_ne!(p.key_id(), other.key_id());
    }

    #[test]
    fn short_keys_are_refused_and_the_key_is_never_shown() {
        let error = Pseudonymizer::new(b"short-secret").expect_err("too short");
        assert!(!format!("{error:#}").contains("short-secret"));
        let p = Pseudonymizer::new(b"a-long-enough-secret-key").expect("key");
        assert!(!format!("{p:?}").contains("secret"));
        assert_eq!(strip_newline(b"k\r\n"), b"k");
        assert_eq!(strip_newline(b"k\n\n"), b"k\n");
    }
}
