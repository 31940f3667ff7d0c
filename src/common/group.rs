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

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex};

use pyo3::prelude::*;

use super::core::RuntimeCore;
use super::errors::is_cancelled;
use super::outcome::{Outcome, Resume};
use super::task::{Task, Waker};
use super::timers::TimerKey;
use super::util::lock;
use super::waitqueue::{WaitQueue, WaiterKey};

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
    pub tasks: Vec<Option<Arc<Task>>>,
    pub results: Vec<Option<Py<PyAny>>>,
    pub errors: Vec<(usize, Py<PyAny>)>,
    pub remaining: usize,
    pub open: bool,
    pub cancelled: bool,
    pub finished: bool,
    pub waiters: WaitQueue<Waker>,
    /// `AsCompleted`: finished outcomes not yet taken.
    pub completions: VecDeque<Outcome>,
    /// `Select`/`Timeout`/`BlockOn`: the deciding outcome.
    pub winner: Option<Outcome>,
    pub timed_out: bool,
    pub deadline: Option<TimerKey>,
    /// Errors were handed to a waiter (or reported): nothing left to report on drop.
    pub errors_taken: bool,
}

pub struct TaskGroup {
    pub id: u64,
    pub kind: GroupKind,
    pub core: Arc<RuntimeCore>,
    pub(crate) inner: Mutex<GroupInner>,
    /// Signalled when a `BlockOn` group finishes.
    pub(crate) done: Condvar,
}

