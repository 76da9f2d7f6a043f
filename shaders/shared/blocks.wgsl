// Reductions give each workgroup one block of `per_group` consecutive values (its
// invocations stride through it, so neighbours read neighbours), numbered over the 2-D
// grid of workgroups as in shared/dispatch.

// The block of this workgroup.
fn block_index(group: vec3<u32>, groups: vec3<u32>) -> u32 {
    return group.y * groups.x + group.x;
}

// The largest finite f32, the identity of min (and its negation, of max) over finite values.
const F32_MAX: f32 = 0x1.fffffep+127f;
