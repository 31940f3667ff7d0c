//! Socket operations as awaitables.
//!
//! An [`IoCall`] is one operation (recv, send, sendall, accept, connect, ...; see `io_ops.rs`)
//! on a socket of the platform's `Net`. The driver attempts it; if it would block, the task
//! waits on the socket's `Readiness` and attempts it again when woken (see `readiness.rs` for
//! why no wake-up can be lost). A cancelled wait just unqueues the task: the socket stays
//! usable. A call made `never_waiting` (`MSG_DONTWAIT`) fails with the would-block error
//! (`BlockingIOError`) instead of waiting, as a blocking stdlib socket does with that flag.
//!
//! A receive or accept that is an operation branch (`run::decision`) decides its select or
//! timeout when it has read: if that was already decided for someone else, what it read goes
//! back to the socket (`io::handed_back`) and the task gets its `CancelledError`.

use std::cell::Cell;
use std::io;
use std::sync::{Arc, Mutex};

use pyo3::prelude::*;

use crate::common::base::outcome::Resume;
use crate::common::base::util::lock;
use crate::common::base::waitqueue::WaiterKey;
use crate::common::io::io_ops::{Attempt, Attempting, IoOp};
use crate::common::io::net::{Net, SocketId};
use crate::common::io::net_convert::os_error;
use crate::common::io::readiness::{Interest, Readiness};
use crate::common::run::decision::{operation_completes, Decisions};
use crate::common::run::registration::{refused, IoRetry, Registration, Started};
use crate::common::run::task::{Task, TaskBody, Waker};

pub struct IoCall {
    pub socket: SocketId,
    /// The socket's readiness tracker (looked up once, when the socket was created).
    readiness: Arc<Readiness>,
    /// The readiness the operation needs, when waiting for it first is always right; `None`
    /// when every attempt must make the call (`connect`, calls with flags).
    needs: Option<Interest>,
    /// Fail with the would-block error instead of waiting (`MSG_DONTWAIT`).
    never_wait: bool,
    /// The socket is a stream: a short read or send drained its readiness (see
    /// `Attempt::Drained`).
    stream: bool,
    pub op: Mutex<IoOp>,
}

impl IoCall {
    pub fn new(socket: SocketId, readiness: Arc<Readiness>, stream: bool, op: IoOp) -> IoCall {
        IoCall {
            socket,
            readiness,
            needs: op.needs(),
            never_wait: false,
            stream,
            op: Mutex::new(op),
        }
    }

    /// The same call, making the system call even when the socket is known not ready: with
    /// flags the OS may answer at once (`MSG_OOB` without urgent data is `EINVAL`, not a wait).
    pub fn attempting_first(mut self) -> IoCall {
        self.needs = None;
        self
    }

    /// The same call, failing with `BlockingIOError` where it would wait (`MSG_DONTWAIT`).
    pub fn never_waiting(self) -> IoCall {
        IoCall {
            never_wait: true,
            ..self.attempting_first()
        }
    }

    /// The waiting task stopped waiting without the operation completing (it was cancelled):
    /// release what the operation pins (a `recv_into` buffer), so the caller's object is free
    /// at once, not when the awaitable happens to be freed.
    pub fn abandon(&self) {
        let mut op = lock(&self.op);
        if let IoOp::RecvInto { buffer, .. } = &mut *op {
            drop(buffer.take());
        }
    }

    /// Attempts the operation once (again at once after `EINTR` when it must not wait).
    /// `may_take`: see `Attempting::may_take`.
    pub fn attempt(
        &self,
        py: Python<'_>,
        net: &dyn Net,
        may_take: &mut dyn FnMut() -> bool,
    ) -> Attempt {
        let mut op = lock(&self.op);
        let mut at = Attempting {
            py,
            net,
            id: self.socket,
            readiness: &self.readiness,
            stream: self.stream,
            may_take,
        };
        loop {
            match op.attempt(&mut at) {
                Attempt::Wait(_, e) if self.never_wait => {
                    if e.kind() == io::ErrorKind::Interrupted {
                        continue;
                    }
                    return Attempt::Done(Err(os_error(py, &e)));
                }
                Attempt::Drained(result) if !self.stream => return Attempt::Done(result),
                attempt => return attempt,
            }
        }
    }
}

