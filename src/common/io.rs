//! Socket operations as awaitables.
//!
//! An [`IoCall`] is one operation (recv, send, sendall, accept, connect, ...) on a socket of
//! the platform's `Net`. The driver attempts it; if it would block, the task waits on the
//! socket's `Readiness` and attempts it again when woken (see `readiness.rs` for why no
//! wake-up can be lost). A cancelled wait just unqueues the task: the socket stays usable.

use std::cell::RefCell;
use std::io;
use std::sync::{Arc, Mutex};

use pyo3::exceptions::{PyOSError, PyRuntimeError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};

use super::buffer::WritableBuffer;
use super::net::{Address, Net, SocketId};
use super::outcome::Resume;
use super::readiness::{Interest, Readiness};
use super::registration::Registration;
use super::suspend::Started;
use super::task::{Task, TaskBody, Waker};
use super::util::lock;
use super::waitqueue::WaiterKey;

/// Wraps an accepted socket id into the Python object `accept` evaluates to (provided by the
/// bindings: a socket, or a stream around it).
pub type WrapSocket =
    Box<dyn Fn(Python<'_>, SocketId, &Address) -> PyResult<Py<PyAny>> + Send + Sync>;

pub enum IoOp {
    Recv {
        max: usize,
    },
    /// `buffer` is held from the call until the receive completes (then `None`): see
    /// `buffer.rs`. `nbytes` is at most its length.
    RecvInto {
        buffer: Option<WritableBuffer>,
        nbytes: usize,
    },
    RecvFrom {
        max: usize,
    },
    Send {
        data: Vec<u8>,
    },
    SendAll {
        data: Vec<u8>,
        sent: usize,
    },
    SendTo {
        data: Vec<u8>,
        address: Address,
    },
    Accept {
        wrap: WrapSocket,
    },
    Connect {
        address: Address,
        started: bool,
    },
}

pub struct IoCall {
    pub socket: SocketId,
    /// The socket's readiness tracker (looked up once, when the socket was created).
    readiness: Arc<Readiness>,
    /// The readiness the operation needs, when waiting for it first is always right.
    needs: Option<Interest>,
    pub op: Mutex<IoOp>,
}

/// What one attempt did.
pub enum Attempt {
    Done(PyResult<Py<PyAny>>),
    /// Completed, and drained the readiness it used (a read shorter than asked).
    Drained(PyResult<Py<PyAny>>),
    Wait(Interest),
}

/// The most one `recv`/`recvfrom` reads, whatever size was asked: a read may always return less
/// than asked, and the scratch buffer must not grow to a user-chosen size (`recv(2**40)` would
/// abort the process on the failed allocation). Measured on loopback TCP (2 cores, 512 MiB
/// transfer): one read returns at most ~240 KiB, and reads of 256 KiB, 1 MiB or 4 MiB moved
/// data no faster than 64 KiB ones, so 256 KiB costs nothing and bounds each worker's buffer.
/// Larger than any UDP datagram (64 KiB) and than Linux's default Unix datagram limit.
pub const MAX_READ: usize = 256 * 1024;

thread_local! {
    /// Scratch buffer for `recv`/`recvfrom` (at most `MAX_READ` bytes): data is copied out into
    /// the `bytes` result.
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Runs `read` on this thread's scratch buffer cut to `min(max, MAX_READ)` bytes.
fn with_scratch<R>(max: usize, read: impl FnOnce(&mut [u8]) -> R) -> R {
    let len = max.min(MAX_READ);
    SCRATCH.with(|scratch| {
        let mut buffer = scratch.borrow_mut();
        if buffer.len() < len {
            buffer.resize(len, 0);
        }
        read(&mut buffer[..len])
    })
}

/// An `io::Error` as the stdlib's `OSError` subclass for its errno (ConnectionRefusedError, ...).
pub fn os_error(py: Python<'_>, err: &io::Error) -> PyErr {
    let Some(errno) = err.raw_os_error() else {
        return PyOSError::new_err(err.to_string());
    };
    let message = io::Error::from_raw_os_error(errno).to_string();
    let message = message
        .split(" (os error")
        .next()
        .unwrap_or(&message)
        .to_owned();
    match py.get_type::<PyOSError>().call1((errno, message)) {
        Ok(exc) => PyErr::from_value(exc),
        Err(err) => err,
    }
}

/// An address as Python sees it: `(host, port)` or a path string.
pub fn address_to_py(py: Python<'_>, address: &Address) -> PyResult<Py<PyAny>> {
    Ok(match address {
        Address::Inet(addr) => match addr {
            std::net::SocketAddr::V4(v4) => (v4.ip().to_string(), v4.port())
                .into_pyobject(py)?
                .into_any()
                .unbind(),
            std::net::SocketAddr::V6(v6) => {
                (v6.ip().to_string(), v6.port(), v6.flowinfo(), v6.scope_id())
                    .into_pyobject(py)?
                    .into_any()
                    .unbind()
            }
        },
        Address::Unix(path) => path
            .to_string_lossy()
            .into_owned()
            .into_pyobject(py)?
            .into_any()
            .unbind(),
        Address::UnixUnnamed => "".into_pyobject(py)?.into_any().unbind(),
    })
}

fn would_block(err: &io::Error) -> bool {
    err.kind() == io::ErrorKind::WouldBlock || err.kind() == io::ErrorKind::Interrupted
}

impl IoCall {
    pub fn new(socket: SocketId, readiness: Arc<Readiness>, op: IoOp) -> IoCall {
        let needs = match &op {
            IoOp::Recv { .. }
            | IoOp::RecvInto { .. }
            | IoOp::RecvFrom { .. }
            | IoOp::Accept { .. } => Some(Interest::Read),
            IoOp::Send { .. } | IoOp::SendAll { .. } | IoOp::SendTo { .. } => Some(Interest::Write),
            IoOp::Connect { .. } => None,
        };
        IoCall {
            socket,
            readiness,
            needs,
            op: Mutex::new(op),
        }
    }

    /// Attempts the operation once.
    pub fn attempt(&self, py: Python<'_>, net: &dyn Net) -> Attempt {
        let mut op = lock(&self.op);
        let id = self.socket;
        let done =
            |result: io::Result<Py<PyAny>>| Attempt::Done(result.map_err(|e| os_error(py, &e)));
        match &mut *op {
            IoOp::Recv { max } => with_scratch(*max, |buffer| match net.recv(id, buffer) {
                Err(e) if would_block(&e) => Attempt::Wait(Interest::Read),
                result => done(result.map(|n| {
                    let n = n.min(buffer.len());
                    PyBytes::new(py, &buffer[..n]).into_any().unbind()
                })),
            }),
            IoOp::RecvInto { buffer, nbytes } => recv_into(py, net, id, buffer, *nbytes),
            IoOp::RecvFrom { max } => {
                with_scratch(*max, |buffer| match net.recv_from(id, buffer) {
                    Err(e) if would_block(&e) => Attempt::Wait(Interest::Read),
                    Err(e) => done(Err(e)),
                    Ok((n, address)) => {
                        let data = PyBytes::new(py, &buffer[..n.min(buffer.len())]);
                        Attempt::Done(address_to_py(py, &address).and_then(|addr| {
                            Ok(PyTuple::new(py, [data.into_any().unbind(), addr])?
                                .into_any()
                                .unbind())
                        }))
                    }
                })
            }
            IoOp::Send { data } => match net.send(id, data) {
                Err(e) if would_block(&e) => Attempt::Wait(Interest::Write),
                result => done(result.map(|n| {
                    n.into_pyobject(py)
                        .map_or_else(|_| py.None(), |v| v.into_any().unbind())
                })),
            },
            IoOp::SendAll { data, sent } => {
                while *sent < data.len() {
                    match net.send(id, &data[*sent..]) {
                        Ok(n) => *sent += n,
                        Err(e) if would_block(&e) => return Attempt::Wait(Interest::Write),
                        Err(e) => return done(Err(e)),
                    }
                }
                Attempt::Done(Ok(py.None()))
            }
            IoOp::SendTo { data, address } => match net.send_to(id, data, address) {
                Err(e) if would_block(&e) => Attempt::Wait(Interest::Write),
                result => done(result.map(|n| {
                    n.into_pyobject(py)
                        .map_or_else(|_| py.None(), |v| v.into_any().unbind())
                })),
            },
            IoOp::Accept { wrap } => match net.accept(id) {
                Err(e) if would_block(&e) => Attempt::Wait(Interest::Read),
                Err(e) => done(Err(e)),
                Ok((client, address)) => Attempt::Done(wrap(py, client, &address)),
            },
            IoOp::Connect { address, started } => {
                let result = if *started {
                    net.connect_result(id)
                } else {
                    net.connect(id, address)
                };
                *started = true;
                match result {
                    Err(e) if would_block(&e) => Attempt::Wait(Interest::Write),
                    result => done(result.map(|()| py.None())),
                }
            }
        }
    }
}

/// Receives into the held buffer; the buffer is released once the receive completed.
fn recv_into(
    py: Python<'_>,
    net: &dyn Net,
    id: SocketId,
    held: &mut Option<WritableBuffer>,
    nbytes: usize,
) -> Attempt {
    let Some(buffer) = held.as_mut() else {
        return Attempt::Done(Err(PyRuntimeError::new_err(
            "recv_into: this awaitable already completed; call recv_into again",
        )));
    };
    let length = if nbytes == 0 {
        buffer.byte_len()
    } else {
        nbytes
    };
    let result = net.recv(id, buffer.prefix_mut(length));
    if matches!(&result, Err(e) if would_block(e)) {
        return Attempt::Wait(Interest::Read);
    }
    // Done: release the buffer now (attached), so the caller may resize it at once.
    drop(held.take());
    Attempt::Done(match result {
        Err(e) => Err(os_error(py, &e)),
        Ok(n) => Ok(n
            .into_pyobject(py)
            .map_or_else(|e| match e {}, |v| v.into_any().unbind())),
    })
}

/// Attempts `call` until it completes or waits; returns the wait registration if it waits.
pub fn drive(
    py: Python<'_>,
    task: &Arc<Task>,
    call: &Arc<IoCall>,
) -> Result<Resume, (Arc<Readiness>, Interest, WaiterKey)> {
    let Some(net) = task.core.platform.net() else {
        let err = PyRuntimeError::new_err(format!(
            "the {} platform has no network",
            task.core.platform.name()
        ));
        return Ok(Resume::Throw(err.into_value(py).into_any()));
    };
    let needs = call.needs;
    let readiness = &call.readiness;
    loop {
        let (generation, ready) = readiness.snapshot(needs.unwrap_or(Interest::Write));
        let attempt = match needs {
            // Known not ready: wait for the next event instead of a syscall that would block.
            Some(interest) if !ready => Attempt::Wait(interest),
            _ => call.attempt(py, net),
        };
        match attempt {
            Attempt::Done(result) => return Ok(Resume::from_result(py, result)),
            Attempt::Drained(result) => {
                if let Some(interest) = needs {
                    readiness.clear(interest, generation);
                }
                return Ok(Resume::from_result(py, result));
            }
            Attempt::Wait(interest) => {
                if let Some(key) = readiness.wait(interest, generation, || Waker::begin(task)) {
                    return Err((readiness.clone(), interest, key));
                }
            }
        }
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
    match call.attempt(py, net) {
        Attempt::Done(result) => Some(result),
        Attempt::Drained(result) => {
            readiness.clear(needs, generation);
            Some(result)
        }
        Attempt::Wait(interest) => {
            readiness.clear(interest, generation);
            None
        }
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
