//! A task: one coroutine (plus the child generators it runs) and its wake/cancel state machine.
//!
//! # The state machine
//! `TaskState::phase` moves through
//! `Scheduled -> Running -> (Waiting -> Scheduled -> Running)* -> Done`.
//! - Only the thread that dequeued the task runs it; it alone moves `Scheduled -> Running` and
//!   `Running -> Waiting/Scheduled/Done`.
//! - A task waits on one *wait token* at a time. Every suspension takes a fresh token
//!   (`begin_wait`); wakers carry the token they registered with. A wake with a stale token is
//!   refused, so a timer that fires after the event already woke the task does nothing.
//! - A successful wake bumps the token: at most one wake per suspension wins, and only the
//!   winner's resume value is delivered.
//! - A wake that arrives while the task is still `Running` (it registered, then something fired
//!   before it parked) is stored as `notified`; `park` then returns it instead of parking.
//!
//! # Cancellation
//! Each `cancel` makes one `CancelledError` pending, delivered once: a `Waiting` task is
//! scheduled at once with `Resume::Cancel`; a `Running` task gets it at its next suspension
//! (`park`/`yield_now`); a `Scheduled` task gets it when it starts running if its resume is
//! cancellable (see [`Resume::cancellable`]). Requests made before the task sees its
//! `CancelledError` coalesce into one; a task that caught a `CancelledError` and went on is
//! cancelled again by the next `cancel`. At shutdown cancellation is *persistent*: delivered at every suspension until the
//! task finishes.
//!
//! # Identity
//! `id` counts per run (deterministic: traces and reports use it); `uid` is unique in the
//! process, for what outlives a run or is shared between runtimes (lock ownership).
//!
//! # Locks
//! `state` is a leaf lock: nothing else is locked while it is held. `body` is held by the running
//! thread for a whole run step and is never taken by wakers or cancellers.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use pyo3::prelude::*;

use crate::common::base::outcome::Resume;
use crate::common::base::task_context::TaskContext;
use crate::common::base::util::lock;
use crate::common::io::readiness::{ReadyWaiter, ReadyWake};
use crate::common::run::core::RuntimeCore;
use crate::common::run::decision::{operation_completes, Branch, Decisions};
use crate::common::run::group::TaskGroup;
use crate::common::run::registration::Registration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Scheduled,
    Running,
    Waiting,
    Done,
}

/// Shared wake/cancel state, guarded by `Task::state`.
struct TaskState {
    phase: Phase,
    token: u64,
    resume: Option<Resume>,
    /// A wake arrived while `Running`; `resume` holds its value.
    notified: bool,
    /// A `CancelledError` waits to be delivered (set by `cancel`, cleared by delivery).
    cancel_pending: bool,
    /// Deliver cancellation at every suspension (runtime shutdown).
    cancel_persistent: bool,
    /// Parked with `park_shielded`: cancellation does not wake it.
    shielded: bool,
}

impl TaskState {
    fn cancel_pending(&self) -> bool {
        self.cancel_persistent || self.cancel_pending
    }

    /// Takes the pending cancellation for delivery.
    fn deliver_cancel(&mut self) -> Resume {
        self.cancel_pending = false;
        Resume::Cancel
    }
}

/// What the running thread owns while it runs the task. Guarded by `Task::body`.
pub struct TaskBody {
    /// The task's own coroutine; `None` once finished.
    pub coro: Option<Py<PyAny>>,
    /// Child generators yielded in the yield flavour, innermost last.
    pub children: Vec<Py<PyAny>>,
    /// What the task is suspended on, cleaned up when it resumes.
    pub wait: Registration,
    /// The `contextvars` context the task runs in (runtime option `context`).
    pub context: TaskContext,
}

impl TaskBody {
    /// The coroutine or generator a resume is sent into.
    pub fn top(&self) -> Option<&Py<PyAny>> {
        self.children.last().or(self.coro.as_ref())
    }
}

pub struct Task {
    /// Per-run id (deterministic), for traces and reports.
    pub id: u64,
    pub core: Arc<RuntimeCore>,
    /// The group the task reports its outcome to, and its index there.
    pub group: Arc<TaskGroup>,
    pub index: usize,
    state: Mutex<TaskState>,
    pub body: Mutex<TaskBody>,
    /// Set when the task starts its first run (reports; the coroutine check of `ownership.rs`).
    pub started: AtomicBool,
    /// What the task is to the select or timeout it belongs to (`decision.rs`; hand-offs check
    /// it on every message).
    pub branch: Branch,
}

