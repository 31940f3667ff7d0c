//! The runtime a thread is working for.
//!
//! Worker threads install their run's core for the whole run; blocking-pool threads install it
//! around each job. Python-facing calls such as `spawn` and `time.time` read it to find the
//! runtime they belong to. A thread outside any run has none, and those calls raise
//! `RuntimeNotInitializedError`.

use std::cell::{Cell, RefCell};
use std::sync::{Arc, Mutex};

use pyo3::prelude::*;

use crate::common::base::errors::not_running;
use crate::common::base::util::lock;
use crate::common::run::core::RuntimeCore;

/// What this thread knows about the task it runs.
#[derive(Clone, Copy)]
pub struct RunningTask {
    /// `Task::uid` (0: none).
    pub uid: u64,
    /// The task is an operation branch (`decision.rs`): its take must go through the driver.
    pub operation_branch: bool,
    /// `Task::id` (per run, as traces and reports show it).
    pub id: u64,
    /// The task's own coroutine, borrowed: the task body that owns it stays locked by this
    /// thread for the whole step, so it lives as long as this record is installed.
    pub coro: *mut pyo3::ffi::PyObject,
}

const NO_TASK: RunningTask = RunningTask {
    uid: 0,
    operation_branch: false,
    id: 0,
    coro: std::ptr::null_mut(),
};

thread_local! {
    static CURRENT: RefCell<Option<Arc<RuntimeCore>>> = const { RefCell::new(None) };
    static TASK: Cell<RunningTask> = const { Cell::new(NO_TASK) };
}

/// Records the task this thread runs; returns the previous one.
pub fn set_task(task: RunningTask) -> RunningTask {
    TASK.with(|cell| cell.replace(task))
}

/// The process-unique id (`Task::uid`) of the task this thread is running, if any.
pub fn task_id() -> Option<u64> {
    TASK.with(|cell| Some(cell.get().uid).filter(|&id| id != 0))
}

/// The per-run id and the coroutine (a new reference) of the task this thread is running.
pub fn task_identity(py: Python<'_>) -> Option<(u64, Py<PyAny>)> {
    let task = TASK.with(Cell::get);
    if task.uid == 0 || task.coro.is_null() {
        return None;
    }
    // Safety: `coro` is kept alive by the task body this thread holds during the step (see
    // `RunningTask::coro`); we are attached and take a new reference.
    let coro = unsafe { Bound::from_borrowed_ptr(py, task.coro) };
    Some((task.id, coro.unbind()))
}

/// The running task's coroutine is about to be freed: stop pointing at it.
pub fn forget_coroutine() {
    TASK.with(|cell| {
        let mut task = cell.get();
        task.coro = std::ptr::null_mut();
        cell.set(task);
    });
}

/// True if the running task is an operation branch (`decision.rs`).
pub fn task_is_operation_branch() -> bool {
    TASK.with(|cell| cell.get().operation_branch)
}

/// The cores of runs in progress, most recent last, for threads that belong to none (a plain
/// `threading.Thread` calling `block_on`).
static RUNNING: Mutex<Vec<Arc<RuntimeCore>>> = Mutex::new(Vec::new());

/// Installs `core` as this thread's runtime until the guard drops.
pub fn enter(core: &Arc<RuntimeCore>) -> EnterGuard {
    let previous = CURRENT.with(|cell| cell.replace(Some(core.clone())));
    EnterGuard { previous }
}

pub struct EnterGuard {
    previous: Option<Arc<RuntimeCore>>,
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        CURRENT.with(|cell| *cell.borrow_mut() = previous);
    }
}

/// This thread's runtime, if any.
pub fn get() -> Option<Arc<RuntimeCore>> {
    CURRENT.with(|cell| cell.borrow().clone())
}

/// This thread's runtime, or `RuntimeNotInitializedError` naming `what`.
pub fn require(what: &str) -> PyResult<Arc<RuntimeCore>> {
    get().ok_or_else(|| not_running(what))
}

/// This thread's runtime, else the most recently started run in the process.
pub fn get_or_running() -> Option<Arc<RuntimeCore>> {
    get().or_else(|| lock(&RUNNING).last().cloned())
}

/// Registers a run in progress until the guard drops.
pub fn register_running(core: &Arc<RuntimeCore>) -> RunningGuard {
    lock(&RUNNING).push(core.clone());
    RunningGuard { core: core.clone() }
}

pub struct RunningGuard {
    core: Arc<RuntimeCore>,
}

impl Drop for RunningGuard {
    fn drop(&mut self) {
        lock(&RUNNING).retain(|core| !Arc::ptr_eq(core, &self.core));
    }
}
