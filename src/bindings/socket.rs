//! `tonio.net.socket.socket`: the stdlib socket API with awaitable blocking methods.
//!
//! `bind`, `connect`, `accept`, `recv`, `recv_into`, `recvfrom`, `send`, `sendall`, `sendto`
//! return awaitables (yield them or await them); `listen`, `setsockopt`, `getsockopt`,
//! `getsockname`, `getpeername`, `shutdown`, `close`, `fileno` are plain calls. Errors are the
//! stdlib's `OSError` subclasses with the OS errno. A socket belongs to the run that created
//! it: sockets still open when the run ends are closed.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyTuple};

use super::address::{data_arg, parse_address, resolve_then, Parsed};
use super::args::{c_int_arg, i32_arg, int_arg, size_arg};
use super::socket_args::{
    family_from, family_number, kind_from, kind_number, optional_c_int, optional_i32,
};
use super::suspension::awaitable;
use crate::common::drive::io_call::IoCall;
use crate::common::drive::suspend::SuspendKind;
use crate::common::io::buffer::WritableBuffer;
use crate::common::io::handed_back::HandedBack;
use crate::common::io::io_ops::{Attempt, IoOp, WrapSocket};
use crate::common::io::net::{bad_socket, Family, Kind, Net, Shutdown, SocketId};
use crate::common::io::net_convert::{address_to_py, os_error};
use crate::common::io::readiness::Readiness;
use crate::common::run::core::RuntimeCore;
use crate::common::run::current;

/// A non-blocking socket of the running tonio runtime.
#[pyclass(frozen, module = "tonio._tonio", name = "socket")]
pub struct Socket {
    core: Arc<RuntimeCore>,
    id: SocketId,
    /// The socket's readiness tracker, handed to each operation.
    readiness: Arc<Readiness>,
    family: Family,
    kind: Kind,
    proto: i32,
    closed: AtomicBool,
}

impl Socket {
    /// Wraps socket `id` of the run's network (its readiness tracker is looked up once here).
    pub fn new(
        py: Python<'_>,
        core: Arc<RuntimeCore>,
        id: SocketId,
        family: Family,
        kind: Kind,
        proto: i32,
    ) -> PyResult<Socket> {
        let readiness = match core.platform.net() {
            Some(net) => net.readiness(id).map_err(|e| os_error(py, &e))?,
            None => return Err(os_error(py, &bad_socket())),
        };
        Ok(Socket {
            core,
            id,
            readiness,
            family,
            kind,
            proto,
            closed: AtomicBool::new(false),
        })
    }

    fn net(&self) -> PyResult<&dyn Net> {
        self.core.net()
    }

    /// Runs `op` on this socket in the run's network, as a Python result (`OSError` subclass
    /// with the errno on failure).
    fn net_call<T>(
        &self,
        py: Python<'_>,
        op: impl FnOnce(&dyn Net, SocketId) -> std::io::Result<T>,
    ) -> PyResult<T> {
        op(self.net()?, self.id).map_err(|e| os_error(py, &e))
    }

    fn check_open(&self, py: Python<'_>) -> PyResult<()> {
        if self.closed.load(Ordering::Acquire) {
            return Err(os_error(py, &bad_socket()));
        }
        Ok(())
    }

    /// A Python address for this socket's family.
    fn address_arg(&self, value: &Bound<'_, PyAny>, what: &str) -> PyResult<Parsed> {
        parse_address(self.family, value, what)
    }

    fn io(&self, py: Python<'_>, op: IoOp) -> PyResult<Py<PyAny>> {
        self.io_with_flags(py, op, 0)
    }

    /// An operation whose `flags` go to the OS. With flags every attempt makes the system call
    /// (the OS may refuse them at once); with `MSG_DONTWAIT` it raises `BlockingIOError` where it
    /// would wait, as a blocking stdlib socket does.
    fn io_with_flags(&self, py: Python<'_>, op: IoOp, flags: i32) -> PyResult<Py<PyAny>> {
        self.check_open(py)?;
        let mut call = IoCall::new(
            self.id,
            self.readiness.clone(),
            self.kind == Kind::Stream,
            op,
        );
        if flags & libc::MSG_DONTWAIT != 0 {
            call = call.never_waiting();
        } else if flags != 0 {
            call = call.attempting_first();
        }
        awaitable(py, SuspendKind::Io(Arc::new(call)))
    }

