//! The IBSI first-order and histogram statistics of many maps that stay on the device:
//! [`record_statistics`] adds the passes to a caller's [`Job`] after the maps' upload (or
//! the stage that made them), and only small partials come back, in the one readback of
//! the caller's batch; [`PendingStatistics::finish`] turns them into the CPU's values.
//!
//! The passes (`maps` maps of `map_len` values, cut into blocks of [`PER_GROUP`] values,
//! one workgroup each):
//! 1. `moments`: per block min, max, Σ x, Σ x² and the first non-finite value.
//! 2. `stats_finalize`, one invocation per map: min, max and an f32 mean estimate `a`
//!    (only a shift for later passes); the radix selection's state.
//! 3. `stats_radix_count` and `stats_radix_choose`, 4 times (8-bit digits, top first): the
//!    exact order statistics the percentiles read, on `cpu::stats::order`'s keys. Per map
//!    and distinct key prefix a workgroup-memory histogram of the next digit, then one
//!    workgroup per map scans it and extends each rank's prefix. The final prefixes are
//!    the keys.
//! 4. `stats_deviations`: Σ (x-a)^k, sums split at exact order statistics, and the robust
//!    subset's core sum and count (see [`PendingStatistics::finish`]).
//! 5. `stats_absolute`: Σ |x - s| about f32 estimates of the mean and of the robust mean
//!    reduced on the device from pass 4, for mad and rmad.
//! 6. `stats_histogram` (histogram family): counts per map over numpy's edges, built in
//!    each workgroup from the device's min and max in float-float arithmetic and rounded
//!    up to f32 thresholds as the CPU's fast bins do from f64 edges. The bins are the
//!    CPU's except for a value exactly on an edge that is an f32 while numpy's f64
//!    arithmetic rounds it (`k * step + min` just above or below): such a value falls one
//!    bin up on the device, moving entropy by under (2 + log2 n) / n and uniformity by
//!    under 2 / n per value (about 1 edge in 40000 over random ranges; none for dyadic
//!    steps such as 400 / 64).
//!
//! Full reads of the maps: 1 + 4 + 1 + 1 for the first-order family, 1 more for the
//! histogram; every histogram counts in workgroup memory and adds runs of one counter at
//! once. What returns per map is O(blocks + ranks + bins) 4-byte words: 24 per block
//! (6 + 10 + 8), 4 + 2 × ranks (at most 10), and the bins; for a 358 × 358 map (32
//! blocks) and 64 bins about 3.4 kB.

use super::{StatsParams, MAX_GPU_BINS, PER_GROUP};
use crate::cpu::stats::{
    features_of_counts, from_key, interpolate, plan, Discretisation, FirstOrderParts, Position,
    StatsError,
};
use crate::gpu::context::{Job, Slot};
use crate::gpu::shaders::{
    MOMENTS, STATS_ABSOLUTE, STATS_DEVIATIONS, STATS_FINALIZE, STATS_HISTOGRAM, STATS_RADIX_CHOOSE,
    STATS_RADIX_COUNT,
};
use crate::gpu::GpuError;
use crate::recipe::Family;

/// Words per block of the moments partials (`shaders/shared/stats.wgsl`).
pub(super) const MOMENT_WORDS: usize = 6;
/// Words per map of the device summary: min, max, mean estimate, unused.
const SUMMARY_WORDS: usize = 4;
/// Words per block of the deviation partials (`shaders/stats_deviations.wgsl`).
const DEVIATION_WORDS: usize = 10;
/// Words per block of the absolute deviation partials (`shaders/stats_absolute.wgsl`).
const ABSOLUTE_WORDS: usize = 8;
/// Counters per radix histogram: 8-bit digits.
const DIGITS: usize = 256;
/// Bit positions of the radix digits, most significant first.
const SHIFTS: [u32; 4] = [24, 16, 8, 0];
/// The percentiles of the first-order family.
const PERCENTILES: [f64; 5] = [10.0, 25.0, 50.0, 75.0, 90.0];
/// Marks a block without a non-finite value.
const NO_INDEX: u32 = u32::MAX;

/// The statistics of one map: its values in the CPU's order, or why it has none.
pub type MapStatistics = Result<Vec<f64>, StatsError>;

/// Statistics recorded by [`record_statistics`], waiting for the caller's readback.
#[derive(Debug)]
pub(crate) struct PendingStatistics {
    maps: usize,
    map_len: usize,
    blocks: usize,
    families: Vec<Family>,
    /// Rank positions of the percentiles and the distinct ranks they read.
    positions: Vec<Position>,
    ranks: Vec<usize>,
    /// Indices into `ranks`: p10's lower, the median's lower, p90's upper statistic.
    lo10: usize,
    lo50: usize,
    hi90: usize,
    bins: usize,
    /// What to read, in this order (absent parts are `None`).
    moments: Option<Slot>,
    summary: Option<Slot>,
    state: Option<Slot>,
    deviations: Option<Slot>,
    absolute: Option<Slot>,
    counts: Option<Slot>,
}

