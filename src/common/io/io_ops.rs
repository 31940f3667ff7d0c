//! The socket operations behind an `IoCall` (see `drive::io_call`): what one attempt of each does.
//!
//! An attempt completes (`Done`), or reports the readiness to wait for when the socket would
//! block (`Wait`), or, when what it took must not be kept, hands it back to the socket
//! (`Refused`, see `handed_back.rs`). `flags` are the OS's `MSG_*` bits as the stdlib passes
//! them, handed to the `Net` unchanged.

use std::cell::RefCell;
use std::io;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};

use crate::common::io::buffer::WritableBuffer;
use crate::common::io::handed_back::{HandedBack, Served};
use crate::common::io::net::{Address, Net, SocketId};
use crate::common::io::net_convert::{address_to_py, os_error};
use crate::common::io::readiness::{Interest, Readiness};

/// Wraps an accepted socket id into the Python object `accept` evaluates to (provided by the
/// bindings: a socket, or a stream around it).
pub type WrapSocket =
    Box<dyn Fn(Python<'_>, SocketId, &Address) -> PyResult<Py<PyAny>> + Send + Sync>;

pub enum IoOp {
    Recv {
        max: usize,
        flags: i32,
    },
    /// `buffer` is held from the call until the receive completes (then `None`): see
    /// `buffer.rs`. `nbytes` is at most its length (0: all of it).
    RecvInto {
        buffer: Option<WritableBuffer>,
        nbytes: usize,
        flags: i32,
    },
    RecvFrom {
        max: usize,
        flags: i32,
    },
    Send {
        data: Vec<u8>,
        flags: i32,
    },
    SendAll {
        data: Vec<u8>,
        sent: usize,
        flags: i32,
    },
    SendTo {
        data: Vec<u8>,
        address: Address,
        flags: i32,
    },
    Accept {
        wrap: WrapSocket,
    },
    Connect {
        address: Address,
        started: bool,
    },
}

/// What one attempt did.
pub enum Attempt {
    Done(PyResult<Py<PyAny>>),
    /// Completed, and may have drained the readiness it used: a read that returned less than
    /// asked, a send that took less than offered. On a stream socket that means the OS buffer
    /// is now empty (full), so the next attempt should wait for the next event instead of
    /// making a system call that would block; `IoCall::attempt` keeps this only for streams
    /// (a short datagram says nothing about the datagrams queued behind it).
    Drained(PyResult<Py<PyAny>>),
    /// Would block: wait for this readiness, then attempt again. `error` is the `WouldBlock`
    /// error, for callers that do not wait (`MSG_DONTWAIT`).
    Wait(Interest, io::Error),
    /// Took something it must not keep (`Attempting::may_take`) and handed it back: the task
    /// is being cancelled and takes nothing.
    Refused,
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

/// A transfer of `n` bytes out of `asked` that stopped short (not at end of stream: `0` means
/// the peer closed, which stays readable).
fn short(n: usize, asked: usize) -> bool {
    n > 0 && n < asked
}

fn would_block(err: &io::Error) -> bool {
    err.kind() == io::ErrorKind::WouldBlock || err.kind() == io::ErrorKind::Interrupted
}

/// A count as a Python int.
fn count(py: Python<'_>, n: usize) -> Py<PyAny> {
    n.into_pyobject(py)
        .map_or_else(|e| match e {}, |v| v.into_any().unbind())
}

/// `data[..n]` as `bytes`; `n` may exceed the buffer (`MSG_TRUNC` reports a datagram's real
/// length), the data cannot.
fn received(py: Python<'_>, data: &[u8], n: usize) -> Py<PyAny> {
    PyBytes::new(py, &data[..n.min(data.len())])
        .into_any()
        .unbind()
}

/// What an attempt works on besides the operation itself.
pub struct Attempting<'a, 'py> {
    pub py: Python<'py>,
    pub net: &'a dyn Net,
    pub id: SocketId,
    /// The socket's readiness, which also keeps what refused operations handed back.
    pub readiness: &'a Readiness,
    /// The socket is a stream (handed-back bytes are a run, not datagrams).
    pub stream: bool,
    /// Asked once the operation took something (bytes, a connection): false if it must not keep
    /// it, because it is a select branch or timeout body that lost (`run::decision`); the
    /// operation then hands it back to the socket and reports `Attempt::Refused`.
    pub may_take: &'a mut dyn FnMut() -> bool,
}

impl Attempting<'_, '_> {
    /// Asks `may_take` about what the operation took; if refused, hands it back (`taken` makes
    /// the item only then: a kept read copies nothing) and wakes the socket's readers. An empty
    /// read of a stream (its end) takes nothing to give back.
    fn keeps(&mut self, taken: impl FnOnce() -> HandedBack) -> bool {
        if (self.may_take)() {
            return true;
        }
        let taken = taken();
        let end_of_stream =
            self.stream && matches!(&taken, HandedBack::Received { data, .. } if data.is_empty());
        if !end_of_stream {
            for waiter in self.readiness.hand_back(taken) {
                waiter.wake();
            }
        }
        false
    }

    /// Takes a read of at most `max` bytes from what was handed back, unless the flags ask for
    /// the OS itself (`MSG_OOB`). A peek leaves it there.
    fn serve_handed_back(&self, max: usize, flags: i32) -> Option<Served> {
        if flags & libc::MSG_OOB != 0 {
            return None;
        }
        self.readiness
            .serve_handed_back(max, self.stream, peeks(flags))
    }

    /// Keeps bytes `data` read from the OS (`from`: the sender, for `recvfrom`), unless the
    /// operation must hand them back. A peek takes nothing.
    fn keeps_read(&mut self, data: &[u8], from: Option<&Address>, flags: i32) -> bool {
        peeks(flags)
            || self.keeps(|| HandedBack::Received {
                data: data.to_vec(),
                from: from.cloned(),
            })
    }

    /// Keeps a read served from what was handed back, or gives it back again.
    fn keeps_served(&mut self, served: &Served, flags: i32) -> bool {
        self.keeps_read(&served.data, served.from.as_ref(), flags)
    }
}

fn peeks(flags: i32) -> bool {
    flags & libc::MSG_PEEK != 0
}

impl IoOp {
    /// The readiness the operation waits for when it would block; `None` for `connect`, whose
    /// first attempt must always be made.
    pub fn needs(&self) -> Option<Interest> {
        match self {
            IoOp::Recv { .. }
            | IoOp::RecvInto { .. }
            | IoOp::RecvFrom { .. }
            | IoOp::Accept { .. } => Some(Interest::Read),
            IoOp::Send { .. } | IoOp::SendAll { .. } | IoOp::SendTo { .. } => Some(Interest::Write),
            IoOp::Connect { .. } => None,
        }
    }

    /// Attempts the operation once. A receive or accept is first served what an earlier,
    /// refused one handed back (`handed_back.rs`).
    pub fn attempt(&mut self, at: &mut Attempting<'_, '_>) -> Attempt {
        let py = at.py;
        let done =
            |result: io::Result<Py<PyAny>>| Attempt::Done(result.map_err(|e| os_error(py, &e)));
        match self {
            IoOp::Recv { max, flags } => recv(at, *max, *flags),
            IoOp::RecvInto {
                buffer,
                nbytes,
                flags,
            } => recv_into(at, buffer, *nbytes, *flags),
            IoOp::RecvFrom { max, flags } => recv_from(at, *max, *flags),
            IoOp::Send { data, flags } => match at.net.send(at.id, data, *flags) {
                Err(e) if would_block(&e) => Attempt::Wait(Interest::Write, e),
                Ok(n) if short(n, data.len()) => Attempt::Drained(Ok(count(py, n))),
                result => done(result.map(|n| count(py, n))),
            },
            IoOp::SendAll { data, sent, flags } => {
                while *sent < data.len() {
                    match at.net.send(at.id, &data[*sent..], *flags) {
                        Ok(n) => *sent += n,
                        Err(e) if would_block(&e) => return Attempt::Wait(Interest::Write, e),
                        Err(e) => return done(Err(e)),
                    }
                }
                Attempt::Done(Ok(py.None()))
            }
            IoOp::SendTo {
                data,
                address,
                flags,
            } => match at.net.send_to(at.id, data, address, *flags) {
                Err(e) if would_block(&e) => Attempt::Wait(Interest::Write, e),
                result => done(result.map(|n| count(py, n))),
            },
            IoOp::Accept { wrap } => {
                let (client, address) = match at.readiness.serve_handed_back_accept() {
                    Some(accepted) => accepted,
                    None => match at.net.accept(at.id) {
                        Err(e) if would_block(&e) => return Attempt::Wait(Interest::Read, e),
                        Err(e) => return done(Err(e)),
                        Ok(accepted) => accepted,
                    },
                };
                let taken = || HandedBack::Accepted {
                    id: client,
                    address: address.clone(),
                };
                if !at.keeps(taken) {
                    return Attempt::Refused;
                }
                Attempt::Done(wrap(py, client, &address))
            }
            IoOp::Connect { address, started } => {
                let result = if *started {
                    at.net.connect_result(at.id)
                } else {
                    at.net.connect(at.id, address)
                };
                *started = true;
                match result {
                    Err(e) if would_block(&e) => Attempt::Wait(Interest::Write, e),
                    result => done(result.map(|()| py.None())),
                }
            }
        }
    }
}

/// `recv`: from what was handed back, else from the OS.
fn recv(at: &mut Attempting<'_, '_>, max: usize, flags: i32) -> Attempt {
    let py = at.py;
    if let Some(served) = at.serve_handed_back(max, flags) {
        if !at.keeps_served(&served, flags) {
            return Attempt::Refused;
        }
        return Attempt::Done(Ok(received(py, &served.data, served.data.len())));
    }
    with_scratch(max, |buffer| match at.net.recv(at.id, buffer, flags) {
        Err(e) if would_block(&e) => Attempt::Wait(Interest::Read, e),
        Err(e) => Attempt::Done(Err(os_error(py, &e))),
        Ok(n) => {
            if !at.keeps_read(&buffer[..n.min(buffer.len())], None, flags) {
                return Attempt::Refused;
            }
            let data = received(py, buffer, n);
            if short(n, buffer.len()) {
                Attempt::Drained(Ok(data))
            } else {
                Attempt::Done(Ok(data))
            }
        }
    })
}

/// `recvfrom`: from what was handed back (a read that had no sender reports the peer's
/// address), else from the OS.
fn recv_from(at: &mut Attempting<'_, '_>, max: usize, flags: i32) -> Attempt {
    let py = at.py;
    let with_address = |data: Py<PyAny>, address: &Address| -> Attempt {
        Attempt::Done(
            address_to_py(py, address)
                .and_then(|addr| Ok(PyTuple::new(py, [data, addr])?.into_any().unbind())),
        )
    };
    if let Some(served) = at.serve_handed_back(max, flags) {
        if !at.keeps_served(&served, flags) {
            return Attempt::Refused;
        }
        let data = received(py, &served.data, served.data.len());
        let from = match served.from {
            Some(from) => from,
            None => at.net.peer_addr(at.id).unwrap_or(Address::UnixUnnamed),
        };
        return with_address(data, &from);
    }
    with_scratch(max, |buffer| match at.net.recv_from(at.id, buffer, flags) {
        Err(e) if would_block(&e) => Attempt::Wait(Interest::Read, e),
        Err(e) => Attempt::Done(Err(os_error(py, &e))),
        Ok((n, address)) => {
            if !at.keeps_read(&buffer[..n.min(buffer.len())], Some(&address), flags) {
                return Attempt::Refused;
            }
            with_address(received(py, buffer, n), &address)
        }
    })
}

/// Receives into the held buffer; the buffer is released once the receive completed. Evaluates
/// to the count the OS reports (with `MSG_TRUNC`, a datagram's real length, as the stdlib).
fn recv_into(
    at: &mut Attempting<'_, '_>,
    held: &mut Option<WritableBuffer>,
    nbytes: usize,
    flags: i32,
) -> Attempt {
    let py = at.py;
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
    let target = buffer.prefix_mut(length);
    let asked = target.len();
    if let Some(served) = at.serve_handed_back(asked, flags) {
        if !at.keeps_served(&served, flags) {
            return Attempt::Refused;
        }
        target[..served.data.len()].copy_from_slice(&served.data);
        drop(held.take());
        return Attempt::Done(Ok(count(py, served.data.len())));
    }
    match at.net.recv(at.id, target, flags) {
        Err(e) if would_block(&e) => Attempt::Wait(Interest::Read, e),
        result => {
            if let Ok(n) = result {
                let data = &target[..n.min(asked)];
                if !at.keeps_read(data, None, flags) {
                    return Attempt::Refused;
                }
            }
            // Done: release the buffer now (attached), so the caller may resize it at once.
            drop(held.take());
            let drained = matches!(result, Ok(n) if short(n, asked));
            let result = result.map(|n| count(py, n)).map_err(|e| os_error(py, &e));
            if drained {
                Attempt::Drained(result)
            } else {
                Attempt::Done(result)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_read_size_gets_a_buffer_of_max_read() {
        assert_eq!(with_scratch(usize::MAX, |buffer| buffer.len()), MAX_READ);
        assert_eq!(with_scratch(1 << 40, |buffer| buffer.len()), MAX_READ);
    }

    #[test]
    fn a_small_read_size_gets_exactly_that_after_a_big_one() {
        assert_eq!(with_scratch(MAX_READ, |buffer| buffer.len()), MAX_READ);
        assert_eq!(with_scratch(10, |buffer| buffer.len()), 10);
        assert_eq!(with_scratch(0, |buffer| buffer.len()), 0);
    }
}
