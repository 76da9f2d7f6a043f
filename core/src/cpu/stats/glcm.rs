//! IBSI grey level co-occurrence matrix (GLCM) features.
//!
//! A symmetric GLCM counts, for one direction at Chebyshev distance 1, the pairs of
//! neighbouring voxels that are both inside the ROI. In-plane there are four directions
//! (0°, 45°, 90°, 135°) per slice; in 3D, thirteen over the whole volume.
//!
//! - [`glcm`]: the slice pipeline's "2D, averaged" features of a 2-D map or a stack.
//! - [`glcm_aggregated`]: a volume ROI's features under any of IBSI's six
//!   [`Aggregation`]s, all from one count of the matrices.

use ndarray::{ArrayView3, ArrayViewD};
use rayon::prelude::*;

use super::aggregation::Aggregation;
use super::discretise::Levels;
use super::{check_mask_shape, roi_values, Discretisation, StatsError};

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
            let (slice, (dr, dc)) = (m / DIRECTIONS.len(), DIRECTIONS[m % DIRECTIONS.len()]);
            let plane = &grey_image[slice * rows * cols..(slice + 1) * rows * cols];
            let (counts, pairs) =
                cooccurrences(plane, [1, rows, cols], [0, dr, dc], levels.count());
            (pairs > 0).then(|| features(&counts, pairs, &levels))
        })
        .collect();

    Ok(average(&per_matrix))
}

/// The 3D neighbour offsets (slices, rows, cols): the four in-plane ones, then the nine
/// towards the next slice. With the opposite offsets they are the 26 neighbours.
const DIRECTIONS_3D: [[isize; 3]; 13] = [
    [0, 0, 1],
    [0, -1, 1],
    [0, -1, 0],
    [0, -1, -1],
    [1, -1, -1],
    [1, -1, 0],
    [1, -1, 1],
    [1, 0, -1],
    [1, 0, 0],
    [1, 0, 1],
    [1, 1, -1],
    [1, 1, 0],
    [1, 1, 1],
];

