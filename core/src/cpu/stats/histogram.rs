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
    let counts = match BinCounts::new(&levels, roi.len()) {
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

/// Most bins a [`BinCounts`] takes.
const FAST_BINS: usize = 4096;

/// Counts of a fixed bin number over a non-empty range, for up to [`FAST_BINS`] bins,
/// filled a few values at a time (possibly inside another pass over the values).
///
/// The bins of [`FastBins`] with fixed-size tables, so that a masked index needs no
/// bounds check, and an estimate made without float-to-int saturation: `x·scale -
/// offset`, clamped to `[0, last]`, rounded by adding 2^23. It is checked against the
/// thresholds; a wrong estimate (rare) walks.
pub(super) struct BinCounts {
    fast: FastBins,
    scale: f32,
    offset: f32,
    last: f32,
    bins: usize,
    /// `t[0..=n]` of [`FastBins`], then +inf.
    thresholds: Box<[f32; FAST_BINS + 1]>,
    /// Per bin, one counter per lane.
    lanes: Box<[[u32; COUNT_LANES]; FAST_BINS]>,
}

impl BinCounts {
    /// `None` when the levels are not a fixed bin number over a non-empty range, or too
    /// many, or when `n` values could overflow a counter.
    pub(super) fn new(levels: &Levels, n: usize) -> Option<Self> {
        let bins = levels.count();
        u32::try_from(n).ok()?;
        let fast = levels.fast_bins().filter(|_| bins <= FAST_BINS)?;
        let mut thresholds = Box::new([f32::INFINITY; FAST_BINS + 1]);
        for (t, &edge) in thresholds.iter_mut().zip(fast.thresholds()) {
            *t = edge;
        }
        let (min, scale) = fast.min_scale();
        Some(Self {
            scale,
            // Rounding to nearest after subtracting one half estimates the floor.
            offset: min * scale + 0.5,
            last: (bins - 1) as f32,
            bins,
            thresholds,
            lanes: Box::new([[0; COUNT_LANES]; FAST_BINS]),
            fast,
        })
    }

    #[inline(always)]
    fn index(&self, x: f32) -> usize {
        const ROUND: f32 = 8_388_608.0;
        let estimate = (x * self.scale - self.offset).max(0.0).min(self.last);
        let k = ((estimate + ROUND).to_bits() - ROUND.to_bits()) as usize & (FAST_BINS - 1);
        if self.thresholds[k] <= x && x < self.thresholds[k + 1] {
            k
        } else {
            self.fast.index(x) & (FAST_BINS - 1)
        }
    }

    #[inline(always)]
    pub(super) fn add(&mut self, xs: &[f32; COUNT_LANES]) {
        for (l, &x) in xs.iter().enumerate() {
            let k = self.index(x);
            self.lanes[k][l] += 1;
        }
    }

    pub(super) fn add_one(&mut self, x: f32) {
        let k = self.index(x);
        self.lanes[k][0] += 1;
    }

    /// The count of each bin.
    pub(super) fn counts(self) -> Vec<u64> {
        self.lanes
            .iter()
            .take(self.bins)
            .map(|lanes| lanes.iter().map(|&c| u64::from(c)).sum())
            .collect()
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
    fn bin_counts_agree_with_the_edge_comparisons() {
        let mut state = 0x9e37_79b9u32;
        let mut uniform = move || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            f64::from(state) / f64::from(u32::MAX)
        };
        for (lo, hi) in [
            (0.0f32, 1.0f32),
            (-1024.0, 3071.0),
            (1.0e6, 1.0e6 + 1.0),
            (-3.0e38, 3.0e38),
        ] {
            for bins in [1u32, 3, 64, 4096] {
                let mut roi = vec![lo, hi];
                roi.extend(
                    (0..5001).map(|_| {
                        (f64::from(lo) + uniform() * (f64::from(hi) - f64::from(lo))) as f32
                    }),
                );
                let levels = histogram_levels(&roi, lo, hi, Discretisation::Bins(bins))
                    .expect("valid test input");
                let mut fast = BinCounts::new(&levels, roi.len()).expect("a fast binning");
                let mut chunks = roi.chunks_exact(COUNT_LANES);
                for chunk in &mut chunks {
                    fast.add(chunk.try_into().expect("a whole chunk"));
                }
                for &x in chunks.remainder() {
                    fast.add_one(x);
                }
                assert_eq!(
                    fast.counts(),
                    slow_counts(&roi, &levels),
                    "{bins} bins over [{lo:e}, {hi:e}]"
                );
            }
        }
    }

    #[test]
    fn two_equal_halves_carry_one_bit() {
        let got = histogram_of(&[0.0, 0.0, 1.0, 1.0], Discretisation::Bins(64))
            .expect("valid test input");
        assert_eq!(got, vec![("entropy", 1.0), ("uniformity", 0.5)]);
    }
}
