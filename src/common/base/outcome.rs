//! What a task is resumed with, and what it finished with.

use pyo3::prelude::*;

/// The value a suspended task is resumed with.
///
/// # Cancellation
/// A resume that carries nothing (`Start`, `Nothing`, `Ready`) may be replaced by a pending
/// cancellation: the task then sees `CancelledError` instead. A resume that carries a value or an
/// exception (`Value`, `Throw`) is always delivered, because the value may transfer ownership
/// (a granted lock, a received message); the cancellation then waits for the next suspension.
pub enum Resume {
    /// First run of the task: start its coroutine.
    Start,
    /// Resume with `None` (after `yield`, `yield_now`, a finished sleep).
    Nothing,
    /// The awaited operation completed; the wait registration computes the value.
    Ready,
    /// Resume with a value.
    Value(Py<PyAny>),
    /// Throw an exception instance at the suspension point.
    Throw(Py<PyAny>),
    /// Throw a fresh `CancelledError`.
    Cancel,
}

impl Resume {
    /// True if a pending cancellation may take this resume's place.
    pub fn cancellable(&self) -> bool {
        matches!(self, Resume::Start | Resume::Nothing | Resume::Ready)
    }

    /// Throw `err` at the suspension point.
    pub fn throw(py: Python<'_>, err: PyErr) -> Resume {
        Resume::Throw(err.into_value(py).into_any())
    }

    /// Resume with `value`, or throw its error.
    pub fn from_result(py: Python<'_>, result: PyResult<Py<PyAny>>) -> Resume {
        match result {
            Ok(value) => Resume::Value(value),
            Err(err) => Resume::throw(py, err),
        }
    }
}

/// How a task (or a blocking call) finished.
pub enum Outcome {
    Returned(Py<PyAny>),
    Raised(Py<PyAny>),
}

impl Outcome {
    pub fn clone_ref(&self, py: Python<'_>) -> Outcome {
        match self {
            Outcome::Returned(v) => Outcome::Returned(v.clone_ref(py)),
            Outcome::Raised(e) => Outcome::Raised(e.clone_ref(py)),
        }
    }

    /// As a Python result: the value, or the exception as a `PyErr`.
    pub fn into_result(self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        match self {
            Outcome::Returned(v) => Ok(v),
            Outcome::Raised(e) => Err(PyErr::from_value(e.into_bound(py))),
        }
    }

    /// As a resume: send the value or throw the exception.
    pub fn into_resume(self) -> Resume {
        match self {
            Outcome::Returned(v) => Resume::Value(v),
            Outcome::Raised(e) => Resume::Throw(e),
        }
    }
}
