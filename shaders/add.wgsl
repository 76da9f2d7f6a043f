// Element-wise sum of two arrays: the last step of the Laplacian of Gaussian (the
// second derivative along rows plus the one along columns), as the CPU's f32 `a + b`,
// times `scale` (sigma² for the scale-normalised LoG, as the CPU's f32 product; 1 else).
// #import dispatch

// Mirrors gpu::filters::AddParams.
struct Params {
    len: u32,
    scale: f32,
    _pad0: u32,
    _pad1: u32,
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
    // Two statements: the sum is rounded to f32 before the product, as on the CPU.
    let sum = a[i] + b[i];
    output[i] = sum * params.scale;
}
