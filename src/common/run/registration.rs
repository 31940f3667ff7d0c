//! What a suspended task leaves behind, and how it resumes.
//!
//! When `Suspend::start` has to wait it records a [`Registration`] in the task body: which
//! queue, timer, group or socket holds the task's waker. When the task resumes, for whatever
//! reason (woken, timed out, cancelled), `Registration::finish` removes whatever is left of the
//! registration and turns the wake into the value or exception the task sees.

use std::sync::Arc;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

use crate::common::base::outcome::Resume;
use crate::common::base::waitqueue::WaiterKey;
use crate::common::io::readiness::{Interest, Readiness};
use crate::common::run::blocking::BlockingJob;
use crate::common::run::completions::CompletionStep;
use crate::common::run::group::{GroupKind, TaskGroup};
use crate::common::run::task::{Task, TaskBody, Waker};
use crate::common::run::timers::TimerKey;

/// What starting a suspension decided (`Suspend::start` and the waits it calls).
pub enum Started {
    /// Continue at once with this resume.
    Ready(Resume),
    /// Requeue the task behind other ready work (a yield).
    Yield,
    /// A registration was recorded; park the task.
    Pending,
}

/// Which of a primitive's queues a waiter is in (a channel has one per direction).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Only,
    Senders,
    Receivers,
}

/// Something tasks queue on (an event, a lock, a channel). The driver calls `remove_waiter`
/// when a queued task stops waiting without having been handed anything (it was cancelled).
pub trait WaitSource: Send + Sync {
    fn remove_waiter(&self, side: Side, key: WaiterKey);

    /// What a waiter on `side` waits for, for reports ("Lock acquire", "channel receive", ...).
    fn describe(&self, side: Side) -> &'static str;

    /// What a value granted to a waiter that asked for it wrapped (`OnValue::Grant`) becomes:
    /// a lock's permit becomes the guard that owns it. Other sources pass it on.
    fn wrap_grant(self: Arc<Self>, py: Python<'_>, granted: Resume) -> Resume {
        let _ = py;
        granted
    }
}

/// A socket operation waiting for readiness to be attempted again (`io::IoCall`).
pub trait IoRetry: Send + Sync {
    /// Attempts the operation after a readiness wake: its result, or the new wait if it would
    /// still block.
    fn retry(
        &self,
        py: Python<'_>,
        task: &Arc<Task>,
    ) -> Result<Resume, (Arc<Readiness>, Interest, WaiterKey)>;

    /// The task stopped waiting without the operation completing: let go of what it holds.
    fn abandon(&self);
}

/// An operation branch that lost was refused its take (`decision.rs`): it is being cancelled,
/// and the `CancelledError` it gets now stands for that cancellation.
pub(crate) fn refused(task: &Task) -> Resume {
    task.take_pending_cancel();
    Resume::Cancel
}

/// What to do with a group waiter's wake.
pub enum OnReady {
    /// Resume with the group's join result.
    JoinResult,
    /// Colored scope exit: merge the body's error with the tasks' errors.
    ScopeExit(Option<Py<PyAny>>),
    /// The owner was cancelled and waited for the group to unwind: throw `CancelledError`,
    /// unless the group decided for a value that must not be lost (see `ready_value`).
    Cancelled,
    /// An `as_completed` step: the resume carries the outcome it took.
    Completion(Arc<CompletionStep>),
}

/// What a suspended task must undo or translate when it resumes.
pub enum Registration {
    None,
    Timer(TimerKey),
    /// Queued on an event, perhaps with a timeout timer.
    Event {
        event: Arc<dyn WaitSource>,
        key: WaiterKey,
        timer: Option<TimerKey>,
    },
    Group {
        group: Arc<TaskGroup>,
        key: WaiterKey,
        on_ready: OnReady,
    },
    Blocking(Arc<BlockingJob>),
    /// Queued on a sync primitive or channel.
    Queued {
        source: Arc<dyn WaitSource>,
        side: Side,
        key: WaiterKey,
        on_value: OnValue,
    },
    /// Waiting for readiness, to attempt `call` again (a socket operation), or to report it
    /// (`tonio.io`).
    Io {
        call: Arc<dyn IoRetry>,
        readiness: Arc<Readiness>,
        interest: Interest,
        key: WaiterKey,
    },
}

/// How a queued wait's grant becomes the value the task sees.
pub enum OnValue {
    Pass,
    /// The source wraps it (`WaitSource::wrap_grant`: a granted permit becomes a `Guard`).
    Grant,
}

/// What `finish` decided.
pub enum Finish {
    Resume(Resume),
    /// A new registration was recorded: park again, shielded from cancellation.
    WaitAgain,
    /// A new registration was recorded: park again (an I/O retry that would still block).
    Park,
}

pub(crate) fn wait_group(
    py: Python<'_>,
    task: &Arc<Task>,
    body: &mut TaskBody,
    group: &Arc<TaskGroup>,
    on_ready: OnReady,
) -> Started {
    let token = task.begin_wait();
    match group.add_waiter(Waker {
        task: task.clone(),
        token,
    }) {
        None => Started::Ready(ready_value(py, task, group, on_ready)),
        Some(key) => {
            body.wait = Registration::Group {
                group: group.clone(),
                key,
                on_ready,
            };
            Started::Pending
        }
    }
}

