// One invocation per map: its blocks' moments reduced to min, max and an f32 estimate of
// the mean (later passes shift by it), and the radix selection's state set to "no key
// bits chosen, rank r remaining". Part of gpu::stats::batch.
// #import dispatch
// #import stats

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> partials: array<u32>;
// The ranks the percentiles read, ascending (the same for every map: one length).
@group(0) @binding(2) var<storage, read> ranks: array<u32>;
// SUMMARY_WORDS per map.
@group(0) @binding(3) var<storage, read_write> summary: array<f32>;
// Per map and rank: the key prefix chosen so far and the rank within it.
@group(0) @binding(4) var<storage, read_write> state: array<u32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let map = flat_index(id, groups, 256u);
    if map >= params.maps {
        return;
    }
    var lo = bitcast<f32>(0x7f7fffffu);
    var hi = -lo;
    var sum = 0.0;
    for (var b = 0u; b < params.blocks_per_map; b++) {
        let p = (map * params.blocks_per_map + b) * MOMENT_WORDS;
        lo = min(lo, bitcast<f32>(partials[p]));
        hi = max(hi, bitcast<f32>(partials[p + 1u]));
        sum += bitcast<f32>(partials[p + 2u]);
    }
    summary[map * SUMMARY_WORDS] = lo;
    summary[map * SUMMARY_WORDS + 1u] = hi;
    // Clamped into [lo, hi]: a better shift, and finite when lo and hi are.
    summary[map * SUMMARY_WORDS + 2u] = clamp(sum / f32(params.map_len), lo, hi);
    summary[map * SUMMARY_WORDS + 3u] = 0.0;
    for (var r = 0u; r < params.ranks; r++) {
        let s = (map * params.ranks + r) * 2u;
        state[s] = 0u;
        state[s + 1u] = ranks[r];
    }
}
