//! The 18 IBSI intensity-based statistics, and with them, on request, the histogram
//! family's counts.
//!
//! Three O(n) reads of the values, in f64 with fixed-order lane accumulation, and no copy
//! for an unmasked map:
//! - Σ x, Σ x², min and max (a non-finite value shows in the sums), and the counts of
//!   the values' key buckets ([`super::order`]);
//! - the gather of the buckets that hold p10, p25, median, p75 and p90, and Σ x and count
//!   over the robust subset [p10, p90] (exact for the buckets certainly inside it, the
//!   rest from the gathered keys; zeros of the other sign than a bound at 0 are counted
//!   in a pass of their own);
//! - the deviations from the mean, the median and the robust mean, and the histogram's
//!   bin counts over the now known min..max.

use std::cell::RefCell;

use ndarray::ArrayViewD;

use super::histogram::{features_of_counts, histogram_levels, slow_counts, BinCounts, COUNT_LANES};
use super::order::{Counting, RangeSum, Tally, BUCKETS};
use super::{non_finite, roi_values, Discretisation, StatsError};

/// Names of the [`first_order`] statistics, in output order.
pub const FIRST_ORDER_NAMES: &[&str] = &[
    "mean", "variance", "skewness", "kurtosis", "median", "minimum", "p10", "p90", "maximum",
    "iqr", "range", "mad", "rmad", "medad", "cov", "qcod", "energy", "rms",
];

/// The 18 IBSI intensity-based statistics of the values inside the ROI, named as in
/// [`FIRST_ORDER_NAMES`].
///
/// Definitions (IBSI, population moments, `n` values `x`, f64 arithmetic):
/// variance = mean of `(x - mean)²`; skewness and excess kurtosis are 0 when the variance
/// is 0; percentiles are numpy `'linear'`; iqr = p75 - p25; mad = mean `|x - mean|`;
/// rmad = the same over the values in [p10, p90]; medad = mean `|x - median|`;
/// cov = sd / mean (NaN when the mean is 0); qcod = (p75 - p25) / (p75 + p25) (NaN when
/// the denominator is 0); energy = Σ x² (not divided by n); rms = sqrt(mean x²).
pub fn first_order(
    values: ArrayViewD<'_, f32>,
    mask: Option<ArrayViewD<'_, bool>>,
) -> Result<Vec<(&'static str, f64)>, StatsError> {
    Ok(with_histogram(values, mask, None)?.0)
}

/// Statistics of one family pass: the first-order statistics, and the histogram features
/// when a discretisation was given.
type Families = (Vec<(&'static str, f64)>, Option<Vec<(&'static str, f64)>>);

/// [`first_order`] and, given a discretisation, [`super::histogram`] of the same values,
/// from the same three reads.
pub(crate) fn with_histogram(
    values: ArrayViewD<'_, f32>,
    mask: Option<ArrayViewD<'_, bool>>,
    discretisation: Option<Discretisation>,
) -> Result<Families, StatsError> {
    if mask.is_none() {
        if let Some(slice) = values.as_slice() {
            // The common case reads the map in place: no ROI copy.
            if slice.is_empty() {
                return Err(StatsError::EmptyRoi);
            }
            return with_scratch(|counting| stats_of(slice, counting, discretisation)).map_err(
                |failure| match failure {
                    Failure::NonFinite => {
                        let bad = slice.iter().copied().find(|x| !x.is_finite());
                        non_finite(&values, None, bad.unwrap_or(f32::NAN))
                    }
                    Failure::Stats(e) => e,
                },
            );
        }
    }
    let roi = roi_values(&values, mask.as_ref())?;
    with_scratch(|counting| stats_of(&roi, counting, discretisation)).map_err(|failure| {
        match failure {
            // roi_values let no such value through.
            Failure::NonFinite => non_finite(&values, mask.as_ref(), f32::NAN),
            Failure::Stats(e) => e,
        }
    })
}

thread_local! {
    /// Counters of the order statistics, kept to spare allocations per call.
    static SCRATCH: RefCell<Option<Counting>> = const { RefCell::new(None) };
}

fn with_scratch<R>(f: impl FnOnce(&mut Counting) -> R) -> R {
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut scratch) => f(scratch.get_or_insert_with(Counting::new)),
        // Only re-entrancy could get here; fresh scratch is then correct, just slower.
        Err(_) => f(&mut Counting::new()),
    })
}

/// Lanes of independent accumulators: a fixed summation order that still vectorises.
const LANES: usize = 8;

