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
//! `cancel` is sticky and delivered once: a `Waiting` task is scheduled at once with
//! `Resume::Cancel`; a `Running` task gets it at its next suspension (`park`/`yield_now`); a
//! `Scheduled` task gets it when it starts running if its resume is cancellable (see
//! [`Resume::cancellable`]). At shutdown cancellation is *persistent*: delivered at every
//! suspension until the task finishes.
//!
//! # Locks
//! `state` is a leaf lock: nothing else is locked while it is held. `body` is held by the running
//! thread for a whole run step and is never taken by wakers or cancellers.

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use pyo3::prelude::*;

use super::core::RuntimeCore;
use super::group::TaskGroup;
use super::outcome::Resume;
use super::registration::Registration;
use super::util::lock;

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
    cancel_requested: bool,
    cancel_delivered: bool,
    /// Deliver cancellation at every suspension (runtime shutdown).
    cancel_persistent: bool,
    /// Parked with `park_shielded`: cancellation does not wake it.
    shielded: bool,
}

impl TaskState {
    fn cancel_pending(&self) -> bool {
        self.cancel_persistent || (self.cancel_requested && !self.cancel_delivered)
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
    /// The `contextvars.Context` the task runs in (runtime option `context=True`).
    pub context: Option<Py<PyAny>>,
}

impl TaskBody {
    /// The coroutine or generator a resume is sent into.
    pub fn top(&self) -> Option<&Py<PyAny>> {
        self.children.last().or(self.coro.as_ref())
    }
}

pub struct Task {
    pub id: u64,
    pub core: Arc<RuntimeCore>,
    /// The group the task reports its outcome to, and its index there.
    pub group: Arc<TaskGroup>,
    pub index: usize,
    state: Mutex<TaskState>,
    pub body: Mutex<TaskBody>,
    /// Set once the task has started running (for reports).
    pub started: AtomicBool,
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
        self.task.claim(self.token, resume)
    }
}

/// A successful wake that still has to put the task on a run queue (see `Task::claim`).
#[must_use = "a claimed task must be scheduled"]
pub struct Claimed {
    task: Option<Arc<Task>>,
}

impl Claimed {
    /// Makes the claimed task runnable (no-op if it was still running).
    pub fn schedule(self) {
        if let Some(task) = self.task {
            let platform = task.core.platform.clone();
            platform.schedule(task);
        }
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
    pub fn new(
        core: Arc<RuntimeCore>,
        group: Arc<TaskGroup>,
        index: usize,
        coro: Py<PyAny>,
        context: Option<Py<PyAny>>,
        cancelled: bool,
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
                cancel_requested: cancelled || persistent,
                cancel_delivered: false,
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
        })
    }

    /// `Scheduled -> Running`: takes the resume to run with, substituting a pending
    /// cancellation when the resume allows it.
    pub fn begin_run(&self) -> Resume {
        let mut state = lock(&self.state);
        debug_assert_eq!(state.phase, Phase::Scheduled);
        state.phase = Phase::Running;
        let resume = state.resume.take().unwrap_or(Resume::Nothing);
        if resume.cancellable() && state.cancel_pending() {
            state.cancel_delivered = true;
            return Resume::Cancel;
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
            state.cancel_delivered = true;
            return Park::Resume(Resume::Cancel);
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
            state.cancel_delivered = true;
            return Some(Resume::Cancel);
        }
        state.phase = Phase::Scheduled;
        state.resume = Some(Resume::Nothing);
        None
    }

    /// Resumes the suspension identified by `token`. See the module docs.
    pub fn wake(self: &Arc<Self>, token: u64, resume: Resume) -> bool {
        match self.claim(token, resume) {
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
    /// hold their lock, so the hand-off and the waiter's fate are decided together.
    pub fn claim(self: &Arc<Self>, token: u64, resume: Resume) -> Option<Claimed> {
        let mut state = lock(&self.state);
        if state.token != token || state.notified {
            return None;
        }
        match state.phase {
            Phase::Running => {
                state.token += 1;
                state.notified = true;
                state.resume = Some(resume);
                Some(Claimed { task: None })
            }
            Phase::Waiting => {
                state.token += 1;
                state.phase = Phase::Scheduled;
                state.shielded = false;
                state.resume = Some(resume);
                Some(Claimed {
                    task: Some(self.clone()),
                })
            }
            Phase::Scheduled | Phase::Done => None,
        }
    }

    /// Requests cancellation (see the module docs). `persistent` is used at shutdown.
    pub fn cancel(self: &Arc<Self>, persistent: bool) {
        let mut state = lock(&self.state);
        if state.phase == Phase::Done {
            return;
        }
        if state.cancel_requested && !persistent {
            return;
        }
        state.cancel_requested = true;
        state.cancel_persistent |= persistent;
        if state.phase == Phase::Waiting && !state.shielded {
            state.token += 1;
            state.cancel_delivered = true;
            state.phase = Phase::Scheduled;
            state.resume = Some(Resume::Cancel);
            drop(state);
            self.core.platform.schedule(self.clone());
        }
    }

    /// `Running -> Done`.
    pub fn mark_done(&self) {
        let mut state = lock(&self.state);
        state.phase = Phase::Done;
        state.resume = None;
    }
}