/// A handle that can resume one suspension of a task.
pub struct Waker {
    pub task: Arc<Task>,
    pub token: u64,
}

impl Waker {
    /// Starts a new suspension of `task` and returns the waker for it. Primitives call this
    /// only when they actually queue the task, so fast paths never touch the task's state.
    pub fn begin(task: &Arc<Task>) -> Waker {
        Waker {
            task: task.clone(),
            token: task.begin_wait(),
        }
    }

    /// Resumes the task with `resume` if it is still suspended on this waker's wait.
    /// Returns false (and drops `resume`) if the wait already ended.
    pub fn wake(self, resume: Resume) -> bool {
        self.task.wake(self.token, resume)
    }

    /// Claims the waiter with `resume` (see `Task::claim`).
    pub fn claim(self, resume: Resume) -> Option<Claimed> {
        self.task.claim(self.token, resume, false)
    }

    /// Claims the waiter for something it *takes* (a message, a permit, an `as_completed`
    /// outcome): if the waiter is an operation branch, its operation completes now, which
    /// decides its select or timeout; refused if that was already decided for someone else
    /// (see `decision.rs`).
    pub fn claim_taking(self, resume: Resume) -> Option<Claimed> {
        self.task.claim(self.token, resume, true)
    }
}

impl ReadyWake for Task {
    fn wake_ready(self: Arc<Self>, token: u64) -> bool {
        self.wake(token, Resume::Nothing)
    }
}

impl From<Waker> for ReadyWaiter {
    fn from(waker: Waker) -> ReadyWaiter {
        ReadyWaiter::new(waker.task, waker.token)
    }
}

/// A successful wake that still has to put the task on a run queue (see `Task::claim`).
#[must_use = "a claimed task must be scheduled"]
pub struct Claimed {
    task: Option<Arc<Task>>,
    /// Selects the claimed operation decided: their other branches are cancelled after
    /// scheduling.
    decisions: Decisions,
}

impl Claimed {
    /// Makes the claimed task runnable (no-op if it was still running), then cancels the
    /// losing branches of any select the claim decided.
    pub fn schedule(self) {
        if let Some(task) = self.task {
            let platform = task.core.platform.clone();
            platform.schedule(task);
        }
        self.decisions.apply();
    }
}

/// What `park` decided.
pub enum Park {
    /// The task is waiting; the running thread must let go of it.
    Parked,
    /// Keep running with this resume (woken already, or cancelled).
    Resume(Resume),
}

impl Task {
    /// Unique in the process (lock ownership across runtimes): the run's id range plus `id`.
    pub fn uid(&self) -> u64 {
        self.core.uid_base + self.id
    }

    pub fn new(
        core: Arc<RuntimeCore>,
        group: Arc<TaskGroup>,
        index: usize,
        coro: Py<PyAny>,
        context: TaskContext,
        cancelled: bool,
        branch: Branch,
    ) -> Arc<Task> {
        let id = core.next_id();
        let persistent = core.is_shutting_down();
        Arc::new(Task {
            id,
            core,
            group,
            index,
            state: Mutex::new(TaskState {
                phase: Phase::Scheduled,
                token: 0,
                resume: Some(Resume::Start),
                notified: false,
                cancel_pending: cancelled || persistent,
                cancel_persistent: persistent,
                shielded: false,
            }),
            body: Mutex::new(TaskBody {
                coro: Some(coro),
                children: Vec::new(),
                wait: Registration::None,
                context,
            }),
            started: AtomicBool::new(false),
            branch,
        })
    }

    /// `Scheduled -> Running`: takes the resume to run with, substituting a pending
    /// cancellation when the resume allows it.
    pub fn begin_run(&self) -> Resume {
        let mut state = lock(&self.state);
        debug_assert_eq!(state.phase, Phase::Scheduled);
        state.phase = Phase::Running;
        let resume = state.resume.take().unwrap_or(Resume::Nothing);
        // A task cancelled before it ever ran still starts, and takes the cancellation at its
        // first suspension (as trio and tonio 0.6.0 do): its code up to there runs.
        let first_run = !self.started.load(Ordering::Relaxed);
        if resume.cancellable() && state.cancel_pending() && !first_run {
            return state.deliver_cancel();
        }
        resume
    }

    /// Starts a suspension: returns the token wakers must present.
    pub fn begin_wait(&self) -> u64 {
        let mut state = lock(&self.state);
        state.token += 1;
        state.notified = false;
        state.shielded = false;
        state.token
    }

