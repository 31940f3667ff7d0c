//! Channels: `channel(size)` (bounded) and `unbounded()`, both multi-producer multi-consumer.
//!
//! # The cyclic GC
//! Both ends of a channel share its queue, so neither may report the queued messages to the
//! collector (each reference must be reported once, by its owner: `run::gc`). The queue is
//! therefore owned by one Python object, [`ChannelBuffer`], which both ends refer to: the ends
//! report it, it reports the messages (while no operation in flight shares the queue). An
//! actor whose own mailbox holds a message referring to it is then collected like any cycle.

use std::sync::{Arc, Mutex};

use pyo3::gc::PyVisit;
use pyo3::prelude::*;
use pyo3::types::PyType;
use pyo3::PyTraverseError;

use super::args::count_arg;
use super::suspension::awaitable;
use crate::common::drive::suspend::SuspendKind;
use crate::common::wait::channel::{ChannelCore, Send};

/// The queue both ends of a channel share (see the module docs).
#[pyclass(frozen, module = "tonio._tonio")]
pub struct ChannelBuffer {
    core: Arc<ChannelCore>,
}

#[pymethods]
impl ChannelBuffer {
    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        ChannelCore::traverse_shared(&self.core, &visit)
    }

    fn __clear__(&self) {
        ChannelCore::clear_shared(&self.core);
    }
}

/// A channel end's reference to its buffer.
struct End {
    buffer: Py<ChannelBuffer>,
}

impl End {
    fn core(&self) -> &Arc<ChannelCore> {
        &self.buffer.get().core
    }

    fn traverse(&self, visit: &PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.buffer)
    }
}

/// The sending end of a bounded channel: `yield sender.send(msg)` waits while it is full.
#[pyclass(frozen, module = "tonio._tonio")]
pub struct Sender {
    end: End,
}

#[pymethods]
impl Sender {
    /// `Sender[T]` in annotations (a `types.GenericAlias`; see `bindings::generic`).
    #[classmethod]
    fn __class_getitem__(cls: &Bound<'_, PyType>, item: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        super::generic::generic_alias(cls, item)
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        self.end.traverse(&visit)
    }

    /// An awaitable that sends `message`, waiting while the channel is full. Raises
    /// `BrokenPipeError` if the channel is (or gets) closed before the message is sent.
    fn send(&self, py: Python<'_>, message: Py<PyAny>) -> PyResult<Py<PyAny>> {
        let kind = SuspendKind::Send {
            core: self.end.core().clone(),
            msg: Mutex::new(Some(message)),
        };
        awaitable(py, kind)
    }

    /// Closes the channel: receivers drain what was sent, then get `BrokenPipeError`.
    fn close(&self, py: Python<'_>) {
        self.end.core().close(py)
    }

    /// Buffered messages.
    fn __len__(&self) -> usize {
        self.end.core().len()
    }
}

/// The sending end of an unbounded channel: `send` never waits.
#[pyclass(frozen, module = "tonio._tonio")]
pub struct UnboundedSender {
    end: End,
}

#[pymethods]
impl UnboundedSender {
    /// `UnboundedSender[T]` in annotations (a `types.GenericAlias`; see `bindings::generic`).
    #[classmethod]
    fn __class_getitem__(cls: &Bound<'_, PyType>, item: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        super::generic::generic_alias(cls, item)
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        self.end.traverse(&visit)
    }

    /// Sends `message` at once. Raises `BrokenPipeError` if the channel is closed.
    fn send(&self, py: Python<'_>, message: Py<PyAny>) -> PyResult<()> {
        match self.end.core().send(py, message, None) {
            Send::Closed => Err(ChannelCore::closed_error(py)),
            // Without a task nothing queues or is refused: an unbounded channel is never full.
            Send::Sent | Send::Queued(_) | Send::Full(_) | Send::Refused(_) => Ok(()),
        }
    }

    /// Closes the channel: receivers drain what was sent, then get `BrokenPipeError`.
    fn close(&self, py: Python<'_>) {
        self.end.core().close(py)
    }

    fn __len__(&self) -> usize {
        self.end.core().len()
    }
}

/// The receiving end of a channel.
#[pyclass(frozen, module = "tonio._tonio")]
pub struct Receiver {
    end: End,
}

#[pymethods]
impl Receiver {
    /// `Receiver[T]` in annotations (a `types.GenericAlias`; see `bindings::generic`).
    #[classmethod]
    fn __class_getitem__(cls: &Bound<'_, PyType>, item: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        super::generic::generic_alias(cls, item)
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        self.end.traverse(&visit)
    }

    /// An awaitable that evaluates to the next message; raises `BrokenPipeError` once the
    /// channel is closed and drained.
    fn receive(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        awaitable(py, SuspendKind::Receive(self.end.core().clone()))
    }

    fn __len__(&self) -> usize {
        self.end.core().len()
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
pub fn channel(py: Python<'_>, size: Bound<'_, PyAny>) -> PyResult<(Sender, Receiver)> {
    let capacity = count_arg(&size, "channel size", 1)?;
    let (sender, receiver) = ends(py, capacity)?;
    Ok((Sender { end: sender }, Receiver { end: receiver }))
}

/// An unbounded channel: returns `(sender, receiver)`; the sender's `send` never waits.
#[pyfunction]
pub fn unbounded(py: Python<'_>) -> PyResult<(UnboundedSender, Receiver)> {
    let (sender, receiver) = ends(py, usize::MAX)?;
    Ok((UnboundedSender { end: sender }, Receiver { end: receiver }))
}

/// The two ends of a new channel of `capacity` messages.
fn ends(py: Python<'_>, capacity: usize) -> PyResult<(End, End)> {
    let core = Arc::new(ChannelCore::new(capacity));
    let buffer = Py::new(py, ChannelBuffer { core })?;
    let sender = End {
        buffer: buffer.clone_ref(py),
    };
    Ok((sender, End { buffer }))
}