impl TaskGroup {
    /// Creates a group and registers it with the core. `open` groups accept tasks until `close`.
    pub fn new(core: &Arc<RuntimeCore>, kind: GroupKind, open: bool) -> Arc<TaskGroup> {
        let group = Arc::new(TaskGroup {
            id: core.next_id(),
            kind,
            core: core.clone(),
            inner: Mutex::new(GroupInner {
                tasks: Vec::new(),
                results: Vec::new(),
                errors: Vec::new(),
                remaining: 0,
                open,
                cancelled: false,
                finished: false,
                waiters: WaitQueue::new(),
                completions: VecDeque::new(),
                winner: None,
                timed_out: false,
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
        let core = &self.core;
        let mut inner = lock(&self.inner);
        if inner.finished || (!inner.open && !inner.tasks.is_empty()) {
            return Err(pyo3::exceptions::PyRuntimeError::new_err(
                "cannot spawn into this group: it has already finished",
            ));
        }
        let cancelled = inner.cancelled;
        let first = inner.tasks.len();
        let mut created = Vec::with_capacity(coros.len());
        for (offset, coro) in coros.into_iter().enumerate() {
            let context = if core.options.context {
                Some(copy_context(py)?)
            } else {
                None
            };
            let task = core.new_task(self, first + offset, coro, context, cancelled);
            created.push(task.clone());
            inner.tasks.push(Some(task));
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

    /// A `timeout` group's deadline passed.
    pub fn deadline_passed(&self) {
        {
            let mut inner = lock(&self.inner);
            if inner.finished {
                return;
            }
            inner.timed_out = true;
            inner.deadline = None;
        }
        self.cancel_tasks(false);
    }

    /// Arms the deadline of a `timeout` group.
    pub fn set_deadline(self: &Arc<Self>, deadline: super::time::Ticks) {
        let key = self.core.timers.add(
            deadline,
            super::timers::TimerAction::GroupDeadline(self.clone()),
        );
        lock(&self.inner).deadline = Some(key);
    }

    /// Records the outcome of the task at `index`. Called once per task by the driver.
    pub fn task_done(self: &Arc<Self>, py: Python<'_>, index: usize, outcome: Outcome) {
        let mut cancel_rest = false;
        let mut report = None;
        let mut handoff = None;
        let mut inner = lock(&self.inner);
        let finished_task = inner.tasks.get_mut(index).and_then(Option::take);
        inner.remaining -= 1;
        match self.kind {
            GroupKind::Join { .. } => match outcome {
                Outcome::Returned(value) => inner.results[index] = Some(value),
                Outcome::Raised(exc) => inner.errors.push((index, exc)),
            },
            GroupKind::JoinNoResults | GroupKind::Scope => {
                if let Outcome::Raised(exc) = outcome {
                    inner.errors.push((index, exc));
                }
            }
            GroupKind::Untracked => {
                if let Outcome::Raised(exc) = outcome {
                    if !is_cancelled(py, &exc) {
                        report = Some(exc);
                    }
                }
            }
            GroupKind::Select | GroupKind::Timeout | GroupKind::BlockOn => {
                if inner.winner.is_none() {
                    inner.winner = Some(outcome);
                    cancel_rest = self.kind == GroupKind::Select && inner.remaining > 0;
                }
            }
            GroupKind::AsCompleted => {
                inner.completions.push_back(outcome);
                handoff = Some(());
            }
            GroupKind::Main => {
                // The main group has exactly one task: it is finished now.
                inner.finished = true;
                drop(inner);
                drop(finished_task);
                self.core.unregister_group(self.id);
                self.core.main_finished(outcome);
                return;
            }
        }
        let finished_now = inner.remaining == 0 && !inner.open && !inner.finished;
        if finished_now {
            inner.finished = true;
        }
        drop(inner);
        drop(finished_task);
        if let Some(exc) = report {
            self.core.report_unhandled(py, &exc);
        }
        if cancel_rest {
            self.cancel_tasks(false);
        }
        if handoff.is_some() {
            self.hand_off_completions(py);
        }
        if finished_now {
            self.on_finished(py);
        }
    }

    /// The group just finished: disarm its deadline, leave the registry, wake the waiters.
    fn on_finished(&self, _py: Python<'_>) {
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

    /// `AsCompleted`: gives queued outcomes to queued waiters, one each, in order.
    fn hand_off_completions(&self, py: Python<'_>) {
        loop {
            let (waiter, outcome) = {
                let mut inner = lock(&self.inner);
                if inner.completions.is_empty() || inner.waiters.is_empty() {
                    return;
                }
                let waiter = inner.waiters.pop();
                (waiter, inner.completions.pop_front())
            };
            let (Some(waiter), Some(outcome)) = (waiter, outcome) else {
                return;
            };
            if !waiter.wake(outcome.clone_ref(py).into_resume()) {
                // The waiter was cancelled meanwhile: the outcome goes back to the front.
                lock(&self.inner).completions.push_front(outcome);
            }
        }
    }

    /// Queues `waker` to be woken when the group finishes (or, for `AsCompleted`, when an
    /// outcome is available). Returns `None` if that is already the case.
    pub fn add_waiter(&self, waker: Waker) -> Option<WaiterKey> {
        let mut inner = lock(&self.inner);
        let ready = match self.kind {
            GroupKind::AsCompleted => !inner.completions.is_empty(),
            _ => inner.finished,
        };
        if ready {
            return None;
        }
        Some(inner.waiters.push(waker))
    }

    /// Unqueues a waiter that stopped waiting. The waker is returned to be dropped unlocked.
    pub fn remove_waiter(&self, key: WaiterKey) -> Option<Waker> {
        lock(&self.inner).waiters.remove(key)
    }

    /// `AsCompleted`: the next outcome, if one is queued.
    pub fn take_completion(&self) -> Option<Outcome> {
        lock(&self.inner).completions.pop_front()
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

/// A copy of the calling thread's current `contextvars` context.
pub fn copy_context(py: Python<'_>) -> PyResult<Py<PyAny>> {
    // Safety: PyContext_CopyCurrent returns a new reference or NULL with an exception set; we
    // are attached to the interpreter (we hold `py`).
    unsafe {
        let ctx = pyo3::ffi::PyContext_CopyCurrent();
        Bound::from_owned_ptr_or_err(py, ctx).map(Bound::unbind)
    }
}

impl Drop for TaskGroup {
    fn drop(&mut self) {
        let inner = self
            .inner
            .get_mut()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut unreported: Vec<Py<PyAny>> = Vec::new();
        if !inner.errors_taken {
            unreported.extend(inner.errors.drain(..).map(|(_, exc)| exc));
        }
        for outcome in inner.completions.drain(..) {
            if let Outcome::Raised(exc) = outcome {
                unreported.push(exc);
            }
        }
        if unreported.is_empty() {
            return;
        }
        let core = self.core.clone();
        Python::attach(|py| {
            for exc in unreported {
                if !is_cancelled(py, &exc) {
                    core.report_unhandled(py, &exc);
                }
            }
        });
    }
}
