//! The one rayon pool of the crate, built on first use and sized by
//! `LIME_RS_NUM_THREADS` (default: every core). Results never depend on its size.
//!
//! Fork safety: a child process inherits the pool's bookkeeping but not its
//! threads, so the pool remembers the pid that built it and a forked child
//! builds its own (the inherited one is leaked, never touched).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use rayon::prelude::*;
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

/// [`ThreadPool::install`] for a caller that owns an interruption hook: the
/// work runs on a worker (under the hook), while the caller polls every
/// [`crate::interrupt::PERIOD`] until it is done, so a stop requested
/// meanwhile reaches the workers' checks at once.
fn install_polling<R: Send>(
    pool: &ThreadPool,
    hook: &Arc<crate::interrupt::Hook>,
    f: impl FnOnce() -> R + Send,
) -> R {
    /// Marks the job done, also when it unwinds.
    struct Done<'a>(&'a (Mutex<bool>, Condvar));
    impl Drop for Done<'_> {
        fn drop(&mut self) {
            *self.0 .0.lock().unwrap_or_else(|p| p.into_inner()) = true;
            self.0 .1.notify_all();
        }
    }
    let done = (Mutex::new(false), Condvar::new());
    let mut out = None;
    let carried = Some(hook.clone());
    pool.in_place_scope(|s| {
        let (done, out, carried) = (&done, &mut out, &carried);
        s.spawn(move |_| {
            let _done = Done(done);
            *out = Some(crate::interrupt::carry(carried, f));
        });
        crate::interrupt::poll_due(hook);
        let mut finished = done.0.lock().unwrap_or_else(|p| p.into_inner());
        while !*finished {
            finished = match done.1.wait_timeout(finished, crate::interrupt::PERIOD) {
                Ok((guard, _)) => guard,
                Err(poisoned) => poisoned.into_inner().0,
            };
            if !*finished {
                drop(finished);
                crate::interrupt::poll_due(hook);
                finished = done.0.lock().unwrap_or_else(|p| p.into_inner());
            }
        }
    });
    // The scope re-raises a panic of the job, so it has stored its result.
    out.expect("the pool job ran")
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

/// `work(i, item)` for every item, in the crate's pool, one item per task
/// (callers pass a few large items). Called from a pool task, it runs the
/// items in order on that thread: the outer work already keeps every thread
/// busy. Each item runs under the caller's interruption hook
/// ([`crate::interrupt`]), so its checks see a stop.
///
/// A hand-made fork-join (the caller working beside helpers it did not wait
/// for) was measured against this in one process (2 cores, 2026-12-06): no
/// user-visible figure moved by 10% (the engine's 5000x30 fits 1.06-1.08x,
/// a tabular explanation within noise), so rayon's own is used.
pub fn for_each<T: Send>(items: Vec<T>, work: impl Fn(usize, T) + Sync) {
    run_items(items, work, false)
}

/// [`for_each`] for sections that may run for seconds (many rows, a large
/// Gram matrix): a caller with an interruption poll keeps polling while the
/// pool works, so Ctrl-C reaches the items' checks at once. It costs a
/// second hand-over between threads, so short sections use [`for_each`]:
/// through this path the conjugate-gradient products of a 730-word text
/// explanation (a few hundred short sections) took ~10% longer.
pub fn for_each_long<T: Send>(items: Vec<T>, work: impl Fn(usize, T) + Sync) {
    run_items(items, work, true)
}

fn run_items<T: Send>(items: Vec<T>, work: impl Fn(usize, T) + Sync, long: bool) {
    let nested = rayon::current_thread_index().is_some();
    match pool() {
        Some(pool) if !nested && items.len() > 1 && pool.current_num_threads() > 1 => {
            // stops the spinners of a `prewake`, so they take the tasks
            POSTED.fetch_add(1, Ordering::AcqRel);
            let hook = crate::interrupt::current();
            let job = || {
                items
                    .into_par_iter()
                    .with_max_len(1)
                    .enumerate()
                    .for_each(|(i, item)| crate::interrupt::carry(&hook, || work(i, item)))
            };
            match crate::interrupt::owned().filter(|_| long) {
                Some(own) => install_polling(&pool, &own, job),
                None => pool.install(job),
            }
        }
        _ => {
            for (i, item) in items.into_iter().enumerate() {
                work(i, item);
            }
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
    use std::panic::catch_unwind;

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
