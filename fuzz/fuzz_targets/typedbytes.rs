//! The typed bytes reader of `preprocess_image --io typedbytes`: every pair of the
//! input, until the end or the first error. Errors are expected; a panic, hang or an
//! allocation beyond the limits is a finding.

#![no_main]

use libfuzzer_sys::fuzz_target;
use medprep_cli::typedbytes::{Limits, Reader};

/// Small limits, so a length that lies cannot make the fuzzer allocate much even if
/// the reader trusted it.
const LIMITS: Limits = Limits {
    max_len: 1 << 16,
    max_depth: 16,
};

fuzz_target!(|data: &[u8]| {
    let mut reader = Reader::with_limits(data, LIMITS);
    while let Ok(Some(pair)) = reader.next_pair() {
        // Formatting walks every nested value, as writing the key back out does.
        let _ = format!("{pair:?}");
    }
    assert!(reader.offset() <= data.len() as u64);
});
