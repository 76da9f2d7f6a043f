//! IBSI discretisation of ROI intensities into grey levels.
//!
//! A level has an index `0..count` (matrix and histogram position) and a grey value
//! `i` (what IBSI's formulas weigh): `index + 1` for fixed bin number and fixed bin width,
//! the intensity itself without discretisation.

use super::{Discretisation, StatsError};

/// The grey levels of one ROI under one discretisation.
#[derive(Debug, Clone, Copy)]
pub(super) struct Levels {
    kind: Kind,
    count: usize,
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    /// Fixed bin number `n` over [min, max], binned on numpy's edges
    /// `linspace(min, max, n + 1)` (last bin closed), as `np.histogram` does.
    Bins {
        n: usize,
        min: f64,
        max: f64,
        step: f64,
    },
    /// Fixed bin width from the ROI minimum (or a given lower bound): index =
    /// floor((x - min) / width).
    Width { min: f64, width: f64 },
    /// Integer intensities are their own grey levels, min..=max.
    Identity { min: f64 },
}

impl Levels {
    /// Levels for the finite, non-empty ROI values `roi`; at most `limit` of them.
    pub(super) fn new(
        discretisation: Discretisation,
        roi: &[f32],
        limit: u32,
        family: &'static str,
    ) -> Result<Self, StatsError> {
        let (lo, hi, _) = min_max(roi);
        Self::with_range(discretisation, roi, lo, hi, limit, family)
    }

    /// [`Levels::new`], except that a fixed bin width counts its bins from
    /// `lower_bound` when given (IBSI: the lower bound of the re-segmentation range, so
    /// that bin edges sit at the same intensities in every ROI) rather than from the
    /// ROI's minimum. A bound above the minimum is lowered to it.
    pub(super) fn from_bound(
        discretisation: Discretisation,
        roi: &[f32],
        lower_bound: Option<f32>,
        limit: u32,
        family: &'static str,
    ) -> Result<Self, StatsError> {
        let (lo, hi, _) = min_max(roi);
        let lo = match (discretisation, lower_bound) {
            (Discretisation::BinWidth(_), Some(bound)) => bound.min(lo),
            _ => lo,
        };
        Self::with_range(discretisation, roi, lo, hi, limit, family)
    }

    /// [`Levels::new`] when the ROI's minimum `lo` and maximum `hi` are known.
    pub(super) fn with_range(
        discretisation: Discretisation,
        roi: &[f32],
        lo: f32,
        hi: f32,
        limit: u32,
        family: &'static str,
    ) -> Result<Self, StatsError> {
        let (min, max) = (f64::from(lo), f64::from(hi));
        let (kind, count) = match discretisation {
            Discretisation::Bins(0) => return Err(StatsError::ZeroBins),
            Discretisation::Bins(n) => {
                check_limit(u64::from(n), limit, family)?;
                let n = n as usize;
                (
                    Kind::Bins {
                        n,
                        min,
                        max,
                        step: (max - min) / n as f64,
                    },
                    n,
                )
            }
            Discretisation::BinWidth(width) => {
                if !(width > 0.0 && width.is_finite()) {
                    return Err(StatsError::BadBinWidth(width));
                }
                let count = ((max - min) / width).floor() + 1.0;
                check_limit_f64(count, limit, family)?;
                (Kind::Width { min, width }, count as usize)
            }
            Discretisation::None => {
                if let Some(&x) = roi.iter().find(|x| x.fract() != 0.0) {
                    return Err(StatsError::NotInteger(f64::from(x)));
                }
                let count = max - min + 1.0;
                check_limit_f64(count, limit, family)?;
                (Kind::Identity { min }, count as usize)
            }
        };
        Ok(Self { kind, count })
    }

    /// Number of grey levels, IBSI's `N_g`.
    pub(super) fn count(&self) -> usize {
        self.count
    }

    /// Index of the level of `x`, a value within the ROI's [min, max].
    pub(super) fn index(&self, x: f64) -> usize {
        match self.kind {
            Kind::Bins { n, min, max, step } => {
                if max == min {
                    return 0;
                }
                // np.histogram: estimate, then one correction step against the edges.
                let mut k = ((x - min) / (max - min) * n as f64) as usize;
                if k >= n {
                    k = n - 1;
                }
                let edge = |k: usize| if k == n { max } else { k as f64 * step + min };
                if x < edge(k) {
                    k = k.saturating_sub(1);
                } else if k != n - 1 && x >= edge(k + 1) {
                    k += 1;
                }
                k
            }
            Kind::Width { min, width } => {
                (((x - min) / width).floor() as usize).min(self.count - 1)
            }
            Kind::Identity { min } => ((x - min) as usize).min(self.count - 1),
        }
    }

