// The intensity window (docs/architecture.md, window): clamp((x - (c - w/2)) / w, 0, 1), flipped for
// MONOCHROME1. CPU twin: Window::apply (core/src/window.rs); `low` and `width` are
// computed on the host exactly as there.
// #import dispatch

// Mirrors gpu::window::Params.
struct Params {
    low: f32,
    width: f32,
    invert: u32,
    len: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> input: array<f32>;
@group(0) @binding(2) var<storage, read_write> output: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = flat_index(id, groups, 256u);
    if i >= params.len {
        return;
    }
    let x = clamp((input[i] - params.low) / params.width, 0.0, 1.0);
    output[i] = select(x, 1.0 - x, params.invert != 0u);
}
