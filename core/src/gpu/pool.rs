//! Buffers kept for reuse, keyed by size and usage: a batch of same-sized images allocates
//! its device memory once.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

/// Sizes are rounded up to this many bytes so slightly different images share buffers
/// (and every size is a valid binding and copy size).
const GRANULE: u64 = 256;
/// Bytes kept in the pool at most; buffers returned beyond it are freed.
const MAX_POOLED_BYTES: u64 = 512 << 20;

#[derive(Debug, Default)]
pub(crate) struct BufferPool {
    free: Mutex<Free>,
}

#[derive(Debug, Default)]
struct Free {
    buffers: HashMap<(u64, wgpu::BufferUsages), Vec<wgpu::Buffer>>,
    bytes: u64,
}

impl BufferPool {
    /// A buffer of at least `size` bytes (a multiple of 4, at most `max_size`) with exactly
    /// `usage`.
    pub(crate) fn get(
        &self,
        device: &wgpu::Device,
        size: u64,
        usage: wgpu::BufferUsages,
        max_size: u64,
    ) -> wgpu::Buffer {
        let rounded = size.max(1).next_multiple_of(GRANULE);
        let size = if rounded <= max_size { rounded } else { size };
        let reused = {
            let mut free = self.free.lock().unwrap_or_else(PoisonError::into_inner);
            let buffer = free.buffers.get_mut(&(size, usage)).and_then(Vec::pop);
            if buffer.is_some() {
                free.bytes -= size;
            }
            buffer
        };
        reused.unwrap_or_else(|| {
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("medprep pooled"),
                size,
                usage,
                mapped_at_creation: false,
            })
        })
    }

    /// Returns `buffer` (unmapped, no longer used by pending work) for reuse.
    pub(crate) fn put(&self, buffer: wgpu::Buffer) {
        let size = buffer.size();
        let mut free = self.free.lock().unwrap_or_else(PoisonError::into_inner);
        if free.bytes + size <= MAX_POOLED_BYTES {
            free.bytes += size;
            free.buffers
                .entry((size, buffer.usage()))
                .or_default()
                .push(buffer);
        }
    }

    /// Bytes held for reuse.
    pub(crate) fn pooled_bytes(&self) -> u64 {
        self.free
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .bytes
    }
}
