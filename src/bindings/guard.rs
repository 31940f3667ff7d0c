//! `Guard`: what `yield lock()` / `yield semaphore()` evaluates to, used as `with guard:`.
//!
//! A guard owns one permit from the moment it is created (the acquisition succeeded) until its
//! `with` block exits. It can be entered once; a guard dropped without being entered (the task
//! failed between acquiring and entering) gives its permit back, so a permit can never leak.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

use crate::common::base::refcount::free_from_any_thread;
use crate::common::wait::semaphore::SemaphoreCore;

const HELD: u8 = 0;
const ENTERED: u8 = 1;
const RELEASED: u8 = 2;

/// A held lock or semaphore permit; use it as a context manager to release it.
#[pyclass(frozen, module = "tonio._tonio")]
pub struct Guard {
    core: Arc<SemaphoreCore>,
    state: AtomicU8,
}

impl Guard {
    /// A guard owning one permit of `core`, freed (and so released, if never entered) by
    /// whichever thread drops it last, at once (`refcount.rs`).
    pub fn create(py: Python<'_>, core: Arc<SemaphoreCore>) -> PyResult<Py<Guard>> {
        let guard = Guard {
            core,
            state: AtomicU8::new(HELD),
        };
        let object = Py::new(py, guard)?;
        // Safety: the object was just created on this thread and no other thread has it.
        unsafe { free_from_any_thread(object.as_ptr()) };
        Ok(object)
    }

    /// `create` as the core's [`MakeGuard`](crate::common::wait::semaphore::MakeGuard).
    pub fn create_any(py: Python<'_>, core: Arc<SemaphoreCore>) -> PyResult<Py<PyAny>> {
        Guard::create(py, core).map(Py::into_any)
    }
}

/// The error for a second release.
pub fn not_held(is_lock: bool) -> PyErr {
    let what = if is_lock { "lock" } else { "semaphore" };
    PyRuntimeError::new_err(format!("{what} released more times than it was acquired"))
}

#[pymethods]
impl Guard {
    fn __enter__(slf: Bound<'_, Self>) -> PyResult<Bound<'_, Self>> {
        let guard = slf.get();
        if guard
            .state
            .compare_exchange(HELD, ENTERED, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return Err(PyRuntimeError::new_err(
                "this guard was already used; acquire again (`with (yield lock()):`) to re-enter",
            ));
        }
        Ok(slf)
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, pyo3::types::PyTuple>) -> PyResult<bool> {
        if self
            .state
            .compare_exchange(ENTERED, RELEASED, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return Err(not_held(self.core.is_lock()));
        }
        self.core
            .release(py)
            .map_err(|_| not_held(self.core.is_lock()))?;
        Ok(false)
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if self.state.swap(RELEASED, Ordering::AcqRel) != RELEASED {
            // At interpreter exit there is nobody left to hand the permit to.
            let _ = Python::try_attach(|py| {
                let _ = self.core.release(py);
            });
        }
    }
}
