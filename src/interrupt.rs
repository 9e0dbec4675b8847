//! Cooperative interruption of long core calls (Ctrl-C from Python).
//!
//! The caller that enters the core installs a *poll*, a function that says
//! whether to stop ([`with_poll`]); long loops call [`check`] between blocks
//! of work and return [`LimeError::Interrupted`] once it has said so. The poll
//! runs only on the installing thread, at most every [`PERIOD`] (a clock read
//! per block otherwise); the pool carries the hook to its workers
//! ([`crate::pool`]), where `check` reads only the shared stop flag, so a
//! worker never runs the poll (for Python: never touches the interpreter).
//! Without a poll, `check` is one thread-local read and always passes.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::error::{LimeError, Result};

/// The longest time between two polls while a call works.
pub const PERIOD: Duration = Duration::from_millis(50);

/// Says whether the call should stop (e.g. Ctrl-C was pressed).
pub type Poll = dyn Fn() -> bool + Send + Sync;

/// One call's interruption state, shared with the pool's workers.
pub struct Hook {
    poll: Arc<Poll>,
    stopped: AtomicBool,
    start: Instant,
    /// Microseconds since `start` before which the poll is not run again.
    next: AtomicU64,
}

impl Hook {
    fn stopped(&self) -> bool {
        self.stopped.load(Ordering::Relaxed)
    }

    /// Runs the poll if it is due (the installing thread only).
    fn poll_if_due(&self) -> bool {
        let now = self.start.elapsed().as_micros() as u64;
        if now >= self.next.load(Ordering::Relaxed) {
            self.next
                .store(now + PERIOD.as_micros() as u64, Ordering::Relaxed);
            if (self.poll)() {
                self.stopped.store(true, Ordering::Relaxed);
            }
        }
        self.stopped()
    }
}

/// The hook of the call this thread works for, and whether this thread
/// installed it (and so may run its poll).
type Active = Option<(Arc<Hook>, bool)>;

thread_local! {
    static ACTIVE: RefCell<Active> = const { RefCell::new(None) };
}

/// Restores the thread's previous hook when a scope ends (unwinding too).
struct Restore(Active);

impl Drop for Restore {
    fn drop(&mut self) {
        let previous = self.0.take();
        ACTIVE.with(|a| *a.borrow_mut() = previous);
    }
}

fn install<R>(active: Active, f: impl FnOnce() -> R) -> R {
    let previous = ACTIVE.with(|a| a.replace(active));
    let _restore = Restore(previous);
    f()
}

/// Runs `f` with `poll` as this thread's interruption poll: [`check`] in `f`
/// (and in the pool's work it posts) fails once `poll` has returned true.
/// The first poll runs after one [`PERIOD`], so short calls never run it.
pub fn with_poll<R>(poll: Arc<Poll>, f: impl FnOnce() -> R) -> R {
    let hook = Hook {
        poll,
        stopped: AtomicBool::new(false),
        start: Instant::now(),
        next: AtomicU64::new(PERIOD.as_micros() as u64),
    };
    install(Some((Arc::new(hook), true)), f)
}

/// `Err(Interrupted)` once the current call was asked to stop; runs the
/// poll when due on the thread that installed it. Cheap: call it between
/// blocks of a few milliseconds of work, not per value.
pub fn check() -> Result<()> {
    let stop = ACTIVE.with(|a| match &*a.borrow() {
        None => false,
        Some((hook, true)) => hook.poll_if_due(),
        Some((hook, false)) => hook.stopped(),
    });
    if stop {
        Err(LimeError::Interrupted)
    } else {
        Ok(())
    }
}

/// The current call's hook, to carry to the pool's workers ([`carry`]).
pub(crate) fn current() -> Option<Arc<Hook>> {
    ACTIVE.with(|a| a.borrow().as_ref().map(|(hook, _)| hook.clone()))
}

/// The hook when this thread installed it (the one that may poll while it
/// waits for the pool).
pub(crate) fn owned() -> Option<Arc<Hook>> {
    ACTIVE.with(|a| match &*a.borrow() {
        Some((hook, true)) => Some(hook.clone()),
        _ => None,
    })
}

/// Runs `f` on a pool worker under `hook` (without the right to poll).
pub(crate) fn carry<R>(hook: &Option<Arc<Hook>>, f: impl FnOnce() -> R) -> R {
    match hook {
        None => f(),
        Some(h) => install(Some((h.clone(), false)), f),
    }
}

/// Polls `hook` when due: what the installing thread does while it waits
/// for the pool. True once the call should stop.
pub(crate) fn poll_due(hook: &Hook) -> bool {
    hook.poll_if_due()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn check_passes_without_a_poll_and_fails_once_asked_to_stop() {
        assert_eq!(check(), Ok(()));
        let calls = Arc::new(AtomicUsize::new(0));
        let seen = calls.clone();
        let poll: Arc<Poll> = Arc::new(move || seen.fetch_add(1, Ordering::Relaxed) >= 1);
        let out = with_poll(poll, || {
            // not due yet: no poll, no stop
            assert_eq!(check(), Ok(()));
            std::thread::sleep(PERIOD);
            assert_eq!(check(), Ok(())); // first poll says go on
            assert_eq!(check(), Ok(())); // not due again yet
            std::thread::sleep(PERIOD);
            check()
        });
        assert_eq!(out, Err(LimeError::Interrupted));
        assert_eq!(calls.load(Ordering::Relaxed), 2);
        // the hook ends with its scope
        assert_eq!(check(), Ok(()));
    }

    #[test]
    fn workers_see_the_stop_but_never_poll() {
        let owner = std::thread::current().id();
        let poll: Arc<Poll> = Arc::new(move || {
            assert_eq!(std::thread::current().id(), owner, "polled off the owner");
            true
        });
        with_poll(poll, || {
            let hook = current();
            std::thread::scope(|s| {
                s.spawn(|| carry(&hook, || assert_eq!(check(), Ok(()))))
                    .join()
                    .expect("worker");
            });
            let own = owned().expect("installed here");
            std::thread::sleep(PERIOD);
            assert!(poll_due(&own));
            std::thread::scope(|s| {
                s.spawn(|| carry(&hook, || assert_eq!(check(), Err(LimeError::Interrupted))))
                    .join()
                    .expect("worker");
            });
        });
    }
}
