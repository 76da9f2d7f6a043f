//! The 18 IBSI intensity-based statistics.
//!
//! One copy of the ROI values, a few O(n) passes in f64 with fixed-order accumulation,
//! and one selection for the five order statistics (p10, p25, median, p75, p90).

use ndarray::ArrayViewD;

use super::order::percentiles_into;
use super::{roi_values, StatsError};

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
    let mut roi = roi_values(&values, mask.as_ref())?;
    Ok(first_order_of(&mut roi))
}

/// Lanes of independent accumulators: a fixed summation order that still vectorises.
const LANES: usize = 8;

/// Sums the `K` quantities `f(x)` over `values` in f64, lane by lane, then the lanes in
/// order: the same bits whatever the thread count.
fn sums<const K: usize>(values: &[f32], f: impl Fn(f64) -> [f64; K]) -> [f64; K] {
    let mut lanes = [[0.0f64; K]; LANES];
    let mut chunks = values.chunks_exact(LANES);
    for chunk in &mut chunks {
        for (acc, &x) in lanes.iter_mut().zip(chunk) {
            for (a, term) in acc.iter_mut().zip(f(f64::from(x))) {
                *a += term;
            }
        }
    }
    for (acc, &x) in lanes.iter_mut().zip(chunks.remainder()) {
        for (a, term) in acc.iter_mut().zip(f(f64::from(x))) {
            *a += term;
        }
    }
    let mut total = [0.0f64; K];
    for acc in lanes {
        for (t, a) in total.iter_mut().zip(acc) {
            *t += a;
        }
    }
    total
}

/// The statistics of finite, non-empty values; reorders them.
pub(super) fn first_order_of(values: &mut [f32]) -> Vec<(&'static str, f64)> {
    let n = values.len() as f64;
    let (lo, hi) = values
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &x| {
            (lo.min(x), hi.max(x))
        });
    let (minimum, maximum) = (f64::from(lo), f64::from(hi));
    let [sum, energy] = sums(values, |x| [x, x * x]);
    let mean = sum / n;
    let [m2, m3, m4, mad] = sums(values, |x| {
        let d = x - mean;
        let d2 = d * d;
        [d2, d2 * d, d2 * d2, d.abs()]
    })
    .map(|s| s / n);

    let mut quantiles = [0.0; 5];
    percentiles_into(values, &[10.0, 25.0, 50.0, 75.0, 90.0], &mut quantiles);
    let [p10, p25, p50, p75, p90] = quantiles;
    let [medad] = sums(values, |x| [(x - p50).abs()]).map(|s| s / n);
    let rmad = robust_mad(values, p10, p90);

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
    let stats = [
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
    ];
    FIRST_ORDER_NAMES.iter().copied().zip(stats).collect()
}

/// Mean absolute deviation from their mean of the values in [p10, p90] (inclusive).
fn robust_mad(values: &[f32], p10: f64, p90: f64) -> f64 {
    let inside = |x: f64| (p10..=p90).contains(&x);
    let count = values.iter().filter(|&&x| inside(f64::from(x))).count();
    if count == 0 {
        return 0.0;
    }
    let count = count as f64;
    let [sum] = sums(values, |x| [if inside(x) { x } else { 0.0 }]);
    let mean = sum / count;
    let [deviation] = sums(values, |x| [if inside(x) { (x - mean).abs() } else { 0.0 }]);
    deviation / count
}

#[cfg(test)]
mod tests {
    use super::*;

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
