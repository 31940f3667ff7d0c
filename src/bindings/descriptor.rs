//! `tonio.io`: waiting for any OS descriptor's readiness on the reactor.
//!
//! - `wait_readable(fd)` / `wait_writable(fd)`: one awaitable each, evaluating to `True` once
//!   the descriptor is ready (it asks the OS afresh: see `drive/fd_wait.rs`).
//! - `ScheduledIO(fd)` (`tonio.io.register(fd)`): a lasting watch for code that does its own
//!   I/O, tonio 0.10's pattern: `arm_r(timeout=None)` is `None` when the descriptor may be
//!   ready (try the I/O), else an awaitable (`True`: ready, `False`: the timeout passed); after
//!   an `EAGAIN`, `consume_r()` forgets the readiness so the next `arm_r` waits. `close()` ends
//!   the watch (the descriptor itself stays open: it is the caller's).
//!
//! The simulated platform refuses all of them (a real descriptor's readiness is not the seed's).

use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyInt};

use crate::bindings::suspension::awaitable;
use crate::common::base::errors::type_name;
use crate::common::base::suspend_args;
use crate::common::drive::fd_wait::FdWait;
use crate::common::drive::suspend::SuspendKind;
use crate::common::io::net_convert::os_error;
use crate::common::io::readiness::{Event, Interest, Readiness};
use crate::common::run::core::RuntimeCore;
use crate::common::run::current;

/// The descriptor of `value`: an `int`, or an object with a `fileno()` method giving one.
fn descriptor_of(value: &Bound<'_, PyAny>) -> PyResult<RawFd> {
    let number = if value.is_instance_of::<PyInt>() && !value.is_instance_of::<PyBool>() {
        value.clone()
    } else if value.hasattr("fileno")? {
        let number = value.call_method0("fileno")?;
        if !number.is_instance_of::<PyInt>() || number.is_instance_of::<PyBool>() {
            return Err(PyTypeError::new_err(format!(
                "fileno() returned a non-integer ({})",
                type_name(&number)
            )));
        }
        number
    } else {
        return Err(PyTypeError::new_err(format!(
            "argument must be an int, or have a fileno() method, not {}",
            type_name(value)
        )));
    };
    let fd: i64 = number.extract()?;
    if fd < 0 {
        return Err(PyValueError::new_err(format!(
            "file descriptor cannot be a negative integer ({fd})"
        )));
    }
    RawFd::try_from(fd).map_err(|_| {
        pyo3::exceptions::PyOverflowError::new_err(format!("file descriptor {fd} is too large"))
    })
}

/// The running runtime and a new watch of `fd` on it.
fn watch(py: Python<'_>, fd: RawFd, what: &str) -> PyResult<(Arc<RuntimeCore>, Arc<Readiness>)> {
    let core = current::require(what)?;
    let readiness = core
        .descriptors(what)?
        .watch(fd)
        .map_err(|err| os_error(py, &err))?;
    Ok((core, readiness))
}

fn slot(interest: Interest) -> usize {
    match interest {
        Interest::Read => 0,
        Interest::Write => 1,
    }
}

fn timeout_of(timeout: Option<&Bound<'_, PyAny>>) -> PyResult<Option<f64>> {
    timeout
        .filter(|t| !t.is_none())
        .map(|t| suspend_args::seconds(t, "timeout"))
        .transpose()
}

fn wait(
    py: Python<'_>,
    fd: &Bound<'_, PyAny>,
    interest: Interest,
    what: &str,
) -> PyResult<Py<PyAny>> {
    let fd = descriptor_of(fd)?;
    let (core, readiness) = watch(py, fd, what)?;
    let wait = FdWait::new(core, fd, readiness, interest, true, None, true);
    awaitable(py, SuspendKind::FdWait(Arc::new(wait)))
}

/// Awaitable: waits until `fd` (an int or an object with `fileno()`) is readable.
#[pyfunction]
pub fn wait_readable(py: Python<'_>, fd: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    wait(py, fd, Interest::Read, "tonio.io.wait_readable()")
}

/// Awaitable: waits until `fd` (an int or an object with `fileno()`) is writable.
#[pyfunction]
pub fn wait_writable(py: Python<'_>, fd: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    wait(py, fd, Interest::Write, "tonio.io.wait_writable()")
}