/// Attempts `call` until it completes or waits; returns the wait registration if it waits.
pub fn drive(
    py: Python<'_>,
    task: &Arc<Task>,
    call: &IoCall,
) -> Result<Resume, (Arc<Readiness>, Interest, WaiterKey)> {
    let net = match task.core.net() {
        Ok(net) => net,
        Err(err) => return Ok(Resume::throw(py, err)),
    };
    let needs = call.needs;
    let readiness = &call.readiness;
    // What the operation decided by taking (an operation branch's select), applied unlocked.
    let decided: Cell<Option<Decisions>> = Cell::new(None);
    let mut may_take = || match operation_completes(task) {
        Some(decisions) => {
            decided.set(Some(decisions));
            true
        }
        None => false,
    };
    loop {
        let (generation, ready) = readiness.snapshot(needs.unwrap_or(Interest::Write));
        let attempt = match needs {
            // Known not ready: wait for the next event instead of a syscall that would block.
            // (The error is never surfaced: calls that never wait have no `needs`.)
            Some(interest) if !ready => Attempt::Wait(interest, io::ErrorKind::WouldBlock.into()),
            _ => call.attempt(py, net, &mut may_take),
        };
        if let Some(decisions) = decided.take() {
            decisions.apply();
        }
        match attempt {
            Attempt::Refused => return Ok(refused(task)),
            Attempt::Done(result) => return Ok(Resume::from_result(py, result)),
            Attempt::Drained(result) => {
                if let Some(interest) = needs {
                    readiness.clear(interest, generation);
                }
                return Ok(Resume::from_result(py, result));
            }
            Attempt::Wait(interest, _) => {
                if let Some(key) =
                    readiness.wait(interest, generation, || Waker::begin(task).into())
                {
                    return Err((readiness.clone(), interest, key));
                }
            }
        }
    }
}

impl IoRetry for IoCall {
    fn retry(
        &self,
        py: Python<'_>,
        task: &Arc<Task>,
    ) -> Result<Resume, (Arc<Readiness>, Interest, WaiterKey)> {
        drive(py, task, self)
    }

    fn abandon(&self) {
        IoCall::abandon(self)
    }
}

/// One attempt outside the driver (the colored flavour's eager path): the result if the
/// operation completed at once, `None` if the task must go through the driver and wait. An
/// attempt that would block clears the readiness it needs, so the driver then waits for the
/// next event without a second syscall.
pub fn try_now(py: Python<'_>, net: &dyn Net, call: &IoCall) -> Option<PyResult<Py<PyAny>>> {
    let needs = call.needs?;
    let readiness = &call.readiness;
    let (generation, ready) = readiness.snapshot(needs);
    if !ready {
        return None;
    }
    // Never an operation branch here (`bindings::eager`): whatever it takes, it keeps.
    match call.attempt(py, net, &mut || true) {
        Attempt::Done(result) => Some(result),
        Attempt::Drained(result) => {
            readiness.clear(needs, generation);
            Some(result)
        }
        Attempt::Wait(interest, _) => {
            readiness.clear(interest, generation);
            None
        }
        Attempt::Refused => None,
    }
}

/// Starts an I/O suspension (called by `Suspend::start`).
pub fn start(py: Python<'_>, task: &Arc<Task>, body: &mut TaskBody, call: &Arc<IoCall>) -> Started {
    match drive(py, task, call) {
        Ok(resume) => Started::Ready(resume),
        Err((readiness, interest, key)) => {
            body.wait = Registration::Io {
                call: call.clone(),
                readiness,
                interest,
                key,
            };
            Started::Pending
        }
    }
}