/// Values per block of a fused pass: each loop over a block reads it from L1.
const BLOCK: usize = 1024;

/// Why [`stats_of`] gave no statistics.
enum Failure {
    /// A value is not finite.
    NonFinite,
    /// The discretisation does not fit the values.
    Stats(StatsError),
}

/// The statistics of non-empty `values`, and their histogram features under
/// `discretisation` if given.
fn stats_of(
    values: &[f32],
    counting: &mut Counting,
    discretisation: Option<Discretisation>,
) -> Result<Families, Failure> {
    let n = values.len() as f64;
    let first = Moments::of(values, counting.counters()).ok_or(Failure::NonFinite)?;
    let levels = discretisation
        .map(|d| histogram_levels(values, first.min, first.max, d))
        .transpose()
        .map_err(Failure::Stats)?;
    let (minimum, maximum) = (f64::from(first.min), f64::from(first.max));
    let (sum, energy) = (first.sum, first.energy);
    let mean = sum / n;

    let mut quantiles = [0.0; 5];
    let robust = counting.percentiles_counted(
        values,
        &[10.0, 25.0, 50.0, 75.0, 90.0],
        &mut quantiles,
        Some((0, 4)),
    );
    let [p10, _, p50, _, p90] = quantiles;
    let RangeSum {
        sum: robust_sum,
        count: robust_count,
    } = robust.unwrap_or(RangeSum { sum: 0.0, count: 0 });
    let robust_mean = if robust_count > 0 {
        robust_sum / robust_count as f64
    } else {
        0.0
    };

    let centres = Centres {
        mean,
        median: p50,
        robust_mean,
        p10,
        p90,
    };
    let mut bins = levels
        .as_ref()
        .and_then(|l| BinCounts::new(l, values.len()));
    let [m2, m3, m4, mad, medad, robust_deviation] = match bins.as_mut() {
        Some(bins) => deviations(values, &centres, bins),
        None => deviations(values, &centres, &mut ()),
    };
    let histogram = levels.map(|levels| {
        let counts = match bins {
            Some(bins) => bins.counts(),
            None => slow_counts(values, &levels),
        };
        features_of_counts(&counts, values.len())
    });

    let [m2, m3, m4, mad, medad] = [m2, m3, m4, mad, medad].map(|s| s / n);
    let rmad = if robust_count > 0 {
        robust_deviation / robust_count as f64
    } else {
        0.0
    };

    let stats = FirstOrderParts {
        n,
        mean,
        central: [m2, m3, m4],
        quantiles,
        minimum,
        maximum,
        deviations: [mad, rmad, medad],
        energy,
    }
    .values();
    Ok((
        FIRST_ORDER_NAMES.iter().copied().zip(stats).collect(),
        histogram,
    ))
}

/// What every backend knows of a map once its passes are done. The 18 first-order
/// statistics are derived from it here only, with their zero guards and their order, so
/// the CPU and GPU paths cannot drift apart.
pub(crate) struct FirstOrderParts {
    /// The number of values.
    pub n: f64,
    pub mean: f64,
    /// The second, third and fourth central moments (divided by `n`).
    pub central: [f64; 3],
    /// Percentiles 10, 25, 50, 75 and 90.
    pub quantiles: [f64; 5],
    pub minimum: f64,
    pub maximum: f64,
    /// Mean absolute deviation from the mean, robust (10th–90th percentile) mean
    /// absolute deviation, and mean absolute deviation from the median.
    pub deviations: [f64; 3],
    /// Σ x².
    pub energy: f64,
}

impl FirstOrderParts {
    /// The statistics in [`FIRST_ORDER_NAMES`] order.
    pub(crate) fn values(&self) -> [f64; 18] {
        let Self {
            n,
            mean,
            central: [m2, m3, m4],
            quantiles: [p10, p25, p50, p75, p90],
            minimum,
            maximum,
            deviations: [mad, rmad, medad],
            energy,
        } = *self;
        let (skewness, kurtosis) = if m2 > 0.0 {
            (m3 / m2.powf(1.5), m4 / (m2 * m2) - 3.0)
        } else {
            (0.0, 0.0)
        };
        let cov = if mean != 0.0 {
            m2.sqrt() / mean
        } else {
            f64::NAN
        };
        let qcod = if p75 + p25 != 0.0 {
            (p75 - p25) / (p75 + p25)
        } else {
            f64::NAN
        };
        [
            mean,
            m2,
            skewness,
            kurtosis,
            p50,
            minimum,
            p10,
            p90,
            maximum,
            p75 - p25,
            maximum - minimum,
            mad,
            rmad,
            medad,
            cov,
            qcod,
            energy,
            (energy / n).sqrt(),
        ]
    }
}

