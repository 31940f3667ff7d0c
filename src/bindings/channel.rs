//! Channels: `channel(size)` (bounded) and `unbounded()`, both multi-producer multi-consumer.

use std::sync::{Arc, Mutex};

use pyo3::gc::PyVisit;
use pyo3::prelude::*;
use pyo3::types::PyType;
use pyo3::PyTraverseError;

use super::args::count_arg;
use super::suspension::Suspension;
use crate::common::drive::suspend::SuspendKind;
use crate::common::wait::channel::{ChannelCore, Send};

/// The sending end of a bounded channel: `yield sender.send(msg)` waits while it is full.
#[pyclass(frozen, module = "tonio._tonio")]
pub struct Sender {
    core: Arc<ChannelCore>,
}

#[pymethods]
impl Sender {
    /// `Sender[T]` in annotations (a `types.GenericAlias`; see `bindings::generic`).
    #[classmethod]
    fn __class_getitem__(cls: &Bound<'_, PyType>, item: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        super::generic::generic_alias(cls, item)
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        ChannelCore::traverse_shared(&self.core, &visit)
    }

    /// An awaitable that sends `message`, waiting while the channel is full. Raises
    /// `BrokenPipeError` if the channel is (or gets) closed before the message is sent.
    fn send(&self, message: Py<PyAny>) -> Suspension {
        Suspension::new(SuspendKind::Send {
            core: self.core.clone(),
            msg: Mutex::new(Some(message)),
        })
    }

    /// Closes the channel: receivers drain what was sent, then get `BrokenPipeError`.
    fn close(&self, py: Python<'_>) {
        self.core.close(py)
    }

    /// Buffered messages.
    fn __len__(&self) -> usize {
        self.core.len()
    }
}

/// The sending end of an unbounded channel: `send` never waits.
#[pyclass(frozen, module = "tonio._tonio")]
pub struct UnboundedSender {
    core: Arc<ChannelCore>,
}

#[pymethods]
impl UnboundedSender {
    /// `UnboundedSender[T]` in annotations (a `types.GenericAlias`; see `bindings::generic`).
    #[classmethod]
    fn __class_getitem__(cls: &Bound<'_, PyType>, item: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        super::generic::generic_alias(cls, item)
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        ChannelCore::traverse_shared(&self.core, &visit)
    }

    /// Sends `message` at once. Raises `BrokenPipeError` if the channel is closed.
    fn send(&self, py: Python<'_>, message: Py<PyAny>) -> PyResult<()> {
        match self.core.send(py, message, None) {
            Send::Closed => Err(ChannelCore::closed_error(py)),
            // Without a task nothing queues or is refused: an unbounded channel is never full.
            Send::Sent | Send::Queued(_) | Send::Full(_) | Send::Refused(_) => Ok(()),
        }
    }

    /// Closes the channel: receivers drain what was sent, then get `BrokenPipeError`.
    fn close(&self, py: Python<'_>) {
        self.core.close(py)
    }

    fn __len__(&self) -> usize {
        self.core.len()
    }
}

/// The receiving end of a channel.
#[pyclass(frozen, module = "tonio._tonio")]
pub struct Receiver {
    core: Arc<ChannelCore>,
}

#[pymethods]
impl Receiver {
    /// `Receiver[T]` in annotations (a `types.GenericAlias`; see `bindings::generic`).
    #[classmethod]
    fn __class_getitem__(cls: &Bound<'_, PyType>, item: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        super::generic::generic_alias(cls, item)
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        ChannelCore::traverse_shared(&self.core, &visit)
    }

    /// An awaitable that evaluates to the next message; raises `BrokenPipeError` once the
    /// channel is closed and drained.
    fn receive(&self) -> Suspension {
        Suspension::new(SuspendKind::Receive(self.core.clone()))
    }

    fn __len__(&self) -> usize {
        self.core.len()
    }

    /// `async for message in receiver:` (colored flavour): every message until the channel is
    /// closed and drained.
    fn __aiter__(slf: Bound<'_, Self>) -> PyResult<Bound<'_, PyAny>> {
        let py = slf.py();
        py.import("tonio._channel_iter")?
            .getattr("messages")?
            .call1((slf,))
    }
}

/// A bounded channel holding up to `size` messages: returns `(sender, receiver)`.
#[pyfunction]
pub fn channel(size: Bound<'_, PyAny>) -> PyResult<(Sender, Receiver)> {
    let capacity = count_arg(&size, "channel size", 1)?;
    let core = Arc::new(ChannelCore::new(capacity));
    Ok((Sender { core: core.clone() }, Receiver { core }))
}

/// An unbounded channel: returns `(sender, receiver)`; the sender's `send` never waits.
#[pyfunction]
pub fn unbounded() -> (UnboundedSender, Receiver) {
    let core = Arc::new(ChannelCore::new(usize::MAX));
    (UnboundedSender { core: core.clone() }, Receiver { core })
}
