// Counts of a fixed bin number histogram on numpy's edges (`np.histogram(x, n, (lo, hi))`),
// as cpu::stats::histogram: an f32 estimate of the bin, then a walk against the interior
// edge thresholds built on the host by the CPU's own code, so every value lands in the
// same bin on both backends. Each workgroup counts its block in workgroup memory, then
// adds its counts to the global ones. At most 1024 bins; values within [lo, hi].
// #import blocks

// Mirrors gpu::stats::HistogramParams.
struct Params {
    len: u32,
    per_group: u32,
    bins: u32,
    _pad0: u32,
    low: f32,
    scale: f32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> input: array<f32>;
// thresholds[k - 1] is the least f32 at or above edge k, for k in 1..bins.
@group(0) @binding(2) var<storage, read> thresholds: array<f32>;
@group(0) @binding(3) var<storage, read_write> counts: array<atomic<u32>>;

var<workgroup> local: array<atomic<u32>, 1024>;

@compute @workgroup_size(256)
fn main(
    @builtin(local_invocation_index) l: u32,
    @builtin(workgroup_id) group: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    for (var b = l; b < params.bins; b += 256u) {
        atomicStore(&local[b], 0u);
    }
    workgroupBarrier();
    let block = block_index(group, groups);
    let start = block * params.per_group;
    let end = min(start + params.per_group, params.len);
    let last = i32(params.bins) - 1;
    for (var i = start + l; i < end; i += 256u) {
        let x = input[i];
        var k = clamp(i32((x - params.low) * params.scale), 0, last);
        while k > 0 && x < thresholds[k - 1] {
            k -= 1;
        }
        while k < last && x >= thresholds[k] {
            k += 1;
        }
        atomicAdd(&local[k], 1u);
    }
    workgroupBarrier();
    for (var b = l; b < params.bins; b += 256u) {
        let count = atomicLoad(&local[b]);
        if count > 0u {
            atomicAdd(&counts[b], count);
        }
    }
}