    /// For a fixed bin number over a non-empty range, the same binning as [`Levels::index`]
    /// on f32 thresholds.
    pub(super) fn fast_bins(&self) -> Option<FastBins> {
        let Kind::Bins { n, min, max, step } = self.kind else {
            return None;
        };
        if max <= min {
            return None;
        }
        let mut thresholds = Vec::with_capacity(n + 1);
        thresholds.push(f32::NEG_INFINITY);
        thresholds.extend((1..n).map(|k| f32_at_or_above(k as f64 * step + min)));
        thresholds.push(f32::INFINITY);
        let (lo, hi) = (min as f32, max as f32);
        Some(FastBins {
            min: lo,
            scale: n as f32 / (hi - lo),
            thresholds,
            last: n - 1,
        })
    }

    /// IBSI grey value of level `index`.
    pub(super) fn grey(&self, index: usize) -> f64 {
        match self.kind {
            Kind::Bins { .. } | Kind::Width { .. } => index as f64 + 1.0,
            Kind::Identity { min } => min + index as f64,
        }
    }
}

/// Binning on numpy's edges for f32 values: `x >= edge` (in f64) exactly when
/// `x >= t`, t the least f32 not below the edge. So the bin of `x` is the `k` with
/// `t[k] <= x < t[k + 1]`, found from an f32 estimate and a walk that is almost always
/// empty; the estimate's rounding only affects speed.
pub(super) struct FastBins {
    min: f32,
    scale: f32,
    /// `t[0] = -inf`, the interior edges, `t[n] = +inf` (the last bin is closed).
    thresholds: Vec<f32>,
    /// The last bin, `n - 1`.
    last: usize,
}

impl FastBins {
    /// `t[0] = -inf`, the interior edges, `t[n] = +inf`.
    pub(super) fn thresholds(&self) -> &[f32] {
        &self.thresholds
    }

    /// The minimum and the bins per unit of the estimate.
    pub(super) fn min_scale(&self) -> (f32, f32) {
        (self.min, self.scale)
    }

    /// Index of the bin of `x`, any value within the ROI's [min, max].
    #[inline(always)]
    pub(super) fn index(&self, x: f32) -> usize {
        // An i32 estimate converts in one instruction; NaN and overflow give 0 or the
        // i32 bounds, then the walk corrects.
        let estimate = ((x - self.min) * self.scale) as i32;
        let k = (estimate.max(0) as usize).min(self.last);
        match self.thresholds.get(k..k + 2) {
            Some(&[lo, hi]) if lo <= x && x < hi => k,
            _ => self.walk(x, k),
        }
    }

    /// The bin of `x` from a wrong estimate `k`.
    #[cold]
    #[inline(never)]
    fn walk(&self, x: f32, mut k: usize) -> usize {
        let t = &self.thresholds;
        // The infinite ends stop both walks inside `t`.
        while k > 0 && t.get(k).is_some_and(|&t| x < t) {
            k -= 1;
        }
        while k < self.last && t.get(k + 1).is_some_and(|&t| x >= t) {
            k += 1;
        }
        k
    }
}

/// For the GPU twin of the fixed-bin-number histogram: `(min, scale, interior
/// thresholds)` of [`FastBins`] for `n >= 1` bins over `[lo, hi]`, or `None` when the range
/// is empty (every value then falls in bin 0).
#[cfg(feature = "gpu")]
pub(crate) fn fixed_bins(lo: f32, hi: f32, n: u32) -> Option<(f32, f32, Vec<f32>)> {
    let levels = Levels::with_range(Discretisation::Bins(n), &[], lo, hi, u32::MAX, "histogram");
    let fast = levels.ok()?.fast_bins()?;
    let interior = fast
        .thresholds
        .get(1..fast.thresholds.len().saturating_sub(1))
        .unwrap_or_default()
        .to_vec();
    Some((fast.min, fast.scale, interior))
}

/// The least f32 at or above `x` (a finite value within the f32 range).
fn f32_at_or_above(x: f64) -> f32 {
    let f = x as f32;
    if f64::from(f) >= x {
        f
    } else if f == 0.0 {
        f32::from_bits(1)
    } else if f > 0.0 {
        f32::from_bits(f.to_bits() + 1)
    } else {
        f32::from_bits(f.to_bits() - 1)
    }
}

/// Minimum and maximum of `values`, and whether all are finite; vectorised lanes.
pub(super) fn min_max(values: &[f32]) -> (f32, f32, bool) {
    const LANES: usize = 8;
    let mut lo = [f32::INFINITY; LANES];
    let mut hi = [f32::NEG_INFINITY; LANES];
    let mut finite = [true; LANES];
    let mut chunks = values.chunks_exact(LANES);
    for chunk in &mut chunks {
        for l in 0..LANES {
            let x = chunk[l];
            finite[l] &= x.is_finite();
            lo[l] = if x < lo[l] { x } else { lo[l] };
            hi[l] = if x > hi[l] { x } else { hi[l] };
        }
    }
    for (l, &x) in chunks.remainder().iter().enumerate() {
        finite[l] &= x.is_finite();
        lo[l] = if x < lo[l] { x } else { lo[l] };
        hi[l] = if x > hi[l] { x } else { hi[l] };
    }
    (
        lo.iter().copied().fold(f32::INFINITY, f32::min),
        hi.iter().copied().fold(f32::NEG_INFINITY, f32::max),
        finite.iter().all(|&f| f),
    )
}

