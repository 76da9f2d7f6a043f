//! The rayon pool every call runs on, recreated after `fork`.
//!
//! A forked child inherits rayon's bookkeeping but not its threads, so work sent to a
//! pool created before the fork would wait forever. All work of this module runs inside
//! this pool (core's own parallel loops then use it too), and a child, seeing a new
//! process id, builds a fresh pool and leaks the parent's.

use std::sync::{Arc, Mutex};

use rayon::{ThreadPool, ThreadPoolBuilder};

use crate::errors;

static POOL: Mutex<Option<(u32, Arc<ThreadPool>)>> = Mutex::new(None);

/// A pool of `jobs` threads for one call, or the shared pool (one thread per core) of
/// this process.
pub(crate) fn get(jobs: Option<usize>) -> pyo3::PyResult<Arc<ThreadPool>> {
    if let Some(jobs) = jobs {
        return build(jobs).map(Arc::new);
    }
    let pid = std::process::id();
    let mut shared = POOL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((owner, pool)) = shared.as_ref() {
        if *owner == pid {
            return Ok(Arc::clone(pool));
        }
    }
    let pool = Arc::new(build(0)?);
    if let Some(stale) = shared.replace((pid, Arc::clone(&pool))) {
        // Dropping would signal threads that do not exist in this process.
        std::mem::forget(stale);
    }
    Ok(pool)
}

/// `threads` workers; 0 means rayon's default (`RAYON_NUM_THREADS`, else one per core).
fn build(threads: usize) -> pyo3::PyResult<ThreadPool> {
    ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("medprep-{i}"))
        .build()
        .map_err(|e| errors::MedprepError::new_err(format!("thread pool: {e}")))
}
