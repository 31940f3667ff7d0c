//! Module-level functions: spawning, blocking work, time, combinators.

use std::sync::{Arc, Mutex};

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use super::suspension::awaitable;
use crate::common::base::errors::not_running;
use crate::common::base::suspend_args::{coroutine, seconds};
use crate::common::base::task_context::copy_current;
use crate::common::base::time::seconds_from_ticks;
use crate::common::drive::suspend::SuspendKind;
use crate::common::run::blocking::BlockingJob;
use crate::common::run::current;
use crate::common::run::group::{GroupKind, TaskGroup};

fn collect(coros: &Bound<'_, PyTuple>, what: &str) -> PyResult<Vec<Py<PyAny>>> {
    let mut out = Vec::with_capacity(coros.len());
    for (position, coro) in coros.iter().enumerate() {
        if coroutine(&coro, what).is_err() {
            coroutine(&coro, &format!("{what} (argument {})", position + 1))?;
        }
        out.push(coro.unbind());
    }
    Ok(out)
}

fn spawn_group(
    py: Python<'_>,
    coros: &Bound<'_, PyTuple>,
    kind: GroupKind,
    what: &str,
    name: Option<&str>,
) -> PyResult<Arc<TaskGroup>> {
    let coros = collect(coros, what)?;
    if let Some(name) = name {
        super::task_info::name_tasks(&PyTuple::new(py, &coros)?, name, what)?;
    }
    let core = current::require(what)?;
    let group = TaskGroup::new(&core, kind, false);
    group.spawn(py, coros)?;
    Ok(group)
}

/// Schedules every coroutine now; the returned awaitable evaluates to their results.
/// `name` names the tasks (see `task_info::name_tasks`).
#[pyfunction]
#[pyo3(signature = (*coros, name=None))]
pub fn spawn(
    py: Python<'_>,
    coros: &Bound<'_, PyTuple>,
    name: Option<&str>,
) -> PyResult<Py<PyAny>> {
    let kind = GroupKind::Join { always_list: false };
    let group = spawn_group(py, coros, kind, "spawn", name)?;
    awaitable(py, SuspendKind::Join(group))
}

/// Like `spawn`, but the awaitable evaluates to None (results are dropped as tasks finish).
#[pyfunction]
#[pyo3(signature = (*coros, name=None))]
pub fn spawn_without_results(
    py: Python<'_>,
    coros: &Bound<'_, PyTuple>,
    name: Option<&str>,
) -> PyResult<Py<PyAny>> {
    let what = "spawn.without_results";
    let group = spawn_group(py, coros, GroupKind::JoinNoResults, what, name)?;
    awaitable(py, SuspendKind::Join(group))
}

/// Fire and forget: exceptions go to the runtime's unhandled-error hook.
#[pyfunction]
#[pyo3(signature = (*coros, name=None))]
pub fn spawn_without_tracking(
    py: Python<'_>,
    coros: &Bound<'_, PyTuple>,
    name: Option<&str>,
) -> PyResult<()> {
    let what = "spawn.without_tracking";
    spawn_group(py, coros, GroupKind::Untracked, what, name).map(drop)
}

/// `spawn` whose awaitable always evaluates to a list (used by `map`).
#[pyfunction]
pub fn spawn_list(py: Python<'_>, coros: Vec<Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
    let tuple = PyTuple::new(py, coros)?;
    let group = spawn_group(
        py,
        &tuple,
        GroupKind::Join { always_list: true },
        "map",
        None,
    )?;
    awaitable(py, SuspendKind::Join(group))
}

/// `CO_GENERATOR | CO_COROUTINE | CO_ITERABLE_COROUTINE | CO_ASYNC_GENERATOR` (code flags).
const COROUTINE_FLAGS: i64 = 0x20 | 0x80 | 0x100 | 0x200;

