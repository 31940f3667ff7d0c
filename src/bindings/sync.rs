//! `Lock`, `Semaphore` and `Barrier` (both flavours share these classes).
//!
//! Yield flavour: `with (yield lock()):` — calling the primitive returns an awaitable that
//! evaluates to a guard. Colored flavour: `async with lock:`. `or_raise()` acquires without
//! waiting or raises `WouldBlock`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use super::args::count_arg;
use super::guard::{not_held, Guard};
use super::ready::ready;
use super::suspension::awaitable;
use crate::common::base::errors::WouldBlock;
use crate::common::drive::suspend::SuspendKind;
use crate::common::run::current;
use crate::common::wait::barrier::BarrierCore;
use crate::common::wait::semaphore::{SemaphoreCore, TryAcquire};

fn acquire(py: Python<'_>, core: &Arc<SemaphoreCore>, guard: bool) -> PyResult<Py<PyAny>> {
    let kind = SuspendKind::Acquire {
        core: core.clone(),
        guard,
    };
    awaitable(py, kind)
}

/// `async with`: `__aenter__` is awaited right away, so an uncontended acquisition happens here
/// and returns the shared ready awaitable; otherwise the awaitable queues the task.
fn acquire_for_aenter(py: Python<'_>, core: &Arc<SemaphoreCore>) -> PyResult<Py<PyAny>> {
    if let Some(owner) = current::task_id() {
        match core.try_acquire_as(owner) {
            TryAcquire::Acquired => return Ok(ready(py)?.into_any()),
            TryAcquire::Reentrant => {
                return Err(PyRuntimeError::new_err(
                    "the lock is already held by this task (locks are not reentrant)",
                ))
            }
            TryAcquire::Busy => {}
        }
    }
    acquire(py, core, false)
}

/// Releases at once; `__aexit__` returns the shared ready awaitable (evaluating to None, so an
/// exception from the block propagates).
fn release_for_aexit(py: Python<'_>, core: &SemaphoreCore) -> PyResult<Py<PyAny>> {
    core.release(py).map_err(|_| not_held(core.is_lock()))?;
    Ok(ready(py)?.into_any())
}

/// A mutual-exclusion lock for tasks: FIFO hand-off, not reentrant.
#[pyclass(frozen, module = "tonio._tonio")]
pub struct Lock {
    core: Arc<SemaphoreCore>,
}

/// The `#[pymethods]` of a permit primitive (`Lock`, `Semaphore`): its own items, then the
/// methods both share (acquire awaitable, `async with`, `or_raise`, `waiters`).
macro_rules! permit_methods {
    ($ty:ident { $($own:tt)* }) => {
        #[pymethods]
        impl $ty {
            $($own)*

            /// An awaitable that acquires and evaluates to a guard: `with (yield prim()):`.
            fn __call__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
                acquire(py, &self.core, true)
            }

            fn __aenter__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
                acquire_for_aenter(py, &self.core)
            }

            #[pyo3(signature = (_exc_type=None, _exc=None, _tb=None))]
            fn __aexit__(
                &self,
                py: Python<'_>,
                _exc_type: Option<&Bound<'_, PyAny>>,
                _exc: Option<&Bound<'_, PyAny>>,
                _tb: Option<&Bound<'_, PyAny>>,
            ) -> PyResult<Py<PyAny>> {
                release_for_aexit(py, &self.core)
            }

            /// An awaitable that acquires and evaluates to `None` (tonio 0.6.0's form): the
            /// holder calls `release()` later. Prefer the guard forms, which cannot forget to.
            fn acquire(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
                acquire(py, &self.core, false)
            }

            /// Acquires without waiting, or raises `WouldBlock` (a plain call).
            fn try_acquire(&self) -> PyResult<()> {
                if self.core.try_acquire(current::task_id()) {
                    return Ok(());
                }
                let what = if self.core.is_lock() { "the lock is held" } else { "no token is free" };
                Err(WouldBlock::new_err(format!("{what}; try_acquire() does not wait")))
            }

            /// Releases what `acquire()`/`try_acquire()` took (a plain call); releasing what
            /// is not held raises `RuntimeError`.
            fn release(&self, py: Python<'_>) -> PyResult<()> {
                self.core.release(py).map_err(|_| not_held(self.core.is_lock()))
            }

            /// `with lock:` is a mistake: say which form acquires.
            fn __enter__(&self) -> PyResult<()> {
                Err(pyo3::exceptions::PyTypeError::new_err(
                    "a tonio lock or semaphore is not a plain context manager: write \
                     `with (yield lock()):` (yield flavour), `async with lock:` (colored), or \
                     `with lock.or_raise():` (no waiting)",
                ))
            }

            #[pyo3(signature = (*_exc))]
            fn __exit__(&self, _exc: &Bound<'_, PyTuple>) {}

            /// A context manager that acquires without waiting, or raises `WouldBlock`.
            fn or_raise(&self) -> OrRaise {
                OrRaise { core: self.core.clone(), held: AtomicBool::new(false) }
            }

            /// The number of tasks queued to acquire.
            #[getter]
            fn waiters(&self) -> usize {
                self.core.waiting()
            }
        }
    };
}

