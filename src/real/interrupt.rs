//! Ctrl-C while the calling thread runs tasks.
//!
//! The calling thread is worker 0 (`platform.rs`), so Python's default SIGINT handler would
//! raise `KeyboardInterrupt` inside whichever task happens to run there, as an exception of
//! that task. Like `asyncio.run`, a run instead puts its own handler in place for its length
//! (only on the main thread, only while SIGINT has Python's default handler and is not one of
//! the run's `signals=[...]`): the first Ctrl-C interrupts the run (every task is cancelled and
//! `run_until_complete` raises `KeyboardInterrupt` once they have unwound); a second one, while
//! tasks still unwind, raises `KeyboardInterrupt` where the code is, as Python would. The
//! previous handler is back when the run ends.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};

use pyo3::exceptions::PyKeyboardInterrupt;
use pyo3::prelude::*;
use pyo3::types::{PyCFunction, PyDict, PyTuple};

use crate::common::run::core::RuntimeCore;

/// Puts the previous SIGINT handler back when dropped.
pub struct SigintHandler {
    installed: Option<(Py<PyAny>, Py<PyAny>)>,
}

/// Installs the run's SIGINT handler where it applies (see the module docs).
pub fn take_sigint(
    py: Python<'_>,
    core: &Arc<RuntimeCore>,
    configured: &[i32],
) -> PyResult<SigintHandler> {
    let none = SigintHandler { installed: None };
    if configured.contains(&libc::SIGINT) {
        return Ok(none);
    }
    let threading = py.import("threading")?;
    let main = threading.call_method0("main_thread")?;
    if !threading.call_method0("current_thread")?.is(&main) {
        return Ok(none);
    }
    let signal = py.import("signal")?;
    let previous = signal.call_method1("getsignal", (libc::SIGINT,))?;
    if !previous.is(&signal.getattr("default_int_handler")?) {
        return Ok(none);
    }
    let core: Weak<RuntimeCore> = Arc::downgrade(core);
    let interrupted = AtomicBool::new(false);
    let handler = PyCFunction::new_closure(
        py,
        Some(c"tonio_sigint"),
        Some(c"Interrupts the running tonio run (installed for its length)."),
        move |_args: &Bound<'_, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>| -> PyResult<()> {
            let core = core.upgrade();
            match core {
                Some(core) if !interrupted.swap(true, Ordering::AcqRel) => {
                    core.interrupt(PyKeyboardInterrupt::new_err(()));
                    Ok(())
                }
                _ => Err(PyKeyboardInterrupt::new_err(())),
            }
        },
    )?;
    signal.call_method1("signal", (libc::SIGINT, &handler))?;
    Ok(SigintHandler {
        installed: Some((handler.into_any().unbind(), previous.unbind())),
    })
}

impl Drop for SigintHandler {
    fn drop(&mut self) {
        let Some((ours, previous)) = self.installed.take() else {
            return;
        };
        let _ = Python::try_attach(|py| -> PyResult<()> {
            let signal = py.import("signal")?;
            // Put it back only if nobody replaced ours meanwhile.
            if signal
                .call_method1("getsignal", (libc::SIGINT,))?
                .is(ours.bind(py))
            {
                signal.call_method1("signal", (libc::SIGINT, previous))?;
            }
            Ok(())
        });
    }
}
