//! The one rayon pool of the crate, built on first use and sized by
//! `LIME_RS_NUM_THREADS` (default: every core). Results never depend on its size.
//!
//! Fork safety: a child process inherits the pool's bookkeeping but not its
//! threads, so the pool remembers the pid that built it and a forked child
//! builds its own (the inherited one is leaked, never touched).

use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
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

/// How many times [`for_each`] has posted work (what [`prewake`]'s spinning
/// helpers watch for).
static POSTED: AtomicUsize = AtomicUsize::new(0);

/// How long a [`prewake`] keeps the pool's threads spinning for work.
const PREWAKE: std::time::Duration = std::time::Duration::from_micros(250);

/// Wakes the pool's threads ahead of parallel work the caller is about to
/// post (while it does something serial first): each spins until
/// [`for_each`] posts work or `PREWAKE` passes, so it starts at once instead
/// of after the tens of microseconds a sleeping thread takes to wake.
pub fn prewake() {
    if rayon::current_thread_index().is_some() {
        return;
    }
    let Some(pool) = pool() else { return };
    let seen = POSTED.load(Ordering::Acquire);
    for _ in 1..pool.current_num_threads() {
        pool.spawn(move || {
            let start = std::time::Instant::now();
            while POSTED.load(Ordering::Acquire) == seen && start.elapsed() < PREWAKE {
                std::hint::spin_loop();
            }
        });
    }
}

/// `work(i, item)` for every item, on the calling thread and the pool's
/// threads together (as many threads as the pool has, counting the caller).
///
/// The caller starts at once and helpers join as they wake: a sleeping
/// worker takes tens of microseconds to wake on a virtual machine, which a
/// `install` pays before any work starts. Items are claimed from a shared
/// counter and each is processed exactly once, so results never depend on
/// who runs what. The call returns when every item is done, without waiting
/// for helpers that had not started by then. Called from a pool task, it
/// runs the items in order on that thread.
pub fn for_each<T: Send>(items: Vec<T>, work: impl Fn(usize, T) + Sync) {
    let n = items.len();
    let pool = pool();
    // inside a pool task the outer work already keeps every thread busy
    let nested = rayon::current_thread_index().is_some();
    let helpers = pool
        .as_ref()
        .filter(|_| !nested)
        .map_or(0, |p| p.current_num_threads().saturating_sub(1))
        .min(n.saturating_sub(1));
    let (Some(pool), true) = (pool, helpers > 0) else {
        for (i, item) in items.into_iter().enumerate() {
            work(i, item);
        }
        return;
    };
    if std::env::var_os("LIME_RS_AB_RAYON").is_some() {
        use rayon::prelude::*;
        POSTED.fetch_add(1, Ordering::AcqRel);
        pool.install(|| {
            items
                .into_par_iter()
                .with_max_len(1)
                .enumerate()
                .for_each(|(i, t)| work(i, t))
        });
        return;
    }
    let slots: Vec<Mutex<Option<T>>> = items.into_iter().map(|t| Mutex::new(Some(t))).collect();
    let one = |i: usize| {
        let item = slots[i]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        if let Some(item) = item {
            work(i, item);
        }
    };
    let one: &(dyn Fn(usize) + Sync) = &one;
    // SAFETY: (lifetime erased) the pointer is only dereferenced for claimed
    // indices below `n`, and this function returns only after all `n` calls
    // have returned (`done == n`); a helper that starts later claims an
    // index >= n and never dereferences it.
    let one: *const (dyn Fn(usize) + Sync + 'static) = unsafe { std::mem::transmute(one) };
    let shared = Arc::new(Shared {
        work: one,
        n,
        next: AtomicUsize::new(0),
        done: AtomicUsize::new(0),
        panicked: AtomicBool::new(false),
    });
    for _ in 0..helpers {
        let shared = shared.clone();
        pool.spawn(move || shared.run());
    }
    POSTED.fetch_add(1, Ordering::AcqRel);
    shared.run();
    let mut spins = 0u32;
    while shared.done.load(Ordering::Acquire) < n {
        spins += 1;
        if spins < 1 << 12 {
            std::hint::spin_loop();
        } else {
            std::thread::yield_now();
        }
    }
    if shared.panicked.load(Ordering::Acquire) {
        resume_unwind(Box::new("a parallel task panicked"));
    }
}

struct Shared {
    work: *const (dyn Fn(usize) + Sync + 'static),
    n: usize,
    next: AtomicUsize,
    done: AtomicUsize,
    panicked: AtomicBool,
}

// SAFETY: `work` points to a `Sync` closure; see `for_each` for its lifetime.
unsafe impl Send for Shared {}
// SAFETY: as for `Send`; the other fields are atomics.
unsafe impl Sync for Shared {}

impl Shared {
    fn run(&self) {
        loop {
            let i = self.next.fetch_add(1, Ordering::AcqRel);
            if i >= self.n {
                return;
            }
            // SAFETY: i < n, so `for_each` is still waiting and the closure alive.
            let work = unsafe { &*self.work };
            if catch_unwind(AssertUnwindSafe(|| work(i))).is_err() {
                self.panicked.store(true, Ordering::Release);
            }
            self.done.fetch_add(1, Ordering::AcqRel);
        }
    }
}

/// Number of threads of the pool.
pub fn num_threads() -> usize {
    pool().map_or(1, |p| p.current_num_threads())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prewoken_threads_take_posted_work_and_stop_spinning() {
        for _ in 0..3 {
            prewake();
            let mut out = vec![0usize; 64];
            let items: Vec<&mut usize> = out.iter_mut().collect();
            for_each(items, |i, slot| *slot = i * i);
            assert!(out.iter().enumerate().all(|(i, &v)| v == i * i));
        }
        // with nothing posted, the spinners give up on their own
        prewake();
        std::thread::sleep(PREWAKE * 4);
        install(|| ());
    }

    #[test]
    fn for_each_runs_every_item_once() {
        for n in [0, 1, 2, 7, 100] {
            let mut out = vec![0usize; n];
            let items: Vec<(usize, &mut usize)> = out.iter_mut().enumerate().collect();
            for_each(items, |i, (j, slot)| {
                assert_eq!(i, j);
                *slot += i + 1;
            });
            assert_eq!(out, (1..=n).collect::<Vec<_>>());
        }
    }

    #[test]
    fn for_each_propagates_a_panic() {
        let r = catch_unwind(|| for_each((0..8).collect(), |i, _: i32| assert!(i != 5)));
        assert!(r.is_err());
    }
}
