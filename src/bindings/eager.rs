//! Eager completion for the colored flavour.
//!
//! An `await` on a tonio awaitable first calls its `__next__`. If the operation can finish
//! right there (a free permit nobody is queued for, a buffered message, room in the channel, a
//! ready value), doing it in place saves the round trip through the driver. The rules are the
//! ones the driver's `start` applies, so the outcome is the same either way: fairness holds (a
//! permit is taken only when no task is queued), and nothing here waits or registers.
//! Anything that would have to wait returns `None` and goes through the driver.

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

use super::guard::Guard;
use crate::common::base::util::lock;
use crate::common::drive::suspend::SuspendKind;
use crate::common::run::current;
use crate::common::wait::channel::{ChannelCore, Receive, Send};
use crate::common::wait::semaphore::TryAcquire;

/// `Some(result)` if the suspension completed (or failed) without waiting.
pub fn complete(py: Python<'_>, kind: &SuspendKind) -> Option<PyResult<Py<PyAny>>> {
    match kind {
        SuspendKind::Value(value) => Some(Ok(value.clone_ref(py))),
        // An operation branch decides its select or timeout when its operation completes:
        // the driver does that (`decision.rs`).
        SuspendKind::Receive(_)
        | SuspendKind::Send { .. }
        | SuspendKind::Acquire { .. }
        | SuspendKind::Io(_)
            if current::task_is_operation_branch() =>
        {
            None
        }
        SuspendKind::Acquire { core, guard } => {
            let owner = current::task_id()?;
            // Busy: the driver queues the task; Reentrant: the driver reports it.
            if !matches!(core.try_acquire_as(owner), TryAcquire::Acquired) {
                return None;
            }
            if *guard {
                Some(Guard::create(py, core.clone()).map(Py::into_any))
            } else {
                Some(Ok(py.None()))
            }
        }
        SuspendKind::Receive(core) => match core.receive(py, None) {
            Receive::Message(msg) => Some(Ok(msg)),
            Receive::Closed => Some(Err(ChannelCore::closed_error(py))),
            Receive::Empty | Receive::Queued(_) | Receive::Refused => None,
        },
        SuspendKind::Send { core, msg } => {
            let mut slot = lock(msg);
            let message = slot.take()?;
            match core.send(py, message, None) {
                Send::Sent => Some(Ok(py.None())),
                Send::Closed => Some(Err(ChannelCore::closed_error(py))),
                Send::Full(message) | Send::Refused(message) => {
                    *slot = Some(message);
                    None
                }
                Send::Queued(_) => Some(Err(PyRuntimeError::new_err("send queued without a task"))),
            }
        }
        SuspendKind::Io(call) => {
            let core = current::get()?;
            crate::common::drive::io_call::try_now(py, core.platform.net()?, call)
        }
        _ => None,
    }
}
