// Counts of the fixed bin number histogram of each map over its own [min, max] (from the
// device's summary, so nothing returns to the host first), on numpy's edges
// `min + k (max - min) / bins` (`np.histogram(x, bins, (min, max))`): each edge in
// float-float arithmetic (about 48 bits), rounded up to the least f32 at or above it as
// cpu::stats::histogram's fast bins do from the f64 edge; then an f32 estimate of each
// value's bin and a walk against these thresholds. The bins are the CPU's unless a value
// lies within about 2^-44 (relative) of an edge, where f64 and float-float round apart
// (see gpu::stats::batch). Each workgroup counts its block in workgroup memory, then adds
// its counts to the map's. At most 1024 bins.
// #import blocks
// #import stats
// #import float_float

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> input: array<f32>;
@group(0) @binding(2) var<storage, read> summary: array<f32>;
// `bins` counters per map.
@group(0) @binding(3) var<storage, read_write> counts: array<atomic<u32>>;

var<workgroup> local: array<atomic<u32>, 1024>;
// edges[k]: the least f32 at or above the lower edge of bin k (edges[0] is unused).
var<workgroup> edges: array<f32, 1024>;

@compute @workgroup_size(256)
fn main(
    @builtin(local_invocation_index) l: u32,
    @builtin(workgroup_id) group: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let g = block_index(group, groups);
    let range = block_range(g, params.maps, params.map_len, params.per_group, params.blocks_per_map);
    let map = min(range.x, params.maps - 1u);
    let bins = min(params.bins, 1024u);
    let low = summary[map * SUMMARY_WORDS];
    let high = summary[map * SUMMARY_WORDS + 1u];
    let width = high - low;
    let n = f32(bins);
    for (var k = l; k < bins; k += 256u) {
        atomicStore(&local[k], 0u);
        edges[k] = threshold(low, high, k, n);
    }
    workgroupBarrier();
    let scale = n / width;
    let last = i32(bins) - 1;
    let base = range.x * params.map_len;
    var run_bin = 0u;
    var run = 0u;
    for (var i = range.y + l; i < range.z; i += 256u) {
        let x = input[base + i];
        var k = 0;
        // A constant map: every value in the first bin.
        if width > 0.0 {
            k = clamp(i32((x - low) * scale), 0, last);
            while k > 0 && x < edges[k] {
                k -= 1;
            }
            while k < last && x >= edges[k + 1] {
                k += 1;
            }
        }
        // Runs of one bin (a clipped background) are added at once.
        if u32(k) != run_bin && run > 0u {
            atomicAdd(&local[run_bin], run);
            run = 0u;
        }
        run_bin = u32(k);
        run += 1u;
    }
    if run > 0u {
        atomicAdd(&local[run_bin], run);
    }
    workgroupBarrier();
    if range.y < range.z {
        for (var k = l; k < bins; k += 256u) {
            let c = atomicLoad(&local[k]);
            if c > 0u {
                atomicAdd(&counts[map * params.bins + k], c);
            }
        }
    }
}

// The least f32 at or above edge k of n over [low, high]: low + k (high - low) / n.
fn threshold(low: f32, high: f32, k: u32, n: f32) -> f32 {
    let z = params.zero;
    let width = two_sum(high, -low, z);
    // k (high - low): k has at most 11 bits, the product of the leading parts is exact.
    let product = two_product(f32(k), width.x, z);
    let product_low = product.y + f32(k) * width.y;
    // Divided by n: a quotient and the exact remainder of its leading part.
    let q = hide(product.x / n, z);
    let back = two_product(q, n, z);
    let remainder = hide(hide(product.x - back.x, z) - back.y, z) + product_low;
    let sum = two_sum(low, q, z);
    let edge = two_sum(sum.x, sum.y + remainder / n, z);
    return select(edge.x, next_up(edge.x), edge.y > 0.0);
}
