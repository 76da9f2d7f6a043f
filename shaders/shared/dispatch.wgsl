// One invocation per element of a 1-D range, dispatched as a 2-D grid of workgroups
// because one dimension holds at most `max_compute_workgroups_per_dimension` groups. The
// host sizes the grid (Job::dispatch in core/src/gpu/context.rs); invocations past the
// end return early.

// The element this invocation handles, for a workgroup of `width` invocations along x.
fn flat_index(id: vec3<u32>, groups: vec3<u32>, width: u32) -> u32 {
    return id.y * groups.x * width + id.x;
}
