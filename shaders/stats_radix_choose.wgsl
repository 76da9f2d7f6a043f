// One workgroup per map, after each radix counting pass: for each rank, the digit whose
// cumulative count passes the rank within its prefix extends the prefix, and the rank
// becomes the rank within the new prefix. The ranks sharing a prefix read the histogram
// of the first of them, scanned in workgroup memory (one invocation per digit). The
// histograms are cleared for the next pass. After the pass of the lowest digit each
// prefix is the exact key of its rank. Part of gpu::stats::batch.
// #import blocks
// #import stats

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> histograms: array<u32>;
@group(0) @binding(2) var<storage, read_write> state: array<u32>;

// The map's prefixes and ranks before this pass.
var<workgroup> prefixes: array<u32, 10>;
var<workgroup> remaining: array<u32, 10>;
var<workgroup> scan: array<u32, 256>;

@compute @workgroup_size(256)
fn main(
    @builtin(local_invocation_index) l: u32,
    @builtin(workgroup_id) group: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let map = block_index(group, groups);
    if map >= params.maps {
        return;
    }
    let ranks = min(params.ranks, MAX_RANKS);
    let mask = above_digit(params.shift);
    let first = map * params.ranks;
    if l < ranks {
        prefixes[l] = state[(first + l) * 2u];
        remaining[l] = state[(first + l) * 2u + 1u];
    }
    workgroupBarrier();
    for (var r = 0u; r < ranks; r++) {
        let at = (first + r) * DIGITS + l;
        let count = histograms[at];
        scan[l] = count;
        workgroupBarrier();
        // Inclusive scan over the digits (Hillis and Steele).
        for (var step = 1u; step < DIGITS; step <<= 1u) {
            var add = 0u;
            if l >= step {
                add = scan[l - step];
            }
            workgroupBarrier();
            scan[l] += add;
            workgroupBarrier();
        }
        let upto = scan[l];
        let below = upto - count;
        let prefix = prefixes[r] & mask;
        // Only the first rank of a prefix owns a histogram.
        if r == 0u || (prefixes[r - 1u] & mask) != prefix {
            for (var k = r; k < ranks && (prefixes[k] & mask) == prefix; k++) {
                let rank = remaining[k];
                // The last digit takes a rank beyond the total (inconsistent counts of a
                // map with NaN), so every rank gets a digit.
                if (below <= rank && rank < upto) || (l == DIGITS - 1u && rank >= upto) {
                    state[(first + k) * 2u] = prefixes[k] | (l << params.shift);
                    state[(first + k) * 2u + 1u] = rank - below;
                }
            }
        }
        histograms[at] = 0u;
        workgroupBarrier();
    }
}
