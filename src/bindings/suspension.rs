//! The Python objects around tonio's awaitables.
//!
//! The operation and its await state live in `common::drive::suspend`; this file is the Python
//! protocol: `__await__`/`__next__`/`send`/`throw` for the colored flavour (the first step may
//! finish the operation in place: `eager.rs`), helpful errors for `yield from` and
//! `async with` misuse, and the hook that lets the driver find the operation inside a yielded
//! object ([`install`], at module import).
//!
//! # Two classes, one type
//! `Suspension` is the type users see (`Suspension[T]` in annotations): an abstract class both
//! awaitable classes are registered with, so `isinstance` holds for each. They differ only in
//! the cyclic GC:
//! - [`PlainSuspension`]: the operations of every step (sleep, yield, receive, send, acquire,
//!   a socket call, ...). They keep no Python object past their step and are not tracked by the
//!   collector: a million of them alive at once would make every collection scan a million more
//!   objects (measured: a million-coroutine run 25% slower, channel round trips 7-13%).
//! - [`TrackedSuspension`]: awaitables that hold Python objects as long as the user keeps them
//!   (a join handle's results and errors, a select's or timeout's coroutines, a blocking call's
//!   function, a composed operation's generator). They take part in the collector, so
//!   `self.task = spawn(self.run())` is collected, and the task's error reported, once nothing
//!   else refers to it.
//!
//! # Why not one class extending the other
//! A pyo3 class that extends another is created through its base's `tp_new`: measured, that
//! made the awaitables of every step 2-10% slower on channel round trips.

use pyo3::exceptions::{PyStopIteration, PyTypeError};
use pyo3::gc::PyVisit;
use pyo3::prelude::*;
use pyo3::types::{PyModule, PyType};
use pyo3::PyTraverseError;

use super::eager;
use crate::common::base::errors::awaited_under_asyncio;
use crate::common::drive::driver;
use crate::common::drive::suspend::{Suspend, SuspendKind};
use crate::common::run::current;

/// An awaitable of one step, untracked by the cyclic GC (see the module docs).
#[pyclass(frozen, module = "tonio._tonio")]
pub struct PlainSuspension {
    op: Suspend,
}

/// An awaitable that holds Python objects, tracked by the cyclic GC (see the module docs).
#[pyclass(frozen, module = "tonio._tonio")]
pub struct TrackedSuspension {
    op: Suspend,
}

/// A new awaitable for `kind`, of the class that suits it (see the module docs).
#[inline]
pub fn awaitable(py: Python<'_>, kind: SuspendKind) -> PyResult<Py<PyAny>> {
    if kind.holds_python_objects() {
        let op = Suspend::new(kind);
        return Ok(Py::new(py, TrackedSuspension { op })?.into_any());
    }
    Ok(Py::new(
        py,
        PlainSuspension {
            op: Suspend::new(kind),
        },
    )?
    .into_any())
}

/// The abstract `Suspension` type (see the module docs): defined in Python, for `isinstance`
/// and `Suspension[T]`.
const SUSPENSION_TYPE: &std::ffi::CStr = cr#"
import abc, types

class Suspension(abc.ABC):
    """A tonio awaitable: yield it (yield flavour) or await it (colored flavour).

    Every awaitable is a PlainSuspension or a TrackedSuspension (tonio._tonio); this abstract
    class is what annotations name (Suspension[T]) and what isinstance checks against.
    """

    __slots__ = ()
    __class_getitem__ = classmethod(types.GenericAlias)

    @abc.abstractmethod
    def __await__(self): ...

    @abc.abstractmethod
    def __next__(self): ...

    @abc.abstractmethod
    def send(self, value): ...

    @abc.abstractmethod
    def throw(self, typ, val=None, tb=None): ...

    @abc.abstractmethod
    def close(self): ...
"#;

