// Counts of the fixed bin number histogram of each map over its own [min, max] (from the
// device's summary, so nothing returns to the host first), on numpy's edges as far as f32
// allows: edge k = min + k (max - min) / bins in f32, an f32 estimate of the bin, then a
// walk against the edges, as cpu::stats::histogram's fast bins. Values exactly on an edge
// the f32 arithmetic rounds differently from numpy's f64 may fall one bin off (see
// gpu::stats::batch). Each workgroup counts its block in workgroup memory, then adds its
// counts to the map's. At most 1024 bins.
// #import blocks
// #import stats

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> input: array<f32>;
@group(0) @binding(2) var<storage, read> summary: array<f32>;
// `bins` counters per map.
@group(0) @binding(3) var<storage, read_write> counts: array<atomic<u32>>;

var<workgroup> local: array<atomic<u32>, 1024>;
// edges[k] is the lower edge of bin k (edges[0] is unused).
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
    let width = summary[map * SUMMARY_WORDS + 1u] - low;
    let n = f32(bins);
    for (var k = l; k < bins; k += 256u) {
        atomicStore(&local[k], 0u);
        edges[k] = low + f32(k) * width / n;
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
