//! Suspensions: the operations behind tonio's awaitables, which the driver starts directly.
//!
//! `tonio.sleep(...)`, `Event.wait()`, a `spawn(...)` join, `spawn_blocking(...)`, `select`,
//! `timeout`, a scope wait: each returns a Python `Suspension` (`bindings::suspension`) around a
//! [`Suspend`]. In the yield flavour a task yields it; in the colored flavour a coroutine awaits
//! it, and the object acts as its own one-step iterator (first `__next__` yields itself to the
//! driver, the driver's resume value comes back through `send` as `StopIteration(value)`, a
//! thrown exception through `throw`).
//!
//! One object may be awaited again after an await finished (a sleep sleeps again), but not by
//! two tasks at once: the object records which task is in the middle of awaiting it, and a
//! second task gets a `RuntimeError` instead of sharing (and corrupting) that await's state.
//!
//! `start` runs on the task's thread when the driver receives the object: it either finishes
//! at once (`Started::Ready`) or records a [`Registration`] in the task body and returns
//! `Pending`. When the task resumes, for whatever reason, `Registration::finish` undoes what is
//! left of the registration (unqueue, disarm timers) and turns the wake into the resume value.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

use crate::common::base::outcome::Resume;
use crate::common::base::time::Ticks;
use crate::common::base::util::lock;
use crate::common::drive::driver::find_suspend;
use crate::common::drive::fd_wait::FdWait;
use crate::common::drive::io_call::IoCall;
use crate::common::run::blocking::BlockingJob;
use crate::common::run::completions::CompletionStep;
use crate::common::run::current;
use crate::common::run::decision::{composed_operation_completes, Branch};
use crate::common::run::group::{GroupKind, TaskGroup};
use crate::common::run::registration::{
    already_awaited, bool_object, refused, wait_group, OnReady, Registration, Started,
};
use crate::common::run::task::{Task, TaskBody, Waker};
use crate::common::run::timers::TimerAction;
use crate::common::wait::barrier::BarrierCore;
use crate::common::wait::channel::ChannelCore;
use crate::common::wait::event::EventCore;
use crate::common::wait::semaphore::SemaphoreCore;
use crate::common::wait::{waits, WaitSource};

/// What a suspension waits for.
pub enum SuspendKind {
    /// Give other tasks a turn.
    YieldNow,
    /// Evaluate to a value at once (e.g. `Scope.__aenter__`).
    Value(Py<PyAny>),
    /// Sleep for a number of seconds from when it is awaited.
    Sleep(f64),
    /// Sleep until an absolute tick (interval ticks).
    SleepUntil(Ticks),
    /// Wait for an event, optionally with a timeout in seconds.
    EventWait {
        event: Arc<EventCore>,
        timeout: Option<f64>,
    },
    /// Wait for a group to finish (spawn join, scope wait).
    Join(Arc<TaskGroup>),
    /// One `as_completed` step: take the next outcome.
    NextCompletion(Arc<CompletionStep>),
    /// Exit of a colored scope: close it, cancel it if the body raised, wait, merge errors.
    ScopeExit {
        group: Arc<TaskGroup>,
        body_error: Option<Py<PyAny>>,
    },
    /// `select(*coros)`: started when awaited.
    Select(Mutex<Option<Vec<Py<PyAny>>>>),
    /// `time.timeout(coro, seconds)`: started when awaited.
    Timeout {
        coro: Mutex<Option<Py<PyAny>>>,
        seconds: f64,
    },
    /// `spawn_blocking(fn, ...)`: submitted when awaited.
    Blocking(Arc<BlockingJob>),
    /// Lock/semaphore acquisition; `guard`: evaluate to a `Guard` (yield flavour).
    Acquire {
        core: Arc<SemaphoreCore>,
        guard: bool,
    },
    /// `Barrier.wait()`.
    BarrierWait(Arc<BarrierCore>),
    /// Bounded channel send: the message is taken when awaited.
    Send {
        core: Arc<ChannelCore>,
        msg: Mutex<Option<Py<PyAny>>>,
    },
    /// Channel receive.
    Receive(Arc<ChannelCore>),
    /// A socket operation.
    Io(Arc<IoCall>),
    /// Waiting for an OS descriptor's readiness (`tonio.io`).
    FdWait(Arc<FdWait>),
    /// A composed operation (`_tonio.operation(generator)`, a TLS receive): the driver runs the
    /// generator as a child of the task; a select branch or timeout body that is one is a
    /// single operation whose take the generator marks (`decision.rs`).
    Operation(Mutex<Option<Py<PyAny>>>),
    /// Inside a composed operation: it is about to complete by taking something
    /// (`_tonio.operation_completes()`). Throws `CancelledError` if it must take nothing.
    OperationCompletes,
}

