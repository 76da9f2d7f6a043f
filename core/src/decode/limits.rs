//! Caps checked before any large allocation, so a hostile header cannot exhaust memory.
//!
//! One knob, [`Limits::max_samples`], bounds the decoded image; the bytes an input may
//! occupy (on disk, or once a deflated data set is inflated) are derived from it, so a
//! file that could only hold an image beyond the cap is refused before it is read.

use crate::error::ErrorKind;

/// Bytes allowed beyond the pixel data for the rest of a data set (header, overlays,
/// icons, private elements).
const HEADER_ALLOWANCE: u64 = 64 << 20;
/// Widest stored sample medprep decodes (Bits Allocated 32).
const MAX_SAMPLE_BYTES: u64 = 4;

/// Size limits applied while decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest number of samples (frames × rows × columns × samples per pixel) decoded at once.
    pub max_samples: u64,
}

impl Default for Limits {
    /// 2^28 samples: 1 GiB as f32, far beyond any single CT or MR series file.
    fn default() -> Self {
        Self {
            max_samples: 1 << 28,
        }
    }
}

impl Limits {
    /// Largest input accepted, in bytes: a file read from disk, or a deflated data set
    /// once inflated. Derived from [`Limits::max_samples`]: enough for that many 32-bit
    /// samples plus 64 MiB of other elements (1.06 GiB by default).
    pub fn max_input_bytes(&self) -> u64 {
        self.max_samples
            .saturating_mul(MAX_SAMPLE_BYTES)
            .saturating_add(HEADER_ALLOWANCE)
    }

    pub(crate) fn check_samples(&self, samples: u64) -> Result<(), ErrorKind> {
        if samples > self.max_samples {
            return Err(ErrorKind::TooLarge {
                what: "image",
                bytes: samples.saturating_mul(4),
                limit: self.max_samples.saturating_mul(4),
            });
        }
        Ok(())
    }

    pub(crate) fn check_input_bytes(
        &self,
        what: &'static str,
        bytes: u64,
    ) -> Result<(), ErrorKind> {
        let limit = self.max_input_bytes();
        if bytes > limit {
            return Err(ErrorKind::TooLarge { what, bytes, limit });
        }
        Ok(())
    }
}
