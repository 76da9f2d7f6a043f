// The parameters and helpers shared by the batch statistics stages (gpu::stats::batch):
// `maps` maps of `map_len` values each, contiguous; every map is cut into
// `blocks_per_map` blocks of `per_group` values, one workgroup each.

// Mirrors gpu::stats::StatsParams; each stage reads the fields it needs.
struct Params {
    maps: u32,
    map_len: u32,
    per_group: u32,
    blocks_per_map: u32,
    // Distinct ranks the percentiles read (at most MAX_RANKS).
    ranks: u32,
    // Bit position of the radix digit of this pass.
    shift: u32,
    // Histogram bins.
    bins: u32,
    // Indices into the ranks of p10's lower and upper order statistic, the median's lower
    // one and p90's lower and upper ones (lower = upper when p falls on a rank).
    lo10: u32,
    hi10: u32,
    lo50: u32,
    lo90: u32,
    hi90: u32,
    // Always 0: see shared/float_float's `hide`.
    zero: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

// 5 percentiles, 2 order statistics each.
const MAX_RANKS: u32 = 10u;
// Radix digits of 8 bits: 4 passes select a 32-bit key.
const DIGITS: u32 = 256u;
// Words per block of the moments partials: min, max, Σ x, Σ x², first non-finite index
// (u32 bits; NO_INDEX when none) and its value.
const MOMENT_WORDS: u32 = 6u;
const NO_INDEX: u32 = 0xffffffffu;
// Words per map of the summary: min, max, the f32 mean estimate, unused.
const SUMMARY_WORDS: u32 = 4u;
// Words per block of the deviation partials (stats_deviations).
const DEVIATION_WORDS: u32 = 10u;

// The map of workgroup `g` and the block's [start, end) within the map; an empty range
// for workgroups past the last block (the grid is rounded up).
fn block_range(g: u32, maps: u32, map_len: u32, per_group: u32, blocks_per_map: u32) -> vec3<u32> {
    let map = g / blocks_per_map;
    let start = (g % blocks_per_map) * per_group;
    let end = select(start, min(start + per_group, map_len), map < maps);
    return vec3<u32>(map, start, end);
}

// f32 bits to a key whose unsigned order is the numeric order (-0 just below +0), as
// cpu::stats::order::to_key.
fn to_key(x: f32) -> u32 {
    let bits = bitcast<u32>(x);
    let negative = u32(bitcast<i32>(bits) >> 31u);
    return bits ^ (negative | 0x80000000u);
}

fn from_key(key: u32) -> f32 {
    return bitcast<f32>(select(~key, key & 0x7fffffffu, (key & 0x80000000u) != 0u));
}

// The key bits above the digit at `shift`: those the prefix already fixed.
fn above_digit(shift: u32) -> u32 {
    return select(0xffffffffu << (shift + 8u), 0u, shift + 8u >= 32u);
}