fn check_limit(levels: u64, limit: u32, family: &'static str) -> Result<(), StatsError> {
    if levels > u64::from(limit) {
        Err(StatsError::TooManyGreyLevels {
            levels,
            limit,
            family,
        })
    } else {
        Ok(())
    }
}

fn check_limit_f64(levels: f64, limit: u32, family: &'static str) -> Result<(), StatsError> {
    if levels > f64::from(limit) {
        Err(StatsError::TooManyGreyLevels {
            // `as` saturates: a count beyond u64 reports u64::MAX.
            levels: levels as u64,
            limit,
            family,
        })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_bin_number_uses_numpy_edges() {
        let roi = [0.0f32, 0.1, 0.2, 0.3, 0.7, 1.0];
        let levels =
            Levels::new(Discretisation::Bins(10), &roi, 64, "histogram").expect("valid test input");
        // As np.histogram(roi.astype(np.float64), 10, (0, 1)) bins them: 0.7f32 lies just
        // below the edge 0.7, and 1.0 belongs to the last, closed bin.
        let got: Vec<usize> = roi.iter().map(|&x| levels.index(f64::from(x))).collect();
        assert_eq!(got, vec![0, 1, 2, 3, 6, 9]);
        assert_eq!(levels.grey(0), 1.0);
    }

    #[test]
    fn fast_bins_agree_with_the_edge_comparisons() {
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
            (1.0, 1.0 + 3.0 * f32::EPSILON),
            (-3.0e38, 3.0e38),
        ] {
            for bins in [1u32, 3, 10, 64, 1000] {
                let mut roi = vec![lo, hi];
                roi.extend(
                    (0..2000).map(|_| {
                        (f64::from(lo) + uniform() * (f64::from(hi) - f64::from(lo))) as f32
                    }),
                );
                // Values on and next to every edge.
                let step = (f64::from(hi) - f64::from(lo)) / f64::from(bins);
                for k in 0..=bins {
                    let edge = (f64::from(k) * step + f64::from(lo)) as f32;
                    for bits in [
                        edge.to_bits().wrapping_sub(1),
                        edge.to_bits(),
                        edge.to_bits() + 1,
                    ] {
                        let x = f32::from_bits(bits);
                        if x >= lo && x <= hi {
                            roi.push(x);
                        }
                    }
                }
                let levels = Levels::new(Discretisation::Bins(bins), &roi, 1 << 20, "histogram")
                    .expect("valid test input");
                let fast = levels.fast_bins().expect("a non-empty range");
                for &x in &roi {
                    assert_eq!(
                        fast.index(x),
                        levels.index(f64::from(x)),
                        "x = {x:e}, bins = {bins}, range [{lo:e}, {hi:e}]"
                    );
                }
            }
        }
        let constant = Levels::new(Discretisation::Bins(8), &[2.0; 3], 64, "histogram")
            .expect("valid test input");
        assert!(constant.fast_bins().is_none());
    }

    #[test]
    fn fixed_bin_width_and_identity() {
        let roi = [-3.0f32, -1.0, 0.0, 2.0];
        let width =
            Levels::new(Discretisation::BinWidth(2.0), &roi, 64, "GLCM").expect("valid test input");
        assert_eq!(width.count(), 3);
        assert_eq!(roi.map(|x| width.index(f64::from(x))), [0, 1, 1, 2]);
        let identity =
            Levels::new(Discretisation::None, &roi, 64, "GLCM").expect("valid test input");
        assert_eq!(identity.count(), 6);
        assert_eq!(roi.map(|x| identity.index(f64::from(x))), [0, 2, 3, 5]);
        assert_eq!(identity.grey(5), 2.0);
    }

    #[test]
    fn bad_discretisations_are_errors() {
        let roi = [0.0f32, 1.5, 3000.0];
        assert_eq!(
            Levels::new(Discretisation::Bins(0), &roi, 64, "GLCM").expect_err("an error"),
            StatsError::ZeroBins
        );
        assert!(matches!(
            Levels::new(Discretisation::BinWidth(-1.0), &roi, 64, "GLCM"),
            Err(StatsError::BadBinWidth(_))
        ));
        assert_eq!(
            Levels::new(Discretisation::None, &roi, 64, "GLCM").expect_err("an error"),
            StatsError::NotInteger(1.5)
        );
        assert_eq!(
            Levels::new(Discretisation::BinWidth(1.0), &roi, 1024, "GLCM").expect_err("an error"),
            StatsError::TooManyGreyLevels {
                levels: 3001,
                limit: 1024,
                family: "GLCM"
            }
        );
    }
}
