//! `ChannelCore`: a multi-producer multi-consumer FIFO of Python objects.
//!
//! Bounded channels hold at most `capacity` buffered messages; unbounded ones use
//! `capacity = usize::MAX` and their senders never wait.
//!
//! # Guarantees
//! - Every message whose send completed is received exactly once, in FIFO order per sender.
//! - A send that raises (`CancelledError`, `BrokenPipeError`) did not enqueue its message: a
//!   waiting sender's message moves into the channel only when a receiver *claims* that sender,
//!   which also completes its send.
//! - A receive that raises never consumed a message: a message is handed to a waiting receiver
//!   only by claiming it, which also completes its receive.
//! - After `close`, receivers drain the buffer, then get `BrokenPipeError`; sends raise
//!   `BrokenPipeError`; senders waiting at close raise it too (their messages were never sent).
//!
//! # Invariants (under `state`)
//! - `!receivers.is_empty() => buffer.is_empty()`.
//! - `!senders.is_empty() => buffer.len() == capacity` (outside a hand-off in progress).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use pyo3::exceptions::PyBrokenPipeError;
use pyo3::gc::PyVisit;
use pyo3::prelude::*;
use pyo3::PyTraverseError;

use super::{Side, WaitSource};
use crate::common::base::outcome::Resume;
use crate::common::base::util::lock;
use crate::common::base::waitqueue::{WaitQueue, WaiterKey};
use crate::common::io::signals::SignalSink;
use crate::common::run::decision::{operation_completes, Decisions};
use crate::common::run::gc;
use crate::common::run::task::{Claimed, Task, Waker};

struct ChannelState {
    buffer: VecDeque<Py<PyAny>>,
    closed: bool,
    senders: WaitQueue<(Waker, Py<PyAny>)>,
    receivers: WaitQueue<Waker>,
}

pub struct ChannelCore {
    capacity: usize,
    state: Mutex<ChannelState>,
}

/// Outcome of a send attempt.
pub enum Send {
    Sent,
    Queued(WaiterKey),
    /// Full, and no task was given to queue: the message comes back.
    Full(Py<PyAny>),
    Closed,
    /// The sending task is an operation branch that lost (`decision.rs`): nothing was sent.
    Refused(Py<PyAny>),
}

/// Outcome of a receive attempt.
pub enum Receive {
    Message(Py<PyAny>),
    Queued(WaiterKey),
    /// Empty, and no task was given to queue.
    Empty,
    Closed,
    /// The receiving task is an operation branch that lost (`decision.rs`): it took nothing.
    Refused,
}

fn closed_error(py: Python<'_>, what: &str) -> Py<PyAny> {
    PyBrokenPipeError::new_err(format!("channel closed{what}"))
        .into_value(py)
        .into_any()
}

impl ChannelCore {
    pub fn new(capacity: usize) -> ChannelCore {
        ChannelCore {
            capacity,
            state: Mutex::new(ChannelState {
                buffer: VecDeque::new(),
                closed: false,
                senders: WaitQueue::new(),
                receivers: WaitQueue::new(),
            }),
        }
    }

