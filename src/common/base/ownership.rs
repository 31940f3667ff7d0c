//! One driver per coroutine: no two tasks may resume the same generator or coroutine object.
//!
//! Two threads sending into one generator at once can crash CPython 3.13t (its "generator
//! already executing" check is not atomic there), and two tasks taking turns with one
//! generator would interleave its steps meaninglessly. A task therefore drives a coroutine
//! *from its start*: when it first drives its own coroutine, or pushes a child generator, that
//! object must not have started yet. (A finished one is refused too, so that `spawn(c, c)`
//! fails the same way whether or not the first task already finished.)
//!
//! # What it costs
//! - If the task's reference is the only one (reference count 1: `spawn(f())`,
//!   `yield child()`), nobody else can ever reach the object: nothing is checked.
//! - Otherwise the object's frame state is read (a field of the object): a coroutine that is
//!   not fresh is refused with a `RuntimeError`.
//! - Two workers could both see the same fresh coroutine at once (`spawn(c, c)` on two
//!   threads). On a platform that runs tasks in parallel, the first send of a shared, fresh
//!   coroutine is therefore guarded by a process-wide set of addresses being started (a
//!   [`StartGuard`]), and the state is read again once the guard is held. The set holds at most
//!   one address per worker, for the duration of one send.
//!
//! # Invariants
//! - An address is in the set only while the task starting it holds a reference to the object.
//! - The guard is released right after the first send into the object.

use std::collections::HashSet;
use std::sync::Mutex;

use pyo3::exceptions::PyRuntimeError;
use pyo3::ffi;
use pyo3::prelude::*;

use crate::common::base::util::lock;

const SHARDS: usize = 8;

/// Addresses of shared coroutines whose first send is in progress. Only membership is queried
/// (never iterated), so the hash set cannot affect determinism.
static STARTING: [Mutex<Option<HashSet<usize>>>; SHARDS] = [const { Mutex::new(None) }; SHARDS];

fn shard(address: usize) -> &'static Mutex<Option<HashSet<usize>>> {
    // Objects are 16-byte aligned: drop the low bits before picking a shard.
    &STARTING[(address >> 4) % SHARDS]
}

/// Held during the first send into a shared coroutine (see the module docs).
pub struct StartGuard(usize);

impl Drop for StartGuard {
    fn drop(&mut self) {
        if let Some(set) = lock(shard(self.0)).as_mut() {
            set.remove(&self.0);
        }
    }
}

/// Where a generator or coroutine is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Life {
    Fresh,
    Started,
    Finished,
    /// Not a generator or coroutine, or a state we cannot read: not checked.
    Unknown,
}

/// Checks that the calling task may start driving `coro`, which it holds one reference to.
/// `parallel()`: other threads may be starting tasks at the same moment. Returns the guard to
/// hold until the first send, if one is needed.
pub fn check_start(
    coro: &Bound<'_, PyAny>,
    parallel: impl FnOnce() -> bool,
) -> PyResult<Option<StartGuard>> {
    // Safety: `coro` is a live object we hold a reference to; reading its count is a plain
    // (relaxed, atomic on free-threaded builds) load.
    if unsafe { ffi::Py_REFCNT(coro.as_ptr()) } <= 1 {
        return Ok(None);
    }
    match life(coro) {
        Life::Started | Life::Finished => return Err(already_started(coro)),
        Life::Unknown => return Ok(None),
        Life::Fresh => {
            if !parallel() {
                return Ok(None);
            }
        }
    }
    let address = coro.as_ptr() as usize;
    let inserted = lock(shard(address))
        .get_or_insert_with(HashSet::new)
        .insert(address);
    if !inserted {
        return Err(already_started(coro));
    }
    let guard = StartGuard(address);
    // Another task may have started it before we got the guard.
    if life(coro) != Life::Fresh {
        return Err(already_started(coro));
    }
    Ok(Some(guard))
}

fn already_started(coro: &Bound<'_, PyAny>) -> PyErr {
    let shown = coro
        .repr()
        .map(|r| r.to_string())
        .unwrap_or_else(|_| "a coroutine".to_owned());
    PyRuntimeError::new_err(format!(
        "{shown} was already started (it is being run by another task, or ran before): a \
         coroutine object can be driven by one task only, once, from its start (create one \
         coroutine per task)"
    ))
}

/// The frame state of a generator or coroutine object (CPython 3.13's layout, which pyo3
/// exposes; 3.14 makes it private and its sends atomic).
#[cfg(not(Py_3_14))]
fn life(coro: &Bound<'_, PyAny>) -> Life {
    let object = coro.as_ptr();
    // Safety: exact type checks on a live object.
    let is_gen =
        unsafe { ffi::PyGen_CheckExact(object) != 0 || ffi::PyCoro_CheckExact(object) != 0 };
    if !is_gen {
        return Life::Unknown;
    }
    // Safety: generators and coroutines share the `PyGenObject` layout in CPython 3.11-3.13;
    // `gi_frame_state` is one byte, read once (a concurrent change is either value, both of
    // which we handle: the start guard re-reads it).
    let state =
        unsafe { std::ptr::read_volatile(&(*object.cast::<ffi::PyGenObject>()).gi_frame_state) };
    match state {
        -3 => Life::Fresh,       // FRAME_CREATED
        -2..=0 => Life::Started, // FRAME_SUSPENDED, FRAME_SUSPENDED_YIELD_FROM, FRAME_EXECUTING
        _ => Life::Finished,     // FRAME_COMPLETED, FRAME_CLEARED
    }
}

/// CPython 3.14 keeps the generator layout private: ask the object.
#[cfg(Py_3_14)]
fn life(coro: &Bound<'_, PyAny>) -> Life {
    let py = coro.py();
    let flag = |name: &str| {
        coro.getattr(pyo3::types::PyString::new(py, name))
            .and_then(|v| v.is_truthy())
    };
    let (running, suspended) = match (
        flag("gi_running").or_else(|_| flag("cr_running")),
        flag("gi_suspended").or_else(|_| flag("cr_suspended")),
    ) {
        (Ok(running), Ok(suspended)) => (running, suspended),
        _ => return Life::Unknown,
    };
    if running || suspended {
        return Life::Started;
    }
    let frame = coro
        .getattr("gi_frame")
        .or_else(|_| coro.getattr("cr_frame"));
    match frame {
        Ok(frame) if frame.is_none() => Life::Finished,
        Ok(_) => Life::Fresh,
        Err(_) => Life::Unknown,
    }
}