/// A generator or `async def` function passed to `spawn_blocking` would only create a
/// coroutine in the thread: refuse it at once, naming what to do.
fn refuse_coroutine_function(func: &Bound<'_, PyAny>) -> PyResult<()> {
    let code = func
        .getattr(intern!(func.py(), "__code__"))
        .or_else(|_| func.getattr("__func__").and_then(|f| f.getattr("__code__")));
    let flags = code
        .and_then(|code| code.getattr("co_flags"))
        .and_then(|flags| flags.extract::<i64>())
        .unwrap_or(0);
    if flags & COROUTINE_FLAGS == 0 {
        return Ok(());
    }
    let name = func
        .getattr("__qualname__")
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "the function".to_owned());
    Err(pyo3::exceptions::PyTypeError::new_err(format!(
        "spawn_blocking runs plain functions in a thread, and {name} is a generator or async \
         function: yield/await {name}(...) in a task (or spawn it) instead"
    )))
}

/// The blocking call `func(*args, **kwargs)`, checked.
fn blocking_job(
    py: Python<'_>,
    func: Bound<'_, PyAny>,
    args: Bound<'_, PyTuple>,
    kwargs: Option<Bound<'_, PyDict>>,
) -> PyResult<BlockingJob> {
    if !func.is_callable() {
        let name = super::args::type_name(&func);
        return Err(pyo3::exceptions::PyTypeError::new_err(format!(
            "spawn_blocking: the first argument must be callable, got {name}"
        )));
    }
    refuse_coroutine_function(&func)?;
    let core = current::require("spawn_blocking")?;
    let context = if core.options.context {
        Some(copy_current(py)?)
    } else {
        None
    };
    Ok(BlockingJob::new(
        core,
        func.unbind(),
        args.unbind(),
        kwargs.map(Bound::unbind),
        context,
    ))
}

/// An awaitable that runs `fn(*args, **kwargs)` on the blocking pool when awaited.
#[pyfunction]
#[pyo3(signature = (func, /, *args, **kwargs))]
pub fn spawn_blocking(
    py: Python<'_>,
    func: Bound<'_, PyAny>,
    args: Bound<'_, PyTuple>,
    kwargs: Option<Bound<'_, PyDict>>,
) -> PyResult<Py<PyAny>> {
    let job = blocking_job(py, func, args, kwargs)?;
    awaitable(py, SuspendKind::Blocking(Arc::new(job)))
}

/// Awaitable: as `spawn_blocking`, but a cancellation of the waiting task never interrupts the
/// call once it runs: it finishes and its result is dropped (tonio's own calls that must not
/// stop halfway: spawning a child process).
#[pyfunction]
#[pyo3(signature = (func, /, *args, **kwargs))]
pub fn spawn_blocking_to_completion(
    py: Python<'_>,
    func: Bound<'_, PyAny>,
    args: Bound<'_, PyTuple>,
    kwargs: Option<Bound<'_, PyDict>>,
) -> PyResult<Py<PyAny>> {
    let job = blocking_job(py, func, args, kwargs)?.to_completion();
    awaitable(py, SuspendKind::Blocking(Arc::new(job)))
}

/// Runs `coro` on the running runtime from a synchronous thread and blocks until it finishes.
#[pyfunction]
pub fn block_on(py: Python<'_>, coro: Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    coroutine(&coro, "block_on")?;
    let core = current::get_or_running().ok_or_else(|| not_running("block_on"))?;
    if core.platform.on_worker_thread() && core.platform.nested_block_on_allowed() {
        let group = TaskGroup::new(&core, GroupKind::BlockOn, false);
        group.spawn(py, vec![coro.unbind()])?;
        core.platform.run_nested(py, &core, &|| group.is_finished());
        return match group.winner(py) {
            Some(outcome) => outcome.into_result(py),
            None => Err(not_running(
                "block_on (the simulation could not finish the coroutine)",
            )),
        };
    }
    if core.platform.on_worker_thread() {
        return Err(PyRuntimeError::new_err(
            "block_on was called from a runtime worker thread (inside a task), where blocking would \
             deadlock the runtime; yield/await the coroutine instead, or call block_on from \
             spawn_blocking",
        ));
    }
    let group = TaskGroup::new(&core, GroupKind::BlockOn, false);
    group.spawn(py, vec![coro.unbind()])?;
    if !py.detach(|| group.wait_finished_blocking()) {
        return Err(not_running(
            "block_on (the runtime finished before the coroutine could run)",
        ));
    }
    match group.winner(py) {
        Some(outcome) => outcome.into_result(py),
        None => Err(PyRuntimeError::new_err(
            "block_on: the coroutine ended without an outcome",
        )),
    }
}