/// What the first pass gathers.
struct Moments {
    sum: f64,
    energy: f64,
    min: f32,
    max: f32,
}

impl Moments {
    /// Σ x, Σ x², min and max of `values`, and the counts of their key buckets into
    /// `counts`; `None` if a value is not finite.
    #[inline(never)]
    fn of(values: &[f32], counts: &mut [u32; BUCKETS]) -> Option<Self> {
        let mut sum = [0.0f64; LANES];
        let mut energy = [0.0f64; LANES];
        let mut lo = [f32::INFINITY; LANES];
        let mut hi = [f32::NEG_INFINITY; LANES];
        let mut tally = Tally::new();
        // Block by block, the arithmetic in one loop that vectorises and the counting in
        // another; a block starts on a lane boundary, so the lanes sum as in one loop.
        for block in values.chunks(BLOCK) {
            let mut chunks = block.chunks_exact(LANES);
            for chunk in &mut chunks {
                let Ok(chunk) = <&[f32; LANES]>::try_from(chunk) else {
                    continue;
                };
                for l in 0..LANES {
                    let x = chunk[l];
                    lo[l] = if x < lo[l] { x } else { lo[l] };
                    hi[l] = if x > hi[l] { x } else { hi[l] };
                    let x = f64::from(x);
                    sum[l] += x;
                    energy[l] += x * x;
                }
            }
            for (l, &x) in chunks.remainder().iter().enumerate() {
                lo[l] = if x < lo[l] { x } else { lo[l] };
                hi[l] = if x > hi[l] { x } else { hi[l] };
                let x = f64::from(x);
                sum[l] += x;
                energy[l] += x * x;
            }
            for &x in block {
                tally.add(counts, x);
            }
        }
        tally.finish(counts);
        let sum: f64 = sum.iter().sum();
        // f32 values cannot overflow an f64 sum of squares, so only a non-finite value
        // makes it non-finite.
        let energy: f64 = energy.iter().sum();
        if !(sum.is_finite() && energy.is_finite()) {
            return None;
        }
        Some(Self {
            sum,
            energy,
            min: lo.iter().copied().fold(f32::INFINITY, f32::min),
            max: hi.iter().copied().fold(f32::NEG_INFINITY, f32::max),
        })
    }
}

/// The centres the deviations are taken from, and the robust subset's bounds.
struct Centres {
    mean: f64,
    median: f64,
    robust_mean: f64,
    p10: f64,
    p90: f64,
}

/// 1 for a value in [p10, p90], else 0: a weight keeps the lanes free of branches.
#[inline(always)]
fn inside(x: f64, p10: f64, p90: f64) -> f64 {
    if (x >= p10) & (x <= p90) {
        1.0
    } else {
        0.0
    }
}

/// Lanes of the deviation sums: six sums of two lanes, one SSE2 register each.
const DEVIATION_LANES: usize = 2;

type Pair = [f64; DEVIATION_LANES];

/// Pairs of values into the deviation sums, each of the two lanes in its order: the
/// powers in one loop and the absolute deviations in another (on one block, from L1),
/// few enough sums per loop for the compiler to vectorise across the lanes.
#[inline(always)]
fn add_pairs(lanes: &mut [Pair; 6], pairs: std::slice::ChunksExact<'_, f32>, c: &Centres) {
    let [mut s2, mut s3, mut s4, mut s_mean, mut s_median, mut s_robust] = *lanes;
    let (mean, median, robust_mean, p10, p90) = (c.mean, c.median, c.robust_mean, c.p10, c.p90);
    for pair in pairs.clone() {
        for (l, &x) in pair.iter().enumerate().take(DEVIATION_LANES) {
            let d = f64::from(x) - mean;
            let d2 = d * d;
            s2[l] += d2;
            s3[l] += d2 * d;
            s4[l] += d2 * d2;
        }
    }
    for pair in pairs {
        for (l, &x) in pair.iter().enumerate().take(DEVIATION_LANES) {
            let x = f64::from(x);
            s_mean[l] += (x - mean).abs();
            s_median[l] += (x - median).abs();
            // A select, not a weight: 0 outside [p10, p90].
            s_robust[l] += if (x >= p10) & (x <= p90) {
                (x - robust_mean).abs()
            } else {
                0.0
            };
        }
    }
    *lanes = [s2, s3, s4, s_mean, s_median, s_robust];
}

