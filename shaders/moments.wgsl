// Minimum, maximum, Σ x and Σ x² of each block of values, reduced in the workgroup: the
// first read of the first-order statistics. The host adds the blocks' partials in f64 in
// a fixed order (gpu::stats::moments); the CPU twin is the Moments pass of
// cpu::stats::first_order. Values must be finite.
// #import blocks

// Mirrors gpu::stats::BlockParams.
struct Params {
    len: u32,
    per_group: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> input: array<f32>;
// Four per block: minimum, maximum, sum, sum of squares.
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;

var<workgroup> low: array<f32, 256>;
var<workgroup> high: array<f32, 256>;
var<workgroup> sums: array<f32, 256>;
var<workgroup> squares: array<f32, 256>;

@compute @workgroup_size(256)
fn main(
    @builtin(local_invocation_index) l: u32,
    @builtin(workgroup_id) group: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let block = block_index(group, groups);
    let start = block * params.per_group;
    let end = min(start + params.per_group, params.len);
    var lo = F32_MAX;
    var hi = -F32_MAX;
    var sum = 0.0;
    var square = 0.0;
    for (var i = start + l; i < end; i += 256u) {
        let x = input[i];
        lo = min(lo, x);
        hi = max(hi, x);
        sum += x;
        square += x * x;
    }
    low[l] = lo;
    high[l] = hi;
    sums[l] = sum;
    squares[l] = square;
    workgroupBarrier();
    for (var half = 128u; half > 0u; half >>= 1u) {
        if l < half {
            low[l] = min(low[l], low[l + half]);
            high[l] = max(high[l], high[l + half]);
            sums[l] += sums[l + half];
            squares[l] += squares[l + half];
        }
        workgroupBarrier();
    }
    // Workgroups past the last block (the grid is rounded up) write nothing.
    if l == 0u && start < params.len {
        partials[block * 4u] = low[0];
        partials[block * 4u + 1u] = high[0];
        partials[block * 4u + 2u] = sums[0];
        partials[block * 4u + 3u] = squares[0];
    }
}