/// Adds the awaitable classes and the `Suspension` type to the module, and installs the
/// classes as what the driver recognises in what tasks yield.
pub fn install(module: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = module.py();
    module.add_class::<PlainSuspension>()?;
    module.add_class::<TrackedSuspension>()?;
    let source = PyModule::from_code(py, SUSPENSION_TYPE, c"<tonio>", c"tonio._suspension")?;
    let suspension = source.getattr("Suspension")?;
    suspension.setattr("__module__", "tonio._tonio")?;
    for class in [
        py.get_type::<PlainSuspension>(),
        py.get_type::<TrackedSuspension>(),
    ] {
        suspension.call_method1("register", (class,))?;
    }
    module.add("Suspension", suspension)?;
    driver::recognise(driver::AwaitableClasses {
        plain: (
            py.get_type::<PlainSuspension>().as_type_ptr() as usize,
            op_of::<PlainSuspension>,
        ),
        tracked: (
            py.get_type::<TrackedSuspension>().as_type_ptr() as usize,
            op_of::<TrackedSuspension>,
        ),
    });
    Ok(())
}

/// An awaitable class: where its operation is.
pub trait Awaitable: pyo3::PyClass + Sync {
    fn op(&self) -> &Suspend;
}

impl Awaitable for PlainSuspension {
    fn op(&self) -> &Suspend {
        &self.op
    }
}

impl Awaitable for TrackedSuspension {
    fn op(&self) -> &Suspend {
        &self.op
    }
}

/// The operation inside an awaitable of class `A`.
///
/// # Safety
/// `object`'s exact type must be `A` (the driver checks it before calling).
unsafe fn op_of<'a, A: Awaitable<Frozen = pyo3::pyclass::boolean_struct::True>>(
    object: &'a Bound<'_, PyAny>,
) -> &'a Suspend {
    // Safety: the caller checked the exact type; the class is frozen, so `get` needs no
    // borrow flag.
    let awaitable = unsafe { object.cast_unchecked::<A>() };
    awaitable.get().op()
}

/// The `#[pymethods]` of an awaitable class: its own items, then the protocol both share.
macro_rules! awaitable_methods {
    ($ty:ident { $($own:tt)* }) => {
        #[pymethods]
        impl $ty {
            $($own)*

            /// `Suspension[T]` in annotations (a `types.GenericAlias`).
            #[classmethod]
            fn __class_getitem__(
                cls: &Bound<'_, PyType>,
                item: &Bound<'_, PyAny>,
            ) -> PyResult<Py<PyAny>> {
                super::generic::generic_alias(cls, item)
            }

            /// `yield from` a tonio awaitable is a mistake: say what to write instead (the
            /// error is enough: the awaitable does not also warn that it was never awaited).
            fn __iter__(&self) -> PyResult<()> {
                self.op.mark_used();
                Err(PyTypeError::new_err(
                    "a tonio awaitable is not iterable: write `yield tonio.sleep(...)` (yield \
                     flavour) or `await ...` (colored), not `yield from`",
                ))
            }

            /// `async with lock():` is a mistake: say what to write instead (without also
            /// warning).
            fn __aenter__(&self) -> PyResult<()> {
                self.op.mark_used();
                Err(PyTypeError::new_err(
                    "a tonio awaitable is not an async context manager: for a lock or \
                     semaphore write `async with lock:` (without calling it)",
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
                first_step(slf)
            }

            fn send(slf: Bound<'_, Self>, value: Py<PyAny>) -> PyResult<Option<Bound<'_, Self>>> {
                if slf.get().op.resuming()? {
                    return Err(PyStopIteration::new_err((value,)));
                }
                first_step(slf)
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
    };
}

awaitable_methods!(PlainSuspension {});

awaitable_methods!(TrackedSuspension {
    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        self.op.kind.traverse(&visit)
    }

    fn __clear__(&self) {
        self.op.kind.clear();
    }
});

/// The first step of the colored protocol: finish at once if the operation can complete
/// without waiting (`StopIteration` carries the value), else hand the object to the driver.
fn first_step<A: Awaitable<Frozen = pyo3::pyclass::boolean_struct::True>>(
    slf: Bound<'_, A>,
) -> PyResult<Option<Bound<'_, A>>> {
    let py = slf.py();
    let op = slf.get().op();
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
