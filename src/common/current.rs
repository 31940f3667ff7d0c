//! The runtime a thread is working for.
//!
//! Worker threads install their run's core for the whole run; blocking-pool threads install it
//! around each job. Python-facing calls such as `spawn` and `time.time` read it to find the
//! runtime they belong to. A thread outside any run has none, and those calls raise
//! `RuntimeNotInitializedError`.

use std::cell::{Cell, RefCell};
use std::sync::{Arc, Mutex};

use pyo3::prelude::*;

use super::core::RuntimeCore;
use super::errors::not_running;
use super::util::lock;

thread_local! {
    static CURRENT: RefCell<Option<Arc<RuntimeCore>>> = const { RefCell::new(None) };
    /// Id of the task this thread is running (0: none).
    static TASK: Cell<u64> = const { Cell::new(0) };
}

/// Records that this thread runs task `id` (0: none); returns the previous value.
pub fn set_task(id: u64) -> u64 {
    TASK.with(|cell| cell.replace(id))
}

/// The id of the task this thread is running, if any.
pub fn task_id() -> Option<u64> {
    TASK.with(|cell| Some(cell.get()).filter(|&id| id != 0))
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
