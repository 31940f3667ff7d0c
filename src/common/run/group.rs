//! `TaskGroup`: a set of tasks whose outcomes are collected together.
//!
//! Every task belongs to exactly one group; the group's `kind` says what its outcomes become:
//! a spawn join's result list, a scope's exception group, `select`'s first finisher, a
//! `timeout`'s `(value, ok)`, `as_completed`'s stream, the main task's result, or `block_on`'s
//! result.
//!
//! # Invariants (all under `inner`)
//! - `remaining` = number of tasks in `tasks` that have not finished.
//! - The group is *finished* when `remaining == 0 && !open`; it then leaves the core's registry
//!   and wakes its waiters. It never becomes unfinished again (a closed group accepts no task).
//! - Every outcome is delivered once somewhere: to a waiter (`take_*`), to the core (main), to
//!   the unhandled-error hook (untracked tasks, or errors nobody retrieved before the group is
//!   dropped). `CancelledError` from a cancelled task is an expected end, never reported.
//!
//! # Cancellation
//! `cancel_tasks` collects unfinished tasks under the lock and cancels them after releasing it.
//! A group that was cancelled starts any task added later already cancelled.
//!
//! # Bounded memory
//! A finished task's slot in `tasks` is freed at once; open groups (scopes, which may see
//! thousands of tasks over their life) reuse freed slots, so their size follows the number of
//! tasks running at once, not the number ever spawned. Errors are ordered by task id (spawn
//! order), not by slot.

use std::collections::VecDeque;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Condvar, Mutex, OnceLock, Weak};

use pyo3::prelude::*;

use crate::common::base::errors::is_cancelled;
use crate::common::base::outcome::{Outcome, Resume};
use crate::common::base::task_context::SpawnContext;
use crate::common::base::util::lock;
use crate::common::base::waitqueue::{WaitQueue, WaiterKey};
use crate::common::run::core::RuntimeCore;
use crate::common::run::decision::{Branch, UNDECIDED};
use crate::common::run::task::{Task, Waker};
use crate::common::run::timers::TimerKey;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupKind {
    /// `spawn`/`map`: results in argument order. `always_list`: `map` never unwraps one value.
    Join { always_list: bool },
    /// `spawn.without_results`.
    JoinNoResults,
    /// `spawn.without_tracking`: errors go straight to the unhandled-error hook.
    Untracked,
    /// `scope()`: open until its `with` block exits.
    Scope,
    /// `select`: the first finisher wins, the rest are cancelled.
    Select,
    /// `time.timeout`: one task and a deadline.
    Timeout,
    /// `as_completed`: outcomes in completion order.
    AsCompleted,
    /// The coroutine given to `run_until_complete`.
    Main,
    /// A coroutine run by `block_on` for a blocked thread.
    BlockOn,
}

pub(crate) struct GroupInner {
    /// Unfinished tasks by slot (`Task::index`).
    pub tasks: Vec<Option<Arc<Task>>>,
    /// Open groups: slots of finished tasks, reused by the next spawn.
    pub free_slots: Vec<usize>,
    /// Tasks ever added (a closed group accepts its first batch only).
    pub spawned: usize,
    pub results: Vec<Option<Py<PyAny>>>,
    /// `(task id, exception)`: the id orders errors by spawn order.
    pub errors: Vec<(u64, Py<PyAny>)>,
    pub remaining: usize,
    pub open: bool,
    pub cancelled: bool,
    pub finished: bool,
    pub waiters: WaitQueue<Waker>,
    /// `AsCompleted`: finished outcomes not yet taken.
    pub completions: VecDeque<Outcome>,
    /// `Select`/`Timeout`/`BlockOn`: the deciding outcome.
    pub winner: Option<Outcome>,
    pub deadline: Option<TimerKey>,
    /// Errors were handed to a waiter (or reported): nothing left to report on drop.
    pub errors_taken: bool,
}

pub struct TaskGroup {
    pub id: u64,
    pub kind: GroupKind,
    pub core: Arc<RuntimeCore>,
    /// Scopes: an exception escaping a task goes to the unhandled-error hook at once instead of
    /// being kept for the scope's owner (servers: one failed connection must not pile up).
    pub reports_errors: bool,
    pub(crate) inner: Mutex<GroupInner>,
    /// Signalled when a `BlockOn` group finishes.
    pub(crate) done: Condvar,
    /// Select/timeout: who won (see `decision.rs`).
    pub(crate) decision: AtomicUsize,
    /// Select/timeout: the task waiting for the group (the next link of a decision chain,
    /// `decision.rs`).
    owner: OnceLock<Weak<Task>>,
}

impl TaskGroup {
    /// Creates a group and registers it with the core. `open` groups accept tasks until `close`.
    pub fn new(core: &Arc<RuntimeCore>, kind: GroupKind, open: bool) -> Arc<TaskGroup> {
        Self::with_reporting(core, kind, open, false)
    }

