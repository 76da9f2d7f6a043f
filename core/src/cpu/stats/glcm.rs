//! IBSI grey level co-occurrence matrix (GLCM) features, "2D, averaged".
//!
//! Per slice (a 2-D map is one slice; a 3-D array is slices × rows × cols) and per
//! direction (0°, 45°, 90°, 135°) at distance 1, a symmetric GLCM counts the pairs of
//! neighbouring voxels that are both inside the ROI. Features are computed on each
//! matrix and averaged over all matrices that hold at least one pair.

use ndarray::ArrayViewD;
use rayon::prelude::*;

use super::discretise::Levels;
use super::{roi_values, Discretisation, StatsError};

/// Names of the [`glcm`] features, in output order (IBSI names, `glcm_` prefix).
pub const GLCM_NAMES: &[&str] = &[
    "glcm_joint_max",
    "glcm_joint_average",
    "glcm_joint_variance",
    "glcm_joint_entropy",
    "glcm_difference_average",
    "glcm_difference_variance",
    "glcm_difference_entropy",
    "glcm_sum_average",
    "glcm_sum_variance",
    "glcm_sum_entropy",
    "glcm_angular_second_moment",
    "glcm_contrast",
    "glcm_dissimilarity",
    "glcm_inverse_difference",
    "glcm_normalised_inverse_difference",
    "glcm_inverse_difference_moment",
    "glcm_normalised_inverse_difference_moment",
    "glcm_inverse_variance",
    "glcm_correlation",
    "glcm_autocorrelation",
    "glcm_cluster_tendency",
    "glcm_cluster_shade",
    "glcm_cluster_prominence",
    "glcm_information_correlation_1",
    "glcm_information_correlation_2",
];

const FEATURES: usize = 25;

/// The most grey levels a GLCM may have (its matrix has this number squared cells).
pub const MAX_GLCM_GREY_LEVELS: u32 = 1024;

/// Neighbour offsets (rows, cols) for 0°, 45°, 90° and 135°. A symmetric matrix counts
/// each pair both ways, so the opposite offsets would give the same matrices.
pub(crate) const DIRECTIONS: [(isize, isize); 4] = [(0, 1), (-1, 1), (-1, 0), (-1, -1)];

/// Marks voxels outside the ROI in the grey level image.
const OUTSIDE: u32 = u32::MAX;

/// The 25 IBSI GLCM features of the ROI, named as in [`GLCM_NAMES`], IBSI "2D, averaged".
///
/// `values` is one 2-D map or a 3-D stack of slices (slices × rows × cols). Grey levels
/// come from `discretisation` over the whole ROI; their grey values `i` are `1..=N_g`
/// with bins, the intensities themselves with [`Discretisation::None`] (where
/// `N_g = max - min + 1`, empty levels included). Matrices without a pair are left out of
/// the average; when no matrix has one, every feature is NaN.
///
/// Two features need conventions IBSI leaves open: correlation is 1 when the grey level
/// variance is 0 (as scikit-image), information correlation 1 is 0 when the marginal
/// entropy is 0 (as PyRadiomics).
pub fn glcm(
    values: ArrayViewD<'_, f32>,
    mask: Option<ArrayViewD<'_, bool>>,
    discretisation: Discretisation,
) -> Result<Vec<(&'static str, f64)>, StatsError> {
    let (slices, rows, cols) = match *values.shape() {
        [rows, cols] => (1, rows, cols),
        [slices, rows, cols] => (slices, rows, cols),
        _ => return Err(StatsError::GlcmDimensions(values.ndim())),
    };
    let levels = {
        let roi = roi_values(&values, mask.as_ref())?;
        Levels::new(discretisation, &roi, MAX_GLCM_GREY_LEVELS, "GLCM")?
    };
    let grey_image: Vec<u32> = match &mask {
        None => values
            .iter()
            .map(|&x| levels.index(f64::from(x)) as u32)
            .collect(),
        Some(mask) => values
            .iter()
            .zip(mask.iter())
            .map(|(&x, &inside)| {
                if inside {
                    levels.index(f64::from(x)) as u32
                } else {
                    OUTSIDE
                }
            })
            .collect(),
    };

    // Matrices are independent; collecting them in order keeps the average's summation
    // order, and so its bits, fixed whatever the thread count.
    let per_matrix: Vec<Option<[f64; FEATURES]>> = (0..slices * DIRECTIONS.len())
        .into_par_iter()
        .map(|m| {
            let (slice, direction) = (m / DIRECTIONS.len(), DIRECTIONS[m % DIRECTIONS.len()]);
            let plane = &grey_image[slice * rows * cols..(slice + 1) * rows * cols];
            let (counts, pairs) = cooccurrences(plane, rows, cols, direction, levels.count());
            (pairs > 0).then(|| features(&counts, pairs, &levels))
        })
        .collect();

    Ok(average(&per_matrix))
}

