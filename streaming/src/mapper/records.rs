//! Input records of the mapper, one per line of text:
//!
//! - `PATH` (a local path, or a `file:` URI);
//! - `KEY<TAB>PATH`, where KEY is every field before the last tab (passed through to
//!   the output unchanged: Hive's `SELECT TRANSFORM(patient_id, image_path)`, and the
//!   `OFFSET<TAB>LINE` records of Hadoop's NLineInputFormat, both look like this);
//! - `KEY<TAB>base64:<standard base64 of the DICOM file>`.
//!
//! Lines are read with a length cap, so one endless line cannot exhaust memory: a
//! longer record becomes an error record and reading resumes after its line break.

use std::io::{self, BufRead};
use std::path::PathBuf;

use super::columns::format_double;
use crate::base64;
use crate::typedbytes::Value;

/// Prefix of a record value holding the DICOM bytes in base64.
pub const BASE64_PREFIX: &[u8] = b"base64:";

/// How the key of a record is written back out.
#[derive(Debug, Clone, PartialEq)]
pub enum Key {
    /// Text key fields, each passed through byte for byte.
    Fields(Vec<Vec<u8>>),
    /// A typed bytes key, written back unchanged in typed bytes output.
    Typed(Value),
}

impl Key {
    /// The key as text fields: a typed bytes vector or list gives one field per item,
    /// any other typed value one field.
    pub fn fields(&self) -> Vec<Vec<u8>> {
        match self {
            Self::Fields(fields) => fields.clone(),
            Self::Typed(Value::Vector(items) | Value::List(items)) => {
                items.iter().map(typed_text).collect()
            }
            Self::Typed(value) => vec![typed_text(value)],
        }
    }
}

/// A typed bytes value as the text of a key field.
fn typed_text(value: &Value) -> Vec<u8> {
    match value {
        Value::Bytes(bytes) | Value::Application { bytes, .. } => bytes.clone(),
        Value::String(text) => text.clone().into_bytes(),
        Value::Byte(v) => v.to_string().into_bytes(),
        Value::Bool(v) => v.to_string().into_bytes(),
        Value::Int(v) => v.to_string().into_bytes(),
        Value::Long(v) => v.to_string().into_bytes(),
        Value::Float(v) => format_double(f64::from(*v)).into_bytes(),
        Value::Double(v) => format_double(*v).into_bytes(),
        Value::Vector(items) | Value::List(items) => {
            items.iter().map(typed_text).collect::<Vec<_>>().join(&b' ')
        }
        Value::Map(_) => b"map".to_vec(),
    }
}

/// The payload of a typed bytes value: bytes are the DICOM file, a string a path.
pub fn typed_payload(value: Value) -> Payload {
    match value {
        Value::Bytes(bytes) => Payload::Bytes(bytes),
        Value::String(path) => path_payload(&path),
        other => Payload::Invalid {
            name: None,
            kind: "bad_record",
            error: format!(
                "a typed bytes record value must be bytes (a DICOM file) or a string (a path), not {}",
                other.type_name()
            ),
        },
    }
}

/// What a record asks the mapper to process.
#[derive(Debug)]
pub enum Payload {
    /// A file to read; `name` is the path as written in the record.
    Path {
        /// The local path.
        path: PathBuf,
        /// The path as the record wrote it, for the `image_path` column.
        name: String,
    },
    /// The DICOM bytes themselves.
    Bytes(Vec<u8>),
    /// A record that cannot be processed, with the error kind and message of its row.
    Invalid {
        /// The path as the record wrote it, when it names one.
        name: Option<String>,
        /// Error kind label.
        kind: &'static str,
        /// Error message (never quotes the record, which may hold identifiers).
        error: String,
    },
}

/// One input record.
#[derive(Debug)]
pub struct Record {
    /// The key passed through to the output.
    pub key: Key,
    /// What to process.
    pub payload: Payload,
}

/// One line read by [`read_line`].
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// A complete line, without its line break (and without a trailing `\r`).
    Complete,
    /// A line longer than the cap: its first `cap` bytes are in the buffer, the rest
    /// was skipped; `len` is its full length.
    TooLong {
        /// Length of the line in bytes.
        len: u64,
    },
}

