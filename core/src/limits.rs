//! Caps checked before any large allocation, so a hostile header cannot exhaust memory.

use crate::error::ErrorKind;

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
    pub(crate) fn check_samples(&self, samples: u64) -> Result<(), ErrorKind> {
        if samples > self.max_samples {
            return Err(ErrorKind::TooLarge {
                bytes: samples.saturating_mul(4),
                limit: self.max_samples.saturating_mul(4),
            });
        }
        Ok(())
    }
}
