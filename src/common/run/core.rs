//! `RuntimeCore`: the state of one run, shared by its tasks, groups and platform.
//!
//! # Shutdown
//! 1. The main task finishes (or the run is interrupted, e.g. by `KeyboardInterrupt`): its
//!    outcome is stored and `begin_shutdown` runs.
//! 2. `shutting_down` is set, then every unfinished task of every registered group is cancelled
//!    *persistently* (cancellation is thrown at each of its suspensions until it finishes). Tasks
//!    spawned from then on start cancelled.
//! 3. When the live-task count reaches zero the run is finished; the platform's loop returns and
//!    `run_until_complete` returns the main outcome. Nothing survives into the next run.
//!
//! # Invariants
//! - `live` counts tasks created and not yet finished; the run cannot finish while it is non-zero.
//! - A group is in `groups` from creation until it has no unfinished task and accepts no more.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use pyo3::prelude::*;

use crate::common::base::outcome::Outcome;
use crate::common::base::task_context::TaskContext;
use crate::common::base::time::Ticks;
use crate::common::base::util::lock;
use crate::common::io::descriptors::Descriptors;
use crate::common::io::net::Net;
use crate::common::run::decision::Branch;
use crate::common::run::group::TaskGroup;
use crate::common::run::platform::Platform;
use crate::common::run::task::Task;
use crate::common::run::timers::{TimerAction, TimerKey, Timers};

/// Options that the core itself reads.
#[derive(Clone)]
pub struct CoreOptions {
    /// Run each task and blocking call in a copy of the spawner's `contextvars` context.
    pub context: bool,
    /// Called with each exception nobody else can receive; `None` prints to stderr.
    pub unhandled_error_hook: Option<Arc<Py<PyAny>>>,
}

#[derive(Default)]
struct RunEnd {
    main: Option<Outcome>,
    interrupt: Option<PyErr>,
    finished: bool,
}

/// Each run's task uids start at a multiple of this (`Task::uid`): 2^40 ids per run.
const UIDS_PER_RUN: u64 = 1 << 40;
/// Runs started in the process, for `RuntimeCore::uid_base`.
static RUNS: AtomicU64 = AtomicU64::new(1);

pub struct RuntimeCore {
    pub platform: Arc<dyn Platform>,
    /// Added to a task's per-run id to make it unique in the process (`Task::uid`).
    pub uid_base: u64,
    pub timers: Timers,
    pub options: CoreOptions,
    ids: AtomicU64,
    live: AtomicUsize,
    shutting_down: AtomicBool,
    groups: Mutex<BTreeMap<u64, Arc<TaskGroup>>>,
    end: Mutex<RunEnd>,
}

impl RuntimeCore {
    pub fn new(platform: Arc<dyn Platform>, options: CoreOptions) -> Arc<RuntimeCore> {
        Arc::new(RuntimeCore {
            platform,
            uid_base: RUNS
                .fetch_add(1, Ordering::Relaxed)
                .wrapping_mul(UIDS_PER_RUN),
            timers: Timers::new(),
            options,
            ids: AtomicU64::new(0),
            live: AtomicUsize::new(0),
            shutting_down: AtomicBool::new(false),
            groups: Mutex::new(BTreeMap::new()),
            end: Mutex::new(RunEnd::default()),
        })
    }

    /// A fresh id for a task or group (deterministic: a counter).
    pub fn next_id(&self) -> u64 {
        self.ids.fetch_add(1, Ordering::Relaxed) + 1
    }

