//! `SemaphoreCore`: permits and a FIFO of waiters; `Lock` is a semaphore of one with an owner.
//!
//! # Invariants (under `state`)
//! - `!waiters.is_empty() => permits == 0`: nobody waits while a permit is free, so a newcomer
//!   can never barge ahead of a queued waiter.
//! - `permits + held == initial`, where `held` counts granted, unreleased permits.
//! - Lock mode: `owner` is the `uid` (process-unique) of the task holding the lock, `None` when free.

use std::sync::{Arc, Mutex};

use pyo3::prelude::*;

use super::{Side, WaitSource};
use crate::common::base::outcome::Resume;
use crate::common::base::util::lock;
use crate::common::base::waitqueue::{WaitQueue, WaiterKey};
use crate::common::run::decision::operation_completes;
use crate::common::run::task::{Claimed, Task, Waker};

struct SemState {
    permits: usize,
    waiters: WaitQueue<Waker>,
    owner: Option<u64>,
}

pub struct SemaphoreCore {
    initial: usize,
    is_lock: bool,
    state: Mutex<SemState>,
    make_guard: MakeGuard,
}

/// Makes the Python object that owns one granted permit (the bindings' `Guard`), for
/// `yield lock()`. The core has no Python classes of its own: the bindings pass this in.
pub type MakeGuard = fn(Python<'_>, Arc<SemaphoreCore>) -> PyResult<Py<PyAny>>;

/// What `acquire_or_queue` did.
pub enum Acquire {
    Acquired,
    Queued(WaiterKey),
    /// Lock mode: the task already holds this lock.
    Reentrant,
    /// The task is an operation branch that lost (`decision.rs`): it took no permit.
    Refused,
}

/// What `try_acquire_as` did.
pub enum TryAcquire {
    Acquired,
    /// No free permit, or tasks are queued (taking one would barge ahead of them).
    Busy,
    /// Lock mode: the task already holds this lock.
    Reentrant,
}

/// Releasing more than was acquired.
pub struct NotHeld;

impl SemaphoreCore {
    pub fn new(permits: usize, is_lock: bool, make_guard: MakeGuard) -> SemaphoreCore {
        SemaphoreCore {
            initial: permits,
            is_lock,
            make_guard,
            state: Mutex::new(SemState {
                permits,
                waiters: WaitQueue::new(),
                owner: None,
            }),
        }
    }

    pub fn is_lock(&self) -> bool {
        self.is_lock
    }

    /// Free permits.
    pub fn available(&self) -> usize {
        lock(&self.state).permits
    }

    /// Takes a permit for task `owner` without waiting (eager acquisition in the colored
    /// flavour): only if one is free and nobody is queued.
    pub fn try_acquire_as(&self, owner: u64) -> TryAcquire {
        let mut state = lock(&self.state);
        if self.is_lock && state.owner == Some(owner) {
            return TryAcquire::Reentrant;
        }
        if state.permits == 0 {
            return TryAcquire::Busy;
        }
        debug_assert!(state.waiters.is_empty());
        state.permits -= 1;
        if self.is_lock {
            state.owner = Some(owner);
        }
        TryAcquire::Acquired
    }

    /// Queued waiters.
    pub fn waiting(&self) -> usize {
        lock(&self.state).waiters.len()
    }

    /// Takes a permit if one is free and nobody is queued (`or_raise`).
    pub fn try_acquire(&self, owner: Option<u64>) -> bool {
        let mut state = lock(&self.state);
        if state.permits == 0 {
            return false;
        }
        debug_assert!(state.waiters.is_empty());
        state.permits -= 1;
        if self.is_lock {
            state.owner = owner;
        }
        true
    }

    /// Takes a permit for `task`, or queues it (it is handed a permit later by `release`).
    pub fn acquire_or_queue(&self, task: &Arc<Task>) -> Acquire {
        let owner = task.uid();
        let mut state = lock(&self.state);
        if self.is_lock && state.owner == Some(owner) {
            return Acquire::Reentrant;
        }
        if state.permits > 0 {
            debug_assert!(state.waiters.is_empty());
            // Taking the permit completes an operation branch (`decision.rs`).
            let Some(decisions) = operation_completes(task) else {
                return Acquire::Refused;
            };
            state.permits -= 1;
            if self.is_lock {
                state.owner = Some(owner);
            }
            drop(state);
            decisions.apply();
            return Acquire::Acquired;
        }
        Acquire::Queued(state.waiters.push(Waker::begin(task)))
    }

    /// Gives a permit back: straight to the first waiter that can take it, else to the pool.
    pub fn release(&self, py: Python<'_>) -> Result<(), NotHeld> {
        let claimed = {
            let mut state = lock(&self.state);
            if state.permits >= self.initial {
                return Err(NotHeld);
            }
            self.hand_off(py, &mut state)
        };
        if let Some(claimed) = claimed {
            claimed.schedule();
        }
        Ok(())
    }

    /// Hands the releasing permit to the first waiter that accepts it.
    fn hand_off(&self, py: Python<'_>, state: &mut SemState) -> Option<Claimed> {
        while let Some(waiter) = state.waiters.pop() {
            let id = waiter.task.uid();
            // The permit moves to the waiter: `Value` is never replaced by a cancellation; the
            // waiter's registration turns the placeholder into a guard (or `None`).
            if let Some(claimed) = waiter.claim_taking(Resume::Value(py.None())) {
                if self.is_lock {
                    state.owner = Some(id);
                }
                return Some(claimed);
            }
        }
        state.permits += 1;
        state.owner = None;
        debug_assert!(state.waiters.is_empty() || state.permits == 0);
        None
    }
}

impl SemaphoreCore {
    /// A permit granted to a task that asked for a guard becomes the guard owning it; if the
    /// guard cannot be made, the permit goes back and the task gets the error.
    pub fn guard(self: &Arc<Self>, py: Python<'_>) -> Resume {
        match (self.make_guard)(py, self.clone()) {
            Ok(guard) => Resume::Value(guard),
            Err(err) => {
                let _ = self.release(py);
                Resume::throw(py, err)
            }
        }
    }
}

impl WaitSource for SemaphoreCore {
    fn wrap_grant(self: Arc<Self>, py: Python<'_>, granted: Resume) -> Resume {
        match granted {
            Resume::Value(_) => self.guard(py),
            other => other,
        }
    }

    fn describe(&self, _side: Side) -> &'static str {
        if self.is_lock {
            "Lock acquire"
        } else {
            "Semaphore acquire"
        }
    }

    fn remove_waiter(&self, _side: Side, key: WaiterKey) {
        let removed = lock(&self.state).waiters.remove(key);
        drop(removed);
    }
}
