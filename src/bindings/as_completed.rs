//! `as_completed(*coros)`: the coroutines' outcomes in completion order.
//!
//! Yield flavour: `for c in as_completed(...): v = yield c`. Colored: `async for v in ...`.
//! Each step waits for the next task to finish and evaluates to its value or raises its
//! exception. A step whose wait is cancelled (or that is never awaited) consumes nothing: its
//! place goes back to the iterator (`common/completions.rs`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use pyo3::exceptions::PyStopAsyncIteration;
use pyo3::prelude::*;
use pyo3::types::{PyTuple, PyType};

use crate::common::run::completions::CompletionStep;
use pyo3::gc::PyVisit;
use pyo3::PyTraverseError;

use super::suspension::awaitable;
use crate::common::base::suspend_args::coroutine;
use crate::common::drive::suspend::SuspendKind;
use crate::common::run::current;
use crate::common::run::gc;
use crate::common::run::group::{GroupKind, TaskGroup};

/// Iterator over outcomes in completion order.
#[pyclass(frozen, module = "tonio._tonio")]
pub struct AsCompleted {
    group: Arc<TaskGroup>,
    /// Steps still to hand out (a step that took nothing gives its place back).
    remaining: Arc<AtomicUsize>,
}

impl AsCompleted {
    fn next_step(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        let Some(step) = CompletionStep::next(&self.group, &self.remaining) else {
            return Ok(None);
        };
        let kind = SuspendKind::NextCompletion(Arc::new(step));
        awaitable(py, kind).map(Some)
    }
}

#[pymethods]
impl AsCompleted {
    /// `AsCompleted[T]` in annotations (a `types.GenericAlias`; see `bindings::generic`).
    #[classmethod]
    fn __class_getitem__(cls: &Bound<'_, PyType>, item: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        super::generic::generic_alias(cls, item)
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        gc::traverse_group(&self.group, &visit)
    }

    fn __iter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        self.next_step(py)
    }

    fn __aiter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    fn __anext__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.next_step(py)?
            .ok_or_else(|| PyStopAsyncIteration::new_err(()))
    }

    fn __len__(&self) -> usize {
        self.remaining.load(Ordering::Acquire)
    }
}

/// Starts every coroutine now; iterate to get their outcomes in completion order.
#[pyfunction]
#[pyo3(signature = (*coros))]
pub fn as_completed(py: Python<'_>, coros: &Bound<'_, PyTuple>) -> PyResult<AsCompleted> {
    let mut list = Vec::with_capacity(coros.len());
    for (position, coro) in coros.iter().enumerate() {
        if coroutine(&coro, "as_completed").is_err() {
            coroutine(&coro, &format!("as_completed (argument {})", position + 1))?;
        }
        list.push(coro.unbind());
    }
    let core = current::require("as_completed")?;
    let count = list.len();
    let group = TaskGroup::new(&core, GroupKind::AsCompleted, false);
    group.spawn(py, list)?;
    Ok(AsCompleted {
        group,
        remaining: Arc::new(AtomicUsize::new(count)),
    })
}
