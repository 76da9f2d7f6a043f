// Element-wise hypot(a, b): the magnitude of a complex response from its real and
// imaginary maps (the Gabor magnitude). CPU twin: cpu::filters::separable::hypot, which
// squares and sums in f64 (exact for f32 inputs) and rounds the root once; here in f32.
// #import dispatch

// Mirrors gpu::correlate::HypotParams.
struct Params {
    len: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> output: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = flat_index(id, groups, 256u);
    if i >= params.len {
        return;
    }
    let x = a[i];
    let y = b[i];
    output[i] = sqrt(x * x + y * y);
}
