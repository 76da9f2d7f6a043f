//! IBSI intensity histogram features: entropy and uniformity.

use ndarray::ArrayViewD;

use super::discretise::{min_max, FastBins, Levels};
use super::{non_finite, roi_values, Discretisation, StatsError};

/// Names of the [`histogram`] features, in output order.
pub const HISTOGRAM_NAMES: &[&str] = &["entropy", "uniformity"];

/// The most histogram bins a discretisation may yield.
pub const MAX_HISTOGRAM_BINS: u32 = 1 << 20;

/// Entropy (log2) and uniformity of the discretised values inside the ROI.
///
/// With `p_i` the fraction of ROI values in grey level `i`: entropy = -Σ p_i log2 p_i,
/// uniformity = Σ p_i². Fixed bin number bins over the ROI's own [min, max] on numpy's
/// edges (`np.histogram(x, bins, (min, max))`), so a constant ROI has entropy 0 and
/// uniformity 1.
pub fn histogram(
    values: ArrayViewD<'_, f32>,
    mask: Option<ArrayViewD<'_, bool>>,
    discretisation: Discretisation,
) -> Result<Vec<(&'static str, f64)>, StatsError> {
    if mask.is_none() {
        if let Some(slice) = values.as_slice() {
            // The common case reads the map in place: no ROI copy.
            if slice.is_empty() {
                return Err(StatsError::EmptyRoi);
            }
            let (lo, hi, finite) = min_max(slice);
            if !finite {
                let bad = slice.iter().copied().find(|x| !x.is_finite());
                return Err(non_finite(&values, None, bad.unwrap_or(f32::NAN)));
            }
            return histogram_in_range(slice, lo, hi, discretisation);
        }
    }
    let roi = roi_values(&values, mask.as_ref())?;
    histogram_of(&roi, discretisation)
}

/// The histogram features of finite, non-empty values.
fn histogram_of(
    roi: &[f32],
    discretisation: Discretisation,
) -> Result<Vec<(&'static str, f64)>, StatsError> {
    let (lo, hi, _) = min_max(roi);
    histogram_in_range(roi, lo, hi, discretisation)
}

/// The histogram features of finite, non-empty values with minimum `lo` and maximum `hi`.
fn histogram_in_range(
    roi: &[f32],
    lo: f32,
    hi: f32,
    discretisation: Discretisation,
) -> Result<Vec<(&'static str, f64)>, StatsError> {
    let levels = histogram_levels(roi, lo, hi, discretisation)?;
    let counts = match BinCounts::new(&levels) {
        Some(mut fast) => {
            let mut chunks = roi.chunks_exact(COUNT_LANES);
            for chunk in &mut chunks {
                if let Ok(chunk) = chunk.try_into() {
                    fast.add(chunk);
                }
            }
            for &x in chunks.remainder() {
                fast.add_one(x);
            }
            fast.counts()
        }
        None => slow_counts(roi, &levels),
    };
    Ok(features_of_counts(&counts, roi.len()))
}

/// The histogram's grey levels of finite, non-empty values with minimum `lo` and maximum
/// `hi`.
pub(super) fn histogram_levels(
    roi: &[f32],
    lo: f32,
    hi: f32,
    discretisation: Discretisation,
) -> Result<Levels, StatsError> {
    Levels::with_range(discretisation, roi, lo, hi, MAX_HISTOGRAM_BINS, "histogram")
}

/// Bin counts of `roi` under any `levels`, one f64 binning per value.
pub(super) fn slow_counts(roi: &[f32], levels: &Levels) -> Vec<u64> {
    let mut counts = vec![0u64; levels.count()];
    for &x in roi {
        if let Some(count) = counts.get_mut(levels.index(f64::from(x))) {
            *count += 1;
        }
    }
    counts
}

/// Values a [`BinCounts`] takes at once, each into its own count array: runs of equal
/// bins (a clipped background) then do not wait on one counter.
pub(super) const COUNT_LANES: usize = 4;

/// Counts of a fixed bin number over a non-empty range, for up to 4096 bins, filled a
/// few values at a time (possibly inside another pass over the values).
pub(super) struct BinCounts {
    fast: FastBins,
    bins: usize,
    lanes: Vec<u64>,
}

impl BinCounts {
    /// `None` when the levels are not a fixed bin number over a non-empty range, or too
    /// many.
    pub(super) fn new(levels: &Levels) -> Option<Self> {
        let bins = levels.count();
        let fast = levels.fast_bins().filter(|_| bins <= 4096)?;
        Some(Self {
            fast,
            bins,
            lanes: vec![0; COUNT_LANES * bins],
        })
    }

    #[inline(always)]
    pub(super) fn add(&mut self, xs: &[f32; COUNT_LANES]) {
        for (l, &x) in xs.iter().enumerate() {
            if let Some(count) = self.lanes.get_mut(l * self.bins + self.fast.index(x)) {
                *count += 1;
            }
        }
    }

    pub(super) fn add_one(&mut self, x: f32) {
        if let Some(count) = self.lanes.get_mut(self.fast.index(x)) {
            *count += 1;
        }
    }

    /// The count of each bin.
    pub(super) fn counts(self) -> Vec<u64> {
        let mut counts = vec![0u64; self.bins];
        for lane in self.lanes.chunks_exact(self.bins) {
            for (c, l) in counts.iter_mut().zip(lane) {
                *c += l;
            }
        }
        counts
    }
}

/// Entropy and uniformity of the bin `counts` of `n` values (shared with the GPU twin,
/// which counts on the device).
pub(crate) fn features_of_counts(counts: &[u64], n: usize) -> Vec<(&'static str, f64)> {
    let n = n as f64;
    let (mut entropy, mut uniformity) = (0.0, 0.0);
    for &count in counts.iter().filter(|&&c| c > 0) {
        let p = count as f64 / n;
        entropy -= p * p.log2();
        uniformity += p * p;
    }
    vec![("entropy", entropy), ("uniformity", uniformity)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_roi_has_one_bin() {
        let got = histogram_of(&[3.0; 10], Discretisation::Bins(64)).expect("valid test input");
        assert_eq!(got, vec![("entropy", 0.0), ("uniformity", 1.0)]);
    }

    #[test]
    fn two_equal_halves_carry_one_bit() {
        let got = histogram_of(&[0.0, 0.0, 1.0, 1.0], Discretisation::Bins(64))
            .expect("valid test input");
        assert_eq!(got, vec![("entropy", 1.0), ("uniformity", 0.5)]);
    }
}