    /// Buffered messages.
    pub fn len(&self) -> usize {
        lock(&self.state).buffer.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn is_closed(&self) -> bool {
        lock(&self.state).closed
    }

    /// Sends `msg`: to a waiting receiver, else into the buffer, else queues the sending
    /// `task` (without one, a full channel gives the message back). Unbounded channels are
    /// never full.
    pub fn send(&self, py: Python<'_>, msg: Py<PyAny>, task: Option<&Arc<Task>>) -> Send {
        let mut claimed = None;
        let decisions;
        let result = {
            let mut state = lock(&self.state);
            if state.closed {
                return Send::Closed;
            }
            // The send completes now if anyone waits (then the buffer is empty) or there is
            // room: that decides an operation branch's select (`decision.rs`).
            let completes = !state.receivers.is_empty() || state.buffer.len() < self.capacity;
            decisions = match completes_if(completes, task) {
                Some(decided) => decided,
                None => return Send::Refused(msg),
            };
            // A receiver whose operation lost its select refuses the message: try the next one.
            while let Some(receiver) = state.receivers.pop() {
                if let Some(c) = receiver.claim_taking(Resume::Value(msg.clone_ref(py))) {
                    claimed = Some(c);
                    break;
                }
            }
            if claimed.is_some() {
                Send::Sent
            } else if state.buffer.len() < self.capacity {
                state.buffer.push_back(msg);
                Send::Sent
            } else {
                match task {
                    Some(task) => Send::Queued(state.senders.push((Waker::begin(task), msg))),
                    None => Send::Full(msg),
                }
            }
        };
        if let Some(claimed) = claimed {
            claimed.schedule();
        }
        decisions.apply();
        result
    }

    /// Receives the oldest message, or (given the receiving `task`) queues it. Taking a
    /// message completes an operation branch (`decision.rs`); one that lost is refused.
    pub fn receive(&self, py: Python<'_>, task: Option<&Arc<Task>>) -> Receive {
        let mut claimed = None;
        let decisions;
        let result = {
            let mut state = lock(&self.state);
            // Waiting senders imply a full buffer: a message is there to take.
            let available = !state.buffer.is_empty() || !state.senders.is_empty();
            decisions = match completes_if(available, task) {
                Some(decided) => decided,
                None => return Receive::Refused,
            };
            let message = match state.buffer.pop_front() {
                Some(message) => {
                    // A slot opened: move the first waiting sender's message in.
                    if let Some((c, msg)) = claim_sender(py, &mut state) {
                        state.buffer.push_back(msg);
                        claimed = Some(c);
                    }
                    Some(message)
                }
                None => claim_sender(py, &mut state).map(|(c, msg)| {
                    claimed = Some(c);
                    msg
                }),
            };
            match message {
                Some(message) => Receive::Message(message),
                None if state.closed => Receive::Closed,
                None => match task {
                    Some(task) => Receive::Queued(state.receivers.push(Waker::begin(task))),
                    None => Receive::Empty,
                },
            }
        };
        if let Some(claimed) = claimed {
            claimed.schedule();
        }
        decisions.apply();
        result
    }

    /// Closes the channel (idempotent) and fails every queued sender and receiver.
    pub fn close(&self, py: Python<'_>) {
        let mut released = Vec::new();
        {
            let mut state = lock(&self.state);
            if state.closed {
                return;
            }
            state.closed = true;
            for receiver in state.receivers.drain() {
                released.extend(receiver.claim(Resume::Throw(closed_error(py, ""))));
            }
            for (sender, _msg) in state.senders.drain() {
                let error = closed_error(py, " while the message was waiting to be sent");
                released.extend(sender.claim(Resume::Throw(error)));
            }
        }
        for claimed in released {
            claimed.schedule();
        }
    }

    /// The error a send or receive on a closed channel raises.
    pub fn closed_error(py: Python<'_>) -> PyErr {
        PyErr::from_value(closed_error(py, "").into_bound(py))
    }
}

impl ChannelCore {
    /// Visits the messages held in the channel if `core` is its only owner (see `gc.rs`).
    pub fn traverse_shared(core: &Arc<Self>, visit: &PyVisit<'_>) -> Result<(), PyTraverseError> {
        let Some(state) = gc::sole(core).and_then(|core| gc::try_lock(&core.state)) else {
            return Ok(());
        };
        for message in state
            .buffer
            .iter()
            .chain(state.senders.iter().map(|(_, m)| m))
        {
            visit.call(message)?;
        }
        Ok(())
    }
}

impl ChannelCore {
    /// Lets go of the messages held in the channel if `core` is its only owner (the collector
    /// found the channel unreachable: `gc.rs`).
    pub fn clear_shared(core: &Arc<Self>) {
        let Some(core) = gc::sole(core) else { return };
        let released: Vec<Py<PyAny>> = {
            let mut state = lock(&core.state);
            let senders = state.senders.drain().into_iter().map(|(_, msg)| msg);
            let mut released: Vec<Py<PyAny>> = senders.collect();
            released.extend(state.buffer.drain(..));
            released
        };
        drop(released);
    }
}

/// `task`'s (if any) operation completes now (`completes`): `None` if it is an operation
/// branch that lost and must not (`decision.rs`).
#[inline]
fn completes_if(completes: bool, task: Option<&Arc<Task>>) -> Option<Decisions> {
    match (completes, task) {
        (true, Some(task)) => operation_completes(task),
        _ => Some(Decisions::default()),
    }
}

/// Claims the first waiting sender that can still complete, returning its message.
fn claim_sender(py: Python<'_>, state: &mut ChannelState) -> Option<(Claimed, Py<PyAny>)> {
    while let Some((sender, msg)) = state.senders.pop() {
        // Completing the send decides a sending operation branch; one that lost refuses.
        if let Some(claimed) = sender.claim_taking(Resume::Value(py.None())) {
            return Some((claimed, msg));
        }
    }
    None
}

impl WaitSource for ChannelCore {
    fn describe(&self, side: Side) -> &'static str {
        if side == Side::Senders {
            "channel send"
        } else {
            "channel receive"
        }
    }

    fn remove_waiter(&self, side: Side, key: WaiterKey) {
        let mut state = lock(&self.state);
        let sender = (side == Side::Senders)
            .then(|| state.senders.remove(key))
            .flatten();
        let receiver = (side == Side::Receivers)
            .then(|| state.receivers.remove(key))
            .flatten();
        drop(state);
        drop((sender, receiver));
    }
}

impl SignalSink for ChannelCore {
    fn put(&self, py: Python<'_>, signal: Py<PyAny>) {
        // Unbounded (`signal_receiver` makes it so): a send never waits.
        let _ = self.send(py, signal, None);
    }

    /// Closes the channel and takes back what was never received.
    fn close(&self, py: Python<'_>) -> Vec<Py<PyAny>> {
        ChannelCore::close(self, py);
        lock(&self.state).buffer.drain(..).collect()
    }
}
