// Symmetric grey level co-occurrence counts of one 2-D map at distance 1, for the four
// directions of cpu::stats::glcm (0°, 45°, 90°, 135°, offsets uploaded by the host from
// the CPU's table): one invocation per pixel adds 1 to cells (a, b) and (b, a) of its
// direction's matrix for each neighbour inside the image, with global atomics. Grey
// level indices come from the CPU's discretisation on the host; the counts are exact, so
// the features computed from them on the host are the CPU's.
// #import dispatch

// Mirrors gpu::stats::GlcmParams.
struct Params {
    rows: u32,
    cols: u32,
    levels: u32,
    _pad0: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
// (row, column) offsets of the four directions, as i32.
@group(0) @binding(1) var<storage, read> offsets: array<i32>;
@group(0) @binding(2) var<storage, read> grey: array<u32>;
// Four levels × levels matrices, direction after direction.
@group(0) @binding(3) var<storage, read_write> counts: array<atomic<u32>>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = flat_index(id, groups, 256u);
    if i >= params.rows * params.cols {
        return;
    }
    let r = i32(i / params.cols);
    let c = i32(i % params.cols);
    let a = grey[i];
    let n = params.levels;
    for (var d = 0u; d < 4u; d++) {
        let r2 = r + offsets[2u * d];
        let c2 = c + offsets[2u * d + 1u];
        if r2 < 0 || r2 >= i32(params.rows) || c2 < 0 || c2 >= i32(params.cols) {
            continue;
        }
        let b = grey[u32(r2) * params.cols + u32(c2)];
        let base = d * n * n;
        atomicAdd(&counts[base + a * n + b], 1u);
        atomicAdd(&counts[base + b * n + a], 1u);
    }
}