/// The average of the matrices' features, in matrix order (NaN when none has a pair).
fn average(per_matrix: &[Option<[f64; FEATURES]>]) -> Vec<(&'static str, f64)> {
    let mut sum = [0.0; FEATURES];
    let mut matrices = 0usize;
    for features in per_matrix.iter().flatten() {
        for (s, f) in sum.iter_mut().zip(features) {
            *s += f;
        }
        matrices += 1;
    }
    let average = sum.map(|s| {
        if matrices > 0 {
            s / matrices as f64
        } else {
            f64::NAN
        }
    });
    GLCM_NAMES.iter().copied().zip(average).collect()
}

/// [`glcm`] of a 2-D map without a mask with the co-occurrences counted by `count`: it
/// gets the grey level index of every pixel (row-major) and the number of levels, and
/// returns the symmetric `levels × levels` counts of the four directions in
/// `DIRECTIONS` order, as the CPU counts them. Same levels, features and average
/// as [`glcm`], so equal counts give the same bits.
#[cfg(feature = "gpu")]
pub(crate) fn glcm_counted<E: From<StatsError>>(
    values: ndarray::ArrayView2<'_, f32>,
    discretisation: Discretisation,
    count: impl FnOnce(&[u32], usize) -> Result<Vec<Vec<u64>>, E>,
) -> Result<Vec<(&'static str, f64)>, E> {
    let values = values.into_dyn();
    let levels = {
        let roi = roi_values(&values, None)?;
        Levels::new(discretisation, &roi, MAX_GLCM_GREY_LEVELS, "GLCM")?
    };
    let grey_image: Vec<u32> = values
        .iter()
        .map(|&x| levels.index(f64::from(x)) as u32)
        .collect();
    let ng = levels.count();
    let per_matrix: Vec<Option<[f64; FEATURES]>> = count(&grey_image, ng)?
        .iter()
        .map(|counts| {
            // Each pair adds 2 to the symmetric matrix.
            let pairs = counts.iter().sum::<u64>() / 2;
            (pairs > 0 && counts.len() == ng * ng).then(|| features(counts, pairs, &levels))
        })
        .collect();
    Ok(average(&per_matrix))
}

/// Symmetric co-occurrence counts (row-major `ng × ng`) of one plane for one offset, and
/// the number of pairs counted (each pair once).
fn cooccurrences(
    plane: &[u32],
    rows: usize,
    cols: usize,
    (dr, dc): (isize, isize),
    ng: usize,
) -> (Vec<u64>, u64) {
    let mut counts = vec![0u64; ng * ng];
    let mut pairs = 0;
    let first_row = usize::from(dr < 0);
    let (first_col, last_col) = match dc {
        1 => (0, cols.saturating_sub(1)),
        -1 => (1, cols),
        _ => (0, cols),
    };
    for r in first_row..rows {
        let r2 = r.wrapping_add_signed(dr);
        let (row, row2) = (
            &plane[r * cols..(r + 1) * cols],
            &plane[r2 * cols..(r2 + 1) * cols],
        );
        for c in first_col..last_col {
            let (a, b) = (row[c], row2[c.wrapping_add_signed(dc)]);
            if a != OUTSIDE && b != OUTSIDE {
                let (a, b) = (a as usize, b as usize);
                counts[a * ng + b] += 1;
                counts[b * ng + a] += 1;
                pairs += 1;
            }
        }
    }
    (counts, pairs)
}

