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
    let keys: &mut [u32] = bytemuck::cast_slice_mut(values);
    for key in keys.iter_mut() {
        *key = to_key(*key);
    }
    OrderKeys::new(keys).percentiles(q, out);
    for key in keys.iter_mut() {
        *key = from_key(*key);
    }
}

/// Order keys ([`to_key`]) of finite values, reordered as order statistics are found.
pub(super) struct OrderKeys<'a> {
    keys: &'a mut [u32],
}

impl<'a> OrderKeys<'a> {
    pub(super) fn new(keys: &'a mut [u32]) -> Self {
        Self { keys }
    }

    /// Percentiles `q` (in [0, 100]) into `out` (one per `q`); NaN if there are no keys.
    pub(super) fn percentiles(&mut self, q: &[f64], out: &mut [f64]) {
        let n = self.keys.len();
        if n == 0 {
            out.fill(f64::NAN);
            return;
        }
        let positions: Vec<Position> = q.iter().map(|&p| Position::new(n, p)).collect();
        let mut ranks: Vec<usize> = positions.iter().flat_map(|p| p.ranks()).collect();
        ranks.sort_unstable();
        ranks.dedup();
        let mut found = vec![0u32; ranks.len()];
        select(self.keys, 0, &ranks, &mut found);
        let at = |rank: usize| -> f64 {
            let i = ranks.partition_point(|&r| r < rank);
            found
                .get(i)
                .map_or(f64::NAN, |&key| f64::from(f32::from_bits(from_key(key))))
        };
        for (o, p) in out.iter_mut().zip(&positions) {
            *o = p.interpolate(at(p.lo), at(p.hi));
        }
    }
}

/// Finds the keys of ascending, distinct `ranks` into `found`, where `keys` holds exactly
/// the ranks `base..base + keys.len()` of the whole set.
///
/// Selects the middle rank, then recurses into the two sides, so each selection runs on a
/// part of its parent's range. A rank right after a selected one is the minimum of the
/// upper side: a scan, not a selection.
fn select(keys: &mut [u32], base: usize, ranks: &[usize], found: &mut [u32]) {
    if ranks.is_empty() {
        return;
    }
    let mut mid = ranks.len() / 2;
    if mid > 0 && ranks[mid - 1] + 1 == ranks[mid] {
        mid -= 1;
    }
    let rank = ranks[mid];
    let Some(local) = rank.checked_sub(base).filter(|&r| r < keys.len()) else {
        return;
    };
    let (left, &mut key, right) = keys.select_nth_unstable(local);
    found[mid] = key;
    let mut next = mid + 1;
    if ranks.get(next) == Some(&(rank + 1)) {
        found[next] = right.iter().copied().min().unwrap_or(key);
        next += 1;
    }
    let (found_left, found_right) = found.split_at_mut(mid);
    select(left, base, &ranks[..mid], found_left);
    select(right, rank + 1, &ranks[next..], &mut found_right[next - mid..]);
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

/// f32 bits to a key whose unsigned order is the numeric order (-0 just below +0):
/// negative values have every bit flipped, the others only the sign bit.
#[inline]
pub(super) fn to_key(bits: u32) -> u32 {
    let negative = ((bits as i32) >> 31) as u32;
    bits ^ (negative | 0x8000_0000)
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
    fn nested_selection_matches_a_sort() {
        // Many ties (a tenth of the values are 0) and ranks that are neighbours.
        let values: Vec<f32> = (0..1000u32)
            .map(|i| if i % 10 == 3 { 0.0 } else { ((i * 7919) % 1009) as f32 - 500.0 })
            .collect();
        let mut sorted = values.clone();
        sorted.sort_by(f32::total_cmp);
        for ranks in [
            vec![0, 1, 99, 100, 500, 998, 999],
            vec![499, 500, 501, 502],
            vec![7],
            vec![998, 999],
        ] {
            let mut keys: Vec<u32> = values.iter().map(|x| to_key(x.to_bits())).collect();
            let mut found = vec![0u32; ranks.len()];
            select(&mut keys, 0, &ranks, &mut found);
            let got: Vec<f32> = found.iter().map(|&k| f32::from_bits(from_key(k))).collect();
            let want: Vec<f32> = ranks.iter().map(|&r| sorted[r]).collect();
            assert_eq!(got, want, "{ranks:?}");
        }
        // percentiles_into gives the values back, only reordered.
        let mut reordered = values.clone();
        let mut out = [0.0; 3];
        percentiles_into(&mut reordered, &[10.0, 50.0, 90.0], &mut out);
        reordered.sort_by(f32::total_cmp);
        assert_eq!(reordered, sorted);
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
