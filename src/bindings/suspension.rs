//! `Suspension`: the Python object around a [`Suspend`], the awaitable every tonio operation
//! returns.
//!
//! The operation and its await state live in `common::drive::suspend`; this file is the Python
//! protocol: `__await__`/`__next__`/`send`/`throw` for the colored flavour (the first step may
//! finish the operation in place: `eager.rs`), helpful errors for `yield from` and
//! `async with` misuse, and the hook that lets the driver find the operation inside a yielded
//! object ([`install`], at module import).

use pyo3::exceptions::PyStopIteration;
use pyo3::prelude::*;
use pyo3::types::PyType;

use super::eager;
use crate::common::base::errors::awaited_under_asyncio;
use crate::common::drive::driver;
use crate::common::drive::suspend::{Suspend, SuspendKind};
use crate::common::run::current;

/// A tonio awaitable. Yield it (yield flavour) or await it (colored flavour).
#[pyclass(frozen, module = "tonio._tonio", name = "Suspension")]
pub struct Suspension {
    pub op: Suspend,
}

impl Suspension {
    pub fn new(kind: SuspendKind) -> Suspension {
        Suspension {
            op: Suspend::new(kind),
        }
    }
}

/// Installs `Suspension` as the class the driver recognises in what tasks yield.
pub fn install(py: Python<'_>) {
    let type_object = py.get_type::<Suspension>().as_type_ptr();
    driver::recognise(type_object, op_of);
}

/// The operation inside a `Suspension`.
///
/// # Safety
/// `object`'s exact type must be `Suspension` (the driver checks it before calling).
unsafe fn op_of<'a>(object: &'a Bound<'_, PyAny>) -> &'a Suspend {
    // Safety: the caller checked the exact type; `Suspension` is frozen, so `get` needs no
    // borrow flag.
    let suspension = unsafe { object.cast_unchecked::<Suspension>() };
    &suspension.get().op
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
    fn __iter__(&self) -> PyResult<()> {
        self.op.mark_used();
        Err(pyo3::exceptions::PyTypeError::new_err(
            "a tonio awaitable is not iterable: write `yield tonio.sleep(...)` (yield \
             flavour) or `await ...` (colored), not `yield from`",
        ))
    }

    /// `async with lock():` is a mistake: say what to write instead (without also warning).
    fn __aenter__(&self) -> PyResult<()> {
        self.op.mark_used();
        Err(pyo3::exceptions::PyTypeError::new_err(
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
        if slf.get().op.resuming()? {
            return Ok(None);
        }
        Self::first_step(slf)
    }

    fn send(slf: Bound<'_, Self>, value: Py<PyAny>) -> PyResult<Option<Bound<'_, Self>>> {
        if slf.get().op.resuming()? {
            return Err(PyStopIteration::new_err((value,)));
        }
        Self::first_step(slf)
    }

    #[pyo3(signature = (typ, val=None, tb=None))]
    fn throw(
        &self,
        typ: Bound<'_, PyAny>,
        val: Option<Bound<'_, PyAny>>,
        tb: Option<Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        self.op.end_await();
        Err(thrown(typ, val, tb))
    }

    fn close(&self) {
        self.op.end_await();
    }

    fn __repr__(&self) -> String {
        format!("<tonio awaitable: {}>", self.op.kind.name())
    }
}

impl Suspension {
    /// The first step of the colored protocol: finish at once if the operation can complete
    /// without waiting (`StopIteration` carries the value), else hand the object to the driver.
    fn first_step(slf: Bound<'_, Self>) -> PyResult<Option<Bound<'_, Self>>> {
        let py = slf.py();
        let op = &slf.get().op;
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