/// The features of one symmetric matrix with `pairs > 0` pairs, in [`GLCM_NAMES`] order.
fn features(counts: &[u64], pairs: u64, levels: &Levels) -> [f64; FEATURES] {
    let ng = levels.count();
    let total = 2.0 * pairs as f64;
    let grey: Vec<f64> = (0..ng).map(|i| levels.grey(i)).collect();
    // Marginal (rows and columns are the same, the matrix being symmetric), and the
    // diagonal (|i - j| = k) and cross-diagonal (i + j = k, as level indices) sums.
    let mut marginal = vec![0.0; ng];
    let mut diagonal = vec![0.0; ng];
    let mut cross = vec![0.0; 2 * ng - 1];
    let mut joint_max = 0.0f64;
    let (mut joint_entropy, mut asm, mut autocorrelation) = (0.0, 0.0, 0.0);
    let (mut inv_diff, mut norm_inv_diff, mut idm, mut norm_idm) = (0.0, 0.0, 0.0, 0.0);
    let ngf = ng as f64;
    for i in 0..ng {
        for j in 0..ng {
            let count = counts[i * ng + j];
            if count == 0 {
                continue;
            }
            let p = count as f64 / total;
            let k = i.abs_diff(j);
            let kf = k as f64;
            marginal[i] += p;
            diagonal[k] += p;
            cross[i + j] += p;
            joint_max = joint_max.max(p);
            joint_entropy -= p * p.log2();
            asm += p * p;
            autocorrelation += grey[i] * grey[j] * p;
            inv_diff += p / (1.0 + kf);
            norm_inv_diff += p / (1.0 + kf / ngf);
            idm += p / (1.0 + kf * kf);
            norm_idm += p / (1.0 + kf * kf / (ngf * ngf));
        }
    }

    let mut joint_average = 0.0;
    let mut marginal_entropy = 0.0;
    for (&g, &p) in grey.iter().zip(&marginal) {
        joint_average += g * p;
        if p > 0.0 {
            marginal_entropy -= p * p.log2();
        }
    }
    let mu = joint_average;
    let joint_variance: f64 = grey
        .iter()
        .zip(&marginal)
        .map(|(&g, &p)| (g - mu) * (g - mu) * p)
        .sum();

    let (mut diff_average, mut diff_entropy, mut inverse_variance, mut contrast) =
        (0.0, 0.0, 0.0, 0.0);
    for (k, &p) in diagonal.iter().enumerate() {
        let kf = k as f64;
        diff_average += kf * p;
        contrast += kf * kf * p;
        if p > 0.0 {
            diff_entropy -= p * p.log2();
        }
        if k > 0 {
            inverse_variance += p / (kf * kf);
        }
    }
    let diff_variance: f64 = diagonal
        .iter()
        .enumerate()
        .map(|(k, &p)| (k as f64 - diff_average).powi(2) * p)
        .sum();

    // Grey value of a cross-diagonal: the two levels' grey values summed.
    let sum_grey = |k: usize| k as f64 + 2.0 * levels.grey(0);
    let (mut sum_average, mut sum_entropy) = (0.0, 0.0);
    for (k, &p) in cross.iter().enumerate() {
        sum_average += sum_grey(k) * p;
        if p > 0.0 {
            sum_entropy -= p * p.log2();
        }
    }
    let (mut sum_variance, mut cluster_tendency, mut cluster_shade, mut cluster_prominence) =
        (0.0, 0.0, 0.0, 0.0);
    for (k, &p) in cross.iter().enumerate() {
        let s = sum_grey(k) - sum_average;
        let c = sum_grey(k) - 2.0 * mu;
        sum_variance += s * s * p;
        cluster_tendency += c * c * p;
        cluster_shade += c * c * c * p;
        cluster_prominence += c * c * c * c * p;
    }

    // Σ (i - μ)(j - μ) p over the nonzero cells; σ_i = σ_j = sqrt(joint variance).
    let mut covariance = 0.0;
    let mut hxy1 = 0.0;
    for i in 0..ng {
        for j in 0..ng {
            let count = counts[i * ng + j];
            if count == 0 {
                continue;
            }
            let p = count as f64 / total;
            covariance += (grey[i] - mu) * (grey[j] - mu) * p;
            hxy1 -= p * (marginal[i] * marginal[j]).log2();
        }
    }
    let correlation = if joint_variance > 0.0 {
        covariance / joint_variance
    } else {
        1.0
    };
    // HXY2 = -Σ p_i p_j log2(p_i p_j) = HX + HY for any marginals.
    let hxy2 = 2.0 * marginal_entropy;
    let info_corr_1 = if marginal_entropy > 0.0 {
        (joint_entropy - hxy1) / marginal_entropy
    } else {
        0.0
    };
    let info_corr_2 = (1.0 - (-2.0 * (hxy2 - joint_entropy)).exp())
        .max(0.0)
        .sqrt();

    [
        joint_max,
        joint_average,
        joint_variance,
        joint_entropy,
        diff_average,
        diff_variance,
        diff_entropy,
        sum_average,
        sum_variance,
        sum_entropy,
        asm,
        contrast,
        diff_average,
        inv_diff,
        norm_inv_diff,
        idm,
        norm_idm,
        inverse_variance,
        correlation,
        autocorrelation,
        cluster_tendency,
        cluster_shade,
        cluster_prominence,
        info_corr_1,
        info_corr_2,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::ArrayD;

    fn feature(all: &[(&str, f64)], name: &str) -> f64 {
        all.iter()
            .find(|(n, _)| *n == name)
            .map(|&(_, v)| v)
            .expect("a feature of that name")
    }

    #[test]
    fn needs_two_or_three_dimensions() {
        let line = ArrayD::<f32>::zeros(vec![5]);
        assert_eq!(
            glcm(line.view(), None, Discretisation::Bins(4)),
            Err(StatsError::GlcmDimensions(1))
        );
    }

    #[test]
    fn a_constant_map_is_perfectly_homogeneous() {
        let flat = ArrayD::from_elem(vec![4, 5], 7.0f32);
        let all = glcm(flat.view(), None, Discretisation::Bins(8)).expect("valid test input");
        assert_eq!(feature(&all, "glcm_joint_max"), 1.0);
        assert_eq!(feature(&all, "glcm_joint_entropy"), 0.0);
        assert_eq!(feature(&all, "glcm_contrast"), 0.0);
        assert_eq!(feature(&all, "glcm_correlation"), 1.0);
        assert_eq!(feature(&all, "glcm_information_correlation_1"), 0.0);
        assert_eq!(feature(&all, "glcm_information_correlation_2"), 0.0);
    }

    #[test]
    fn pairs_need_both_voxels_inside_the_roi() {
        // A checkerboard alone has contrast in every direction but the diagonals; keeping
        // only one colour through the mask leaves diagonal pairs of equal levels.
        let board = ArrayD::from_shape_fn(vec![4, 4], |ix| ((ix[0] + ix[1]) % 2) as f32);
        let whites = board.mapv(|x| x == 0.0);
        let all = glcm(board.view(), Some(whites.view()), Discretisation::None)
            .expect("valid test input");
        assert_eq!(feature(&all, "glcm_contrast"), 0.0);
        assert_eq!(feature(&all, "glcm_joint_average"), 0.0);
        let single = ArrayD::from_shape_vec(vec![1, 1], vec![1.0f32]).expect("valid test input");
        assert!(glcm(single.view(), None, Discretisation::Bins(2))
            .expect("valid test input")
            .iter()
            .all(|(_, v)| v.is_nan()));
    }
}