/// A tonio awaitable's operation and its await state. The Python object around it
/// (`bindings::suspension::Suspension`) is what a task yields or awaits.
pub struct Suspend {
    pub kind: SuspendKind,
    /// Colored protocol: the uid of the task whose `await` handed the object to the driver and
    /// has not resumed yet ([`NOT_AWAITED`] when none), or [`UNUSED`] until the first yield or
    /// await (freed while unused, it warns: `unawaited.rs`). One word for both keeps a million
    /// live awaitables 16 MiB smaller than a separate flag did.
    awaited_by: AtomicU64,
}

impl Drop for Suspend {
    fn drop(&mut self) {
        if *self.awaited_by.get_mut() == UNUSED && self.kind.acts_only_when_awaited() {
            crate::common::base::unawaited::warn_never_awaited(self.kind.name());
        }
    }
}

impl SuspendKind {
    /// The operation happens only when the awaitable is yielded/awaited: forgetting that is a
    /// bug. (A spawn join is not: its tasks run anyway, and an unawaited join's errors go to
    /// the unhandled-error hook. Values and scope exits are made by the runtime itself.)
    fn acts_only_when_awaited(&self) -> bool {
        !matches!(
            self,
            SuspendKind::Value(_) | SuspendKind::Join(_) | SuspendKind::ScopeExit { .. }
        )
    }

    /// What the awaitable does, for messages.
    pub fn name(&self) -> &'static str {
        match self {
            SuspendKind::YieldNow => "yield_now",
            SuspendKind::Value(_) => "value",
            SuspendKind::Sleep(_) | SuspendKind::SleepUntil(_) => "sleep",
            SuspendKind::EventWait { .. } => "Event.wait",
            SuspendKind::Join(_) => "join",
            SuspendKind::NextCompletion(_) => "as_completed step",
            SuspendKind::ScopeExit { .. } => "scope exit",
            SuspendKind::Select(_) => "select",
            SuspendKind::Timeout { .. } => "timeout",
            SuspendKind::Blocking(_) => "spawn_blocking",
            SuspendKind::Acquire { .. } => "acquire",
            SuspendKind::BarrierWait(_) => "Barrier.wait",
            SuspendKind::Send { .. } => "send",
            SuspendKind::Receive(_) => "receive",
            SuspendKind::Io(_) => "socket operation",
            SuspendKind::FdWait(_) => "descriptor readiness",
            SuspendKind::Operation(_) => "operation",
            SuspendKind::OperationCompletes => "operation_completes",
        }
    }
}

/// `Suspend::awaited_by` when no await is in progress.
const NOT_AWAITED: u64 = u64::MAX;
/// `Suspend::awaited_by` before anyone yielded or awaited the object.
const UNUSED: u64 = u64::MAX - 1;

impl Suspend {
    pub fn new(kind: SuspendKind) -> Suspend {
        Suspend {
            kind,
            awaited_by: AtomicU64::new(UNUSED),
        }
    }

