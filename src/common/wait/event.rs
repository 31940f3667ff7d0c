//! `EventCore`: a flag that tasks can wait for (Python's `Event` wraps it: `bindings::event`).
//!
//! # Invariants
//! - `set` stores the flag and drains the waiters in one critical section, so a waiter that
//!   registered after checking the flag under the lock is always woken.
//! - `set` is thread-safe: it may be called from a blocking-pool or foreign thread. Wakers are
//!   called after the lock is released.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use pyo3::prelude::*;

use crate::common::base::outcome::Resume;
use crate::common::base::util::lock;
use crate::common::base::waitqueue::{WaitQueue, WaiterKey};
use crate::common::run::registration::{Side, WaitSource};
use crate::common::run::task::Waker;

#[derive(Default)]
pub struct EventCore {
    flag: AtomicBool,
    waiters: Mutex<WaitQueue<Waker>>,
}

impl EventCore {
    pub fn is_set(&self) -> bool {
        self.flag.load(Ordering::Acquire)
    }

    /// Sets the flag and wakes every waiter with `True`.
    pub fn set(&self, py: Python<'_>) {
        let waiters = {
            let mut waiters = lock(&self.waiters);
            self.flag.store(true, Ordering::Release);
            waiters.drain()
        };
        for waiter in waiters {
            let value = pyo3::types::PyBool::new(py, true)
                .to_owned()
                .into_any()
                .unbind();
            waiter.wake(Resume::Value(value));
        }
    }

    pub fn clear(&self) {
        let _waiters = lock(&self.waiters);
        self.flag.store(false, Ordering::Release);
    }

    /// Queues `waker` unless the flag is set (then returns `None`).
    pub fn add_waiter(&self, waker: Waker) -> Option<WaiterKey> {
        let mut waiters = lock(&self.waiters);
        if self.flag.load(Ordering::Acquire) {
            return None;
        }
        Some(waiters.push(waker))
    }

    pub fn remove_waiter(&self, key: WaiterKey) -> Option<Waker> {
        lock(&self.waiters).remove(key)
    }
}

impl WaitSource for EventCore {
    fn remove_waiter(&self, _side: Side, key: WaiterKey) {
        drop(EventCore::remove_waiter(self, key));
    }

    fn describe(&self, _side: Side) -> &'static str {
        "Event.wait"
    }
}
