// One invocation per map, after each radix counting pass: for each rank, the digit whose
// cumulative count passes the rank within its prefix extends the prefix, and the rank
// becomes the rank within the new prefix. Ranks sharing a prefix walk one histogram
// together (they ascend). The histograms are cleared for the next pass. After the pass
// of the lowest digit each prefix is the exact key of its rank. Part of gpu::stats::batch.
// #import dispatch
// #import stats

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> histograms: array<u32>;
@group(0) @binding(2) var<storage, read_write> state: array<u32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let map = flat_index(id, groups, 256u);
    if map >= params.maps {
        return;
    }
    let ranks = min(params.ranks, MAX_RANKS);
    let mask = above_digit(params.shift);
    let first = map * params.ranks;
    var r = 0u;
    while r < ranks {
        let prefix = state[(first + r) * 2u] & mask;
        var end = r + 1u;
        while end < ranks && (state[(first + end) * 2u] & mask) == prefix {
            end += 1u;
        }
        let histogram = (first + r) * DIGITS;
        var digit = 0u;
        var below = 0u;
        for (var k = r; k < end; k++) {
            let s = (first + k) * 2u;
            let rank = state[s + 1u];
            // The last digit bounds the walk even for inconsistent counts (a NaN map).
            while digit < DIGITS - 1u && below + histograms[histogram + digit] <= rank {
                below += histograms[histogram + digit];
                digit += 1u;
            }
            state[s] = state[s] | (digit << params.shift);
            state[s + 1u] = rank - below;
        }
        r = end;
    }
    for (var i = first * DIGITS; i < (first + ranks) * DIGITS; i++) {
        histograms[i] = 0u;
    }
}