    /// Like `new`; `reports_errors` sends task errors to the hook as they happen (scopes).
    pub fn with_reporting(
        core: &Arc<RuntimeCore>,
        kind: GroupKind,
        open: bool,
        reports_errors: bool,
    ) -> Arc<TaskGroup> {
        let group = Arc::new(TaskGroup {
            id: core.next_id(),
            kind,
            core: core.clone(),
            reports_errors,
            decision: AtomicUsize::new(UNDECIDED),
            owner: OnceLock::new(),
            inner: Mutex::new(GroupInner {
                tasks: Vec::new(),
                free_slots: Vec::new(),
                spawned: 0,
                results: Vec::new(),
                errors: Vec::new(),
                remaining: 0,
                open,
                cancelled: false,
                finished: false,
                waiters: WaitQueue::new(),
                completions: VecDeque::new(),
                winner: None,
                deadline: None,
                errors_taken: false,
            }),
            done: Condvar::new(),
        });
        core.register_group(&group);
        group
    }

    /// Creates one task per coroutine, in order, and schedules them.
    /// Fails (adding nothing) if the group no longer accepts tasks.
    pub fn spawn(self: &Arc<Self>, py: Python<'_>, coros: Vec<Py<PyAny>>) -> PyResult<()> {
        let coros = coros.into_iter().map(|coro| (coro, Branch::Coroutine));
        self.spawn_branches(py, coros.collect())
    }

    /// `spawn` for the branches of a select or timeout, each with what it is to the decision
    /// (`decision.rs`).
    pub fn spawn_branches(
        self: &Arc<Self>,
        py: Python<'_>,
        coros: Vec<(Py<PyAny>, Branch)>,
    ) -> PyResult<()> {
        let core = &self.core;
        let mut inner = lock(&self.inner);
        if inner.finished || (!inner.open && inner.spawned > 0) {
            return Err(pyo3::exceptions::PyRuntimeError::new_err(
                "cannot spawn into this group: it has already finished",
            ));
        }
        let cancelled = inner.cancelled;
        let mut created = Vec::with_capacity(coros.len());
        let contexts = SpawnContext::decide(py, core.options.context)?;
        for (coro, branch) in coros {
            let context = contexts.for_task(py)?;
            let slot = inner.free_slots.pop().unwrap_or(inner.tasks.len());
            let task = core.new_task(self, slot, coro, context, cancelled, branch);
            created.push(task.clone());
            if slot == inner.tasks.len() {
                inner.tasks.push(Some(task));
            } else {
                inner.tasks[slot] = Some(task);
            }
            inner.spawned += 1;
        }
        if matches!(self.kind, GroupKind::Join { .. }) {
            let count = inner.tasks.len();
            inner.results.resize_with(count, || None);
        }
        inner.remaining += created.len();
        let finished_now = inner.remaining == 0 && !inner.open && !inner.finished;
        if finished_now {
            inner.finished = true;
        }
        drop(inner);
        if finished_now {
            self.on_finished(py);
        }
        let shutting_down = core.is_shutting_down();
        for task in created {
            if shutting_down {
                task.cancel(true);
            }
            core.platform.schedule(task);
        }
        Ok(())
    }

    /// Stops accepting tasks (a scope's `with` block ended).
    pub fn close(&self, py: Python<'_>) {
        let mut inner = lock(&self.inner);
        inner.open = false;
        let finished_now = inner.remaining == 0 && !inner.finished;
        if finished_now {
            inner.finished = true;
        }
        drop(inner);
        if finished_now {
            self.on_finished(py);
        }
    }

    pub fn is_finished(&self) -> bool {
        lock(&self.inner).finished
    }

    /// Cancels every unfinished task; later tasks start cancelled.
    pub fn cancel_tasks(&self, persistent: bool) {
        let tasks: Vec<Arc<Task>> = {
            let mut inner = lock(&self.inner);
            inner.cancelled = true;
            inner.tasks.iter().flatten().cloned().collect()
        };
        for task in tasks {
            task.cancel(persistent);
        }
    }

    /// Cancels every unfinished task but the one at slot `keep` (a select's winner).
    pub fn cancel_others(&self, keep: usize) {
        let tasks: Vec<Arc<Task>> = lock(&self.inner)
            .tasks
            .iter()
            .flatten()
            .filter(|task| task.index != keep)
            .cloned()
            .collect();
        for task in tasks {
            task.cancel(false);
        }
    }

    /// Records the task that waits for this select/timeout group.
    pub fn set_owner(&self, owner: &Arc<Task>) {
        let _ = self.owner.set(Arc::downgrade(owner));
    }

    /// The task that waits for this select/timeout group, while it lives.
    pub fn owner(&self) -> Option<Arc<Task>> {
        self.owner.get().and_then(Weak::upgrade)
    }

