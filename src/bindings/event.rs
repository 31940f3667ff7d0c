//! `tonio.Event`: the Python face of `common::wait::event::EventCore`.

use std::sync::Arc;

use pyo3::prelude::*;

use super::suspension::awaitable;
use crate::common::base::suspend_args::seconds;
use crate::common::drive::suspend::SuspendKind;
use crate::common::wait::event::EventCore;

/// An event flag, initially unset. `wait()` suspends until it is set.
#[pyclass(frozen, module = "tonio._tonio")]
pub struct Event {
    pub core: Arc<EventCore>,
}

#[pymethods]
impl Event {
    #[new]
    fn new() -> Self {
        Event {
            core: Arc::new(EventCore::default()),
        }
    }

    /// True if the flag is set.
    fn is_set(&self) -> bool {
        self.core.is_set()
    }

    /// Sets the flag and wakes every waiter. Safe to call from any thread.
    fn set(&self, py: Python<'_>) {
        self.core.set(py)
    }

    /// Clears the flag.
    fn clear(&self) {
        self.core.clear()
    }

    /// An awaitable that finishes when the flag is set (evaluates to True) or after `timeout`
    /// seconds (evaluates to False).
    #[pyo3(signature = (timeout=None))]
    fn wait(&self, py: Python<'_>, timeout: Option<Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        let timeout = match timeout {
            None => None,
            Some(value) if value.is_none() => None,
            Some(value) => Some(seconds(&value, "timeout")?),
        };
        let kind = SuspendKind::EventWait {
            event: self.core.clone(),
            timeout,
        };
        awaitable(py, kind)
    }

    /// tonio 0.6.0's name for `wait(timeout)`: an awaitable that resumes when the flag is set
    /// (True) or after `timeout` seconds (False; `None`: no timeout).
    #[pyo3(signature = (timeout=None))]
    fn waiter(&self, py: Python<'_>, timeout: Option<Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        self.wait(py, timeout)
    }

    fn __repr__(&self) -> String {
        format!(
            "<tonio.Event is_set={}>",
            if self.core.is_set() { "True" } else { "False" }
        )
    }
}
