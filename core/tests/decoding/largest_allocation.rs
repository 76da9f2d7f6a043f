//! The largest single allocation a thread made while running a closure, so a test can
//! show that a hostile length is refused before anything is allocated for it, not merely
//! that an error comes out in the end.

// Implementing an allocator is unsafe by definition; every call goes straight to the
// system allocator.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// The system allocator, noting the largest request of each thread.
struct Tracking;

thread_local! {
    // Const-initialised without a destructor: reading it never allocates.
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every method passes its arguments unchanged to `System` and returns its
// result unchanged, so `Tracking` keeps the `GlobalAlloc` contract exactly as `System`
// does (memory it returns is `System`'s, and only `System` frees it). The one addition,
// `note`, neither allocates (a const-initialised `Cell<usize>` thread local without a
// destructor registers nothing) nor unwinds (`try_with`, not `with`, so a thread being
// torn down cannot make it panic): an allocator must not unwind.
unsafe impl GlobalAlloc for Tracking {
    // Contract (`GlobalAlloc::alloc`): `layout` has a non-zero size.
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        // SAFETY: our caller guarantees a non-zero size, all `System.alloc` requires.
        unsafe { System.alloc(layout) }
    }

    // Contract (`GlobalAlloc::alloc_zeroed`): as `alloc`.
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        // SAFETY: our caller guarantees a non-zero size, all `System.alloc_zeroed`
        // requires.
        unsafe { System.alloc_zeroed(layout) }
    }

    // Contract (`GlobalAlloc::realloc`): `ptr` is a block of this allocator allocated
    // with `layout`; `new_size` is non-zero and, rounded up to `layout.align()`, at most
    // `isize::MAX`.
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        // SAFETY: a block of this allocator is a block of `System` with the same layout,
        // since every allocation is forwarded unchanged; with our caller's guarantees on
        // `new_size` that is `System.realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    // Contract (`GlobalAlloc::dealloc`): `ptr` is a block of this allocator allocated
    // with `layout`.
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: a block of this allocator was allocated by `System` with the same
        // layout (every allocation is forwarded unchanged), as `System.dealloc` requires.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Tracking = Tracking;

fn note(size: usize) {
    // `try_with`: the slot is gone while a thread shuts down.
    let _ = LARGEST.try_with(|largest| largest.set(largest.get().max(size)));
}

/// Runs `f` and returns its result with the largest allocation this thread made meanwhile.
pub fn largest_allocation<T>(f: impl FnOnce() -> T) -> (T, usize) {
    LARGEST.with(|largest| largest.set(0));
    let out = f();
    (out, LARGEST.with(Cell::get))
}