/// An awaitable that sleeps for `seconds` (negative means 0).
#[pyfunction]
pub fn sleep(py: Python<'_>, seconds_value: Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    let seconds = seconds(&seconds_value, "sleep: seconds")?;
    awaitable(py, SuspendKind::Sleep(seconds))
}

/// An awaitable that lets other tasks run, then resumes (`await tonio.colored.yield_now()`,
/// the colored twin of a bare `yield`).
#[pyfunction]
pub fn yield_now(py: Python<'_>) -> PyResult<Py<PyAny>> {
    awaitable(py, SuspendKind::YieldNow)
}

/// The runtime clock, in seconds (microsecond resolution).
#[pyfunction]
pub fn time() -> PyResult<f64> {
    let core = current::require("time.time()")?;
    Ok(seconds_from_ticks(core.now()))
}

/// Awaitable: `(value, True)` if `coro` finishes within `seconds`, else cancels it and
/// evaluates to `(None, False)`.
#[pyfunction]
pub fn timeout(
    py: Python<'_>,
    coro: Bound<'_, PyAny>,
    seconds_value: Bound<'_, PyAny>,
) -> PyResult<Py<PyAny>> {
    coroutine(&coro, "timeout")?;
    let seconds = seconds(&seconds_value, "timeout: seconds")?;
    let kind = SuspendKind::Timeout {
        coro: Mutex::new(Some(coro.unbind())),
        seconds,
    };
    awaitable(py, kind)
}

/// Awaitable: runs every coroutine, evaluates to the first one's result (or raises its
/// exception), cancels the others and waits for them to unwind.
#[pyfunction]
#[pyo3(signature = (*coros))]
pub fn select(py: Python<'_>, coros: &Bound<'_, PyTuple>) -> PyResult<Py<PyAny>> {
    if coros.is_empty() {
        return Err(PyValueError::new_err("select needs at least one coroutine"));
    }
    let coros = collect(coros, "select")?;
    awaitable(py, SuspendKind::Select(Mutex::new(Some(coros))))
}

/// An awaitable that runs `generator` (a generator-based coroutine) as one operation: as a
/// select branch or timeout body on its own it completes or takes nothing, provided the
/// generator marks the instant it takes with `operation_completes()` (TLS receives are built
/// so). Anywhere else it behaves as the generator itself.
#[pyfunction]
pub fn operation(generator: Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    // Safety: a type check on a live object we hold a reference to.
    if unsafe { pyo3::ffi::PyGen_CheckExact(generator.as_ptr()) } == 0 {
        return Err(pyo3::exceptions::PyTypeError::new_err(format!(
            "operation() takes a generator, not {}",
            crate::common::base::errors::type_name(&generator)
        )));
    }
    let py = generator.py();
    let generator = Mutex::new(Some(generator.unbind()));
    awaitable(py, SuspendKind::Operation(generator))
}

/// Awaitable, inside a composed operation (`operation`): it is about to complete by taking
/// something. Evaluates to `None`; throws `CancelledError` when the operation is a select
/// branch or timeout body that already lost, in which case it must take nothing (give back
/// what it holds and let the error propagate).
#[pyfunction]
pub fn operation_completes(py: Python<'_>) -> PyResult<Py<PyAny>> {
    awaitable(py, SuspendKind::OperationCompletes)
}

/// An awaitable that evaluates to `value` at once (for APIs that are awaitable but need not
/// wait, such as `SocketStream.send_eof()`).
#[pyfunction]
pub fn ready(py: Python<'_>, value: Py<PyAny>) -> PyResult<Py<PyAny>> {
    awaitable(py, SuspendKind::Value(value))
}

/// `atexit` hook (`tonio/__init__.py`): from now on no thread started by tonio attaches to
/// Python, and the calls still running on blocking-pool threads get up to 10 s to finish
/// (`real::python_exit`): a thread attaching while the interpreter finalizes would abort the
/// process.
#[pyfunction]
pub fn drain_threads_at_exit(py: Python<'_>) {
    py.detach(crate::real::python_exit::drain);
}