/// Where the deviation pass hands its values on: the histogram's bin counts, or nowhere.
trait Bins {
    fn add(&mut self, xs: &[f32; COUNT_LANES]);
    fn add_one(&mut self, x: f32);
}

impl Bins for () {
    #[inline(always)]
    fn add(&mut self, _: &[f32; COUNT_LANES]) {}
    #[inline(always)]
    fn add_one(&mut self, _: f32) {}
}

impl Bins for BinCounts {
    #[inline(always)]
    fn add(&mut self, xs: &[f32; COUNT_LANES]) {
        BinCounts::add(self, xs);
    }
    #[inline(always)]
    fn add_one(&mut self, x: f32) {
        BinCounts::add_one(self, x);
    }
}

/// Σ (x - mean)², Σ (x - mean)³, Σ (x - mean)⁴, Σ |x - mean|, Σ |x - median| and, over
/// the values in [p10, p90], Σ |x - robust mean|; every value also goes to `bins`.
#[inline(never)]
fn deviations(values: &[f32], c: &Centres, bins: &mut impl Bins) -> [f64; 6] {
    let mut lanes = [[0.0f64; DEVIATION_LANES]; 6];
    // Pairs in order, as the two lanes take them (a block holds whole pairs); the bins
    // see four values at a time, in a loop of their own.
    for block in values.chunks(BLOCK) {
        let pairs = block.chunks_exact(DEVIATION_LANES);
        let single = pairs.remainder();
        add_pairs(&mut lanes, pairs, c);
        if let [x] = single {
            let x = f64::from(*x);
            let d = x - c.mean;
            let d2 = d * d;
            let terms = [
                d2,
                d2 * d,
                d2 * d2,
                d.abs(),
                (x - c.median).abs(),
                inside(x, c.p10, c.p90) * (x - c.robust_mean).abs(),
            ];
            for (lane, t) in lanes.iter_mut().zip(terms) {
                lane[0] += t;
            }
        }
        let mut chunks = block.chunks_exact(COUNT_LANES);
        for chunk in &mut chunks {
            if let Ok(chunk) = <&[f32; COUNT_LANES]>::try_from(chunk) {
                bins.add(chunk);
            }
        }
        for &x in chunks.remainder() {
            bins.add_one(x);
        }
    }
    lanes.map(|lane| lane[0] + lane[1])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first_order_of(values: &mut [f32]) -> Vec<(&'static str, f64)> {
        let view = ArrayViewD::from_shape(vec![values.len()], values).expect("a 1-D view");
        first_order(view, None).expect("finite, non-empty test input")
    }

    fn stat(stats: &[(&str, f64)], name: &str) -> f64 {
        stats
            .iter()
            .find(|(n, _)| *n == name)
            .map(|&(_, v)| v)
            .expect("a feature of that name")
    }

    #[test]
    fn constant_values_have_zero_spread() {
        let mut values = vec![2.5f32; 17];
        let stats = first_order_of(&mut values);
        assert_eq!(stats.len(), 18);
        for name in [
            "variance", "skewness", "kurtosis", "iqr", "range", "mad", "rmad", "medad", "cov",
            "qcod",
        ] {
            assert_eq!(stat(&stats, name), 0.0, "{name}");
        }
        assert_eq!(stat(&stats, "energy"), 17.0 * 6.25);
        assert_eq!(stat(&stats, "rms"), 2.5);
    }

    #[test]
    fn zero_mean_and_zero_quartiles_give_nan_ratios() {
        let mut values = vec![-1.0f32, 0.0, 0.0, 0.0, 1.0];
        let stats = first_order_of(&mut values);
        assert!(stat(&stats, "cov").is_nan());
        assert!(stat(&stats, "qcod").is_nan());
        assert_eq!(stat(&stats, "skewness"), 0.0);
        assert_eq!(stat(&stats, "variance"), 0.4);
    }

    #[test]
    fn the_pipeline_map_size_is_fast() {
        // Timing of one ct-standard map (358 × 358): printed, not asserted.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let map: Vec<f32> = (0..358 * 358)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 40) as f32 / (1u64 << 24) as f32
            })
            .collect();
        let runs = 5;
        let start = std::time::Instant::now();
        for _ in 0..runs {
            let mut values = map.clone();
            std::hint::black_box(first_order_of(&mut values));
        }
        println!(
            "first_order, 358 × 358 map: {:?} per map",
            start.elapsed() / runs
        );
    }
}
