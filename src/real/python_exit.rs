//! Threads started by Rust that run Python (the blocking pool's), and the interpreter's exit.
//!
//! CPython ends a thread that attaches while the interpreter is finalizing with
//! `pthread_exit`. In a thread started with `std::thread`, that forced unwind reaches the
//! `catch_unwind` std wraps around the thread's body, and glibc aborts the whole process
//! ("FATAL: exception not rethrown"). So these threads attach only after [`enter`], which
//! refuses for good (the thread parks until the process ends) once [`drain`] has run, and they
//! call [`leave`] once detached; [`drain`] runs from an `atexit` hook (`tonio/__init__.py`),
//! before finalizing starts, and waits until every thread that entered has left.
//!
//! # Invariants (under `EXIT`)
//! - `inside` counts threads between `enter` and `leave`: attached, or about to be.
//! - Once `exiting` is set, `inside` only goes down.

use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::common::base::util::lock;

struct Exit {
    exiting: bool,
    inside: usize,
}

static EXIT: Mutex<Exit> = Mutex::new(Exit {
    exiting: false,
    inside: 0,
});
static LEFT: Condvar = Condvar::new();

/// How long the exit waits for calls still running on pool threads (a call that never returns
/// must not hang the process's exit for ever).
const DRAIN_AT_MOST: Duration = Duration::from_secs(10);

/// The calling thread is about to attach to Python. Once the interpreter is exiting it never
/// returns: the thread parks until the process ends.
pub fn enter() {
    let mut exit = lock(&EXIT);
    if exit.exiting {
        drop(exit);
        loop {
            std::thread::park();
        }
    }
    exit.inside += 1;
}

/// The calling thread detached (after [`enter`]).
pub fn leave() {
    let mut exit = lock(&EXIT);
    exit.inside -= 1;
    if exit.inside == 0 {
        LEFT.notify_all();
    }
}

/// Calls [`leave`] when dropped: for the end of a thread that [`enter`]ed, however it ends.
pub struct Inside;

impl Drop for Inside {
    fn drop(&mut self) {
        leave();
    }
}

/// No thread may attach any more; waits (up to [`DRAIN_AT_MOST`]) for those attached to
/// finish their calls and detach. Call it detached.
pub fn drain() {
    let deadline = Instant::now() + DRAIN_AT_MOST;
    let mut exit = lock(&EXIT);
    exit.exiting = true;
    while exit.inside > 0 {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        exit = LEFT
            .wait_timeout(exit, left)
            .map(|(guard, _)| guard)
            .unwrap_or_else(|poisoned| poisoned.into_inner().0);
    }
}
