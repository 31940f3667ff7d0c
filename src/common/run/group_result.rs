//! What waiting on a finished group evaluates to, per group kind.
//!
//! Results are cloned out (not moved), so a join handle may be awaited more than once and gives
//! the same answer. Errors count as delivered (`errors_taken`) once one waiter received them.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyList, PyTuple};

use crate::common::base::errors::{exception_group, is_cancelled};
use crate::common::base::outcome::{Outcome, Resume};
use crate::common::base::util::lock;
use crate::common::run::group::{GroupKind, TaskGroup};

impl TaskGroup {
    /// The value a waiter of this finished group resumes with.
    pub fn join_result(&self, py: Python<'_>) -> Resume {
        match self.kind {
            GroupKind::Join { always_list } => self.join_values(py, always_list),
            GroupKind::JoinNoResults | GroupKind::Untracked => {
                self.errors_or(py, "SpawnExceptionGroup", false, Resume::Value(py.None()))
            }
            GroupKind::Scope => {
                self.errors_or(py, "ScopeExceptionGroup", true, Resume::Value(py.None()))
            }
            GroupKind::Select | GroupKind::BlockOn | GroupKind::Main => match self.winner(py) {
                Some(outcome) => outcome.into_resume(),
                None => Resume::Value(py.None()),
            },
            GroupKind::Timeout => self.timeout_result(py),
            // Steps take outcomes themselves (`completions.rs`); waiting for the whole group
            // evaluates to None.
            GroupKind::AsCompleted => Resume::Value(py.None()),
        }
    }

    /// The scope's task errors (without `CancelledError`s), marking them delivered.
    pub fn take_scope_errors(&self, py: Python<'_>) -> Vec<Py<PyAny>> {
        let mut inner = lock(&self.inner);
        inner.errors_taken = true;
        let mut errors: Vec<(u64, Py<PyAny>)> = inner
            .errors
            .iter()
            .map(|(i, e)| (*i, e.clone_ref(py)))
            .collect();
        drop(inner);
        errors.sort_by_key(|(order, _)| *order);
        errors
            .into_iter()
            .map(|(_, e)| e)
            .filter(|e| !is_cancelled(py, e))
            .collect()
    }

    /// `BlockOn`/`Main`: the deciding outcome.
    pub fn winner(&self, py: Python<'_>) -> Option<Outcome> {
        lock(&self.inner)
            .winner
            .as_ref()
            .map(|outcome| outcome.clone_ref(py))
    }

    fn join_values(&self, py: Python<'_>, always_list: bool) -> Resume {
        let values: Vec<Py<PyAny>> = {
            let inner = lock(&self.inner);
            if !inner.errors.is_empty() {
                drop(inner);
                return self.errors_or(py, "SpawnExceptionGroup", false, Resume::Nothing);
            }
            inner
                .results
                .iter()
                .map(|value| {
                    value
                        .as_ref()
                        .map_or_else(|| py.None(), |v| v.clone_ref(py))
                })
                .collect()
        };
        if values.len() == 1 && !always_list {
            return Resume::Value(values.into_iter().next().unwrap_or_else(|| py.None()));
        }
        match PyList::new(py, values) {
            Ok(list) => Resume::Value(list.into_any().unbind()),
            Err(err) => Resume::throw(py, err),
        }
    }

    /// Raises the collected errors as an exception group, or resumes with `otherwise`.
    fn errors_or(
        &self,
        py: Python<'_>,
        message: &str,
        skip_cancelled: bool,
        otherwise: Resume,
    ) -> Resume {
        let mut errors: Vec<(u64, Py<PyAny>)> = {
            let mut inner = lock(&self.inner);
            inner.errors_taken = true;
            inner
                .errors
                .iter()
                .map(|(i, e)| (*i, e.clone_ref(py)))
                .collect()
        };
        if skip_cancelled {
            errors.retain(|(_, e)| !is_cancelled(py, e));
        }
        if errors.is_empty() {
            return otherwise;
        }
        errors.sort_by_key(|(order, _)| *order);
        let errors = errors.into_iter().map(|(_, e)| e).collect();
        Resume::throw(py, exception_group(py, message, errors))
    }

    /// `(value, in_time)`: in time only if the coroutine won against the deadline; a coroutine
    /// that caught the cancellation and returned late gives `(value, False)`.
    fn timeout_result(&self, py: Python<'_>) -> Resume {
        let outcome = lock(&self.inner).winner.as_ref().map(|o| o.clone_ref(py));
        let timed_out = self.deadline_won();
        let pair = |value: Py<PyAny>, ok: bool| -> Resume {
            let ok = PyBool::new(py, ok).to_owned().into_any().unbind();
            match PyTuple::new(py, [value, ok]) {
                Ok(tuple) => Resume::Value(tuple.into_any().unbind()),
                Err(err) => Resume::throw(py, err),
            }
        };
        match outcome {
            Some(Outcome::Returned(value)) => pair(value, !timed_out),
            Some(Outcome::Raised(exc)) if timed_out && is_cancelled(py, &exc) => {
                pair(py.None(), false)
            }
            Some(Outcome::Raised(exc)) => Resume::Throw(exc),
            None => pair(py.None(), false),
        }
    }
}
