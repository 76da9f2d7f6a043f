// Minimum, maximum, Σ x and Σ x² of each block of each map, reduced in the workgroup, and
// the block's first non-finite value: the first read of the first-order statistics. The
// host adds the blocks' partials in f64 in a fixed order (gpu::stats); the CPU twin is the
// Moments pass of cpu::stats::first_order.
// #import blocks
// #import stats

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> input: array<f32>;
// MOMENT_WORDS per block, as bits: no float store may touch the index.
@group(0) @binding(2) var<storage, read_write> partials: array<u32>;

var<workgroup> low: array<f32, 256>;
var<workgroup> high: array<f32, 256>;
var<workgroup> sums: array<f32, 256>;
var<workgroup> squares: array<f32, 256>;
var<workgroup> first_bad: array<u32, 256>;

@compute @workgroup_size(256)
fn main(
    @builtin(local_invocation_index) l: u32,
    @builtin(workgroup_id) group: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let g = block_index(group, groups);
    let range = block_range(g, params.maps, params.map_len, params.per_group, params.blocks_per_map);
    let base = range.x * params.map_len;
    var lo = F32_MAX;
    var hi = -F32_MAX;
    var sum = 0.0;
    var square = 0.0;
    var bad = NO_INDEX;
    for (var i = range.y + l; i < range.z; i += 256u) {
        let x = input[base + i];
        // All exponent bits set: infinite or NaN. Strided, so the first is the least.
        if (bitcast<u32>(x) & 0x7f800000u) == 0x7f800000u && bad == NO_INDEX {
            bad = i;
        }
        lo = min(lo, x);
        hi = max(hi, x);
        sum += x;
        square += x * x;
    }
    low[l] = lo;
    high[l] = hi;
    sums[l] = sum;
    squares[l] = square;
    first_bad[l] = bad;
    workgroupBarrier();
    for (var half = 128u; half > 0u; half >>= 1u) {
        if l < half {
            low[l] = min(low[l], low[l + half]);
            high[l] = max(high[l], high[l + half]);
            sums[l] += sums[l + half];
            squares[l] += squares[l + half];
            first_bad[l] = min(first_bad[l], first_bad[l + half]);
        }
        workgroupBarrier();
    }
    if l == 0u && range.y < range.z {
        let p = g * MOMENT_WORDS;
        partials[p] = bitcast<u32>(low[0]);
        partials[p + 1u] = bitcast<u32>(high[0]);
        partials[p + 2u] = bitcast<u32>(sums[0]);
        partials[p + 3u] = bitcast<u32>(squares[0]);
        let index = first_bad[0];
        partials[p + 4u] = index;
        partials[p + 5u] = select(0u, bitcast<u32>(input[base + min(index, params.map_len - 1u)]), index != NO_INDEX);
    }
}
