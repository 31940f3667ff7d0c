//! `as_completed(*coros)`: the coroutines' outcomes in completion order.
//!
//! Yield flavour: `for c in as_completed(...): v = yield c`. Colored: `async for v in ...`.
//! Each step waits for the next task to finish and evaluates to its value or raises its
//! exception.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use pyo3::exceptions::PyStopAsyncIteration;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use crate::common::current;
use crate::common::group::{GroupKind, TaskGroup};
use crate::common::suspend::{Suspend, SuspendKind};
use crate::common::suspend_args::coroutine;

/// Iterator over outcomes in completion order.
#[pyclass(frozen, module = "tonio._tonio")]
pub struct AsCompleted {
    group: Arc<TaskGroup>,
    remaining: AtomicUsize,
}

impl AsCompleted {
    fn next_step(&self) -> Option<Suspend> {
        self.remaining
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
            .ok()
            .map(|_| Suspend::new(SuspendKind::Join(self.group.clone())))
    }
}

#[pymethods]
impl AsCompleted {
    fn __iter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    fn __next__(&self) -> Option<Suspend> {
        self.next_step()
    }

    fn __aiter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    fn __anext__(&self) -> PyResult<Suspend> {
        self.next_step()
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
        coroutine(&coro, &format!("as_completed (argument {})", position + 1))?;
        list.push(coro.unbind());
    }
    let core = current::require("as_completed")?;
    let count = list.len();
    let group = TaskGroup::new(&core, GroupKind::AsCompleted, false);
    group.spawn(py, list)?;
    Ok(AsCompleted {
        group,
        remaining: AtomicUsize::new(count),
    })
}