/// Reads one line into `buf` (cleared first), keeping at most `cap` bytes. Returns
/// `None` at the end of the input.
pub fn read_line(
    reader: &mut impl BufRead,
    buf: &mut Vec<u8>,
    cap: usize,
) -> io::Result<Option<Line>> {
    buf.clear();
    let mut started = false;
    let mut len: u64 = 0;
    loop {
        let available = match reader.fill_buf() {
            Ok(available) => available,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            if !started {
                return Ok(None);
            }
            break;
        }
        started = true;
        let (chunk, used, ended) = match available.iter().position(|&b| b == b'\n') {
            Some(end) => (&available[..end], end + 1, true),
            None => (available, available.len(), false),
        };
        let room = cap.saturating_sub(buf.len()).min(chunk.len());
        buf.extend_from_slice(&chunk[..room]);
        len += chunk.len() as u64;
        reader.consume(used);
        if ended {
            break;
        }
    }
    if len > cap as u64 {
        return Ok(Some(Line::TooLong { len }));
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    Ok(Some(Line::Complete))
}

/// Parses one complete line into a record.
pub fn parse_line(line: &[u8]) -> Record {
    let (key, value) = split_key(line);
    Record {
        key: Key::Fields(key),
        payload: parse_value(value),
    }
}

/// The record for a line longer than the cap, of which `start` was kept: an error
/// row that still carries the key fields when they lie in the kept part.
pub fn too_long(start: &[u8], len: u64, cap: usize) -> Record {
    Record {
        key: Key::Fields(split_key(start).0),
        payload: Payload::Invalid {
            name: None,
            kind: "too_large",
            error: format!(
                "the record is {len} bytes long, more than the limit of {cap} (--max-record-bytes)"
            ),
        },
    }
}

/// Splits a line at its last tab into key fields and the value.
fn split_key(line: &[u8]) -> (Vec<Vec<u8>>, &[u8]) {
    match line.iter().rposition(|&b| b == b'\t') {
        Some(tab) => (
            line[..tab]
                .split(|&b| b == b'\t')
                .map(<[u8]>::to_vec)
                .collect(),
            &line[tab + 1..],
        ),
        None => (Vec::new(), line),
    }
}

fn parse_value(value: &[u8]) -> Payload {
    if let Some(encoded) = value.strip_prefix(BASE64_PREFIX) {
        return match base64::decode(encoded) {
            Ok(bytes) => Payload::Bytes(bytes),
            Err(e) => Payload::Invalid {
                name: None,
                kind: "bad_record",
                error: format!("the base64 record does not decode: {e}"),
            },
        };
    }
    if value.is_empty() {
        return Payload::Invalid {
            name: None,
            kind: "bad_record",
            error: "empty record: expected a path or base64:<DICOM bytes>".into(),
        };
    }
    let Ok(text) = std::str::from_utf8(value) else {
        return local_path_bytes(value);
    };
    path_payload(text)
}

/// The payload of a path record given as text: a local path or a `file:` URI.
pub fn path_payload(text: &str) -> Payload {
    let name = text.to_owned();
    let path = if let Some(rest) = text.strip_prefix("file://") {
        // file:///abs/path (empty authority) or file://localhost/abs/path.
        let rest = rest.strip_prefix("localhost").unwrap_or(rest);
        if !rest.starts_with('/') {
            return Payload::Invalid {
                name: Some(name),
                kind: "unsupported_uri",
                error: "file:// URIs must name a local absolute path (file:///...)".into(),
            };
        }
        percent_decode(rest)
    } else if let Some(rest) = text.strip_prefix("file:") {
        // Hadoop writes local files as file:/abs/path.
        percent_decode(rest)
    } else if let Some((scheme, _)) = text.split_once("://") {
        if !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        {
            return Payload::Invalid {
                name: Some(name),
                kind: "unsupported_uri",
                error: format!(
                    "{scheme}:// paths are not read by this build: ship the images as base64 or \
                     typed bytes records (medprep pack), or mount the file system locally"
                ),
            };
        }
        PathBuf::from(text)
    } else {
        PathBuf::from(text)
    };
    Payload::Path { path, name }
}

/// Decodes `%XX` escapes of a URI path (other bytes are kept as they are).
fn percent_decode(text: &str) -> PathBuf {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    path_from_bytes(out)
}

#[cfg(unix)]
fn path_from_bytes(bytes: Vec<u8>) -> PathBuf {
    use std::os::unix::ffi::OsStringExt;
    PathBuf::from(std::ffi::OsString::from_vec(bytes))
}

#[cfg(not(unix))]
fn path_from_bytes(bytes: Vec<u8>) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(&bytes).into_owned())
}

