// One 1-D correlation pass of a separable filter along axis 0 (down the columns) or axis 1
// (along the rows), boundary `reflect`, as scipy.ndimage.correlate1d. Two passes make a
// Gaussian. CPU twin: cpu::filters::separable (same tap order: centre first, then the
// outermost pair inwards for symmetric and antisymmetric kernels); sums here are f32.
// #import dispatch
// #import reflect

// Mirrors gpu::filters::SeparableParams.
struct Params {
    rows: u32,
    cols: u32,
    // 0: down the columns, 1: along the rows.
    axis: u32,
    taps: u32,
    // 0: symmetric, 1: antisymmetric, 2: neither (cpu::filters::separable::Symmetry).
    symmetry: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> weights: array<f32>;
@group(0) @binding(2) var<storage, read> input: array<f32>;
@group(0) @binding(3) var<storage, read_write> output: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = flat_index(id, groups, 256u);
    if i >= params.rows * params.cols {
        return;
    }
    let r = i / params.cols;
    let c = i % params.cols;
    var n = params.cols;
    var pos = c;
    var stride = 1u;
    if params.axis == 0u {
        n = params.rows;
        pos = r;
        stride = params.cols;
    }
    // The first sample of this line.
    let base = i - pos * stride;
    let taps = i32(params.taps);
    let centre = taps / 2;
    let start = i32(pos) - centre;
    var sum: f32;
    if params.symmetry == 2u {
        let last = taps - 1;
        sum = input[base + u32(reflect_index(start + last, i32(n))) * stride] * weights[last];
        for (var j = 0; j < last; j++) {
            sum += input[base + u32(reflect_index(start + j, i32(n))) * stride] * weights[j];
        }
    } else {
        let sign = select(-1.0, 1.0, params.symmetry == 0u);
        sum = input[base + u32(reflect_index(start + centre, i32(n))) * stride] * weights[centre];
        for (var j = 0; j < centre; j++) {
            let a = input[base + u32(reflect_index(start + j, i32(n))) * stride];
            let b = input[base + u32(reflect_index(start + taps - 1 - j, i32(n))) * stride];
            sum += (a + sign * b) * weights[j];
        }
    }
    output[i] = sum;
}
