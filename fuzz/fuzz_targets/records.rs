//! The text records of `preprocess_image`: lines read with a length cap, each parsed
//! into a key and a payload (path, file: URI or base64 bytes). Must never panic.

#![no_main]

use std::io::BufReader;

use libfuzzer_sys::fuzz_target;
use medprep_cli::mapper::records::{parse_line, read_line, too_long, Line};

/// Small cap, so the too-long path is reached often.
const CAP: usize = 256;

fuzz_target!(|data: &[u8]| {
    // A small buffer splits lines across reads, as a pipe does.
    let mut reader = BufReader::with_capacity(7, data);
    let mut buf = Vec::new();
    let mut consumed = 0u64;
    while let Ok(Some(line)) = read_line(&mut reader, &mut buf, CAP) {
        assert!(buf.len() <= CAP);
        let record = match line {
            Line::Complete => {
                consumed += buf.len() as u64;
                parse_line(&buf)
            }
            Line::TooLong { len } => {
                consumed += len;
                too_long(&buf, len, CAP)
            }
        };
        let _ = record.key.fields();
    }
    assert!(consumed <= data.len() as u64);
});
