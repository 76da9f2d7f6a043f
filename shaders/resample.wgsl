// Resampling on the ITK grid with any separable interpolator (docs/architecture.md, resampling). The host builds
// per-axis tap tables exactly as the CPU (cpu::resample::axis_table): for every output
// index of an axis, [first tap in the input padded by `taps` edge copies per side,
// outside flag, `taps` weights as f32 bits]. The input rows are combined first, then the
// columns, as the CPU's rows-first pass (cpu::resample, passes.rs).
// #import dispatch

// Mirrors gpu::resample::Params.
struct Params {
    rows_in: u32,
    cols_in: u32,
    rows_out: u32,
    cols_out: u32,
    taps: u32,
    // Where the column table starts in `table` (u32 words).
    col_table: u32,
    // 1 when outside samples take `fill`.
    filled: u32,
    fill: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> table: array<u32>;
@group(0) @binding(2) var<storage, read> input: array<f32>;
@group(0) @binding(3) var<storage, read_write> output: array<f32>;

// Input index of tap `k` of the entry at `entry` over `n` input pixels, clamped to the edge.
fn tap_index(entry: u32, k: u32, n: u32) -> u32 {
    let padded = i32(table[entry]) + i32(k) - i32(params.taps);
    return u32(clamp(padded, 0, i32(n) - 1));
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = flat_index(id, groups, 256u);
    if i >= params.rows_out * params.cols_out {
        return;
    }
    let stride = params.taps + 2u;
    let row_entry = (i / params.cols_out) * stride;
    let col_entry = params.col_table + (i % params.cols_out) * stride;
    if params.filled != 0u && (table[row_entry + 1u] != 0u || table[col_entry + 1u] != 0u) {
        output[i] = params.fill;
        return;
    }
    var sum = 0.0;
    for (var kc = 0u; kc < params.taps; kc++) {
        let c = tap_index(col_entry, kc, params.cols_in);
        // Zero row weights are skipped, as the CPU does, so a sample on a pixel centre
        // copies it exactly.
        var combined = 0.0;
        for (var kr = 0u; kr < params.taps; kr++) {
            let w = bitcast<f32>(table[row_entry + 2u + kr]);
            if w != 0.0 {
                combined += w * input[tap_index(row_entry, kr, params.rows_in) * params.cols_in + c];
            }
        }
        sum += bitcast<f32>(table[col_entry + 2u + kc]) * combined;
    }
    output[i] = sum;
}
