// One pass of the radix selection of the percentiles' order statistics: per map and per
// distinct key prefix chosen so far, a histogram of the next 8-bit digit of the keys
// (cpu::stats::order's keys) that carry the prefix. Each workgroup counts its block in
// workgroup memory, then adds its counts to the map's. Ranks sharing a prefix share the
// histogram of the first of them. Part of gpu::stats::batch.
// #import blocks
// #import stats

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> input: array<f32>;
@group(0) @binding(2) var<storage, read> state: array<u32>;
// DIGITS counters per map and rank.
@group(0) @binding(3) var<storage, read_write> histograms: array<atomic<u32>>;

var<workgroup> local: array<atomic<u32>, 2560>; // MAX_RANKS * DIGITS
// The distinct prefixes of the map's ranks and the first rank of each.
var<workgroup> prefixes: array<u32, 10>;
var<workgroup> owners: array<u32, 10>;
var<workgroup> distinct: u32;

@compute @workgroup_size(256)
fn main(
    @builtin(local_invocation_index) l: u32,
    @builtin(workgroup_id) group: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let g = block_index(group, groups);
    let range = block_range(g, params.maps, params.map_len, params.per_group, params.blocks_per_map);
    let map = range.x;
    let ranks = min(params.ranks, MAX_RANKS);
    let counters = ranks * DIGITS;
    for (var i = l; i < counters; i += 256u) {
        atomicStore(&local[i], 0u);
    }
    let mask = above_digit(params.shift);
    if l == 0u {
        var count = 0u;
        if map < params.maps {
            for (var r = 0u; r < ranks; r++) {
                let prefix = state[(map * params.ranks + r) * 2u] & mask;
                // Ranks ascend, so equal prefixes are neighbours.
                if count == 0u || prefixes[count - 1u] != prefix {
                    prefixes[count] = prefix;
                    owners[count] = r;
                    count += 1u;
                }
            }
        }
        distinct = count;
    }
    workgroupBarrier();
    let count = distinct;
    let base = map * params.map_len;
    // Runs of one counter (a clipped background) are added at once: a counter that every
    // invocation increments value after value would serialise them.
    var run_counter = 0u;
    var run = 0u;
    for (var i = range.y + l; i < range.z; i += 256u) {
        let key = to_key(input[base + i]);
        let high = key & mask;
        for (var j = 0u; j < count; j++) {
            if high == prefixes[j] {
                let counter = owners[j] * DIGITS + ((key >> params.shift) & 0xffu);
                if counter != run_counter && run > 0u {
                    atomicAdd(&local[run_counter], run);
                    run = 0u;
                }
                run_counter = counter;
                run += 1u;
                break;
            }
        }
    }
    if run > 0u {
        atomicAdd(&local[run_counter], run);
    }
    workgroupBarrier();
    if map < params.maps {
        for (var i = l; i < counters; i += 256u) {
            let c = atomicLoad(&local[i]);
            if c > 0u {
                atomicAdd(&histograms[map * params.ranks * DIGITS + i], c);
            }
        }
    }
}
