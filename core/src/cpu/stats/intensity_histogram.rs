//! The 23 IBSI intensity histogram features of a volume ROI.
//!
//! IBSI defines most of them as the intensity-based statistics of the *discretised*
//! intensities (mean … quartile coefficient of dispersion), so they are computed by
//! [`first_order`](super::first_order) on the grey values; the histogram's own features
//! (mode, entropy, uniformity and the histogram gradients) come from the bin counts.
//! The slice pipeline's `histogram` family (entropy and uniformity only) is the subset
//! of this family it has always had.

use ndarray::{ArrayD, ArrayViewD};

use super::discretise::Levels;
use super::first_order::first_order;
use super::histogram::{features_of_counts, MAX_HISTOGRAM_BINS};
use super::{roi_values, Discretisation, StatsError};

/// Names of the [`intensity_histogram`] features, in output order.
pub const INTENSITY_HISTOGRAM_NAMES: [&str; 23] = [
    "mean",
    "variance",
    "skewness",
    "kurtosis",
    "median",
    "minimum",
    "p10",
    "p90",
    "maximum",
    "mode",
    "iqr",
    "range",
    "mad",
    "rmad",
    "medad",
    "cov",
    "qcod",
    "entropy",
    "uniformity",
    "max_gradient",
    "max_gradient_grey_level",
    "min_gradient",
    "min_gradient_grey_level",
];

/// Which first-order statistics of the grey values are histogram features, in
/// [`INTENSITY_HISTOGRAM_NAMES`] order up to the mode (energy and rms are not).
const FROM_FIRST_ORDER_BEFORE_MODE: usize = 9;
const FROM_FIRST_ORDER_AFTER_MODE: std::ops::Range<usize> = 9..16;

/// The 23 intensity histogram features of the ROI, named as in
/// [`INTENSITY_HISTOGRAM_NAMES`].
///
/// Grey levels come from `discretisation` over the ROI; a fixed bin width counts from
/// `lower_bound` when given (IBSI: the re-segmentation range's lower bound). The mode is
/// the most frequent grey level, the one closest to the mean among ties (the lower one
/// when two are equally close). The histogram gradient runs over every level from the
/// first to the last, empty ones included: one-sided differences at the ends, central
/// ones inside; its maximum and minimum are reported with their grey levels (the first
/// level reaching them).
pub fn intensity_histogram(
    values: ArrayViewD<'_, f32>,
    mask: Option<ArrayViewD<'_, bool>>,
    discretisation: Discretisation,
    lower_bound: Option<f32>,
) -> Result<Vec<(&'static str, f64)>, StatsError> {
    let roi = roi_values(&values, mask.as_ref())?;
    let levels = Levels::from_bound(
        discretisation,
        &roi,
        lower_bound,
        MAX_HISTOGRAM_BINS,
        "histogram",
    )?;
    let mut counts = vec![0u64; levels.count()];
    let grey: Vec<f32> = roi
        .iter()
        .map(|&x| {
            let level = levels.index(f64::from(x));
            counts[level] += 1;
            levels.grey(level) as f32
        })
        .collect();
    let n = grey.len();
    let statistics = first_order(
        ArrayD::from_shape_vec(vec![n], grey)
            .map_err(|_| StatsError::EmptyRoi)?
            .view(),
        None,
    )?;
    let stat = |i: usize| statistics[i].1;
    let mean = stat(0);

    let most = counts.iter().copied().max().unwrap_or(0);
    let mode = (0..counts.len())
        .filter(|&i| counts[i] == most)
        .map(|i| levels.grey(i))
        // Strictly closer wins, so the lower of two equally close levels stays.
        .fold(f64::NAN, |best, g| {
            if best.is_nan() || (g - mean).abs() < (best - mean).abs() {
                g
            } else {
                best
            }
        });
    let [entropy, uniformity] = [0, 1].map(|i| features_of_counts(&counts, n)[i].1);
    let (max_gradient, min_gradient) = gradient_extremes(&counts);

    let mut out: Vec<f64> = (0..FROM_FIRST_ORDER_BEFORE_MODE).map(stat).collect();
    out.push(mode);
    out.extend(FROM_FIRST_ORDER_AFTER_MODE.map(stat));
    out.extend([
        entropy,
        uniformity,
        max_gradient.0,
        levels.grey(max_gradient.1),
        min_gradient.0,
        levels.grey(min_gradient.1),
    ]);
    Ok(INTENSITY_HISTOGRAM_NAMES.iter().copied().zip(out).collect())
}

/// The largest and smallest histogram gradient with the first level index at which each
/// occurs; IBSI's gradient: `n₂ − n₁` at the first level, `(n_{i+1} − n_{i−1}) / 2`
/// inside, `n_N − n_{N−1}` at the last (0 for a single level).
fn gradient_extremes(counts: &[u64]) -> ((f64, usize), (f64, usize)) {
    let n = counts.len();
    let count = |i: usize| counts[i] as f64;
    let gradient = |i: usize| match i {
        _ if n == 1 => 0.0,
        0 => count(1) - count(0),
        _ if i == n - 1 => count(n - 1) - count(n - 2),
        _ => (count(i + 1) - count(i - 1)) / 2.0,
    };
    let (mut max, mut min) = ((f64::NEG_INFINITY, 0), (f64::INFINITY, 0));
    for i in 0..n {
        let g = gradient(i);
        if g > max.0 {
            max = (g, i);
        }
        if g < min.0 {
            min = (g, i);
        }
    }
    (max, min)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feature(all: &[(&str, f64)], name: &str) -> f64 {
        all.iter()
            .find(|(n, _)| *n == name)
            .map(|&(_, v)| v)
            .expect("a feature of that name")
    }

    #[test]
    fn fixed_bin_width_counts_from_the_lower_bound() {
        let values =
            ArrayD::from_shape_vec(vec![4], vec![-480.0f32, -470.0, -430.0, 0.0]).expect("valid");
        let from_roi =
            intensity_histogram(values.view(), None, Discretisation::BinWidth(25.0), None)
                .expect("valid");
        let from_bound = intensity_histogram(
            values.view(),
            None,
            Discretisation::BinWidth(25.0),
            Some(-500.0),
        )
        .expect("valid");
        assert_eq!(feature(&from_roi, "minimum"), 1.0);
        assert_eq!(feature(&from_bound, "minimum"), 1.0);
        // -430 is bin 3 from -480 but bin 3 from -500 too; 0 is bin 20 from -500, 20 from -480.
        assert_eq!(feature(&from_bound, "maximum"), 21.0);
        assert_eq!(feature(&from_roi, "maximum"), 20.0);
    }

    #[test]
    fn ties_for_the_mode_go_to_the_level_nearest_the_mean() {
        // Levels 1 and 4 both occur twice; the mean 2.8 is nearer 4. Then 1 and 3 tie
        // around a mean of 2: the lower one.
        let near =
            ArrayD::from_shape_vec(vec![5], vec![1.0f32, 1.0, 4.0, 4.0, 4.0 - 1.0]).expect("valid");
        let all =
            intensity_histogram(near.view(), None, Discretisation::None, None).expect("valid");
        assert_eq!(feature(&all, "mode"), 4.0);
        let equal = ArrayD::from_shape_vec(vec![4], vec![1.0f32, 1.0, 3.0, 3.0]).expect("valid");
        let all =
            intensity_histogram(equal.view(), None, Discretisation::None, None).expect("valid");
        assert_eq!(feature(&all, "mode"), 1.0);
        assert_eq!(all.len(), INTENSITY_HISTOGRAM_NAMES.len());
    }
}
