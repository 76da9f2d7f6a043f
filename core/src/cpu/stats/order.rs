//! Order statistics and percentiles without a full sort.
//!
//! Values are turned into unsigned keys whose integer order is the float order. Two ways
//! find exactly the ranks the percentiles need:
//! - nested `select_nth_unstable` calls, each on a part of its parent's range, on keys
//!   that may be reordered ([`percentiles`]);
//! - counting ([`Counting`], first-order statistics): a histogram of the keys' top bits
//!   points to the few buckets that hold the ranks, and only their keys are selected;
//!   the values are not moved.
//!
//! Percentiles interpolate like numpy's default `'linear'` method.

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
    let Some((positions, ranks)) = plan(values.len(), q) else {
        out.fill(f64::NAN);
        return;
    };
    let keys: &mut [u32] = bytemuck::cast_slice_mut(values);
    for key in keys.iter_mut() {
        *key = to_key(*key);
    }
    let mut found = vec![0u32; ranks.len()];
    select(keys, 0, &ranks, &mut found);
    for key in keys.iter_mut() {
        *key = from_key(*key);
    }
    interpolate(&positions, &ranks, &found, out);
}

/// Where each percentile `q` of `n` values falls, and the ascending, distinct ranks they
/// read; `None` without values.
pub(crate) fn plan(n: usize, q: &[f64]) -> Option<(Vec<Position>, Vec<usize>)> {
    if n == 0 {
        return None;
    }
    let positions: Vec<Position> = q.iter().map(|&p| Position::new(n, p)).collect();
    let mut ranks: Vec<usize> = positions.iter().flat_map(|p| p.ranks()).collect();
    ranks.sort_unstable();
    ranks.dedup();
    Some((positions, ranks))
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
    select(
        right,
        rank + 1,
        &ranks[next..],
        &mut found_right[next - mid..],
    );
}

/// Buckets of the counting selection: the top 16 bits of a key (sign, exponent and 7
/// mantissa bits), so a bucket spans under 1% of its values' magnitude.
pub(super) const BUCKETS: usize = 1 << 16;

fn bucket(key: u32) -> usize {
    (key >> 16) as usize
}

/// Order statistics by counting: one pass counts the values per bucket of their key, a
/// scan finds the bucket of each wanted rank, a second pass gathers those buckets' keys
/// (a small fraction of the values), and selection finishes within them. The values are
/// read, never moved. Holds its scratch space, to be reused between calls.
///
/// The counting pass may be fused into a caller's own pass: [`Counting::counters`] hands
/// out the zeroed counters, [`Tally`] fills them, [`Counting::percentiles_counted`]
/// finishes.
pub(super) struct Counting {
    counts: Box<[u32; BUCKETS]>,
    /// Per bucket, 0 or 1 + the gathered segment it fills; all 0 between calls.
    slots: Box<[u8; BUCKETS]>,
    gathered: Vec<u32>,
}

/// Counts keys into bucket counters. Runs of one bucket (a clipped background, a smooth
/// map) are counted at once: one counter incremented value after value would wait on
/// itself.
pub(super) struct Tally {
    bucket: usize,
    run: u32,
}

impl Tally {
    pub(super) fn new() -> Self {
        Self { bucket: 0, run: 0 }
    }

    #[inline(always)]
    pub(super) fn add(&mut self, counts: &mut [u32; BUCKETS], x: f32) {
        let b = bucket(to_key(x.to_bits()));
        // Wrapping: beyond u32::MAX values the counts go unused (selection on a copy).
        if b == self.bucket {
            self.run = self.run.wrapping_add(1);
        } else {
            counts[self.bucket] = counts[self.bucket].wrapping_add(self.run);
            self.bucket = b;
            self.run = 1;
        }
    }

    pub(super) fn finish(self, counts: &mut [u32; BUCKETS]) {
        counts[self.bucket] = counts[self.bucket].wrapping_add(self.run);
    }
}

/// Σ x and the number of the values inside a range of percentiles.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct RangeSum {
    pub(super) sum: f64,
    pub(super) count: usize,
}

/// What the gather pass finds: the keys of the ranks, the gathered buckets in order with
/// their segments of `Counting::gathered`, and the sum over the values whose bucket lies
/// strictly between `open.0` and `open.1` (inside the range for certain).
struct Found {
    keys: Vec<u32>,
    distinct: Vec<usize>,
    starts: Vec<usize>,
    open: (usize, usize),
    inner: RangeSum,
}