    /// The running task registered its wait; park it unless it was woken meanwhile or has a
    /// cancellation to take.
    pub fn park(&self) -> Park {
        let mut state = lock(&self.state);
        debug_assert_eq!(state.phase, Phase::Running);
        if state.notified {
            state.notified = false;
            return Park::Resume(state.resume.take().unwrap_or(Resume::Nothing));
        }
        if state.cancel_pending() {
            state.token += 1;
            return Park::Resume(state.deliver_cancel());
        }
        state.phase = Phase::Waiting;
        Park::Parked
    }

    /// Like `park`, but a cancellation neither replaces a pending wake nor wakes the parked task
    /// (used while an already-cancelled owner waits for what it owns to unwind).
    pub fn park_shielded(&self) -> Park {
        let mut state = lock(&self.state);
        if state.notified {
            state.notified = false;
            return Park::Resume(state.resume.take().unwrap_or(Resume::Nothing));
        }
        state.phase = Phase::Waiting;
        state.shielded = true;
        Park::Parked
    }

    /// The running task yielded control (`yield` / `yield_now`). Returns a cancellation to
    /// deliver right away, or `None` if the caller must requeue the task.
    pub fn yield_now(&self) -> Option<Resume> {
        let mut state = lock(&self.state);
        if state.cancel_pending() {
            return Some(state.deliver_cancel());
        }
        state.phase = Phase::Scheduled;
        state.resume = Some(Resume::Nothing);
        None
    }

    /// Resumes the suspension identified by `token`. See the module docs.
    pub fn wake(self: &Arc<Self>, token: u64, resume: Resume) -> bool {
        match self.claim(token, resume, false) {
            Some(claimed) => {
                claimed.schedule();
                true
            }
            None => false,
        }
    }

    /// Decides a wake without scheduling: the task is resumed with `resume` if it is still
    /// suspended on `token`. The returned [`Claimed`] must be scheduled once the caller has
    /// released its own locks. Returns `None` (dropping `resume`) if the wait already ended.
    ///
    /// Primitives that hand something over (a permit, a message) claim the waiter while they
    /// hold their lock, so the hand-off and the waiter's fate are decided together. `taking`:
    /// the hand-off is something the task takes, which completes an operation branch's
    /// operation (`decision.rs`).
    pub fn claim(self: &Arc<Self>, token: u64, resume: Resume, taking: bool) -> Option<Claimed> {
        let mut state = lock(&self.state);
        if state.token != token || state.notified {
            return None;
        }
        if matches!(state.phase, Phase::Scheduled | Phase::Done) {
            return None;
        }
        let decisions = match taking {
            false => Decisions::default(),
            true => operation_completes(self)?,
        };
        state.token += 1;
        state.resume = Some(resume);
        if state.phase == Phase::Running {
            state.notified = true;
            return Some(Claimed {
                task: None,
                decisions,
            });
        }
        state.phase = Phase::Scheduled;
        state.shielded = false;
        Some(Claimed {
            task: Some(self.clone()),
            decisions,
        })
    }

    /// Requests cancellation (see the module docs). `persistent` is used at shutdown.
    pub fn cancel(self: &Arc<Self>, persistent: bool) {
        let mut state = lock(&self.state);
        if state.phase == Phase::Done {
            return;
        }
        state.cancel_persistent |= persistent;
        if state.phase == Phase::Scheduled && matches!(state.resume, Some(Resume::Cancel)) {
            // A delivery is already on its way: the task has not seen it yet.
            return;
        }
        state.cancel_pending = true;
        if state.phase == Phase::Waiting && !state.shielded {
            state.token += 1;
            state.phase = Phase::Scheduled;
            state.resume = Some(state.deliver_cancel());
            drop(state);
            self.core.platform.schedule(self.clone());
        }
    }

    /// A value took the place of a delivered cancellation (it carried something the task must
    /// not lose): make the cancellation pending again, for the next suspension.
    pub fn rearm_cancel(&self) {
        lock(&self.state).cancel_pending = true;
    }

    /// Consumes a pending (non-persistent) cancellation; returns whether there was one. Used
    /// when an operation branch is refused its take because its select was decided elsewhere:
    /// the `CancelledError` it gets then stands for the cancellation that decision sent it.
    pub fn take_pending_cancel(&self) -> bool {
        std::mem::take(&mut lock(&self.state).cancel_pending)
    }

    /// `Running -> Done`.
    pub fn mark_done(&self) {
        let mut state = lock(&self.state);
        state.phase = Phase::Done;
        state.resume = None;
    }
}
