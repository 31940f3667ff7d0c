//! Taking part in Python's cyclic garbage collector.
//!
//! A Python object implemented in Rust that holds Python references must report them
//! (`__traverse__`), or a cycle through it is never collected: a scope whose task failed keeps
//! the exception, whose traceback keeps the frame, whose locals keep the scope; and through the
//! scope's group, the whole runtime (its reactor descriptors included).
//!
//! # Shared Rust state
//! Many objects share Rust state through an `Arc` (a join handle and the scope own the same
//! group; the sender and receiver of a channel own the same queue). `tp_traverse` must report
//! each reference exactly once, from the object that owns it, or the collector would count more
//! references than exist and could free a live object. So a wrapper reports what lives behind
//! an `Arc` only while it is that `Arc`'s **only** owner ([`sole`]): then the Rust state is
//! reachable from nowhere but this Python object, exactly like a field of its own. While the
//! state is shared (a run in progress, both ends of a channel alive), it is not reported and
//! simply stays alive, as it must.
//!
//! Traversal never blocks: state behind a lock that is held elsewhere is skipped (reported on a
//! later collection). It never calls into Python.
//!
//! # Awaitables
//! The awaitables of every step (sleep, receive, acquire, ...) do not take part: a million of
//! them alive at once would make each collection scan a million more objects. Those that hold
//! Python objects as long as the user keeps them (a join handle, a select's coroutines) do:
//! `drive::suspend_gc` and `bindings::suspension`.

use std::sync::{Arc, Mutex, MutexGuard, TryLockError};

use pyo3::gc::PyVisit;
use pyo3::PyTraverseError;

use crate::common::base::outcome::Outcome;
use crate::common::run::group::TaskGroup;

/// The value behind `arc`, if the caller holds the only strong reference to it.
pub fn sole<T>(arc: &Arc<T>) -> Option<&T> {
    (Arc::strong_count(arc) == 1).then_some(&**arc)
}

/// The mutex's content, unless another thread holds it right now.
pub fn try_lock<T>(mutex: &Mutex<T>) -> Option<MutexGuard<'_, T>> {
    match mutex.try_lock() {
        Ok(guard) => Some(guard),
        Err(TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
        Err(TryLockError::WouldBlock) => None,
    }
}

/// Visits an outcome's object.
pub fn visit_outcome(visit: &PyVisit<'_>, outcome: &Outcome) -> Result<(), PyTraverseError> {
    match outcome {
        Outcome::Returned(value) | Outcome::Raised(value) => visit.call(value),
    }
}

impl TaskGroup {
    /// Visits the outcomes the group keeps (results, errors, queued completions, the winner).
    /// Call only as the group's sole owner (see the module docs).
    pub fn traverse(&self, visit: &PyVisit<'_>) -> Result<(), PyTraverseError> {
        let Some(inner) = try_lock(&self.inner) else {
            return Ok(());
        };
        for value in inner.results.iter().flatten() {
            visit.call(value)?;
        }
        for (_, exc) in &inner.errors {
            visit.call(exc)?;
        }
        for outcome in inner.completions.iter().chain(inner.winner.as_ref()) {
            visit_outcome(visit, outcome)?;
        }
        Ok(())
    }
}

/// Visits a shared group's outcomes if `arc` is its only owner.
pub fn traverse_group(arc: &Arc<TaskGroup>, visit: &PyVisit<'_>) -> Result<(), PyTraverseError> {
    match sole(arc) {
        Some(group) => group.traverse(visit),
        None => Ok(()),
    }
}