    /// Attempts `op` once, outside any task: its result, or `None` where it would wait.
    fn attempt_now(&self, py: Python<'_>, op: IoOp) -> PyResult<Option<Py<PyAny>>> {
        self.check_open(py)?;
        let call = IoCall::new(
            self.id,
            self.readiness.clone(),
            self.kind == Kind::Stream,
            op,
        );
        // Outside a task nothing is a select branch: whatever it takes, it keeps.
        match call.attempt(py, self.net()?, &mut || true) {
            Attempt::Done(result) | Attempt::Drained(result) => result.map(Some),
            Attempt::Wait(..) | Attempt::Refused => Ok(None),
        }
    }

    /// `accept()` that wraps each accepted socket with `factory(socket)` (used by listeners).
    pub fn accept_with(&self, py: Python<'_>, factory: Option<Py<PyAny>>) -> PyResult<Py<PyAny>> {
        let core = self.core.clone();
        let (family, kind, proto) = (self.family, self.kind, self.proto);
        let wrap: WrapSocket = Box::new(move |py, id, address| {
            let socket =
                Py::new(py, Socket::new(py, core.clone(), id, family, kind, proto)?)?.into_any();
            match &factory {
                Some(factory) => Ok(factory.call1(py, (socket,))?),
                None => Ok(PyTuple::new(py, [socket, address_to_py(py, address)?])?
                    .into_any()
                    .unbind()),
            }
        });
        self.io(py, IoOp::Accept { wrap })
    }
}