/// Records the statistics `families` of `map_count` maps of `map_len` f32 each, stored
/// one after the other in `maps`, into `job`; reads nothing. The caller reads
/// [`PendingStatistics::slots`] back (with its other results) and hands the words to
/// [`PendingStatistics::finish`].
///
/// [`Family::Glcm`], and the histogram family with a discretisation other than
/// `Bins(1..=MAX_GPU_BINS)`, are [`GpuError::Unsupported`]: the CPU computes them.
pub(crate) fn record_statistics(
    job: &mut Job<'_>,
    maps: &Slot,
    map_count: usize,
    map_len: usize,
    families: &[Family],
    discretisation: Discretisation,
) -> Result<PendingStatistics, GpuError> {
    if families.contains(&Family::Glcm) {
        return Err(GpuError::Unsupported {
            what: "GLCM features (the CPU computes them)".into(),
        });
    }
    let first_order = families.contains(&Family::FirstOrder);
    let bins = match discretisation {
        _ if !families.contains(&Family::Histogram) => 0,
        Discretisation::Bins(n) if (1..=MAX_GPU_BINS).contains(&n) => n as usize,
        other => {
            return Err(GpuError::Unsupported {
                what: format!(
                    "histograms over {other:?} (the GPU counts 1 to {MAX_GPU_BINS} bins)"
                ),
            })
        }
    };
    let values = map_count
        .checked_mul(map_len)
        .filter(|&v| u32::try_from(v).is_ok())
        .ok_or_else(|| GpuError::TooLarge {
            what: "statistics maps",
            needed: (map_count as u64).saturating_mul(map_len as u64),
            limit: "32-bit value indices",
            allowed: u64::from(u32::MAX),
        })?;
    if maps.words() < values as u64 {
        return Err(GpuError::Unsupported {
            what: format!(
                "a slot of {} values for {map_count} maps of {map_len}",
                maps.words()
            ),
        });
    }
    let (positions, ranks) = plan(map_len.max(1), &PERCENTILES).unwrap_or_default();
    let index = |rank: usize| ranks.binary_search(&rank).unwrap_or(0);
    let bounds = |p: usize| {
        let mut read = positions.get(p).map(|p| p.ranks()).into_iter().flatten();
        let lo = read.next().unwrap_or(0);
        (index(lo), index(read.last().unwrap_or(lo)))
    };
    let ((lo10, hi10), (lo50, _), (lo90, hi90)) = (bounds(0), bounds(2), bounds(4));
    let blocks = map_len.div_ceil(PER_GROUP);
    let mut pending = PendingStatistics {
        maps: map_count,
        map_len,
        blocks,
        families: families.to_vec(),
        positions,
        ranks,
        lo10,
        lo50,
        hi90,
        bins,
        moments: None,
        summary: None,
        state: None,
        deviations: None,
        absolute: None,
        counts: None,
    };
    if values == 0 || families.is_empty() {
        return Ok(pending);
    }
    let rank_count = pending.ranks.len();
    let params = |shift: u32| StatsParams {
        maps: map_count as u32,
        map_len: map_len as u32,
        per_group: PER_GROUP as u32,
        blocks_per_map: blocks as u32,
        ranks: rank_count as u32,
        shift,
        bins: bins as u32,
        lo10: lo10 as u32,
        hi10: hi10 as u32,
        lo50: lo50 as u32,
        lo90: lo90 as u32,
        hi90: hi90 as u32,
        ..StatsParams::default()
    };
    let groups = (map_count * blocks) as u64 * 256;
    let per_map = map_count as u64;

    let moments = job.output("statistics moments", map_count * blocks * MOMENT_WORDS)?;
    let base = job.params(&MOMENTS, &params(0))?;
    job.dispatch(&MOMENTS, &[&base, maps, &moments], groups)?;

    let ranks: Vec<u32> = pending.ranks.iter().map(|&r| r as u32).collect();
    // Computed from the map length alone, like filter taps: a constant, uploaded once
    // per job however many frames share it.
    let ranks = job.constant("statistics ranks", &ranks)?;
    let summary = job.output("statistics summary", map_count * SUMMARY_WORDS)?;
    let state = job.output("statistics radix state", map_count * rank_count * 2)?;
    job.dispatch(
        &STATS_FINALIZE,
        &[&base, &moments, &ranks, &summary, &state],
        per_map,
    )?;

    if first_order {
        let histograms = job.zeroed(
            "statistics radix histograms",
            map_count * rank_count * DIGITS,
        )?;
        for shift in SHIFTS {
            let pass = job.params(&STATS_RADIX_COUNT, &params(shift))?;
            job.dispatch(
                &STATS_RADIX_COUNT,
                &[&pass, maps, &state, &histograms],
                groups,
            )?;
            job.dispatch(
                &STATS_RADIX_CHOOSE,
                &[&pass, &histograms, &state],
                per_map * 256,
            )?;
        }
        let deviations = job.output(
            "statistics deviations",
            map_count * blocks * DEVIATION_WORDS,
        )?;
        job.dispatch(
            &STATS_DEVIATIONS,
            &[&base, maps, &summary, &state, &deviations],
            groups,
        )?;
        let absolute = job.output(
            "statistics absolute deviations",
            map_count * blocks * ABSOLUTE_WORDS,
        )?;
        job.dispatch(
            &STATS_ABSOLUTE,
            &[&base, maps, &summary, &state, &deviations, &absolute],
            groups,
        )?;
        pending.state = Some(state);
        pending.deviations = Some(deviations);
        pending.absolute = Some(absolute);
    }
    if bins > 0 {
        let counts = job.zeroed("statistics histogram counts", map_count * bins)?;
        job.dispatch(&STATS_HISTOGRAM, &[&base, maps, &summary, &counts], groups)?;
        pending.counts = Some(counts);
    }
    pending.moments = Some(moments);
    pending.summary = Some(summary);
    Ok(pending)
}

