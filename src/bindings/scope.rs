//! `scope()`: a group of tasks that can be cancelled together and waited for.
//!
//! Yield flavour: `with tonio.scope() as s: s.spawn(...)`, then `yield s()` to wait.
//! Colored flavour: `async with tonio.scope() as s:`; leaving the block waits.
//! A scope accepts tasks only inside its `with` block; if the block raises, the scope's tasks
//! are cancelled.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

use pyo3::gc::PyVisit;
use pyo3::PyTraverseError;

use super::suspension::awaitable;
use crate::common::base::suspend_args::coroutine;
use crate::common::base::util::lock;
use crate::common::drive::suspend::SuspendKind;
use crate::common::run::current;
use crate::common::run::gc;
use crate::common::run::group::{GroupKind, TaskGroup};

enum ScopeState {
    New,
    /// Cleared by the garbage collector (the object is part of unreachable garbage).
    Cleared,
    /// Inside the `with` block entered by the task with this uid (0: not from a task).
    Entered(Arc<TaskGroup>, u64),
    Exited(Arc<TaskGroup>),
}

/// A cancellation scope. Create with `tonio.scope()`.
#[pyclass(frozen, module = "tonio._tonio")]
pub struct Scope {
    state: Mutex<ScopeState>,
    cancel_requested: AtomicBool,
    /// Task errors go to the unhandled-error hook as they happen instead of to the owner.
    report_errors: bool,
}

impl Scope {
    fn enter(&self) -> PyResult<()> {
        let mut state = lock(&self.state);
        if !matches!(*state, ScopeState::New) {
            return Err(PyRuntimeError::new_err(
                "a scope can be entered only once; create a new tonio.scope()",
            ));
        }
        let core = current::require("scope")?;
        let group = TaskGroup::with_reporting(&core, GroupKind::Scope, true, self.report_errors);
        if self.cancel_requested.load(Ordering::Acquire) {
            group.cancel_tasks(false);
        }
        *state = ScopeState::Entered(group, current::task_id().unwrap_or(0));
        Ok(())
    }

    /// Marks the `with` block as left; returns the scope's group.
    fn exit(&self) -> PyResult<Arc<TaskGroup>> {
        let mut state = lock(&self.state);
        let group = match &*state {
            ScopeState::Entered(group, _) => group.clone(),
            ScopeState::New | ScopeState::Cleared => {
                return Err(PyRuntimeError::new_err(
                    "scope exited without being entered",
                ))
            }
            ScopeState::Exited(_) => return Err(PyRuntimeError::new_err("scope exited twice")),
        };
        *state = ScopeState::Exited(group.clone());
        Ok(group)
    }

    fn group(&self) -> Option<Arc<TaskGroup>> {
        match &*lock(&self.state) {
            ScopeState::New | ScopeState::Cleared => None,
            ScopeState::Entered(group, _) | ScopeState::Exited(group) => Some(group.clone()),
        }
    }
}

