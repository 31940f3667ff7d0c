//! A tonio awaitable that is dropped before anyone yielded or awaited it: a forgotten
//! `yield tonio.sleep(1)`. Like CPython's "coroutine ... was never awaited", this is a
//! `RuntimeWarning` issued when the object is freed. A statement that builds an awaitable and
//! drops it frees it right there, so the warning points at that line (`warnings` takes the
//! location from the running frame); an awaitable kept in a variable warns where its last
//! reference goes.
//!
//! The hot path pays one relaxed store when an awaitable starts and one load when it is
//! freed; only the forgotten case builds a message.

use std::ffi::CString;

use pyo3::exceptions::PyRuntimeWarning;
use pyo3::prelude::*;

/// Issues the warning for an awaitable of kind `name` (e.g. `"sleep"`), keeping any exception
/// being raised on this thread as it was.
pub fn warn_never_awaited(name: &str) {
    Python::try_attach(|py| {
        let pending = PyErr::take(py);
        let message = format!(
            "tonio awaitable {name} was never yielded or awaited (write `yield` before it in a \
             generator task, `await` in async code); it did nothing"
        );
        if let Ok(message) = CString::new(message) {
            let category = py.get_type::<PyRuntimeWarning>();
            if let Err(err) = PyErr::warn(py, &category, &message, 1) {
                // `-W error`: the warning is an exception that nobody can catch in a dealloc.
                err.write_unraisable(py, None);
            }
        }
        if let Some(pending) = pending {
            pending.restore(py);
        }
    });
}