    /// The colored protocol's step for the calling task: finish its await if it is the one in
    /// progress (`Ok(true)`), start one if none is (`Ok(false)`), refuse a second task.
    pub fn resuming(&self) -> PyResult<bool> {
        if matches!(
            self.awaited_by.load(Ordering::Acquire),
            NOT_AWAITED | UNUSED
        ) {
            return Ok(false);
        }
        let me = current::task_id().unwrap_or(0);
        match self
            .awaited_by
            .compare_exchange(me, NOT_AWAITED, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => Ok(true),
            Err(NOT_AWAITED | UNUSED) => Ok(false),
            Err(_) => Err(already_awaited_by_another()),
        }
    }

    /// Records that task `me` (0: no task) is now in the middle of awaiting the object; refused
    /// while another task is. A fresh awaitable (the common case) is claimed with one CAS.
    pub fn begin_await(&self, me: u64) -> PyResult<()> {
        let cell = &self.awaited_by;
        let claim = |from| cell.compare_exchange(from, me, Ordering::AcqRel, Ordering::Acquire);
        match claim(UNUSED).or_else(|_| claim(NOT_AWAITED)) {
            Ok(_) => Ok(()),
            Err(_) => Err(already_awaited_by_another()),
        }
    }

    /// Records that the awaitable was yielded or awaited (or refused with an error naming the
    /// right form): it will not warn when freed. One load on the hot path once used.
    pub fn mark_used(&self) {
        if self.awaited_by.load(Ordering::Relaxed) == UNUSED {
            let _ = self.awaited_by.compare_exchange(
                UNUSED,
                NOT_AWAITED,
                Ordering::AcqRel,
                Ordering::Relaxed,
            );
        }
    }

    /// The calling task's await ended by an exception (thrown in, or closed).
    pub fn end_await(&self) {
        let me = current::task_id().unwrap_or(0);
        let _ =
            self.awaited_by
                .compare_exchange(me, NOT_AWAITED, Ordering::AcqRel, Ordering::Acquire);
    }
}

fn already_awaited_by_another() -> PyErr {
    PyRuntimeError::new_err(
        "this tonio awaitable is already being awaited by another task; create one awaitable \
         per task (call the function again)",
    )
}