#[pymethods]
impl Scope {
    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        let Some(state) = gc::try_lock(&self.state) else {
            return Ok(());
        };
        match &*state {
            ScopeState::Entered(group, _) | ScopeState::Exited(group) => {
                gc::traverse_group(group, &visit)
            }
            ScopeState::New | ScopeState::Cleared => Ok(()),
        }
    }

    fn __clear__(&self) {
        let previous = std::mem::replace(&mut *lock(&self.state), ScopeState::Cleared);
        drop(previous);
    }

    /// `report_errors=True`: an exception escaping one of the scope's tasks goes to the
    /// runtime's `unhandled_error_hook` at once and is released, instead of being kept for the
    /// scope's wait (for servers, whose scopes see many tasks over a long life).
    #[new]
    #[pyo3(signature = (*, report_errors=false))]
    fn new(report_errors: bool) -> Self {
        Scope {
            state: Mutex::new(ScopeState::New),
            cancel_requested: AtomicBool::new(false),
            report_errors,
        }
    }

    fn __enter__(slf: Bound<'_, Self>) -> PyResult<Bound<'_, Self>> {
        slf.get().enter()?;
        Ok(slf)
    }

    #[pyo3(signature = (_exc_type=None, exc=None, _tb=None))]
    fn __exit__(
        &self,
        py: Python<'_>,
        _exc_type: Option<Bound<'_, PyAny>>,
        exc: Option<Bound<'_, PyAny>>,
        _tb: Option<Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        let group = self.exit()?;
        group.close(py);
        if exc.is_some_and(|e| !e.is_none()) {
            group.cancel_tasks(false);
        }
        Ok(false)
    }

    fn __aenter__(slf: Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        slf.get().enter()?;
        let py = slf.py();
        awaitable(py, SuspendKind::Value(slf.into_any().unbind()))
    }

    /// Colored flavour: an awaitable that closes the scope (cancelling its tasks if the body
    /// raised), waits for its tasks and raises their errors together with the body's.
    #[pyo3(signature = (_exc_type=None, exc=None, _tb=None))]
    fn __aexit__(
        &self,
        py: Python<'_>,
        _exc_type: Option<Bound<'_, PyAny>>,
        exc: Option<Bound<'_, PyAny>>,
        _tb: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let group = self.exit()?;
        let body_error = exc.filter(|e| !e.is_none()).map(Bound::unbind);
        let kind = SuspendKind::ScopeExit { group, body_error };
        awaitable(py, kind)
    }

    /// Starts `coro` as a task of this scope. Only inside the scope's `with` block. `name`
    /// names the task in simulator reports and traces (default: the coroutine's qualified
    /// name; it becomes the coroutine's `__qualname__`).
    #[pyo3(signature = (coro, *, name=None))]
    fn spawn(&self, py: Python<'_>, coro: Bound<'_, PyAny>, name: Option<&str>) -> PyResult<()> {
        coroutine(&coro, "scope.spawn")?;
        if let Some(name) = name {
            let one = pyo3::types::PyTuple::new(py, [&coro])?;
            super::task_info::name_tasks(&one, name, "scope.spawn")?;
        }
        let group = match &*lock(&self.state) {
            ScopeState::Entered(group, _) => group.clone(),
            ScopeState::New | ScopeState::Cleared => {
                return Err(PyRuntimeError::new_err(
                    "scope.spawn: enter the scope first (with/async with)",
                ))
            }
            ScopeState::Exited(_) => {
                return Err(PyRuntimeError::new_err(
                    "scope.spawn: the scope has exited; spawn only inside its with block",
                ))
            }
        };
        group.spawn(py, vec![coro.unbind()])
    }

    /// Cancels every task of the scope (once each); tasks spawned later start cancelled.
    fn cancel(&self) {
        self.cancel_requested.store(true, Ordering::Release);
        if let Some(group) = self.group() {
            group.cancel_tasks(false);
        }
    }

    /// True once `cancel()` was called.
    #[getter]
    fn cancelled(&self) -> bool {
        self.cancel_requested.load(Ordering::Acquire)
    }

    /// Yield flavour: an awaitable that waits for every task of the scope, then raises their
    /// exceptions (other than `CancelledError`) as an `ExceptionGroup`.
    fn __call__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let group = match &*lock(&self.state) {
            ScopeState::New | ScopeState::Cleared => {
                return Err(PyRuntimeError::new_err(
                    "enter the scope before waiting for it",
                ))
            }
            // The task inside the `with` block would wait for itself to leave it: never.
            ScopeState::Entered(_, entered_by)
                if *entered_by != 0 && current::task_id() == Some(*entered_by) =>
            {
                return Err(PyRuntimeError::new_err(
                    "yield scope() waits for the scope's tasks after its with block; inside the \
                     with block it would wait forever (leave the block first)",
                ))
            }
            ScopeState::Entered(group, _) | ScopeState::Exited(group) => group.clone(),
        };
        awaitable(py, SuspendKind::Join(group))
    }
}