    pub fn now(&self) -> Ticks {
        self.platform.now()
    }

    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::SeqCst)
    }

    /// Number of unfinished tasks.
    pub fn live_tasks(&self) -> usize {
        self.live.load(Ordering::SeqCst)
    }

    /// Creates a task in `group` at `index`. The caller adds it to the group and schedules it.
    pub fn new_task(
        self: &Arc<Self>,
        group: &Arc<TaskGroup>,
        index: usize,
        coro: Py<PyAny>,
        context: TaskContext,
        cancelled: bool,
        branch: Branch,
    ) -> Arc<Task> {
        self.live.fetch_add(1, Ordering::SeqCst);
        Task::new(
            self.clone(),
            group.clone(),
            index,
            coro,
            context,
            cancelled,
            branch,
        )
    }

    /// The deadline `seconds` from now; a delay beyond the clock's range (`float('inf')`)
    /// means "never" on every platform (the simulator then reports a run that waits only on
    /// it as a deadlock).
    pub fn deadline_after(&self, seconds: f64) -> Ticks {
        crate::common::base::time::deadline_after(self.now(), seconds)
    }

    /// Arms a timer. If it is now the earliest, the platform hears of it, so that a thread
    /// sleeping until a later deadline wakes up in time.
    pub fn arm_timer(&self, deadline: Ticks, action: TimerAction) -> TimerKey {
        let order = self.platform.timer_order();
        let (key, earliest) = self.timers.add(deadline, order, action);
        if earliest {
            self.platform.timer_armed(deadline);
        }
        key
    }

    /// Every unfinished task, by group creation order then spawn order.
    pub fn live_task_list(&self) -> Vec<Arc<Task>> {
        let groups: Vec<Arc<TaskGroup>> = lock(&self.groups).values().cloned().collect();
        groups.iter().flat_map(|group| group.live_tasks()).collect()
    }

    pub fn register_group(&self, group: &Arc<TaskGroup>) {
        lock(&self.groups).insert(group.id, group.clone());
    }

    pub fn unregister_group(&self, id: u64) -> Option<Arc<TaskGroup>> {
        lock(&self.groups).remove(&id)
    }

    /// A task finished (after its group recorded the outcome).
    pub fn task_finished(&self) {
        if self.live.fetch_sub(1, Ordering::SeqCst) == 1 && self.is_shutting_down() {
            self.mark_finished();
        }
    }

    /// The main task finished with `outcome`.
    pub fn main_finished(&self, outcome: Outcome) {
        lock(&self.end).main = Some(outcome);
        self.begin_shutdown();
    }

    /// The platform's network, or a `RuntimeError` saying this platform has none.
    /// The platform's OS descriptors, or a `RuntimeError` naming `what` under the simulator.
    pub fn descriptors(&self, what: &str) -> PyResult<&dyn Descriptors> {
        self.platform.descriptors().ok_or_else(|| {
            pyo3::exceptions::PyRuntimeError::new_err(format!(
                "{what} is refused on the {} platform: an OS descriptor's readiness comes from \
                 the OS, not from the run's seed, so the run could not replay",
                self.platform.name()
            ))
        })
    }

    pub fn net(&self) -> PyResult<&dyn Net> {
        self.platform.net().ok_or_else(|| {
            pyo3::exceptions::PyRuntimeError::new_err(format!(
                "the {} platform has no network",
                self.platform.name()
            ))
        })
    }

    /// The run was interrupted from outside (e.g. `KeyboardInterrupt` on the waiting thread):
    /// everything is cancelled and `err` is raised once the tasks have unwound.
    pub fn interrupt(&self, err: PyErr) {
        {
            let mut end = lock(&self.end);
            if end.interrupt.is_none() {
                end.interrupt = Some(err);
            }
        }
        self.begin_shutdown();
    }

    /// Cancels every task persistently. Idempotent.
    pub fn begin_shutdown(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
        let groups: Vec<Arc<TaskGroup>> = lock(&self.groups).values().cloned().collect();
        for group in groups {
            group.cancel_tasks(true);
        }
        if self.live.load(Ordering::SeqCst) == 0 {
            self.mark_finished();
        }
    }

    fn mark_finished(&self) {
        lock(&self.end).finished = true;
        self.platform.run_finished();
    }

    pub fn is_finished(&self) -> bool {
        lock(&self.end).finished
    }

    /// The run's result: the interrupt if there was one, else the main outcome.
    pub fn take_result(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let mut end = lock(&self.end);
        if let Some(err) = end.interrupt.take() {
            return Err(err);
        }
        match end.main.take() {
            Some(outcome) => outcome.into_result(py),
            None => Err(pyo3::exceptions::PyRuntimeError::new_err(
                "tonio: the run ended without a result from its main task",
            )),
        }
    }

    /// Hands an exception that no task or scope can receive to the unhandled-error hook. If
    /// the hook itself raises, both are printed: the original error (as the default hook
    /// would) and the hook's error (through `sys.unraisablehook`).
    pub fn report_unhandled(&self, py: Python<'_>, exc: &Py<PyAny>) {
        let Some(hook) = &self.options.unhandled_error_hook else {
            if let Err(err) = default_unhandled_error_hook(py, exc) {
                err.write_unraisable(py, None);
            }
            return;
        };
        if let Err(hook_error) = hook.call1(py, (exc.clone_ref(py),)) {
            if let Err(err) = default_unhandled_error_hook(py, exc) {
                err.write_unraisable(py, None);
            }
            hook_error.write_unraisable(py, Some(hook.bind(py)));
        }
    }

    /// Drops what the run still holds (timers, groups) once it is finished.
    pub fn clear(&self) {
        drop(self.timers.clear());
        let groups = std::mem::take(&mut *lock(&self.groups));
        drop(groups);
    }
}

/// Prints the exception with its traceback to stderr (never stdout).
fn default_unhandled_error_hook(py: Python<'_>, exc: &Py<PyAny>) -> PyResult<()> {
    let sys = py.import("sys")?;
    let stderr = sys.getattr("stderr")?;
    stderr.call_method1("write", ("tonio: unhandled exception in a task:\n",))?;
    py.import("traceback")?.getattr("print_exception")?.call(
        (exc.clone_ref(py),),
        Some(&[("file", stderr)].into_py_dict(py)?),
    )?;
    Ok(())
}

use pyo3::types::IntoPyDict;