/// The named features of one aggregation.
pub type AggregatedFeatures = (Aggregation, Vec<(&'static str, f64)>);

/// Slices counted at once by [`glcm_aggregated`]: enough to keep every core busy, few
/// enough that their matrices stay small beside the volume.
const SLICES_PER_ROUND: usize = 32;

/// The 25 GLCM features (named as in [`GLCM_NAMES`]) of the ROI `mask` of a (z, y, x)
/// volume under each of `aggregations`, in that order.
///
/// Grey levels come from `discretisation` over the ROI; a fixed bin width counts from
/// `lower_bound` when given (IBSI: the re-segmentation range's lower bound). Matrices
/// without a pair are left out of averages; an aggregation with no pair at all gives NaN
/// features. The in-plane matrices are counted only when an in-plane aggregation is
/// asked for, the 3D ones only for a 3D aggregation.
pub fn glcm_aggregated(
    values: ArrayView3<'_, f32>,
    mask: ArrayView3<'_, bool>,
    discretisation: Discretisation,
    lower_bound: Option<f32>,
    aggregations: &[Aggregation],
) -> Result<Vec<AggregatedFeatures>, StatsError> {
    let (values, mask) = (values.into_dyn(), mask.into_dyn());
    check_mask_shape(&values, &mask)?;
    let shape = [values.shape()[0], values.shape()[1], values.shape()[2]];
    let levels = {
        let roi = roi_values(&values, Some(&mask))?;
        Levels::from_bound(
            discretisation,
            &roi,
            lower_bound,
            MAX_GLCM_GREY_LEVELS,
            "GLCM",
        )?
    };
    let grey_image: Vec<u32> = values
        .iter()
        .zip(mask.iter())
        .map(|(&x, &inside)| {
            if inside {
                levels.index(f64::from(x)) as u32
            } else {
                OUTSIDE
            }
        })
        .collect();
    let planar = aggregations.iter().any(|a| !a.is_volumetric());
    let volumetric = aggregations.iter().any(|a| a.is_volumetric());
    let planar = planar.then(|| PlanarMatrices::count(&grey_image, shape, &levels));
    let volumetric = volumetric.then(|| {
        DIRECTIONS_3D
            .par_iter()
            .map(|&offset| cooccurrences(&grey_image, shape, offset, levels.count()))
            .collect::<Vec<_>>()
    });
    let of =
        |matrix: &(Vec<u64>, u64)| (matrix.1 > 0).then(|| features(&matrix.0, matrix.1, &levels));
    Ok(aggregations
        .iter()
        .map(|&aggregation| {
            let features = match (aggregation, &planar, &volumetric) {
                (Aggregation::TwoDAveraged, Some(p), _) => average(&p.each),
                (Aggregation::TwoDSliceMerged, Some(p), _) => average(&p.slice_merged),
                (Aggregation::TwoHalfDDirectionMerged, Some(p), _) => {
                    average(&p.per_direction.iter().map(of).collect::<Vec<_>>())
                }
                (Aggregation::TwoHalfDMerged, Some(p), _) => {
                    average(&[of(&merge(&p.per_direction))])
                }
                (Aggregation::ThreeDAveraged, _, Some(v)) => {
                    average(&v.iter().map(of).collect::<Vec<_>>())
                }
                (Aggregation::ThreeDMerged, _, Some(v)) => average(&[of(&merge(v))]),
                // Each kind of matrix was counted above when an aggregation needs it.
                _ => average(&[]),
            };
            (aggregation, features)
        })
        .collect())
}

/// What the in-plane aggregations need: the features of every (slice, direction) matrix
/// and of every slice's merged matrix, in slice order, and each direction's matrix
/// merged over the slices.
struct PlanarMatrices {
    each: Vec<Option<[f64; FEATURES]>>,
    slice_merged: Vec<Option<[f64; FEATURES]>>,
    per_direction: Vec<(Vec<u64>, u64)>,
}

impl PlanarMatrices {
    fn count(grey_image: &[u32], [slices, rows, cols]: [usize; 3], levels: &Levels) -> Self {
        let ng = levels.count();
        let mut out = Self {
            each: Vec::new(),
            slice_merged: Vec::new(),
            per_direction: vec![(vec![0; ng * ng], 0); DIRECTIONS.len()],
        };
        let plane_len = rows * cols;
        for first in (0..slices).step_by(SLICES_PER_ROUND) {
            let round: Vec<_> = (first..(first + SLICES_PER_ROUND).min(slices))
                .into_par_iter()
                .map(|slice| {
                    let plane = &grey_image[slice * plane_len..(slice + 1) * plane_len];
                    let matrices: Vec<(Vec<u64>, u64)> = DIRECTIONS
                        .iter()
                        .map(|&(dr, dc)| cooccurrences(plane, [1, rows, cols], [0, dr, dc], ng))
                        .collect();
                    let each: Vec<_> = matrices
                        .iter()
                        .map(|(counts, pairs)| {
                            (*pairs > 0).then(|| features(counts, *pairs, levels))
                        })
                        .collect();
                    let merged = merge(&matrices);
                    let slice_merged =
                        (merged.1 > 0).then(|| features(&merged.0, merged.1, levels));
                    (each, slice_merged, matrices)
                })
                .collect();
            // Integer sums: the merged counts do not depend on the order of the rounds.
            for (each, slice_merged, matrices) in round {
                // A slice without ROI pairs is not part of the slice average.
                if slice_merged.is_some() {
                    out.slice_merged.push(slice_merged);
                }
                out.each.extend(each);
                for (total, (counts, pairs)) in out.per_direction.iter_mut().zip(matrices) {
                    add(total, &counts, pairs);
                }
            }
        }
        out
    }
}

/// The sum of several matrices of one size.
fn merge(matrices: &[(Vec<u64>, u64)]) -> (Vec<u64>, u64) {
    let cells = matrices.first().map_or(0, |m| m.0.len());
    let mut total = (vec![0; cells], 0);
    for (counts, pairs) in matrices {
        add(&mut total, counts, *pairs);
    }
    total
}

fn add(total: &mut (Vec<u64>, u64), counts: &[u64], pairs: u64) {
    for (t, c) in total.0.iter_mut().zip(counts) {
        *t += c;
    }
    total.1 += pairs;
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

/// Symmetric co-occurrence counts (row-major `ng × ng`) of a z-major grey level volume
/// of `shape` (slices, rows, cols) for one `offset`, and the number of pairs counted
/// (each pair once). A plane is a volume of one slice.
fn cooccurrences(
    grey: &[u32],
    [slices, rows, cols]: [usize; 3],
    [dz, dr, dc]: [isize; 3],
    ng: usize,
) -> (Vec<u64>, u64) {
    let mut counts = vec![0u64; ng * ng];
    let mut pairs = 0;
    // The index ranges whose neighbour along each axis stays inside.
    let range = |n: usize, d: isize| match d {
        1 => 0..n.saturating_sub(1),
        -1 => 1.min(n)..n,
        _ => 0..n,
    };
    for z in range(slices, dz) {
        let z2 = z.wrapping_add_signed(dz);
        for r in range(rows, dr) {
            let r2 = r.wrapping_add_signed(dr);
            let row = &grey[(z * rows + r) * cols..(z * rows + r + 1) * cols];
            let row2 = &grey[(z2 * rows + r2) * cols..(z2 * rows + r2 + 1) * cols];
            for c in range(cols, dc) {
                let (a, b) = (row[c], row2[c.wrapping_add_signed(dc)]);
                if a != OUTSIDE && b != OUTSIDE {
                    let (a, b) = (a as usize, b as usize);
                    counts[a * ng + b] += 1;
                    counts[b * ng + a] += 1;
                    pairs += 1;
                }
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
