// Sobel gradient magnitude hypot(sobel(x, 0), sobel(x, 1)) with scipy's unnormalised
// kernels ([-1, 0, 1] along the derivative axis, [1, 2, 1] across it) and `reflect`.
// CPU twin: cpu::filters::sobel_magnitude (same differences and sums, here in f32).
// #import dispatch
// #import reflect

// Mirrors gpu::filters::SobelParams.
struct Params {
    rows: u32,
    cols: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> input: array<f32>;
@group(0) @binding(2) var<storage, read_write> output: array<f32>;

fn at(r: i32, c: i32) -> f32 {
    return input[u32(r) * params.cols + u32(c)];
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = flat_index(id, groups, 256u);
    if i >= params.rows * params.cols {
        return;
    }
    let rows = i32(params.rows);
    let cols = i32(params.cols);
    let r = i32(i / params.cols);
    let c = i32(i % params.cols);
    let up = reflect_index(r - 1, rows);
    let down = reflect_index(r + 1, rows);
    let left = reflect_index(c - 1, cols);
    let right = reflect_index(c + 1, cols);
    // Derivative down the columns, smoothed along the row.
    let gy = (at(down, c) - at(up, c)) * 2.0 + ((at(down, left) - at(up, left)) + (at(down, right) - at(up, right)));
    // Derivative along the rows, smoothed down the column.
    let gx = (at(r, right) - at(r, left)) * 2.0 + ((at(up, right) - at(up, left)) + (at(down, right) - at(down, left)));
    output[i] = sqrt(gx * gx + gy * gy);
}