/// Lanes of the gather pass's range sum.
const LANES: usize = 8;

/// Values per block of the gather pass: each of its two loops reads the block from L1.
const GATHER_BLOCK: usize = 1024;

impl Counting {
    pub(super) fn new() -> Self {
        Self {
            counts: Box::new([0; BUCKETS]),
            slots: Box::new([0; BUCKETS]),
            gathered: Vec::new(),
        }
    }

    /// Percentiles `q` (in [0, 100]) of finite `values` into `out` (one per `q`), as
    /// [`percentiles_into`] computes them.
    #[cfg(test)]
    fn percentiles(&mut self, values: &[f32], q: &[f64], out: &mut [f64]) {
        let counts = self.counters();
        let mut tally = Tally::new();
        for &x in values {
            tally.add(counts, x);
        }
        tally.finish(counts);
        self.percentiles_counted(values, q, out, None);
    }

    /// The bucket counters, zeroed, for a pass that fills them with a [`Tally`].
    pub(super) fn counters(&mut self) -> &mut [u32; BUCKETS] {
        self.counts.fill(0);
        &mut self.counts
    }

    /// [`Counting::percentiles`] once the counters hold every value of `values`. With
    /// `range = Some((a, b))`, also Σ x and the count of the values in `[out[a], out[b]]`
    /// (inclusive), found during the gather pass; `None` without `range`.
    pub(super) fn percentiles_counted(
        &mut self,
        values: &[f32],
        q: &[f64],
        out: &mut [f64],
        range: Option<(usize, usize)>,
    ) -> Option<RangeSum> {
        let Some((positions, ranks)) = plan(values.len(), q) else {
            out.fill(f64::NAN);
            return None;
        };
        // The ranks whose buckets bound the certain inside of the range: above the
        // lower percentile's upper rank, below the upper percentile's lower rank.
        let open = range.and_then(|(a, b)| {
            let (lower, upper) = (positions.get(a)?, positions.get(b)?);
            let upper_rank_of_lower = if lower.gamma > 0.0 {
                lower.hi
            } else {
                lower.lo
            };
            Some((
                ranks.binary_search(&upper_rank_of_lower).ok()?,
                ranks.binary_search(&upper.lo).ok()?,
            ))
        });
        let found = self
            .order_statistics(values, &ranks, open)
            // Without the bounds of the certain inside, the range needs its own pass.
            .filter(|_| range.is_none() || open.is_some());
        let Some(found) = found else {
            // Beyond the counters' range: select on a copy.
            let mut keys: Vec<u32> = values.iter().map(|x| to_key(x.to_bits())).collect();
            let mut found = vec![0u32; ranks.len()];
            select(&mut keys, 0, &ranks, &mut found);
            interpolate(&positions, &ranks, &found, out);
            let (lo, hi) = range_bounds(out, range?)?;
            let mut all = RangeSum { sum: 0.0, count: 0 };
            for &x in values {
                all.add_if_inside(f64::from(x), lo, hi);
            }
            return Some(all);
        };
        interpolate(&positions, &ranks, &found.keys, out);
        let (lo, hi) = range_bounds(out, range?)?;
        // The gathered buckets outside the certain inside hold the rest of the range...
        let mut total = found.inner;
        let inner = |b: usize| b > found.open.0 && b < found.open.1;
        for (slot, &b) in found.distinct.iter().enumerate() {
            if inner(b) {
                continue;
            }
            let segment = *found.starts.get(slot)?..*found.starts.get(slot + 1)?;
            for &key in self.gathered.get(segment)? {
                total.add_if_inside(f64::from(f32::from_bits(from_key(key))), lo, hi);
            }
        }
        // ...but for the zeros: -0 and +0 are equal numbers and neighbouring keys, so a
        // bound at 0 takes in the zeros of the other sign, which may lie in a bucket
        // neither certainly inside nor gathered. They add nothing to the sum.
        if lo <= 0.0 && hi >= 0.0 {
            for zero in [(-0.0f32).to_bits(), 0.0f32.to_bits()] {
                let b = bucket(to_key(zero));
                if !inner(b) && !found.distinct.contains(&b) {
                    total.count += values.iter().filter(|x| x.to_bits() == zero).count();
                }
            }
        }
        Some(total)
    }

