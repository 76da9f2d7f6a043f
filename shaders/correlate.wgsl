// Direct 2-D correlation with a small kernel (at most 255 × 255), boundary `reflect`, as
// scipy.ndimage.correlate(x, kernel, mode="reflect") with origin 0. CPU twin: the direct
// path of cpu::filters::correlate: the same taps (weights within DBL_EPSILON of zero
// dropped by the host) summed in the same row-major order from 0, here in f32.
// #import dispatch
// #import reflect

// Mirrors gpu::correlate::CorrelateParams.
struct Params {
    rows: u32,
    cols: u32,
    taps: u32,
    _pad0: u32,
    // Kernel rows before and after the centre row, columns before and after the centre
    // column: the margin an output needs for its window to lie inside the image.
    above: u32,
    below: u32,
    left: u32,
    right: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
// Three words per tap: row and column offset from the kernel centre (i32 bits) and the
// weight (f32 bits).
@group(0) @binding(1) var<storage, read> taps: array<u32>;
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
    let rows = i32(params.rows);
    let cols = i32(params.cols);
    var sum = 0.0;
    // Away from the border no sample needs reflecting.
    let inside = r >= params.above && r + params.below < params.rows && c >= params.left && c + params.right < params.cols;
    if inside {
        for (var t = 0u; t < params.taps; t++) {
            let dr = bitcast<i32>(taps[3u * t]);
            let dc = bitcast<i32>(taps[3u * t + 1u]);
            let j = u32(i32(i) + dr * cols + dc);
            sum += input[j] * bitcast<f32>(taps[3u * t + 2u]);
        }
    } else {
        for (var t = 0u; t < params.taps; t++) {
            let y = reflect_index(i32(r) + bitcast<i32>(taps[3u * t]), rows);
            let x = reflect_index(i32(c) + bitcast<i32>(taps[3u * t + 1u]), cols);
            sum += input[u32(y * cols + x)] * bitcast<f32>(taps[3u * t + 2u]);
        }
    }
    output[i] = sum;
}