/// A lasting watch of a descriptor's readiness (see the module docs).
#[pyclass(module = "tonio._tonio", frozen)]
pub struct ScheduledIO {
    core: Arc<RuntimeCore>,
    fd: RawFd,
    readiness: Arc<Readiness>,
    closed: AtomicBool,
    /// The readiness generation each `arm` last saw ready (read, write): a `consume` clears
    /// only if no event came since, so an edge between the caller's `EAGAIN` and its
    /// `consume` is never lost.
    armed_at: [AtomicU64; 2],
}

impl ScheduledIO {
    fn arm(
        &self,
        py: Python<'_>,
        interest: Interest,
        timeout: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Option<Py<PyAny>>> {
        let timeout = timeout_of(timeout)?;
        if self.closed.load(Ordering::Acquire) {
            return Err(PyValueError::new_err(
                "I/O operation on a closed ScheduledIO",
            ));
        }
        let (generation, ready) = self.readiness.snapshot(interest);
        if ready {
            self.armed_at[slot(interest)].store(generation, Ordering::Release);
            return Ok(None);
        }
        let wait = FdWait::new(
            self.core.clone(),
            self.fd,
            self.readiness.clone(),
            interest,
            false,
            timeout,
            false,
        );
        awaitable(py, SuspendKind::FdWait(Arc::new(wait))).map(Some)
    }

    fn consume(&self, interest: Interest) -> bool {
        let ready = self.readiness.snapshot(interest).1;
        let seen = self.armed_at[slot(interest)].load(Ordering::Acquire);
        self.readiness.clear(interest, seen);
        ready
    }

    fn end_watch(&self) {
        if self.closed.swap(true, Ordering::AcqRel) {
            return;
        }
        if let Some(descriptors) = self.core.platform.descriptors() {
            descriptors.unwatch(self.fd);
        }
        // Whoever still waits on this watch wakes (and retries its I/O) instead of waiting
        // for events that may no longer be recorded; readiness may be spurious.
        let woken = self.readiness.set_event(Event {
            readable: true,
            writable: true,
            ..Event::default()
        });
        for waiter in woken {
            waiter.wake();
        }
    }
}

#[pymethods]
impl ScheduledIO {
    #[new]
    fn new(py: Python<'_>, fd: &Bound<'_, PyAny>) -> PyResult<ScheduledIO> {
        let fd = descriptor_of(fd)?;
        let (core, readiness) = watch(py, fd, "tonio.io.register()")?;
        Ok(ScheduledIO {
            core,
            fd,
            readiness,
            closed: AtomicBool::new(false),
            armed_at: [AtomicU64::new(u64::MAX), AtomicU64::new(u64::MAX)],
        })
    }

    /// `None` if the descriptor may be readable (try the read), else an awaitable evaluating
    /// to `True` once it is, or `False` when `timeout` seconds passed first.
    #[pyo3(signature = (timeout=None))]
    fn arm_r(
        &self,
        py: Python<'_>,
        timeout: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Option<Py<PyAny>>> {
        self.arm(py, Interest::Read, timeout)
    }

    /// As `arm_r`, for writing.
    #[pyo3(signature = (timeout=None))]
    fn arm_w(
        &self,
        py: Python<'_>,
        timeout: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Option<Py<PyAny>>> {
        self.arm(py, Interest::Write, timeout)
    }

    /// A read would block (`EAGAIN`): forget the readiness, so the next `arm_r` waits for the
    /// OS to report it again (unless it reported it since the last `arm_r`). Returns whether
    /// it was believed readable.
    fn consume_r(&self) -> bool {
        self.consume(Interest::Read)
    }

    /// As `consume_r`, for writing.
    fn consume_w(&self) -> bool {
        self.consume(Interest::Write)
    }

    /// The watched descriptor.
    fn fileno(&self) -> RawFd {
        self.fd
    }

    /// Whether `close()` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Ends the watch (idempotent); the descriptor stays open.
    fn close(&self) {
        self.end_watch();
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __exit__(
        &self,
        _exc_type: &Bound<'_, PyAny>,
        _exc: &Bound<'_, PyAny>,
        _tb: &Bound<'_, PyAny>,
    ) {
        self.end_watch();
    }

    fn __repr__(&self) -> String {
        let state = if self.closed() { "closed" } else { "watching" };
        format!("<tonio.io.ScheduledIO fd={} {state}>", self.fd)
    }
}

impl Drop for ScheduledIO {
    fn drop(&mut self) {
        self.end_watch();
    }
}
