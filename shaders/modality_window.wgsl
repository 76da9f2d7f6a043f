// The first stage of the device pipeline (docs/architecture.md, the GPU path): stored integer samples, uploaded as
// they are (8, 16 or 32 bits, packed in u32 words), through the linear modality LUT
// (stored * slope + intercept) and the intensity window, with the MONOCHROME1 flip.
// CPU twin: the Rescale branch of the modality LUT (core/src/decode/modality.rs), then
// Window::apply; the rescale runs in f32 here (f64 on the CPU, rounded once).
// #import dispatch

// Mirrors gpu::window::ModalityParams.
struct Params {
    len: u32,
    // 8, 16 or 32.
    bits: u32,
    signed: u32,
    invert: u32,
    slope: f32,
    intercept: f32,
    low: f32,
    width: f32,
    // The frame's first word in `words`: a batch uploads many frames in one buffer.
    base: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> words: array<u32>;
@group(0) @binding(2) var<storage, read_write> output: array<f32>;

// Sample `i`, little-endian within its word.
fn stored(i: u32) -> f32 {
    let per_word = 32u / params.bits;
    let word = words[params.base + i / per_word];
    let unused = 32u - params.bits;
    // Move the sample to the top bits, then back down with sign or zero extension.
    let top = word << (unused - (i % per_word) * params.bits);
    if params.signed != 0u {
        return f32(bitcast<i32>(top) >> unused);
    }
    return f32(top >> unused);
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = flat_index(id, groups, 256u);
    if i >= params.len {
        return;
    }
    let value = stored(i) * params.slope + params.intercept;
    let x = clamp((value - params.low) / params.width, 0.0, 1.0);
    output[i] = select(x, 1.0 - x, params.invert != 0u);
}