permit_methods!(Lock {
    #[new]
    fn new() -> Self {
        Lock { core: Arc::new(SemaphoreCore::new(1, true, Guard::create_any)) }
    }

    /// True while some task holds the lock.
    fn locked(&self) -> bool {
        self.core.available() == 0
    }
});

/// A counting semaphore for tasks: FIFO hand-off.
#[pyclass(frozen, module = "tonio._tonio")]
pub struct Semaphore {
    core: Arc<SemaphoreCore>,
}

permit_methods!(Semaphore {
    #[new]
    fn new(value: Bound<'_, PyAny>) -> PyResult<Self> {
        let permits = count_arg(&value, "Semaphore value", 0)?;
        Ok(Semaphore { core: Arc::new(SemaphoreCore::new(permits, false, Guard::create_any)) })
    }

    /// The number of free tokens.
    fn tokens(&self) -> usize {
        self.core.available()
    }
});

/// The context manager returned by `or_raise()`.
#[pyclass(frozen, module = "tonio._tonio")]
pub struct OrRaise {
    core: Arc<SemaphoreCore>,
    held: AtomicBool,
}

#[pymethods]
impl OrRaise {
    fn __enter__(slf: Bound<'_, Self>) -> PyResult<Bound<'_, Self>> {
        let this = slf.get();
        if this.held.load(Ordering::Acquire) {
            return Err(PyRuntimeError::new_err(
                "this or_raise() context is already entered",
            ));
        }
        if !this.core.try_acquire(current::task_id()) {
            let what = if this.core.is_lock() {
                "the lock is held"
            } else {
                "no token is free"
            };
            return Err(WouldBlock::new_err(format!(
                "{what}; or_raise() does not wait"
            )));
        }
        this.held.store(true, Ordering::Release);
        Ok(slf)
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, PyTuple>) -> PyResult<bool> {
        if !self.held.swap(false, Ordering::AcqRel) {
            return Err(not_held(self.core.is_lock()));
        }
        self.core
            .release(py)
            .map_err(|_| not_held(self.core.is_lock()))?;
        Ok(false)
    }
}

/// Releases the waiting tasks together once `value` tasks have called `wait()`.
#[pyclass(frozen, module = "tonio._tonio")]
pub struct Barrier {
    core: Arc<BarrierCore>,
}

#[pymethods]
impl Barrier {
    #[new]
    fn new(value: Bound<'_, PyAny>) -> PyResult<Self> {
        let parties = count_arg(&value, "Barrier value", 1)?;
        Ok(Barrier {
            core: Arc::new(BarrierCore::new(parties)),
        })
    }

    /// An awaitable that waits for the barrier and evaluates to the 0-based arrival index.
    fn wait(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        awaitable(py, SuspendKind::BarrierWait(self.core.clone()))
    }

    /// Arrives without waiting and returns the 0-based arrival index (tonio 0.6.0's `ack`):
    /// the arrival counts towards `parties` and, if it is the last one, releases the waiters.
    fn ack(&self, py: Python<'_>) -> usize {
        self.core.ack(py)
    }

    /// The number of arrivals so far.
    fn value(&self) -> usize {
        self.core.arrivals()
    }

    /// The number of tasks the barrier waits for.
    #[getter]
    fn parties(&self) -> usize {
        self.core.parties()
    }
}
