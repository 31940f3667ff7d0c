//! `Ready`: an awaitable that is already complete and evaluates to `None`.
//!
//! It has no state, so one shared instance serves every `await` (colored `async with` exits,
//! uncontended `async with` entries): awaiting it costs two slot calls and no allocation.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

/// An already-finished awaitable evaluating to None.
#[pyclass(frozen, module = "tonio._tonio")]
pub struct Ready;

#[pymethods]
impl Ready {
    fn __await__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    fn __iter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    fn __next__(&self) -> Option<()> {
        None
    }

    #[pyo3(signature = (_value=None))]
    fn send(&self, _value: Option<Bound<'_, PyAny>>) -> PyResult<()> {
        Err(pyo3::exceptions::PyStopIteration::new_err(()))
    }

    #[pyo3(signature = (typ, val=None, tb=None))]
    fn throw(
        &self,
        typ: Bound<'_, PyAny>,
        val: Option<Bound<'_, PyAny>>,
        tb: Option<Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        Err(super::suspension::thrown(typ, val, tb))
    }

    fn close(&self) {}
}

static READY: PyOnceLock<Py<Ready>> = PyOnceLock::new();

/// The shared `Ready` instance.
pub fn ready(py: Python<'_>) -> PyResult<Py<Ready>> {
    READY
        .get_or_try_init(py, || Py::new(py, Ready))
        .map(|r| r.clone_ref(py))
}
