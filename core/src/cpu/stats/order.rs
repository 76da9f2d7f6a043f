//! Order statistics and percentiles without a full sort.
//!
//! Values are turned into unsigned keys whose integer order is the float order, then a
//! few `select_nth_unstable` calls on shrinking tails find exactly the ranks the
//! percentiles need. Percentiles interpolate like numpy's default `'linear'` method.

use ndarray::ArrayViewD;

use super::{roi_values, StatsError};

/// Percentiles `q` (in percent, 0..=100) of the values inside the ROI, numpy `'linear'`
/// method (`np.percentile(values[mask], q)` on the values as f64), in the order of `q`.
pub fn percentiles(
    values: ArrayViewD<'_, f32>,
    mask: Option<ArrayViewD<'_, bool>>,
    q: &[f64],
) -> Result<Vec<f64>, StatsError> {
    if let Some(&bad) = q.iter().find(|p| !(0.0..=100.0).contains(*p)) {
        return Err(StatsError::BadPercentile(bad));
    }
    let mut roi = roi_values(&values, mask.as_ref())?;
    let mut out = vec![0.0; q.len()];
    percentiles_into(&mut roi, q, &mut out);
    Ok(out)
}

/// Percentiles `q` (in [0, 100]) of finite, non-empty values into `out` (one per `q`).
/// Reorders `values`.
pub(super) fn percentiles_into(values: &mut [f32], q: &[f64], out: &mut [f64]) {
    let n = values.len();
    let positions: Vec<Position> = q.iter().map(|&p| Position::new(n, p)).collect();
    let mut ranks: Vec<usize> = positions.iter().flat_map(|p| p.ranks()).collect();
    ranks.sort_unstable();
    ranks.dedup();
    let found = order_statistics(values, &ranks);
    let at = |rank: usize| -> f64 {
        let i = ranks.partition_point(|&r| r < rank);
        found.get(i).copied().map_or(f64::NAN, f64::from)
    };
    for (o, p) in out.iter_mut().zip(&positions) {
        *o = p.interpolate(at(p.lo), at(p.hi));
    }
}

/// Where percentile `p` falls between two ranks, exactly as numpy computes it.
#[derive(Debug, Clone, Copy)]
struct Position {
    lo: usize,
    hi: usize,
    gamma: f64,
}

impl Position {
    fn new(n: usize, percent: f64) -> Self {
        // np.percentile divides by 100 first, then 'linear' takes (n - 1) * q.
        let virtual_index = (n - 1) as f64 * (percent / 100.0);
        if virtual_index >= (n - 1) as f64 {
            return Self {
                lo: n - 1,
                hi: n - 1,
                gamma: 0.0,
            };
        }
        let lo = virtual_index.floor();
        Self {
            lo: lo as usize,
            hi: lo as usize + 1,
            gamma: virtual_index - lo,
        }
    }

    /// The ranks whose values the interpolation reads (the upper only when it weighs).
    fn ranks(&self) -> impl Iterator<Item = usize> {
        std::iter::once(self.lo).chain((self.gamma > 0.0).then_some(self.hi))
    }

    /// numpy's `_lerp`: from the nearer end, so `gamma = 1` would give `b` exactly.
    fn interpolate(&self, a: f64, b: f64) -> f64 {
        if self.gamma == 0.0 {
            return a;
        }
        let diff = b - a;
        if self.gamma >= 0.5 {
            b - diff * (1.0 - self.gamma)
        } else {
            a + diff * self.gamma
        }
    }
}

/// The values of ascending, distinct `ranks` (0 = smallest) among finite `values`.
/// Reorders `values`; returns them as they were, bit for bit.
pub(super) fn order_statistics(values: &mut [f32], ranks: &[usize]) -> Vec<f32> {
    let keys: &mut [u32] = bytemuck::cast_slice_mut(values);
    for key in keys.iter_mut() {
        *key = to_key(*key);
    }
    let mut out = Vec::with_capacity(ranks.len());
    let mut start = 0;
    for &rank in ranks {
        // Everything before `start` is at most the previous statistic, so the next one
        // is a rank within the tail.
        let tail = &mut keys[start..];
        let (_, &mut key, _) = tail.select_nth_unstable(rank - start);
        out.push(f32::from_bits(from_key(key)));
        start = rank + 1;
    }
    for key in keys.iter_mut() {
        *key = from_key(*key);
    }
    out
}

/// f32 bits to a key whose unsigned order is the numeric order (-0 just below +0).
fn to_key(bits: u32) -> u32 {
    if bits & 0x8000_0000 != 0 {
        !bits
    } else {
        bits | 0x8000_0000
    }
}

fn from_key(key: u32) -> u32 {
    if key & 0x8000_0000 != 0 {
        key & 0x7fff_ffff
    } else {
        !key
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_order_like_floats() {
        let mut xs = [
            3.5f32,
            -0.0,
            0.0,
            -2.0,
            f32::MAX,
            f32::MIN,
            1e-40,
            -1e-40,
            7.0,
        ];
        let mut keys: Vec<u32> = xs.iter().map(|x| to_key(x.to_bits())).collect();
        keys.sort_unstable();
        xs.sort_by(f32::total_cmp);
        let back: Vec<f32> = keys.iter().map(|&k| f32::from_bits(from_key(k))).collect();
        assert_eq!(
            back.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            xs.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
        );
    }

    #[test]
    fn order_statistics_match_a_sort() {
        let mut values: Vec<f32> = (0..1000u32)
            .map(|i| ((i * 7919) % 1009) as f32 - 500.0)
            .collect();
        let mut sorted = values.clone();
        sorted.sort_by(f32::total_cmp);
        let ranks = [0, 1, 99, 100, 500, 998, 999];
        let got = order_statistics(&mut values, &ranks);
        let want: Vec<f32> = ranks.iter().map(|&r| sorted[r]).collect();
        assert_eq!(got, want);
        // The values are back, only reordered.
        values.sort_by(f32::total_cmp);
        assert_eq!(values, sorted);
    }

    #[test]
    fn percentiles_interpolate_like_numpy() {
        // np.percentile([1, 2, 3, 4, 10], [0, 10, 25, 50, 90, 100]) = [1, 1.4, 2, 3, 7.6, 10]
        let mut values = vec![10.0f32, 2.0, 4.0, 1.0, 3.0];
        let mut got = [0.0; 6];
        percentiles_into(&mut values, &[0.0, 10.0, 25.0, 50.0, 90.0, 100.0], &mut got);
        let want = [1.0, 1.4, 2.0, 3.0, 7.6, 10.0];
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-12, "{got:?}");
        }
        let mut one = vec![5.0f32];
        let mut got = [0.0; 3];
        percentiles_into(&mut one, &[0.0, 50.0, 100.0], &mut got);
        assert_eq!(got, [5.0; 3]);
    }

    #[test]
    fn percentiles_outside_0_100_are_errors() {
        let values = ndarray::ArrayD::<f32>::zeros(vec![3]);
        assert_eq!(
            percentiles(values.view(), None, &[101.0]),
            Err(StatsError::BadPercentile(101.0))
        );
        assert!(percentiles(values.view(), None, &[f64::NAN]).is_err());
    }
}
