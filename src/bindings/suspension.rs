//! `Suspension`: the Python type of the awaitable every tonio operation returns.
//!
//! The operation and its await state live in `common::drive::suspend`; this file is the Python
//! protocol: `__await__`/`__next__`/`send`/`throw` for the colored flavour (the first step may
//! finish the operation in place: `eager.rs`), helpful errors for `yield from` and
//! `async with` misuse, and the hook that lets the driver find the operation inside a yielded
//! object ([`install`], at module import).
//!
//! # Two classes, one type
//! `Suspension` is the type users see (`Suspension[T]` in annotations); every awaitable is an
//! instance of one of its two subclasses, which differ only in the cyclic GC:
//! - [`PlainSuspension`]: the operations of every step (sleep, yield, receive, send, acquire,
//!   a socket call, ...). They keep no Python object past their step, and are not tracked by
//!   the collector: a million of them alive at once would make every collection scan a million
//!   more objects (measured: a million-coroutine run 24% slower, channel round trips 11-15%).
//! - [`TrackedSuspension`]: awaitables that hold Python objects for as long as the user keeps
//!   them (a join handle's results and errors, a select's or timeout's coroutines, a blocking
//!   call's function, a composed operation's generator). They take part in the collector, so
//!   `self.task = spawn(self.run())` is collected, and the task's error reported, once nothing
//!   else refers to it.

use pyo3::exceptions::{PyStopIteration, PyTypeError};
use pyo3::gc::PyVisit;
use pyo3::prelude::*;
use pyo3::types::PyType;
use pyo3::PyTraverseError;

use super::eager;
use crate::common::base::errors::awaited_under_asyncio;
use crate::common::drive::driver;
use crate::common::drive::suspend::{Suspend, SuspendKind};
use crate::common::run::current;

/// A tonio awaitable. Yield it (yield flavour) or await it (colored flavour).
#[pyclass(frozen, subclass, module = "tonio._tonio", name = "Suspension")]
pub struct Suspension;

/// An awaitable of one step, untracked by the cyclic GC (see the module docs).
#[pyclass(frozen, extends = Suspension, module = "tonio._tonio")]
pub struct PlainSuspension {
    op: Suspend,
}

/// An awaitable that holds Python objects, tracked by the cyclic GC (see the module docs).
#[pyclass(frozen, extends = Suspension, module = "tonio._tonio")]
pub struct TrackedSuspension {
    op: Suspend,
}

impl Suspension {
    /// A new awaitable for `kind`, of the class that suits it.
    pub fn create(py: Python<'_>, kind: SuspendKind) -> PyResult<Py<Suspension>> {
        let op = Suspend::new(kind);
        Ok(if op.kind.holds_python_objects() {
            Bound::new(py, (TrackedSuspension { op }, Suspension))?.into_super()
        } else {
            Bound::new(py, (PlainSuspension { op }, Suspension))?.into_super()
        }
        .unbind())
    }
}

#[pymethods]
impl TrackedSuspension {
    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        self.op.kind.traverse(&visit)
    }

    fn __clear__(&self) {
        self.op.kind.clear();
    }
}

/// Installs the awaitable classes as what the driver recognises in what tasks yield.
pub fn install(py: Python<'_>) {
    driver::recognise([
        (py.get_type::<PlainSuspension>().as_type_ptr(), op_of_plain),
        (
            py.get_type::<TrackedSuspension>().as_type_ptr(),
            op_of_tracked,
        ),
    ]);
}

/// The operation inside a `PlainSuspension`.
///
/// # Safety
/// `object`'s exact type must be `PlainSuspension` (the driver checks it before calling).
unsafe fn op_of_plain<'a>(object: &'a Bound<'_, PyAny>) -> &'a Suspend {
    // Safety: the caller checked the exact type; the class is frozen, so `get` needs no
    // borrow flag.
    let suspension = unsafe { object.cast_unchecked::<PlainSuspension>() };
    &suspension.get().op
}

/// The operation inside a `TrackedSuspension`.
///
/// # Safety
/// `object`'s exact type must be `TrackedSuspension` (the driver checks it before calling).
unsafe fn op_of_tracked<'a>(object: &'a Bound<'_, PyAny>) -> &'a Suspend {
    // Safety: as in `op_of_plain`.
    let suspension = unsafe { object.cast_unchecked::<TrackedSuspension>() };
    &suspension.get().op
}

