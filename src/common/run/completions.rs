//! `as_completed` steps: each one takes exactly one outcome, in completion order.
//!
//! The iterator hands out a [`CompletionStep`] per outcome still to come. A step *takes* an
//! outcome only when its task actually receives it: at once if one is queued, or by a claim
//! from the group when the next task finishes (claims are binding, see `task.rs`). A wait that
//! is cancelled, or a step that is dropped without being awaited, takes nothing and gives its
//! place back to the iterator at once, so no outcome is ever skipped. (At once matters: under
//! free threading a Python object dropped by another thread may be freed later.)
//!
//! # Invariants
//! - `remaining` (shared with the iterator) + steps in state `HOLDING` = outcomes not yet
//!   taken.
//! - A step takes at most one outcome; as a select branch or timeout body it is an operation
//!   (`decision.rs`): one that lost cannot take an outcome.

use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

use crate::common::base::outcome::Resume;
use crate::common::base::util::lock;
use crate::common::run::decision::operation_completes;
use crate::common::run::group::TaskGroup;
use crate::common::run::registration::{refused, OnReady, Registration, Started};
use crate::common::run::task::{Task, TaskBody, Waker};

/// One `next(as_completed(...))`: the right to take one outcome.
pub struct CompletionStep {
    pub group: Arc<TaskGroup>,
    /// The iterator's count of steps still to hand out.
    remaining: Arc<AtomicUsize>,
    /// `HOLDING`, `TAKEN` or `RELEASED`.
    state: AtomicU8,
}

/// The step holds a place: it may take one outcome.
const HOLDING: u8 = 0;
/// The step took its outcome.
const TAKEN: u8 = 1;
/// The step's wait was cancelled: its place went back to the iterator.
const RELEASED: u8 = 2;

impl CompletionStep {
    /// A step, if the iterator has outcomes left to hand out.
    pub fn next(group: &Arc<TaskGroup>, remaining: &Arc<AtomicUsize>) -> Option<CompletionStep> {
        remaining
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
            .ok()?;
        Some(CompletionStep {
            group: group.clone(),
            remaining: remaining.clone(),
            state: AtomicU8::new(HOLDING),
        })
    }

    /// The step's task received its outcome.
    pub fn mark_taken(&self) {
        self.state.store(TAKEN, Ordering::Release);
    }

    /// The step's wait ended without an outcome: give the place back to the iterator.
    pub fn release(&self) {
        if self
            .state
            .compare_exchange(HOLDING, RELEASED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            self.remaining.fetch_add(1, Ordering::AcqRel);
        }
    }

    /// Makes sure the step holds a place before it waits (a step awaited again after a
    /// cancelled wait takes a new one). Returns the error to throw if it cannot.
    fn hold(&self) -> Result<(), &'static str> {
        match self.state.load(Ordering::Acquire) {
            HOLDING => Ok(()),
            TAKEN => Err("this as_completed step already produced its result; take the next one"),
            _ => {
                self.remaining
                    .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
                    .map_err(|_| "as_completed has no outcome left for this step")?;
                self.state.store(HOLDING, Ordering::Release);
                Ok(())
            }
        }
    }

    /// Starts waiting for the next outcome (called by `Suspend::start`).
    pub fn start(
        self: &Arc<Self>,
        py: Python<'_>,
        task: &Arc<Task>,
        body: &mut TaskBody,
    ) -> Started {
        if let Err(message) = self.hold() {
            let err = PyRuntimeError::new_err(message);
            return Started::Ready(Resume::throw(py, err));
        }
        let mut inner = lock(&self.group.inner);
        if inner.completions.is_empty() {
            let key = inner.waiters.push(Waker::begin(task));
            drop(inner);
            body.wait = Registration::Group {
                group: self.group.clone(),
                key,
                on_ready: OnReady::Completion(self.clone()),
            };
            return Started::Pending;
        }
        let Some(decisions) = operation_completes(task) else {
            drop(inner);
            self.release();
            return Started::Ready(refused(task));
        };
        let outcome = inner.completions.pop_front();
        drop(inner);
        decisions.apply();
        match outcome {
            Some(outcome) => {
                self.mark_taken();
                Started::Ready(outcome.into_resume())
            }
            None => {
                self.release();
                Started::Ready(Resume::Cancel)
            }
        }
    }
}

impl Drop for CompletionStep {
    /// An untaken step gives its place back to the iterator.
    fn drop(&mut self) {
        self.release();
    }
}

impl TaskGroup {
    /// `AsCompleted`: gives queued outcomes to queued waiters, one each, in order. A waiter that
    /// can no longer take one (cancelled, or an operation branch that lost) is skipped.
    pub(crate) fn hand_off_completions(&self, py: Python<'_>) {
        loop {
            let claimed = {
                let mut inner = lock(&self.inner);
                let mut claimed = None;
                while claimed.is_none() && !inner.completions.is_empty() {
                    let Some(waiter) = inner.waiters.pop() else {
                        break;
                    };
                    let Some(outcome) = inner.completions.front() else {
                        break;
                    };
                    let resume = outcome.clone_ref(py).into_resume();
                    if let Some(c) = waiter.claim_taking(resume) {
                        inner.completions.pop_front();
                        claimed = Some(c);
                    }
                }
                claimed
            };
            match claimed {
                Some(claimed) => claimed.schedule(),
                None => return,
            }
        }
    }
}