#[pymethods]
impl Socket {
    #[new]
    #[pyo3(signature = (family=None, r#type=None, proto=None, fileno=None))]
    fn py_new(
        family: Option<Bound<'_, PyAny>>,
        r#type: Option<Bound<'_, PyAny>>,
        proto: Option<Bound<'_, PyAny>>,
        fileno: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let family = family_from(optional_i32(family.as_ref(), "family", libc::AF_INET)?)?;
        let kind = kind_from(optional_i32(r#type.as_ref(), "type", libc::SOCK_STREAM)?)?;
        let proto = optional_i32(proto.as_ref(), "proto", 0)?;
        let core = current::require("socket.socket()")?;
        let net = core.net()?;
        if let Some(fileno) = fileno.filter(|f| !f.is_none()) {
            // The stdlib's contract: the socket takes the descriptor over (closes it), and
            // family/type/proto come from the descriptor itself.
            let fd: i64 = super::args::int_arg(&fileno, "fileno")?;
            return Python::attach(|py| {
                let (id, family, kind, proto) =
                    net.adopt_descriptor(fd).map_err(|e| os_error(py, &e))?;
                Socket::new(py, core.clone(), id, family, kind, proto)
            });
        }
        Python::attach(|py| {
            let id = net
                .open(family, kind, proto)
                .map_err(|e| os_error(py, &e))?;
            Socket::new(py, core.clone(), id, family, kind, proto)
        })
    }

    /// Awaitable: binds to `address`. An IP literal or a path is bound at once (the awaitable
    /// is ready); a host name is resolved on the blocking pool when awaited, then bound.
    fn bind(slf: &Bound<'_, Self>, address: Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let (this, py) = (slf.get(), slf.py());
        this.check_open(py)?;
        match this.address_arg(&address, "bind: address")? {
            Parsed::Address(parsed) => {
                this.net_call(py, |net, id| net.bind(id, &parsed))?;
                awaitable(py, SuspendKind::Value(py.None()))
            }
            Parsed::HostName => resolve_then(slf.as_any(), &address, "bind", &[]),
        }
    }

    /// Starts listening for connections.
    #[pyo3(signature = (backlog=None))]
    fn listen(&self, py: Python<'_>, backlog: Option<Bound<'_, PyAny>>) -> PyResult<()> {
        let backlog = optional_c_int(backlog.as_ref(), "listen: backlog", 128)?;
        self.check_open(py)?;
        self.net_call(py, |net, id| net.listen(id, backlog.max(0)))
    }

    /// Awaitable: connects to `address` (a host name is resolved on the blocking pool first).
    fn connect(slf: &Bound<'_, Self>, address: Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let (this, py) = (slf.get(), slf.py());
        this.check_open(py)?;
        match this.address_arg(&address, "connect: address")? {
            Parsed::Address(parsed) => {
                let op = IoOp::Connect {
                    address: parsed,
                    started: false,
                };
                this.io(py, op)
            }
            Parsed::HostName => resolve_then(slf.as_any(), &address, "connect", &[]),
        }
    }

    /// Awaitable: evaluates to `(socket, address)` for the next connection.
    fn accept(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.accept_with(py, None)
    }

    /// Awaitable used by listeners: evaluates to `factory(socket)` for the next connection.
    fn _accept_as(&self, py: Python<'_>, factory: Py<PyAny>) -> PyResult<Py<PyAny>> {
        self.accept_with(py, Some(factory))
    }

    /// Awaitable: evaluates to up to `bufsize` bytes (`b''` at end of stream).
    #[pyo3(signature = (bufsize, flags=None))]
    fn recv(
        &self,
        py: Python<'_>,
        bufsize: Bound<'_, PyAny>,
        flags: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let flags = optional_c_int(flags.as_ref(), "recv: flags", 0)?;
        let max = size_arg(&bufsize, "recv: bufsize")?;
        self.io_with_flags(py, IoOp::Recv { max, flags }, flags)
    }

    /// Receives without waiting (a plain call, for closing TLS streams): up to `bufsize`
    /// bytes, `b''` at end of stream, `None` when nothing has arrived.
    fn _recv_now(&self, py: Python<'_>, bufsize: Bound<'_, PyAny>) -> PyResult<Option<Py<PyAny>>> {
        let max = size_arg(&bufsize, "_recv_now: bufsize")?;
        self.attempt_now(py, IoOp::Recv { max, flags: 0 })
    }

    /// Sends without waiting (a plain call, for closing TLS streams): the count sent, 0 when
    /// the send buffer is full.
    fn _send_now(&self, py: Python<'_>, data: Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let data = data_arg(&data, "_send_now: data")?;
        match self.attempt_now(py, IoOp::Send { data, flags: 0 })? {
            Some(sent) => Ok(sent),
            None => Ok(0i32.into_pyobject(py)?.into_any().unbind()),
        }
    }

    /// Awaitable: receives into `buffer` (any writable contiguous buffer: bytearray,
    /// memoryview, array, ...), evaluates to the byte count. The buffer is held (a bytearray
    /// cannot be resized) until the receive completes.
    #[pyo3(signature = (buffer, nbytes=None, flags=None))]
    fn recv_into(
        &self,
        py: Python<'_>,
        buffer: Bound<'_, PyAny>,
        nbytes: Option<Bound<'_, PyAny>>,
        flags: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let nbytes = match nbytes {
            Some(nbytes) if !nbytes.is_none() => size_arg(&nbytes, "recv_into: nbytes")?,
            _ => 0,
        };
        let flags = optional_c_int(flags.as_ref(), "recv_into: flags", 0)?;
        let buffer = WritableBuffer::get(&buffer, "recv_into: buffer")?;
        if nbytes > buffer.byte_len() {
            return Err(PyValueError::new_err(format!(
                "recv_into: buffer too small for requested bytes ({nbytes} > {})",
                buffer.byte_len()
            )));
        }
        self.io_with_flags(
            py,
            IoOp::RecvInto {
                buffer: Some(buffer),
                nbytes,
                flags,
            },
            flags,
        )
    }

    /// Awaitable: evaluates to `(bytes, address)`.
    #[pyo3(signature = (bufsize, flags=None))]
    fn recvfrom(
        &self,
        py: Python<'_>,
        bufsize: Bound<'_, PyAny>,
        flags: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let flags = optional_c_int(flags.as_ref(), "recvfrom: flags", 0)?;
        let max = size_arg(&bufsize, "recvfrom: bufsize")?;
        self.io_with_flags(py, IoOp::RecvFrom { max, flags }, flags)
    }

    /// Awaitable: sends some of `data`, evaluates to the count sent.
    #[pyo3(signature = (data, flags=None))]
    fn send(
        &self,
        py: Python<'_>,
        data: Bound<'_, PyAny>,
        flags: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let flags = optional_c_int(flags.as_ref(), "send: flags", 0)?;
        let data = data_arg(&data, "send: data")?;
        self.io_with_flags(py, IoOp::Send { data, flags }, flags)
    }

    /// Awaitable: sends all of `data`.
    #[pyo3(signature = (data, flags=None))]
    fn sendall(
        &self,
        py: Python<'_>,
        data: Bound<'_, PyAny>,
        flags: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let flags = optional_c_int(flags.as_ref(), "sendall: flags", 0)?;
        let data = data_arg(&data, "sendall: data")?;
        self.io_with_flags(
            py,
            IoOp::SendAll {
                data,
                sent: 0,
                flags,
            },
            flags,
        )
    }

    /// Awaitable: sends `data` to `address` (datagram sockets): `sendto(data, address)` or
    /// `sendto(data, flags, address)`, as the stdlib.
    #[pyo3(signature = (data, flags_or_address, address=None))]
    fn sendto(
        slf: &Bound<'_, Self>,
        data: Bound<'_, PyAny>,
        flags_or_address: Bound<'_, PyAny>,
        address: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let (this, py) = (slf.get(), slf.py());
        this.check_open(py)?;
        let (flags, address) = match address {
            Some(address) => (c_int_arg(&flags_or_address, "sendto: flags")?, address),
            None => (0, flags_or_address),
        };
        let payload = data_arg(&data, "sendto: data")?;
        match this.address_arg(&address, "sendto: address")? {
            Parsed::Address(parsed) => {
                let op = IoOp::SendTo {
                    data: payload,
                    address: parsed,
                    flags,
                };
                this.io_with_flags(py, op, flags)
            }
            Parsed::HostName => {
                let flags = flags.into_pyobject(py)?.into_any();
                resolve_then(slf.as_any(), &address, "sendto", &[data, flags])
            }
        }
    }

    /// Sets an integer socket option.
    fn setsockopt(
        &self,
        py: Python<'_>,
        level: Bound<'_, PyAny>,
        optname: Bound<'_, PyAny>,
        value: Bound<'_, PyAny>,
    ) -> PyResult<()> {
        self.check_open(py)?;
        let level = i32_arg(&level, "setsockopt: level")?;
        let optname = i32_arg(&optname, "setsockopt: optname")?;
        let value = if value.is_instance_of::<PyBool>() {
            i64::from(value.extract::<bool>()?)
        } else {
            int_arg(&value, "setsockopt: value")?
        };
        let value = i32::try_from(value)
            .map_err(|_| PyValueError::new_err("setsockopt: value out of range"))?;
        self.net_call(py, |net, id| net.set_option(id, level, optname, value))
    }

    /// Reads an integer socket option.
    fn getsockopt(
        &self,
        py: Python<'_>,
        level: Bound<'_, PyAny>,
        optname: Bound<'_, PyAny>,
    ) -> PyResult<i32> {
        let (level, optname) = (
            i32_arg(&level, "getsockopt: level")?,
            i32_arg(&optname, "getsockopt: optname")?,
        );
        self.check_open(py)?;
        self.net_call(py, |net, id| net.get_option(id, level, optname))
    }

    /// The socket's own address: `(host, port)` or a path.
    fn getsockname(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.check_open(py)?;
        let address = self.net_call(py, |net, id| net.local_addr(id))?;
        address_to_py(py, &address)
    }

    /// The address of the connected peer.
    fn getpeername(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.check_open(py)?;
        let address = self.net_call(py, |net, id| net.peer_addr(id))?;
        address_to_py(py, &address)
    }

    /// Shuts down reading (`SHUT_RD`), writing (`SHUT_WR`) or both (`SHUT_RDWR`).
    fn shutdown(&self, py: Python<'_>, how: Bound<'_, PyAny>) -> PyResult<()> {
        let how = i32_arg(&how, "shutdown: how")?;
        self.check_open(py)?;
        let how = match how {
            libc::SHUT_RD => Shutdown::Read,
            libc::SHUT_WR => Shutdown::Write,
            libc::SHUT_RDWR => Shutdown::Both,
            other => {
                return Err(PyValueError::new_err(format!(
                    "shutdown: how must be SHUT_RD, SHUT_WR or SHUT_RDWR, got {other}"
                )))
            }
        };
        self.net_call(py, |net, id| net.shutdown(id, how))
    }

    /// Closes the socket (idempotent); tasks waiting on it get `OSError(EBADF)`. Connections
    /// a refused accept handed back (`handed_back.rs`) and nobody accepted are closed too.
    fn close(&self) {
        if !self.closed.swap(true, Ordering::AcqRel) {
            if let Some(net) = self.core.platform.net() {
                let _ = net.close(self.id);
                for item in self.readiness.drain_handed_back() {
                    if let HandedBack::Accepted { id, .. } = item {
                        let _ = net.close(id);
                    }
                }
            }
        }
    }

    /// The OS descriptor (-1 once closed).
    fn fileno(&self) -> i64 {
        if self.closed.load(Ordering::Acquire) {
            return -1;
        }
        self.core
            .platform
            .net()
            .and_then(|net| net.fileno(self.id).ok().flatten())
            .unwrap_or(-1)
    }

    #[getter]
    fn family(&self) -> i32 {
        family_number(self.family)
    }

    #[getter]
    fn r#type(&self) -> i32 {
        kind_number(self.kind)
    }

    #[getter]
    fn proto(&self) -> i32 {
        self.proto
    }

    fn __enter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, _exc: &Bound<'_, PyTuple>) -> bool {
        self.close();
        false
    }

