//! Starting the waits of the sync primitives (called by `Suspend::start`).

use std::sync::Arc;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

use super::barrier::{Arrival, BarrierCore};
use super::channel::{ChannelCore, Receive, Send};
use super::semaphore::{Acquire, SemaphoreCore};
use super::Side;
use crate::common::base::outcome::Resume;
use crate::common::base::waitqueue::WaiterKey;
use crate::common::run::registration::{refused, OnValue, Registration, Started};
use crate::common::run::task::{Task, TaskBody};

fn queued(
    body: &mut TaskBody,
    source: Arc<dyn super::WaitSource>,
    side: Side,
    key: WaiterKey,
    on_value: OnValue,
) -> Started {
    body.wait = Registration::Queued {
        source,
        side,
        key,
        on_value,
    };
    Started::Pending
}

/// `yield lock()` (`guard`: evaluates to the bindings' `Guard`) or `async with lock`
/// (evaluates to None).
pub fn start_acquire(
    py: Python<'_>,
    task: &Arc<Task>,
    body: &mut TaskBody,
    core: &Arc<SemaphoreCore>,
    guard: bool,
) -> Started {
    let on_value = if guard { OnValue::Grant } else { OnValue::Pass };
    match core.acquire_or_queue(task) {
        Acquire::Acquired if guard => Started::Ready(core.guard(py)),
        Acquire::Acquired => Started::Ready(Resume::Value(py.None())),
        Acquire::Reentrant => Started::Ready(Resume::throw(
            py,
            PyRuntimeError::new_err(
                "the lock is already held by this task (locks are not reentrant)",
            ),
        )),
        Acquire::Queued(key) => queued(body, core.clone(), Side::Only, key, on_value),
        Acquire::Refused => Started::Ready(refused(task)),
    }
}

/// `yield barrier.wait()`: evaluates to the arrival index.
pub fn start_barrier(
    py: Python<'_>,
    task: &Arc<Task>,
    body: &mut TaskBody,
    core: &Arc<BarrierCore>,
) -> Started {
    match core.arrive(py, task) {
        Arrival::Passed(index) => {
            let Ok(value) = index.into_pyobject(py);
            Started::Ready(Resume::Value(value.into_any().unbind()))
        }
        Arrival::Queued(key) => queued(body, core.clone(), Side::Only, key, OnValue::Pass),
    }
}

/// `yield sender.send(msg)` on a bounded channel.
pub fn start_send(
    py: Python<'_>,
    task: &Arc<Task>,
    body: &mut TaskBody,
    core: &Arc<ChannelCore>,
    msg: Py<PyAny>,
) -> Started {
    match core.send(py, msg, Some(task)) {
        Send::Sent => Started::Ready(Resume::Value(py.None())),
        Send::Closed => Started::Ready(Resume::throw(py, ChannelCore::closed_error(py))),
        Send::Queued(key) => queued(body, core.clone(), Side::Senders, key, OnValue::Pass),
        Send::Refused(_) => Started::Ready(refused(task)),
        Send::Full(_) => Started::Ready(Resume::throw(
            py,
            PyRuntimeError::new_err("channel full without a waiting sender"),
        )),
    }
}

/// `yield receiver.receive()`.
pub fn start_receive(
    py: Python<'_>,
    task: &Arc<Task>,
    body: &mut TaskBody,
    core: &Arc<ChannelCore>,
) -> Started {
    match core.receive(py, Some(task)) {
        Receive::Message(msg) => Started::Ready(Resume::Value(msg)),
        Receive::Closed => Started::Ready(Resume::throw(py, ChannelCore::closed_error(py))),
        Receive::Queued(key) => queued(body, core.clone(), Side::Receivers, key, OnValue::Pass),
        Receive::Refused => Started::Ready(refused(task)),
        Receive::Empty => Started::Ready(Resume::throw(
            py,
            PyRuntimeError::new_err("channel empty without a waiting receiver"),
        )),
    }
}
