// Per block of each map, the absolute deviations behind mad and rmad, split at estimates
// the host corrects exactly (gpu::stats::batch): Σ |x - s|, #(x > s) and #(x = s) over
// the map with s = a + Σ (x-a) / n, and the same over the core lo < x < hi of the robust
// subset [p10, p90] (as in stats_deviations) with s = c, an f32 estimate of the robust
// mean. Each workgroup reduces both estimates from its map's deviation partials (the same
// sums in the same order in every workgroup) and writes them with its sums. The host's
// result is exact but for the f32 sums unless a value lies strictly between an estimate
// and the exact mean it stands for.
// #import blocks
// #import stats

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> input: array<f32>;
@group(0) @binding(2) var<storage, read> summary: array<f32>;
@group(0) @binding(3) var<storage, read> state: array<u32>;
@group(0) @binding(4) var<storage, read> deviations: array<f32>;
// ABSOLUTE_WORDS per block: the map's sum, above, equal and estimate, then the core's.
@group(0) @binding(5) var<storage, read_write> partials: array<f32>;

const ABSOLUTE_WORDS: u32 = 8u;

var<workgroup> estimates: vec2<f32>;
var<workgroup> sums: array<array<f32, 256>, 6>;

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
        var core = 0.0;
        var count = 0.0;
        var at_lo = 0.0;
        var at_hi = 0.0;
        for (var b = 0u; b < params.blocks_per_map; b++) {
            let p = (map * params.blocks_per_map + b) * DEVIATION_WORDS;
            shifted += deviations[p];
            core += deviations[p + 6u];
            count += deviations[p + 7u];
            at_lo += deviations[p + 8u];
            at_hi += deviations[p + 9u];
        }
        // The ends belong to the subset when p10 (p90) is an order statistic, nearly
        // always; the host decides exactly, c is only the split.
        if lo == from_key(state[keys + params.hi10 * 2u]) {
            core += at_lo * (lo - a);
            count += at_lo;
        }
        if hi == from_key(state[keys + params.lo90 * 2u]) && hi != lo {
            core += at_hi * (hi - a);
            count += at_hi;
        }
        estimates = vec2<f32>(
            a + shifted / f32(params.map_len),
            select(a, a + core / count, count > 0.0),
        );
    }
    workgroupBarrier();
    let s = estimates;
    var t: array<f32, 6>;
    let base = range.x * params.map_len;
    for (var i = range.y + l; i < range.z; i += 256u) {
        let x = input[base + i];
        t[0] += abs(x - s.x);
        t[1] += select(0.0, 1.0, x > s.x);
        t[2] += select(0.0, 1.0, x == s.x);
        if x > lo && x < hi {
            t[3] += abs(x - s.y);
            t[4] += select(0.0, 1.0, x > s.y);
            t[5] += select(0.0, 1.0, x == s.y);
        }
    }
    for (var k = 0u; k < 6u; k++) {
        sums[k][l] = t[k];
    }
    workgroupBarrier();
    for (var half = 128u; half > 0u; half >>= 1u) {
        if l < half {
            for (var k = 0u; k < 6u; k++) {
                sums[k][l] += sums[k][l + half];
            }
        }
        workgroupBarrier();
    }
    if l == 0u && range.y < range.z {
        let p = g * ABSOLUTE_WORDS;
        partials[p] = sums[0][0];
        partials[p + 1u] = sums[1][0];
        partials[p + 2u] = sums[2][0];
        partials[p + 3u] = s.x;
        partials[p + 4u] = sums[3][0];
        partials[p + 5u] = sums[4][0];
        partials[p + 6u] = sums[5][0];
        partials[p + 7u] = s.y;
    }
}