    fn __repr__(&self) -> String {
        format!(
            "<tonio socket fd={} family={} type={}{}>",
            self.fileno(),
            self.family(),
            self.r#type(),
            if self.closed.load(Ordering::Acquire) {
                " [closed]"
            } else {
                ""
            }
        )
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        self.close();
    }
}

/// `socketpair(family=AF_UNIX, type=SOCK_STREAM, proto=0)`: two connected sockets of the
/// running runtime (on the simulated network too).
#[pyfunction]
#[pyo3(signature = (family=None, r#type=None, proto=None))]
pub fn socketpair(
    py: Python<'_>,
    family: Option<Bound<'_, PyAny>>,
    r#type: Option<Bound<'_, PyAny>>,
    proto: Option<Bound<'_, PyAny>>,
) -> PyResult<(Socket, Socket)> {
    let family = family_from(optional_i32(family.as_ref(), "family", libc::AF_UNIX)?)?;
    let kind = kind_from(optional_i32(r#type.as_ref(), "type", libc::SOCK_STREAM)?)?;
    let proto = optional_i32(proto.as_ref(), "proto", 0)?;
    let core = current::require("socket.socketpair()")?;
    let net = core.net()?;
    let (a, b) = net.pair(family, kind).map_err(|e| os_error(py, &e))?;
    Ok((
        Socket::new(py, core.clone(), a, family, kind, proto)?,
        Socket::new(py, core.clone(), b, family, kind, proto)?,
    ))
}

/// `fromfd(fd, family, type, proto=0)`: a socket on a duplicate of descriptor `fd` (the
/// caller keeps `fd`), as the stdlib's. Real platform only.
#[pyfunction]
#[pyo3(signature = (fd, family, r#type, proto=0))]
pub fn fromfd(
    py: Python<'_>,
    fd: i32,
    family: Bound<'_, PyAny>,
    r#type: Bound<'_, PyAny>,
    proto: i32,
) -> PyResult<Socket> {
    // The stdlib ignores family/type/proto beyond checking them: the descriptor decides.
    let _ = (
        family_from(optional_i32(Some(&family), "family", libc::AF_INET)?)?,
        kind_from(optional_i32(Some(&r#type), "type", libc::SOCK_STREAM)?)?,
        proto,
    );
    let core = current::require("socket.fromfd()")?;
    let net = core.net()?;
    // Safety: dup only reads `fd`; a failure is reported through errno.
    let copy = unsafe { libc::dup(fd) };
    if copy < 0 {
        return Err(os_error(py, &std::io::Error::last_os_error()));
    }
    match net.adopt_descriptor(i64::from(copy)) {
        Ok((id, family, kind, proto)) => Socket::new(py, core.clone(), id, family, kind, proto),
        Err(err) => {
            // Safety: `copy` is our own duplicate, not adopted: close it so nothing leaks.
            unsafe { libc::close(copy) };
            Err(os_error(py, &err))
        }
    }
}
