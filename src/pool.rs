//! The one rayon pool of the crate, built on first use and sized by
//! `LIME_RS_NUM_THREADS` (default: every core). Results never depend on its size.
//!
//! Fork safety: a child process inherits the pool's bookkeeping but not its
//! threads, so the pool remembers the pid that built it and a forked child
//! builds its own (the inherited one is leaked, never touched).

use std::sync::{Arc, Mutex};

use rayon::ThreadPool;

static POOL: Mutex<Option<(u32, Arc<ThreadPool>)>> = Mutex::new(None);

/// The number of threads asked for by `LIME_RS_NUM_THREADS`, if valid.
pub fn requested_threads() -> Option<usize> {
    std::env::var("LIME_RS_NUM_THREADS")
        .ok()?
        .trim()
        .parse::<usize>()
        .ok()
        .filter(|&n| n > 0)
}

fn build() -> Option<ThreadPool> {
    let threads = requested_threads().unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("lime-rs-{i}"))
        .build()
        .ok()
}

fn pool() -> Option<Arc<ThreadPool>> {
    let pid = std::process::id();
    let mut slot = POOL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((owner, pool)) = slot.as_ref() {
        if *owner == pid {
            return Some(pool.clone());
        }
    }
    if let Some((_, inherited)) = slot.take() {
        std::mem::forget(inherited);
    }
    let pool = Arc::new(build()?);
    *slot = Some((pid, pool.clone()));
    Some(pool)
}

/// Runs `f` inside the crate's pool (or on the calling thread when the OS
/// refuses to start threads).
pub fn install<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    match pool() {
        Some(pool) => pool.install(f),
        None => f(),
    }
}

/// Number of threads of the pool.
pub fn num_threads() -> usize {
    pool().map_or(1, |p| p.current_num_threads())
}