/// A path that is not UTF-8: usable as it is on Unix, where paths are bytes.
fn local_path_bytes(value: &[u8]) -> Payload {
    Payload::Path {
        path: path_from_bytes(value.to_vec()),
        name: String::from_utf8_lossy(value).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8], cap: usize) -> Vec<(Option<Line>, Vec<u8>)> {
        let mut reader = io::BufReader::with_capacity(4, input);
        let mut buf = Vec::new();
        let mut out = Vec::new();
        while let Some(line) = read_line(&mut reader, &mut buf, cap).expect("read") {
            out.push((Some(line), buf.clone()));
        }
        out
    }

    #[test]
    fn lines_end_at_line_breaks_and_long_ones_are_cut_at_the_cap() {
        let got = lines(b"a\r\nbbbbbbbbbb\n\nlast", 5);
        assert_eq!(
            got,
            [
                (Some(Line::Complete), b"a".to_vec()),
                (Some(Line::TooLong { len: 10 }), b"bbbbb".to_vec()),
                (Some(Line::Complete), Vec::new()),
                (Some(Line::Complete), b"last".to_vec()),
            ]
        );
    }

    #[test]
    fn keys_are_every_field_before_the_last_tab() {
        let record = parse_line(b"p1\t2024\t/data/a.dcm");
        assert_eq!(
            record.key,
            Key::Fields(vec![b"p1".to_vec(), b"2024".to_vec()])
        );
        assert!(matches!(record.payload, Payload::Path { ref name, .. } if name == "/data/a.dcm"));
        let record = parse_line(b"\t/data/a.dcm");
        assert_eq!(record.key, Key::Fields(vec![Vec::new()]));
        let record = parse_line(b"k\tbase64:AAEC");
        assert!(matches!(record.payload, Payload::Bytes(ref b) if b == &[0, 1, 2]));
    }

    #[test]
    fn file_uris_become_local_paths_and_other_schemes_are_refused() {
        let path = |text: &str| match path_payload(text) {
            Payload::Path { path, .. } => Some(path),
            _ => None,
        };
        assert_eq!(
            path("file:///data/a%20b.dcm"),
            Some(PathBuf::from("/data/a b.dcm"))
        );
        assert_eq!(
            path("file://localhost/data/a.dcm"),
            Some(PathBuf::from("/data/a.dcm"))
        );
        assert_eq!(path("file:/data/a.dcm"), Some(PathBuf::from("/data/a.dcm")));
        assert_eq!(
            path("relative/a.dcm"),
            Some(PathBuf::from("relative/a.dcm"))
        );
        assert_eq!(path("file://host/data/a.dcm"), None);
        assert!(matches!(
            path_payload("hdfs://nn:8020/raw/a.dcm"),
            Payload::Invalid {
                kind: "unsupported_uri",
                name: Some(_),
                ..
            }
        ));
        assert!(matches!(path_payload("%zz"), Payload::Path { .. }));
    }

    #[test]
    fn typed_keys_give_text_fields() {
        let key = Key::Typed(Value::Vector(vec![
            Value::String("p1".into()),
            Value::Long(7),
        ]));
        assert_eq!(key.fields(), [b"p1".to_vec(), b"7".to_vec()]);
        assert_eq!(Key::Typed(Value::Double(0.5)).fields(), [b"0.5".to_vec()]);
        assert!(matches!(
            typed_payload(Value::Int(3)),
            Payload::Invalid {
                kind: "bad_record",
                ..
            }
        ));
    }
}
