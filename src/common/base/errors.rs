//! The exceptions tonio raises, and the one place that builds them.
//!
//! The classes are created here and re-exported by `tonio.exceptions` (both flavours share them).
//! Core code builds exceptions only through the helpers below so each message names the problem.

use pyo3::exceptions::{PyBaseException, PyException, PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString};

pyo3::create_exception!(
    tonio.exceptions,
    CancelledError,
    PyBaseException,
    "Thrown into a task at its suspension point when the task is cancelled."
);
pyo3::create_exception!(
    tonio.exceptions,
    TimeoutError,
    PyBaseException,
    "An operation did not finish before its deadline."
);
pyo3::create_exception!(
    tonio.exceptions,
    WouldBlock,
    PyException,
    "A non-waiting operation (`or_raise`) could not proceed without waiting."
);
pyo3::create_exception!(
    tonio.exceptions,
    ResourceBroken,
    PyException,
    "A resource (stream, TLS session, ...) can no longer be used."
);
pyo3::create_exception!(
    tonio.exceptions,
    RuntimeAlreadyInitializedError,
    PyRuntimeError,
    "A runtime was started from inside a running runtime on the same thread."
);
pyo3::create_exception!(
    tonio.exceptions,
    RuntimeNotInitializedError,
    PyRuntimeError,
    "An API that needs a running runtime was called outside one."
);

/// A fresh `CancelledError` instance, ready to be thrown into a task.
pub fn cancelled(py: Python<'_>) -> Py<PyAny> {
    CancelledError::new_err("the task was cancelled")
        .into_value(py)
        .into_any()
}

/// True if `exc` is a `CancelledError` instance.
pub fn is_cancelled(py: Python<'_>, exc: &Py<PyAny>) -> bool {
    exc.bind(py).is_instance_of::<CancelledError>()
}

/// The error for calls that need a running runtime.
pub fn not_running(what: &str) -> PyErr {
    RuntimeNotInitializedError::new_err(format!(
        "{what} needs a running tonio runtime; call it from a task started by tonio.run(), \
         @tonio.main or Runtime.run_until_complete()"
    ))
}

/// The `TypeError` thrown into a task that yielded something the runtime cannot wait on.
pub fn bad_yield(py: Python<'_>, value: &Bound<'_, PyAny>) -> Py<PyAny> {
    let shown = value
        .repr()
        .map(|r| r.to_string())
        .unwrap_or_else(|_| "<unrepresentable object>".to_owned());
    let type_name = type_name(value);
    let hint = match type_name.as_str() {
        "coroutine" => " (an `async def` coroutine: await it from tonio.colored code, or spawn it)",
        "Lock" | "Semaphore" => " (call it: `with (yield lock()):` acquires and releases)",
        "Future" | "Task" => {
            " (an asyncio object: asyncio and tonio do not mix; run asyncio code in its own \
             loop, e.g. with spawn_blocking(asyncio.run, ...))"
        }
        _ => "",
    };
    PyTypeError::new_err(format!(
        "a task yielded {shown} of type {type_name}{hint}; a task may yield only None, a \
         generator, or a tonio awaitable such as tonio.sleep(...) or tonio.spawn(...)"
    ))
    .into_value(py)
    .into_any()
}

/// Builds `BaseExceptionGroup(message, errors)`; Python turns it into an `ExceptionGroup` when
/// every error is an `Exception`.
pub fn exception_group(py: Python<'_>, message: &str, errors: Vec<Py<PyAny>>) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let group_type = py.import("builtins")?.getattr("BaseExceptionGroup")?;
        let group = group_type.call1((PyString::new(py, message), PyList::new(py, errors)?))?;
        Ok(PyErr::from_value(group))
    };
    build().unwrap_or_else(|err| err)
}

/// Adds a note to an exception a task failed with when it comes from mixing tonio with asyncio
/// or the colored flavour with the yield flavour: Python's own message does not say what to do.
pub fn add_mixing_hint(exc: &Bound<'_, PyAny>) {
    let Ok(message) = exc.str() else {
        return;
    };
    let message = message.to_string();
    let note = if exc.is_instance_of::<PyTypeError>()
        && message.contains("generator can't be used in 'await' expression")
    {
        "tonio: a yield-flavour coroutine (a generator) cannot be awaited; spawn it and await the \
         join (`await tonio.colored.spawn(gen())`), or write it with `async def`"
    } else if exc.is_instance_of::<pyo3::exceptions::PyRuntimeError>()
        && message == "no running event loop"
    {
        "tonio: tonio tasks do not run on an asyncio event loop, so asyncio objects (asyncio.sleep, \
         futures, tasks, asyncio locks) do not work in them: use tonio's (tonio.colored.sleep, \
         Event, channels), or run asyncio code in its own loop with spawn_blocking(asyncio.run, ...)"
    } else {
        return;
    };
    if let Err(err) = exc.call_method1("add_note", (note,)) {
        err.write_unraisable(exc.py(), None);
    }
}

/// A tonio awaitable awaited where no tonio task runs but an asyncio event loop does.
pub fn awaited_under_asyncio(py: Python<'_>, what: &str) -> Option<PyErr> {
    let asyncio = py
        .import("sys")
        .ok()?
        .getattr("modules")
        .ok()?
        .get_item("asyncio")
        .ok()?;
    let running = asyncio.call_method0("_get_running_loop").ok()?;
    if running.is_none() {
        return None;
    }
    Some(pyo3::exceptions::PyRuntimeError::new_err(format!(
        "tonio awaitable {what} awaited in an asyncio task: tonio and asyncio do not mix; run \
         this code on tonio (tonio.colored.run(main())) or use asyncio's own sleep, locks and \
         queues here"
    )))
}

/// The name of `value`'s type, for messages (`?` if it has none).
pub fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".to_owned())
}