/// The sums of one map's partials, in f64, block after block.
struct Sums<const N: usize>([f64; N]);

impl<const N: usize> Sums<N> {
    fn of(blocks: &[u32]) -> Self {
        let mut sums = [0.0; N];
        for block in blocks.chunks_exact(N) {
            for (s, &word) in sums.iter_mut().zip(block) {
                *s += f64::from(f32::from_bits(word));
            }
        }
        Self(sums)
    }
}

impl PendingStatistics {
    /// The slots to read back, in the order [`PendingStatistics::finish`] expects their
    /// words; none when there is nothing to compute.
    pub(crate) fn slots(&self) -> Vec<&Slot> {
        [
            &self.moments,
            &self.summary,
            &self.state,
            &self.deviations,
            &self.absolute,
            &self.counts,
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// The statistics of each map from the `words` read back from
    /// [`PendingStatistics::slots`] (concatenated): the families' values in the CPU's order
    /// ([`FIRST_ORDER_NAMES`](crate::cpu::stats::FIRST_ORDER_NAMES), then `HISTOGRAM_NAMES`, per family asked). A map with a
    /// NaN or infinite value is [`StatsError::NonFinite`] (its first one, as on the CPU);
    /// maps of no values are [`StatsError::EmptyRoi`].
    ///
    /// How the device's sums become the statistics (`n` values, `a` the f32 mean
    /// estimate, sums in f32 per block and in f64 across blocks):
    /// - mean = a + Σ (x-a) / n; central moments from Σ (x-a)^k by the binomial
    ///   identities, well conditioned as `a` is within rounding of the mean; energy
    ///   = Σ x². Percentiles, minimum, maximum, iqr, range and qcod are exactly the CPU's.
    /// - Mean absolute deviations about μ come from Σ |x - s|, #(x > s) and #(x = s)
    ///   about a split `s` near μ: Σ |x - μ| = Σ |x - s| + (#below - #above) (μ - s),
    ///   where values equal to `s` are below when s <= μ. This is exact but for the f32
    ///   sums unless a value lies strictly between `s` and μ, each such value off by at
    ///   most 2 |μ - s|.
    ///   - mad: `s` = a + Σ (x-a) / n in f32, within the f32 rounding of the sum of the
    ///     mean (so only values within that distance of the mean can be off);
    ///   - medad: `s` = the median's lower order statistic: no value lies between, exact;
    ///   - rmad: the robust subset [p10, p90] is its core `lo < x < hi` (`lo` p10's lower
    ///     and `hi` p90's upper order statistic; no value lies strictly between them and
    ///     the percentiles) and the values equal to `lo` or `hi`, included when the CPU's
    ///     comparison with p10 and p90 includes them. The core splits at an f32 estimate
    ///     of the robust mean, the ends are exact.
    ///
    /// Values whose f32 sums overflow (|x - mean| beyond about 1e9 in Σ (x-a)⁴) are
    /// [`GpuError::Unsupported`]: the CPU computes them.
    pub(crate) fn finish(&self, words: &[u32]) -> Result<Vec<MapStatistics>, GpuError> {
        if self.map_len == 0 {
            return Ok((0..self.maps).map(|_| Err(StatsError::EmptyRoi)).collect());
        }
        let expected: u64 = self.slots().iter().map(|s| s.words()).sum();
        if words.len() as u64 != expected {
            return Err(GpuError::Readback {
                stage: "statistics",
                message: format!("{} words read back, {expected} expected", words.len()),
            });
        }
        if self.families.is_empty() {
            return Ok(vec![Ok(Vec::new()); self.maps]);
        }
        let mut rest = words;
        let mut take = |slot: &Option<Slot>| -> &[u32] {
            let len = slot.as_ref().map_or(0, |s| s.words() as usize);
            let (head, tail) = rest.split_at(len.min(rest.len()));
            rest = tail;
            head
        };
        let moments = take(&self.moments);
        let summary = take(&self.summary);
        let state = take(&self.state);
        let deviations = take(&self.deviations);
        let absolute = take(&self.absolute);
        let counts = take(&self.counts);
        let r = self.ranks.len();
        let mut out = Vec::with_capacity(self.maps);
        for m in 0..self.maps {
            fn part(words: &[u32], m: usize, per_map: usize) -> &[u32] {
                words
                    .get(m * per_map..(m + 1) * per_map)
                    .unwrap_or_default()
            }
            let map = MapWords {
                moments: part(moments, m, self.blocks * MOMENT_WORDS),
                summary: part(summary, m, SUMMARY_WORDS),
                state: part(state, m, r * 2),
                deviations: part(deviations, m, self.blocks * DEVIATION_WORDS),
                absolute: part(absolute, m, self.blocks * ABSOLUTE_WORDS),
                counts: part(counts, m, self.bins),
            };
            out.push(self.map_statistics(&map)?);
        }
        Ok(out)
    }

    fn map_statistics(&self, map: &MapWords<'_>) -> Result<MapStatistics, GpuError> {
        let mut first = Moments::default();
        for (b, block) in map.moments.chunks_exact(MOMENT_WORDS).enumerate() {
            if block[4] != NO_INDEX {
                return Ok(Err(StatsError::NonFinite {
                    index: block[4] as usize,
                    value: f32::from_bits(block[5]),
                }));
            }
            let value = |i: usize| f32::from_bits(block[i]);
            first.min = if b == 0 {
                value(0)
            } else {
                first.min.min(value(0))
            };
            first.max = if b == 0 {
                value(1)
            } else {
                first.max.max(value(1))
            };
            first.energy += f64::from(value(3));
        }
        let mut values = Vec::new();
        for family in &self.families {
            match family {
                Family::FirstOrder => values.extend(self.first_order(map, &first)?),
                Family::Histogram => {
                    let counts: Vec<u64> = map.counts.iter().map(|&c| u64::from(c)).collect();
                    values.extend(
                        features_of_counts(&counts, self.map_len)
                            .into_iter()
                            .map(|(_, v)| v),
                    );
                }
                // Refused by record_statistics.
                Family::Glcm => {}
            }
        }
        Ok(Ok(values))
    }

    /// The 18 first-order statistics, in [`FIRST_ORDER_NAMES`](crate::cpu::stats::FIRST_ORDER_NAMES) order.
    fn first_order(&self, map: &MapWords<'_>, first: &Moments) -> Result<Vec<f64>, GpuError> {
        let n = self.map_len as f64;
        let summary =
            |i: usize| f64::from(f32::from_bits(map.summary.get(i).copied().unwrap_or(0)));
        let a = summary(2);
        let key = |i: usize| map.state.get(2 * i).copied().unwrap_or(0);
        let value = |i: usize| f64::from(f32::from_bits(from_key(key(i))));
        let found: Vec<u32> = (0..self.ranks.len()).map(key).collect();
        let mut quantiles = [0.0; 5];
        interpolate(&self.positions, &self.ranks, &found, &mut quantiles);
        let [p10, _, p50, _, p90] = quantiles;

        let Sums([s1, s2, s3, s4, abs_m, above_m, core_sum, core, at_lo, at_hi]) =
            Sums::<DEVIATION_WORDS>::of(map.deviations);
        let overflow = [first.energy, s1, s2, s3, s4, abs_m, core_sum];
        if overflow.iter().any(|s| !s.is_finite()) {
            return Err(GpuError::Unsupported {
                what: "statistics of values whose f32 sums overflow".into(),
            });
        }
        let (minimum, maximum) = (f64::from(first.min), f64::from(first.max));
        let shift = s1 / n;
        let constant = minimum == maximum;
        // A constant map: the CPU's mean is the value and every deviation 0, exactly.
        let mean = if constant { minimum } else { a + shift };
        let (m2, m3, m4) = if constant {
            (0.0, 0.0, 0.0)
        } else {
            let (e2, e3, e4) = (s2 / n, s3 / n, s4 / n);
            (
                (e2 - shift * shift).max(0.0),
                e3 - 3.0 * shift * e2 + 2.0 * shift.powi(3),
                e4 - 4.0 * shift * e3 + 6.0 * shift * shift * e2 - 3.0 * shift.powi(4),
            )
        };
        let mut mad = 0.0;
        for (b, block) in map.absolute.chunks_exact(ABSOLUTE_WORDS).enumerate() {
            let count = (self.map_len - b * PER_GROUP).min(PER_GROUP) as f64;
            let sums = [word(block, 0), word(block, 1), word(block, 2)];
            mad += about(mean, word(block, 3), sums, count);
        }
        let mad = if constant { 0.0 } else { mad / n };
        let m = value(self.lo50);
        // Values equal to m lie below the median, whichever side the split counts them.
        let medad = about(p50, m, [abs_m, above_m, 0.0], n) / n;
        let rmad = self.rmad(
            map,
            a,
            [value(self.lo10), value(self.hi90)],
            [p10, p90],
            [core_sum, core, at_lo, at_hi],
        );

        let stats = FirstOrderParts {
            n,
            mean,
            central: [m2, m3, m4],
            quantiles,
            minimum,
            maximum,
            deviations: [mad, rmad, medad],
            energy: first.energy,
        }
        .values();
        Ok(stats.to_vec())
    }

    /// Mean |x - robust mean| over the values in [p10, p90], from the core's sums
    /// (`[Σ (x-a), count, #(x = lo), #(x = hi)]`) and the absolute deviation partials.
    fn rmad(
        &self,
        map: &MapWords<'_>,
        a: f64,
        [lo, hi]: [f64; 2],
        [p10, p90]: [f64; 2],
        [core_sum, core, at_lo, at_hi]: [f64; 4],
    ) -> f64 {
        // The CPU's test of a value against the subset.
        let inside = |x: f64| x >= p10 && x <= p90;
        if lo == hi {
            // p10 = p90 = lo: the subset is the values equal to it; no deviation.
            return 0.0;
        }
        let (with_lo, with_hi) = (inside(lo), inside(hi));
        let weight = |include: bool, count: f64| if include { count } else { 0.0 };
        let count = core + weight(with_lo, at_lo) + weight(with_hi, at_hi);
        if count == 0.0 {
            return 0.0;
        }
        let robust_mean = a
            + (core_sum + weight(with_lo, at_lo) * (lo - a) + weight(with_hi, at_hi) * (hi - a))
                / count;
        let mut deviation = weight(with_lo, at_lo) * (lo - robust_mean).abs()
            + weight(with_hi, at_hi) * (hi - robust_mean).abs();
        let cores = map.deviations.chunks_exact(DEVIATION_WORDS);
        for (block, core) in map.absolute.chunks_exact(ABSOLUTE_WORDS).zip(cores) {
            let sums = [word(block, 4), word(block, 5), word(block, 6)];
            deviation += about(robust_mean, word(block, 7), sums, word(core, 7));
        }
        deviation / count
    }
}

/// Σ |x - mu| over `count` values from `[Σ |x - s|, #(x > s), #(x = s)]` about a split
/// `s`: exact unless a value lies strictly between `s` and `mu`.
fn about(mu: f64, s: f64, [sum, above, equal]: [f64; 3], count: f64) -> f64 {
    // Values equal to s lie below mu when s <= mu, above it otherwise.
    let above = if mu < s { above + equal } else { above };
    sum + (count - 2.0 * above) * (mu - s)
}

/// The f32 in word `i` of `words`, as f64 (0 past the end).
fn word(words: &[u32], i: usize) -> f64 {
    words.get(i).map_or(0.0, |&w| f64::from(f32::from_bits(w)))
}

/// One map's part of each read-back slot.
struct MapWords<'w> {
    moments: &'w [u32],
    summary: &'w [u32],
    state: &'w [u32],
    deviations: &'w [u32],
    absolute: &'w [u32],
    counts: &'w [u32],
}

/// Min, max and energy of a map (f64 across blocks).
#[derive(Debug, Default)]
struct Moments {
    min: f32,
    max: f32,
    energy: f64,
}

const _: () = assert!(size_of::<StatsParams>() == STATS_DEVIATIONS.params_size as usize);
