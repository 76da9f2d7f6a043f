// Per block of each map, Σ |x - c| and #(x > c) over the core lo < x < hi of the robust
// subset [p10, p90] (as in stats_deviations), with c an f32 estimate of the robust mean
// that each workgroup reduces from its map's deviation partials (the same sums in the same
// order in every workgroup, so one c per map); c is written too. The host corrects to the
// exact robust mean (gpu::stats::batch): exact unless a core value lies between c and it.
// #import blocks
// #import stats

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> input: array<f32>;
@group(0) @binding(2) var<storage, read> summary: array<f32>;
@group(0) @binding(3) var<storage, read> state: array<u32>;
@group(0) @binding(4) var<storage, read> deviations: array<f32>;
// ROBUST_WORDS per block: Σ |x - c|, #(x > c), c, unused.
@group(0) @binding(5) var<storage, read_write> partials: array<f32>;

const ROBUST_WORDS: u32 = 4u;
const DEVIATION_WORDS: u32 = 12u;

var<workgroup> centre: f32;
var<workgroup> sums: array<f32, 256>;
var<workgroup> above: array<f32, 256>;

@compute @workgroup_size(256)
fn main(
    @builtin(local_invocation_index) l: u32,
    @builtin(workgroup_id) group: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let g = block_index(group, groups);
    let range = block_range(g, params.maps, params.map_len, params.per_group, params.blocks_per_map);
    let map = min(range.x, params.maps - 1u);
    let keys = (map * params.ranks) * 2u;
    let lo = from_key(state[keys + params.lo10 * 2u]);
    let hi = from_key(state[keys + params.hi90 * 2u]);
    if l == 0u {
        let a = summary[map * SUMMARY_WORDS + 2u];
        var shifted = 0.0;
        var count = 0.0;
        var at_lo = 0.0;
        var at_hi = 0.0;
        for (var b = 0u; b < params.blocks_per_map; b++) {
            let p = (map * params.blocks_per_map + b) * DEVIATION_WORDS;
            shifted += deviations[p + 8u];
            count += deviations[p + 9u];
            at_lo += deviations[p + 10u];
            at_hi += deviations[p + 11u];
        }
        // The ends belong to the subset when p10 (p90) is an order statistic, nearly
        // always; the host decides exactly, c is only the split.
        if lo == from_key(state[keys + params.hi10 * 2u]) {
            shifted += at_lo * (lo - a);
            count += at_lo;
        }
        if hi == from_key(state[keys + params.lo90 * 2u]) && hi != lo {
            shifted += at_hi * (hi - a);
            count += at_hi;
        }
        centre = select(a, a + shifted / count, count > 0.0);
    }
    workgroupBarrier();
    let c = centre;
    var sum = 0.0;
    var n = 0.0;
    let base = range.x * params.map_len;
    for (var i = range.y + l; i < range.z; i += 256u) {
        let x = input[base + i];
        if x > lo && x < hi {
            sum += abs(x - c);
            n += select(0.0, 1.0, x > c);
        }
    }
    sums[l] = sum;
    above[l] = n;
    workgroupBarrier();
    for (var half = 128u; half > 0u; half >>= 1u) {
        if l < half {
            sums[l] += sums[l + half];
            above[l] += above[l + half];
        }
        workgroupBarrier();
    }
    if l == 0u && range.y < range.z {
        let p = g * ROBUST_WORDS;
        partials[p] = sums[0];
        partials[p + 1u] = above[0];
        partials[p + 2u] = c;
        partials[p + 3u] = 0.0;
    }
}