fn ready_value(py: Python<'_>, task: &Task, group: &TaskGroup, on_ready: OnReady) -> Resume {
    match on_ready {
        OnReady::JoinResult => group.join_result(py),
        OnReady::Completion(_) => Resume::Cancel,
        OnReady::Cancelled => {
            // A select or timeout that finished with a value (a branch may have taken a
            // message) delivers it; the cancellation waits for the next suspension.
            let decided_value = group.kind.decides()
                && matches!(
                    group.winner(py),
                    Some(crate::common::base::outcome::Outcome::Returned(_))
                );
            if !decided_value {
                return Resume::Cancel;
            }
            task.rearm_cancel();
            group.join_result(py)
        }
        OnReady::ScopeExit(body_error) => {
            let mut errors = group.take_scope_errors(py);
            match body_error {
                None if errors.is_empty() => Resume::Value(py.None()),
                Some(_) if errors.is_empty() => Resume::Value(bool_object(py, false)),
                body_error => {
                    if let Some(body_error) = body_error {
                        errors.insert(0, body_error);
                    }
                    let err = crate::common::base::errors::exception_group(
                        py,
                        "ScopeExceptionGroup",
                        errors,
                    );
                    Resume::throw(py, err)
                }
            }
        }
    }
}

pub(crate) fn bool_object(py: Python<'_>, value: bool) -> Py<PyAny> {
    pyo3::types::PyBool::new(py, value)
        .to_owned()
        .into_any()
        .unbind()
}

pub(crate) fn already_awaited(py: Python<'_>, what: &str) -> Resume {
    let err = PyRuntimeError::new_err(format!(
        "{what} can be awaited only once; call it again for a new one"
    ));
    Resume::throw(py, err)
}

impl Registration {
    /// What the task waits on, for reports.
    pub fn describe(&self) -> String {
        match self {
            Registration::None => "yield".into(),
            Registration::Timer(_) => "sleep".into(),
            Registration::Event { event, .. } => event.describe(Side::Only).into(),
            Registration::Blocking(_) => "spawn_blocking".into(),
            Registration::Queued { source, side, .. } => source.describe(*side).into(),
            Registration::Io { interest, .. } => interest.describe().into(),
            Registration::Group { group, .. } => match group.kind {
                GroupKind::Join { .. } | GroupKind::JoinNoResults | GroupKind::Untracked => {
                    "spawn join".into()
                }
                GroupKind::Scope => "scope wait".into(),
                GroupKind::Select => "select".into(),
                GroupKind::Timeout => "timeout".into(),
                GroupKind::AsCompleted => "as_completed".into(),
                GroupKind::Main | GroupKind::BlockOn => "block_on".into(),
            },
        }
    }

    /// Undoes what is left of the registration and turns `resume` into the value to deliver.
    pub fn finish(
        self,
        py: Python<'_>,
        task: &Arc<Task>,
        body: &mut TaskBody,
        resume: Resume,
    ) -> Finish {
        match self {
            Registration::None => Finish::Resume(resume),
            Registration::Timer(key) => {
                if !matches!(resume, Resume::Nothing) {
                    drop(task.core.timers.cancel(key));
                }
                Finish::Resume(resume)
            }
            Registration::Event { event, key, timer } => {
                event.remove_waiter(Side::Only, key);
                if let Some(timer) = timer {
                    drop(task.core.timers.cancel(timer));
                }
                Finish::Resume(resume)
            }
            Registration::Blocking(job) => {
                if matches!(resume, Resume::Cancel) {
                    job.cancel(py);
                }
                Finish::Resume(resume)
            }
            Registration::Io {
                call,
                readiness,
                interest,
                key,
            } => match resume {
                Resume::Nothing => match call.retry(py, task) {
                    Ok(resume) => Finish::Resume(resume),
                    Err((readiness, interest, key)) => {
                        body.wait = Registration::Io {
                            call,
                            readiness,
                            interest,
                            key,
                        };
                        Finish::Park
                    }
                },
                other => {
                    drop(readiness.remove(interest, key));
                    // Ended without completing (cancelled, timed out): let go of what the
                    // operation holds (a `recv_into` buffer, a timer) now, not when the
                    // awaitable is freed.
                    call.abandon();
                    Finish::Resume(other)
                }
            },
            Registration::Queued {
                source,
                side,
                key,
                on_value,
            } => {
                if matches!(resume, Resume::Cancel) {
                    source.remove_waiter(side, key);
                    return Finish::Resume(resume);
                }
                match on_value {
                    OnValue::Pass => Finish::Resume(resume),
                    OnValue::Grant => Finish::Resume(source.wrap_grant(py, resume)),
                }
            }
            Registration::Group {
                group,
                key,
                on_ready,
            } => match resume {
                Resume::Ready => Finish::Resume(ready_value(py, task, &group, on_ready)),
                Resume::Cancel => {
                    drop(group.remove_waiter(key));
                    if let OnReady::Completion(step) = &on_ready {
                        step.release();
                    }
                    let owns_tasks = matches!(
                        group.kind,
                        GroupKind::Scope | GroupKind::Select | GroupKind::Timeout
                    );
                    if !owns_tasks {
                        return Finish::Resume(Resume::Cancel);
                    }
                    // The owner is cancelled: cancel what it owns and wait for it to unwind.
                    if !group.is_finished() {
                        group.cancel_tasks(false);
                    }
                    match wait_group(py, task, body, &group, OnReady::Cancelled) {
                        Started::Pending => Finish::WaitAgain,
                        Started::Ready(resume) => Finish::Resume(resume),
                        Started::Yield => Finish::Resume(Resume::Cancel),
                    }
                }
                other => {
                    drop(group.remove_waiter(key));
                    if let OnReady::Completion(step) = on_ready {
                        step.mark_taken();
                    }
                    Finish::Resume(other)
                }
            },
        }
    }
}