    /// The keys of ascending, distinct `ranks` among `values`, and with `open = Some((i,
    /// j))` the sum over the values whose buckets lie strictly between those of `ranks[i]`
    /// and `ranks[j]`; `None` when the values or the buckets the ranks fall in are too
    /// many for the counters. The counters hold the counts of `values`.
    #[inline(never)]
    fn order_statistics(
        &mut self,
        values: &[f32],
        ranks: &[usize],
        open: Option<(usize, usize)>,
    ) -> Option<Found> {
        u32::try_from(values.len()).ok()?;
        let counts = &*self.counts;
        let targets = locate(counts, ranks);
        if targets.len() != ranks.len() {
            return None;
        }
        let mut distinct: Vec<usize> = targets.iter().map(|&(b, _)| b).collect();
        distinct.dedup();
        if distinct.len() >= usize::from(u8::MAX) {
            return None;
        }
        let open = match open {
            Some((i, j)) => (targets.get(i)?.0, targets.get(j)?.0),
            None => (0, 0),
        };

        // Segments of `gathered`, one per distinct bucket, in order.
        let mut starts = Vec::with_capacity(distinct.len() + 1);
        let mut total = 0usize;
        for (slot, &b) in distinct.iter().enumerate() {
            starts.push(total);
            total += counts[b] as usize;
            self.slots[b] = slot as u8 + 1;
        }
        starts.push(total);
        self.gathered.clear();
        self.gathered.resize(total, 0);
        let mut fill = starts.clone();
        // Keys of the buckets strictly between the open bounds: lo <= key < lo + span.
        let (lo, hi) = ((open.0 as u64 + 1) << 16, (open.1 as u64) << 16);
        let span = hi.saturating_sub(lo) as u32;
        let lo = lo.min(u64::from(u32::MAX)) as u32;
        let mut sum = [0.0f64; LANES];
        let mut count = [0u32; LANES];
        let slots = &*self.slots;
        let gathered = &mut self.gathered;
        let mut gather = |key: u32| {
            let slot = slots[bucket(key)];
            if slot != 0 {
                if let Some(next) = fill.get_mut(usize::from(slot) - 1) {
                    if let Some(g) = gathered.get_mut(*next) {
                        *g = key;
                    }
                    *next += 1;
                }
            }
        };
        // Block by block, the sum in one loop that vectorises and the gather in another;
        // a block starts on a lane boundary, so the lanes sum as in one loop.
        for block in values.chunks(GATHER_BLOCK) {
            let mut chunks = block.chunks_exact(LANES);
            for chunk in &mut chunks {
                for l in 0..LANES {
                    let inside = to_key(chunk[l].to_bits()).wrapping_sub(lo) < span;
                    sum[l] += if inside { f64::from(chunk[l]) } else { 0.0 };
                    count[l] += u32::from(inside);
                }
            }
            for (l, &x) in chunks.remainder().iter().enumerate() {
                let inside = to_key(x.to_bits()).wrapping_sub(lo) < span;
                sum[l] += if inside { f64::from(x) } else { 0.0 };
                count[l] += u32::from(inside);
            }
            for &x in block {
                gather(to_key(x.to_bits()));
            }
        }
        for &b in &distinct {
            self.slots[b] = 0;
        }
        let inner = RangeSum {
            sum: sum.iter().sum(),
            count: count.iter().map(|&c| c as usize).sum(),
        };

        let mut found = vec![0u32; ranks.len()];
        let mut first = 0;
        for (slot, segment) in starts.windows(2).enumerate() {
            let keys = self.gathered.get_mut(segment[0]..segment[1])?;
            let b = distinct.get(slot).copied();
            let last = first
                + targets[first..]
                    .iter()
                    .take_while(|t| Some(t.0) == b)
                    .count();
            let local: Vec<usize> = targets[first..last].iter().map(|&(_, r)| r).collect();
            let (lo, hi) = keys
                .iter()
                .fold((u32::MAX, 0), |(lo, hi), &k| (lo.min(k), hi.max(k)));
            if lo == hi {
                // Ties (a clipped background): nothing to select.
                found[first..last].fill(lo);
            } else {
                select(keys, 0, &local, &mut found[first..last]);
            }
            first = last;
        }
        Some(Found {
            keys: found,
            distinct,
            starts,
            open,
            inner,
        })
    }
}

impl RangeSum {
    #[inline]
    fn add_if_inside(&mut self, x: f64, lo: f64, hi: f64) {
        if x >= lo && x <= hi {
            self.sum += x;
            self.count += 1;
        }
    }
}

/// The percentile values `out[a]` and `out[b]` bounding a range.
fn range_bounds(out: &[f64], (a, b): (usize, usize)) -> Option<(f64, f64)> {
    Some((*out.get(a)?, *out.get(b)?))
}