/// The operation of an awaitable; a Python subclass of `Suspension` (which has none) is
/// refused.
fn op<'a>(slf: &'a Bound<'_, Suspension>) -> PyResult<&'a Suspend> {
    driver::find_suspend(slf.as_any()).ok_or_else(|| {
        PyTypeError::new_err("Suspension is not meant to be subclassed: use tonio's awaitables")
    })
}

#[pymethods]
impl Suspension {
    /// `Suspension[T]` in annotations (a `types.GenericAlias`; see `bindings::generic`).
    #[classmethod]
    fn __class_getitem__(cls: &Bound<'_, PyType>, item: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        super::generic::generic_alias(cls, item)
    }

    /// `yield from` a tonio awaitable is a mistake: say what to write instead (the error is
    /// enough: the awaitable does not also warn that it was never awaited).
    fn __iter__(slf: &Bound<'_, Self>) -> PyResult<()> {
        op(slf)?.mark_used();
        Err(PyTypeError::new_err(
            "a tonio awaitable is not iterable: write `yield tonio.sleep(...)` (yield \
             flavour) or `await ...` (colored), not `yield from`",
        ))
    }

    /// `async with lock():` is a mistake: say what to write instead (without also warning).
    fn __aenter__(slf: &Bound<'_, Self>) -> PyResult<()> {
        op(slf)?.mark_used();
        Err(PyTypeError::new_err(
            "a tonio awaitable is not an async context manager: for a lock or semaphore \
             write `async with lock:` (without calling it)",
        ))
    }

    #[pyo3(signature = (*_exc))]
    fn __aexit__(&self, _exc: &Bound<'_, pyo3::types::PyTuple>) {}

    fn __await__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    fn __next__(slf: Bound<'_, Self>) -> PyResult<Option<Bound<'_, Self>>> {
        if op(&slf)?.resuming()? {
            return Ok(None);
        }
        Self::first_step(slf)
    }

    fn send(slf: Bound<'_, Self>, value: Py<PyAny>) -> PyResult<Option<Bound<'_, Self>>> {
        if op(&slf)?.resuming()? {
            return Err(PyStopIteration::new_err((value,)));
        }
        Self::first_step(slf)
    }

    #[pyo3(signature = (typ, val=None, tb=None))]
    fn throw(
        slf: &Bound<'_, Self>,
        typ: Bound<'_, PyAny>,
        val: Option<Bound<'_, PyAny>>,
        tb: Option<Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        op(slf)?.end_await();
        Err(thrown(typ, val, tb))
    }

    fn close(slf: &Bound<'_, Self>) -> PyResult<()> {
        op(slf)?.end_await();
        Ok(())
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        Ok(format!("<tonio awaitable: {}>", op(slf)?.kind.name()))
    }
}

impl Suspension {
    /// The first step of the colored protocol: finish at once if the operation can complete
    /// without waiting (`StopIteration` carries the value), else hand the object to the driver.
    fn first_step(slf: Bound<'_, Self>) -> PyResult<Option<Bound<'_, Self>>> {
        let py = slf.py();
        let op = op(&slf)?;
        let completed = eager::complete(py, &op.kind);
        if completed.is_some() {
            op.mark_used();
        }
        match completed {
            Some(Ok(value)) if value.is_none(py) => Ok(None),
            Some(Ok(value)) => Err(PyStopIteration::new_err((value,))),
            Some(Err(err)) => Err(err),
            None => {
                let me = match current::task_id() {
                    Some(me) => me,
                    None => {
                        if let Some(err) = awaited_under_asyncio(py, op.kind.name()) {
                            op.mark_used(); // the error says it all; no warning too
                            return Err(err);
                        }
                        0
                    }
                };
                op.begin_await(me)?;
                Ok(Some(slf))
            }
        }
    }
}

/// The exception `throw(typ, val, tb)` raises: `val` if given, else `typ` (an instance or a
/// class). Shared by every awaitable that is its own iterator.
pub fn thrown(
    typ: Bound<'_, PyAny>,
    val: Option<Bound<'_, PyAny>>,
    tb: Option<Bound<'_, PyAny>>,
) -> PyErr {
    let _ = tb;
    match val {
        Some(val) if !val.is_none() => PyErr::from_value(val),
        _ => PyErr::from_value(typ),
    }
}
