// Per block of each map, the sums the host turns into the moment-based first-order
// statistics and medad (gpu::stats::batch): with `a` the map's f32 mean estimate, `m` the
// median's lower order statistic and `lo`, `hi` the lower order statistic of p10 and the
// upper one of p90 (exact keys from the radix selection):
// Σ (x-a)^1..4, Σ |x-m|, #(x > m), and over the core lo < x < hi of the robust subset
// Σ (x-a) and its count, with #(x = lo) and #(x = hi) (the host decides whether the
// subset includes its ends, as the CPU compares them with p10 and p90).
// Counts of a block are exact in f32 (at most per_group = 4096).
// #import blocks
// #import stats

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> input: array<f32>;
@group(0) @binding(2) var<storage, read> summary: array<f32>;
@group(0) @binding(3) var<storage, read> state: array<u32>;
// DEVIATION_WORDS per block, in the order above.
@group(0) @binding(4) var<storage, read_write> partials: array<f32>;

var<workgroup> sums: array<array<f32, 256>, 10>;

@compute @workgroup_size(256)
fn main(
    @builtin(local_invocation_index) l: u32,
    @builtin(workgroup_id) group: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let g = block_index(group, groups);
    let range = block_range(g, params.maps, params.map_len, params.per_group, params.blocks_per_map);
    let map = min(range.x, params.maps - 1u);
    let a = summary[map * SUMMARY_WORDS + 2u];
    let keys = (map * params.ranks) * 2u;
    let m = from_key(state[keys + params.lo50 * 2u]);
    let lo = from_key(state[keys + params.lo10 * 2u]);
    let hi = from_key(state[keys + params.hi90 * 2u]);
    var s: array<f32, 10>;
    let base = range.x * params.map_len;
    for (var i = range.y + l; i < range.z; i += 256u) {
        let x = input[base + i];
        let y = x - a;
        let y2 = y * y;
        s[0] += y;
        s[1] += y2;
        s[2] += y2 * y;
        s[3] += y2 * y2;
        s[4] += abs(x - m);
        s[5] += select(0.0, 1.0, x > m);
        let core = x > lo && x < hi;
        s[6] += select(0.0, y, core);
        s[7] += select(0.0, 1.0, core);
        s[8] += select(0.0, 1.0, x == lo);
        s[9] += select(0.0, 1.0, x == hi);
    }
    for (var k = 0u; k < DEVIATION_WORDS; k++) {
        sums[k][l] = s[k];
    }
    workgroupBarrier();
    for (var half = 128u; half > 0u; half >>= 1u) {
        if l < half {
            for (var k = 0u; k < DEVIATION_WORDS; k++) {
                sums[k][l] += sums[k][l + half];
            }
        }
        workgroupBarrier();
    }
    if l < DEVIATION_WORDS && range.y < range.z {
        partials[g * DEVIATION_WORDS + l] = sums[l][0];
    }
}