/// Buckets scanned at once by [`locate`]: the running count stays in registers.
const BLOCK: usize = 256;

/// `(bucket, rank within the bucket)` of each of the ascending `ranks`, given the count
/// of each bucket; block totals first, then the buckets of the blocks that hold a rank.
fn locate(counts: &[u32; BUCKETS], ranks: &[usize]) -> Vec<(usize, usize)> {
    let mut out = Vec::with_capacity(ranks.len());
    let mut wanted = ranks.iter().copied().peekable();
    let mut below = 0usize;
    for (i, block) in counts.chunks_exact(BLOCK).enumerate() {
        let Some(&rank) = wanted.peek() else {
            break;
        };
        // A block holds at most all the values, which fit a u32.
        let total = block.iter().fold(0u32, |a, &c| a.wrapping_add(c)) as usize;
        if rank >= below + total {
            below += total;
            continue;
        }
        for (j, &count) in block.iter().enumerate() {
            let upto = below + count as usize;
            while let Some(r) = wanted.next_if(|&r| r < upto) {
                out.push((i * BLOCK + j, r - below));
            }
            below = upto;
        }
    }
    out
}

/// numpy's interpolation of each percentile from the found keys of `ranks`.
pub(crate) fn interpolate(positions: &[Position], ranks: &[usize], found: &[u32], out: &mut [f64]) {
    let at = |rank: usize| -> f64 {
        let i = ranks.partition_point(|&r| r < rank);
        found
            .get(i)
            .map_or(f64::NAN, |&key| f64::from(f32::from_bits(from_key(key))))
    };
    for (o, p) in out.iter_mut().zip(positions) {
        *o = p.interpolate(at(p.lo), at(p.hi));
    }
}

/// Where percentile `p` falls between two ranks, exactly as numpy computes it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Position {
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
    pub(crate) fn ranks(&self) -> impl Iterator<Item = usize> {
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

pub(crate) fn from_key(key: u32) -> u32 {
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
            .map(|i| {
                if i % 10 == 3 {
                    0.0
                } else {
                    ((i * 7919) % 1009) as f32 - 500.0
                }
            })
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
    fn counting_matches_selection() {
        let mut state = 0x2545_f491u32;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state
        };
        let q = [0.0, 10.0, 25.0, 33.3, 50.0, 75.0, 90.0, 99.5, 100.0];
        let cases: Vec<Vec<f32>> = vec![
            vec![4.0],
            vec![-0.0, 0.0, 0.0, -0.0],
            vec![7.5; 1000],
            // A clipped background, noise, and a clipped top.
            (0..20_000)
                .map(|i| match i % 7 {
                    0..=2 => 0.0,
                    3 => 1.0,
                    _ => (next() % 1000) as f32 / 1000.0,
                })
                .collect(),
            // Signed values over many octaves.
            (0..5000)
                .map(|_| (next() as i32) as f32 * 1e-6 * (next() % 7) as f32)
                .collect(),
        ];
        let mut counting = Counting::new();
        for values in cases {
            let mut want = vec![0.0; q.len()];
            percentiles_into(&mut values.clone(), &q, &mut want);
            let mut got = vec![0.0; q.len()];
            counting.percentiles(&values, &q, &mut got);
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&got), bits(&want), "{} values", values.len());

            // The range sum of the gather pass against a plain pass, for p10..p90 and
            // for p25..median (ranges whose bounds share buckets or not).
            for (a, b) in [(1, 6), (2, 4), (0, 8)] {
                let counts = counting.counters();
                let mut tally = Tally::new();
                for &x in &values {
                    tally.add(counts, x);
                }
                tally.finish(counts);
                let range = counting
                    .percentiles_counted(&values, &q, &mut got, Some((a, b)))
                    .expect("a range sum");
                let inside: Vec<f64> = values
                    .iter()
                    .map(|&x| f64::from(x))
                    .filter(|&x| x >= got[a] && x <= got[b])
                    .collect();
                assert_eq!(range.count, inside.len(), "q {a}..{b}");
                let sum: f64 = inside.iter().sum();
                let scale: f64 = inside.iter().map(|x| x.abs()).sum();
                // Only the order of the additions differs.
                assert!(
                    (range.sum - sum).abs() <= 1e-12 * scale,
                    "q {a}..{b}: {} against {sum}",
                    range.sum
                );
            }
        }
        assert!(counting.slots.iter().all(|&s| s == 0));
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