impl Suspend {
    /// Begins the suspension for `task` (see the module docs).
    pub fn start(&self, py: Python<'_>, task: &Arc<Task>, body: &mut TaskBody) -> Started {
        self.mark_used();
        let core = &task.core;
        match &self.kind {
            SuspendKind::YieldNow => Started::Yield,
            SuspendKind::Value(value) => Started::Ready(Resume::Value(value.clone_ref(py))),
            SuspendKind::Sleep(seconds) if *seconds <= 0.0 || seconds.is_nan() => Started::Yield,
            SuspendKind::Sleep(seconds) => sleep_until(task, body, core.deadline_after(*seconds)),
            SuspendKind::SleepUntil(deadline) => {
                if *deadline <= core.now() {
                    Started::Yield
                } else {
                    sleep_until(task, body, *deadline)
                }
            }
            SuspendKind::EventWait { event, timeout } => {
                let deadline = timeout.map(|seconds| core.deadline_after(seconds));
                let token = task.begin_wait();
                let Some(key) = event.add_waiter(Waker {
                    task: task.clone(),
                    token,
                }) else {
                    return Started::Ready(Resume::Value(bool_object(py, true)));
                };
                let timer = deadline.map(|deadline| {
                    let waker = Waker {
                        task: task.clone(),
                        token,
                    };
                    core.arm_timer(
                        deadline,
                        TimerAction::Wake(waker, Resume::Value(bool_object(py, false))),
                    )
                });
                body.wait = Registration::Event {
                    event: event.clone() as Arc<dyn WaitSource>,
                    key,
                    timer,
                };
                Started::Pending
            }
            SuspendKind::Join(group) => wait_group(py, task, body, group, OnReady::JoinResult),
            SuspendKind::NextCompletion(step) => step.start(py, task, body),
            SuspendKind::ScopeExit { group, body_error } => {
                group.close(py);
                if body_error.is_some() {
                    group.cancel_tasks(false);
                }
                let on_ready = OnReady::ScopeExit(body_error.as_ref().map(|e| e.clone_ref(py)));
                wait_group(py, task, body, group, on_ready)
            }
            SuspendKind::Select(coros) => {
                let Some(coros) = lock(coros).take() else {
                    return Started::Ready(already_awaited(py, "select(...)"));
                };
                let group = TaskGroup::new(core, GroupKind::Select, false);
                group.set_owner(task);
                let branches = coros.into_iter().map(|coro| branch(py, coro)).collect();
                if let Err(err) = group.spawn_branches(py, branches) {
                    return Started::Ready(Resume::throw(py, err));
                }
                wait_group(py, task, body, &group, OnReady::JoinResult)
            }
            SuspendKind::Timeout { coro, seconds } => {
                let deadline = core.deadline_after(*seconds);
                let Some(coro) = lock(coro).take() else {
                    return Started::Ready(already_awaited(py, "timeout(...)"));
                };
                let group = TaskGroup::new(core, GroupKind::Timeout, false);
                group.set_owner(task);
                group.set_deadline(deadline);
                if let Err(err) = group.spawn_branches(py, vec![branch(py, coro)]) {
                    return Started::Ready(Resume::throw(py, err));
                }
                wait_group(py, task, body, &group, OnReady::JoinResult)
            }
            SuspendKind::Blocking(job) => {
                let token = task.begin_wait();
                if !job.submit(Waker {
                    task: task.clone(),
                    token,
                }) {
                    return Started::Ready(already_awaited(py, "spawn_blocking(...)"));
                }
                core.platform.spawn_blocking(job.clone());
                body.wait = Registration::Blocking(job.clone());
                Started::Pending
            }
            SuspendKind::Acquire { core, guard } => {
                waits::start_acquire(py, task, body, core, *guard)
            }
            SuspendKind::BarrierWait(core) => waits::start_barrier(py, task, body, core),
            SuspendKind::Send { core, msg } => match lock(msg).take() {
                Some(msg) => waits::start_send(py, task, body, core, msg),
                None => Started::Ready(already_awaited(py, "send(...)")),
            },
            SuspendKind::Receive(core) => waits::start_receive(py, task, body, core),
            SuspendKind::Io(call) => crate::common::drive::io_call::start(py, task, body, call),
            SuspendKind::FdWait(wait) => crate::common::drive::fd_wait::start(py, task, body, wait),
            // The driver runs a composed operation's generator itself (`driver::interpret`).
            SuspendKind::Operation(_) => Started::Ready(Resume::throw(
                py,
                PyRuntimeError::new_err("a composed operation can only be yielded or awaited"),
            )),
            SuspendKind::OperationCompletes => Started::Ready(composed_completes(task, body)),
        }
    }
}

/// `operation_completes()`: when the composed operation that is the task's root (and nothing it
/// runs as a child) takes, that decides its select or timeout, or is refused
/// (`decision.rs`).
fn composed_completes(task: &Arc<Task>, body: &TaskBody) -> Resume {
    if task.branch != Branch::Composed || body.children.len() != 1 {
        return Resume::Nothing;
    }
    match composed_operation_completes(task) {
        Some(decisions) => {
            decisions.apply();
            Resume::Nothing
        }
        None => refused(task),
    }
}

/// A select branch or timeout body with what it is to the decision (`decision.rs`): one of
/// tonio's awaitables is an operation.
fn branch(py: Python<'_>, coro: Py<PyAny>) -> (Py<PyAny>, Branch) {
    let branch = match find_suspend(coro.bind(py)).map(|op| &op.kind) {
        Some(SuspendKind::Operation(_)) => Branch::Composed,
        Some(_) => Branch::Operation,
        None => Branch::Coroutine,
    };
    (coro, branch)
}

fn sleep_until(task: &Arc<Task>, body: &mut TaskBody, deadline: Ticks) -> Started {
    let token = task.begin_wait();
    let waker = Waker {
        task: task.clone(),
        token,
    };
    let key = task
        .core
        .arm_timer(deadline, TimerAction::Wake(waker, Resume::Nothing));
    body.wait = Registration::Timer(key);
    Started::Pending
}