    /// A `timeout` group's deadline passed: it wins unless the body already finished (or its
    /// operation completed, `decision.rs`).
    pub fn deadline_passed(&self) {
        {
            let mut inner = lock(&self.inner);
            inner.deadline = None;
            if inner.finished {
                return;
            }
        }
        if self.decide(crate::common::run::decision::DEADLINE)
            == crate::common::run::decision::Decided::Lost
        {
            return;
        }
        self.cancel_tasks(false);
    }

    /// Arms the deadline of a `timeout` group.
    pub fn set_deadline(self: &Arc<Self>, deadline: crate::common::base::time::Ticks) {
        let key = self.core.arm_timer(
            deadline,
            crate::common::run::timers::TimerAction::GroupDeadline(self.clone()),
        );
        lock(&self.inner).deadline = Some(key);
    }

    /// The group just finished: disarm its deadline, leave the registry, wake the waiters.
    pub(crate) fn on_finished(&self, _py: Python<'_>) {
        let (waiters, deadline) = {
            let mut inner = lock(&self.inner);
            let waiters = if self.kind == GroupKind::AsCompleted {
                Vec::new()
            } else {
                inner.waiters.drain()
            };
            (waiters, inner.deadline.take())
        };
        if let Some(key) = deadline {
            drop(self.core.timers.cancel(key));
        }
        self.core.unregister_group(self.id);
        if self.kind == GroupKind::BlockOn {
            self.done.notify_all();
        }
        for waiter in waiters {
            waiter.wake(Resume::Ready);
        }
    }

    /// Queues `waker` to be woken when the group finishes. Returns `None` if it already has.
    /// (`as_completed` steps queue themselves: `completions.rs`.)
    pub fn add_waiter(&self, waker: Waker) -> Option<WaiterKey> {
        let mut inner = lock(&self.inner);
        if inner.finished {
            return None;
        }
        Some(inner.waiters.push(waker))
    }

    /// Unqueues a waiter that stopped waiting. The waker is returned to be dropped unlocked.
    pub fn remove_waiter(&self, key: WaiterKey) -> Option<Waker> {
        lock(&self.inner).waiters.remove(key)
    }

    /// Blocks the calling (non-worker) thread until the group finishes. Call detached.
    /// Returns false if the run ended first (its workers are gone: the group never will).
    pub fn wait_finished_blocking(&self) -> bool {
        let mut inner = lock(&self.inner);
        while !inner.finished {
            if self.core.is_finished() {
                return false;
            }
            let timeout = std::time::Duration::from_millis(50);
            inner = self
                .done
                .wait_timeout(inner, timeout)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
        }
        true
    }

    /// The unfinished tasks, in spawn order.
    pub fn live_tasks(&self) -> Vec<Arc<Task>> {
        lock(&self.inner).tasks.iter().flatten().cloned().collect()
    }
}

impl GroupInner {
    /// Takes the errors nobody retrieved (kept errors not handed to a waiter, and failed
    /// `as_completed` outcomes never taken).
    fn take_unreported(&mut self) -> Vec<Py<PyAny>> {
        let mut unreported: Vec<Py<PyAny>> = Vec::new();
        if !self.errors_taken {
            unreported.extend(self.errors.drain(..).map(|(_, exc)| exc));
        }
        for outcome in self.completions.drain(..) {
            if let Outcome::Raised(exc) = outcome {
                unreported.push(exc);
            }
        }
        unreported
    }
}

impl TaskGroup {
    /// Lets go of every outcome the group keeps, reporting the errors nobody retrieved (the
    /// collector found the group's only owner unreachable: `drive::suspend_gc`).
    pub fn release_outcomes(&self) {
        let (unreported, released) = {
            let mut inner = lock(&self.inner);
            let unreported = inner.take_unreported();
            let released = (
                std::mem::take(&mut inner.results),
                std::mem::take(&mut inner.errors),
                inner.winner.take(),
            );
            (unreported, released)
        };
        drop(released);
        report_unretrieved(&self.core, unreported);
    }
}

/// Reports errors nobody retrieved to the unhandled-error hook (`CancelledError` is an
/// expected end, never reported).
fn report_unretrieved(core: &Arc<RuntimeCore>, unreported: Vec<Py<PyAny>>) {
    if unreported.is_empty() {
        return;
    }
    // At interpreter exit the errors can no longer be reported (nor printed).
    let _ = Python::try_attach(|py| {
        for exc in unreported {
            if !is_cancelled(py, &exc) {
                core.report_unhandled(py, &exc);
            }
        }
    });
}

impl Drop for TaskGroup {
    fn drop(&mut self) {
        let inner = self
            .inner
            .get_mut()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let unreported = inner.take_unreported();
        report_unretrieved(&self.core, unreported);
    }
}
