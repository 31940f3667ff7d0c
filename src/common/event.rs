//! `Event`: a flag that tasks can wait for.
//!
//! # Invariants
//! - `set` stores the flag and drains the waiters in one critical section, so a waiter that
//!   registered after checking the flag under the lock is always woken.
//! - `set` is thread-safe: it may be called from a blocking-pool or foreign thread. Wakers are
//!   called after the lock is released.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use pyo3::prelude::*;

use super::outcome::Resume;
use super::suspend::{Suspend, SuspendKind};
use super::task::Waker;
use super::util::lock;
use super::waitqueue::{WaitQueue, WaiterKey};

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

/// An event flag, initially unset. `wait()` suspends until it is set.
#[pyclass(frozen, module = "tonio._tonio")]
pub struct Event {
    pub core: Arc<EventCore>,
}

#[pymethods]
impl Event {
    #[new]
    fn new() -> Self {
        Event {
            core: Arc::new(EventCore::default()),
        }
    }

    /// True if the flag is set.
    fn is_set(&self) -> bool {
        self.core.is_set()
    }

    /// Sets the flag and wakes every waiter. Safe to call from any thread.
    fn set(&self, py: Python<'_>) {
        self.core.set(py)
    }

    /// Clears the flag.
    fn clear(&self) {
        self.core.clear()
    }

    /// An awaitable that finishes when the flag is set (evaluates to True) or after `timeout`
    /// seconds (evaluates to False).
    #[pyo3(signature = (timeout=None))]
    fn wait(&self, timeout: Option<Bound<'_, PyAny>>) -> PyResult<Suspend> {
        let timeout = match timeout {
            None => None,
            Some(value) if value.is_none() => None,
            Some(value) => Some(super::suspend_args::seconds(&value, "timeout")?),
        };
        Ok(Suspend::new(SuspendKind::EventWait {
            event: self.core.clone(),
            timeout,
        }))
    }

    /// tonio 0.6.0's name for `wait(timeout)`: an awaitable that resumes when the flag is set
    /// (True) or after `timeout` seconds (False; `None`: no timeout).
    #[pyo3(signature = (timeout=None))]
    fn waiter(&self, timeout: Option<Bound<'_, PyAny>>) -> PyResult<Suspend> {
        self.wait(timeout)
    }

    fn __repr__(&self) -> String {
        format!(
            "<tonio.Event is_set={}>",
            if self.core.is_set() { "True" } else { "False" }
        )
    }
}
