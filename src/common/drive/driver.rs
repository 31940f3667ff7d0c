//! The coroutine driver: runs one task until it suspends or finishes.
//!
//! A task is a stack: its own coroutine at the bottom and, in the yield flavour, the child
//! generators it yielded on top (run inside the same task, no scheduling). The driver sends the
//! resume value into the top of the stack with `PyIter_Send` (no Python method call, no
//! allocation) and interprets what comes out:
//! - a yielded `None` or `yield_now`: requeue the task behind other ready work;
//! - a yielded generator: push it as a child and start it;
//! - a yielded [`Suspend`]: start it; park the task if it must wait;
//! - anything else: throw `TypeError` into the task at that yield (it may catch it);
//! - a return or an exception: pop the child and deliver it to its parent, or finish the task.

use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};

use pyo3::exceptions::PyStopIteration;
use pyo3::ffi;
use pyo3::prelude::*;

use crate::common::base::errors::{add_mixing_hint, bad_yield, cancelled};
use crate::common::base::outcome::{Outcome, Resume};
use crate::common::base::ownership::{self, StartGuard};
use crate::common::base::util::lock;
use crate::common::drive::suspend::{Suspend, SuspendKind};
use crate::common::run::decision::Branch;
use crate::common::run::registration::{already_awaited, Finish, Registration, Started};
use crate::common::run::task::{Park, Task, TaskBody};

/// Reaches the operation inside an object whose exact type is tonio's awaitable class.
///
/// # Safety
/// Callable only on an object of exactly the type it was installed with (see [`recognise`]).
pub type OpOf = for<'a, 'py> unsafe fn(&'a Bound<'py, PyAny>) -> &'a Suspend;

/// Tonio's two awaitable classes (`bindings::suspension`): each type object's address, and how
/// to reach the operation in an instance of it.
pub struct AwaitableClasses {
    /// The awaitables of every step (checked first).
    pub plain: (usize, OpOf),
    /// The awaitables that hold Python objects.
    pub tracked: (usize, OpOf),
}

static AWAITABLES: OnceLock<AwaitableClasses> = OnceLock::new();

/// Installs tonio's awaitable classes, which belong to the bindings, at module import (once per
/// process; until then, in Rust unit tests, no object is an awaitable). Each type object must
/// stay alive for the rest of the process (a class of the extension module does) and its
/// `OpOf` must be sound for every object of exactly that type.
pub fn recognise(classes: AwaitableClasses) {
    let _ = AWAITABLES.set(classes);
}

/// The operation inside `object`, if it is one of tonio's awaitables: type comparisons, then
/// a field access (the driver does this on every step).
#[inline]
pub fn find_suspend<'a>(object: &'a Bound<'_, PyAny>) -> Option<&'a Suspend> {
    let classes = AWAITABLES.get()?;
    // Safety: the type of a live object we hold a reference to.
    let type_object = unsafe { ffi::Py_TYPE(object.as_ptr()) } as usize;
    let op_of = if type_object == classes.plain.0 {
        classes.plain.1
    } else if type_object == classes.tracked.0 {
        classes.tracked.1
    } else {
        return None;
    };
    // Safety: `object`'s exact type is the one `op_of` was installed for.
    Some(unsafe { op_of(object) })
}

/// What sending into a coroutine produced.
enum Sent {
    Yielded(Py<PyAny>),
    Returned(Py<PyAny>),
    Raised(PyErr),
}

/// Runs `task` (which the caller dequeued) until it suspends or finishes.
pub fn run_task(py: Python<'_>, task: Arc<Task>) {
    let mut body = lock(&task.body);
    let resume = task.begin_run();
    let previous_task =
        crate::common::run::current::set_task(crate::common::run::current::RunningTask {
            uid: task.uid(),
            operation_branch: task.branch == Branch::Operation,
            id: task.id,
            coro: body.coro.as_ref().map_or(std::ptr::null_mut(), Py::as_ptr),
        });
    // Only the thread running the task writes `started` (a load and a store, no RMW).
    let first_run = !task.started.load(Ordering::Relaxed);
    if first_run {
        task.started.store(true, Ordering::Relaxed);
    }
    let entered = body.context.enter(py, task.core.options.context);
    // Held until the next send, when that send starts a shared coroutine (`ownership.rs`).
    let mut starting = None;
    if first_run {
        match check_own_coroutine(py, &task, &body) {
            Ok(guard) => starting = guard,
            Err(err) => {
                let exc = err.into_value(py).into_any();
                finish(py, &task, &mut body, Outcome::Raised(exc));
                body.context.exit(py, entered);
                crate::common::run::current::set_task(previous_task);
                return;
            }
        }
    }
    let resume = match finish_wait(py, &task, &mut body, resume) {
        Some(resume) => resume,
        None => {
            body.context.exit(py, entered);
            crate::common::run::current::set_task(previous_task);
            return;
        }
    };
    drive(py, &task, &mut body, resume, starting);
    body.context.exit(py, entered);
    crate::common::run::current::set_task(previous_task);
}

fn drive(
    py: Python<'_>,
    task: &Arc<Task>,
    body: &mut TaskBody,
    mut resume: Resume,
    mut starting: Option<StartGuard>,
) {
    loop {
        let Some(target) = body.top() else { return };
        let sent = send(py, target, resume);
        drop(starting.take());
        match sent {
            Sent::Yielded(value) => {
                let next = match interpret(py, task, body, value, &mut starting) {
                    Step::Continue(next) => next,
                    Step::Yield => match task.yield_now() {
                        Some(cancel) => cancel,
                        None => {
                            task.core.platform.schedule_yielded(task.clone());
                            return;
                        }
                    },
                    Step::Park => match task.park() {
                        Park::Parked => return,
                        Park::Resume(woken) => match finish_wait(py, task, body, woken) {
                            Some(next) => next,
                            None => return,
                        },
                    },
                };
                resume = next;
            }
            Sent::Returned(value) => match body.children.pop() {
                Some(_child) => resume = Resume::Value(value),
                None => return finish(py, task, body, Outcome::Returned(value)),
            },
            Sent::Raised(err) => {
                let exc = err.into_value(py).into_any();
                match body.children.pop() {
                    Some(_child) => resume = Resume::Throw(exc),
                    None => {
                        add_mixing_hint(exc.bind(py));
                        return finish(py, task, body, Outcome::Raised(exc));
                    }
                }
            }
        }
    }
}

/// What to do after a yield.
enum Step {
    Continue(Resume),
    Yield,
    Park,
}

fn interpret(
    py: Python<'_>,
    task: &Arc<Task>,
    body: &mut TaskBody,
    value: Py<PyAny>,
    starting: &mut Option<StartGuard>,
) -> Step {
    let bound = value.bind(py);
    if bound.is_none() {
        return Step::Yield;
    }
    if let Some(suspend) = find_suspend(bound) {
        if let SuspendKind::Operation(generator) = &suspend.kind {
            suspend.mark_used();
            return match lock(generator).take() {
                Some(generator) => push_child(py, task, body, generator, starting),
                None => Step::Continue(already_awaited(py, "this operation")),
            };
        }
        return match suspend.start(py, task, body) {
            Started::Ready(resume) => Step::Continue(resume),
            Started::Yield => Step::Yield,
            Started::Pending => Step::Park,
        };
    }
    // Safety: type check on a live object we hold a reference to.
    if unsafe { ffi::PyGen_CheckExact(bound.as_ptr()) } != 0 {
        return push_child(py, task, body, value, starting);
    }
    Step::Continue(Resume::Throw(bad_yield(py, bound)))
}

/// Runs `generator` as a child of the task (a yielded generator, or a composed operation's).
fn push_child(
    py: Python<'_>,
    task: &Arc<Task>,
    body: &mut TaskBody,
    generator: Py<PyAny>,
    starting: &mut Option<StartGuard>,
) -> Step {
    match ownership::check_start(generator.bind(py), || task.core.platform.parallel()) {
        Ok(guard) => {
            *starting = guard;
            body.children.push(generator);
            Step::Continue(Resume::Start)
        }
        Err(err) => Step::Continue(Resume::throw(py, err)),
    }
}

/// Ends the current registration after a wake. `None` means the task parked again.
fn finish_wait(
    py: Python<'_>,
    task: &Arc<Task>,
    body: &mut TaskBody,
    mut resume: Resume,
) -> Option<Resume> {
    loop {
        let registration = std::mem::replace(&mut body.wait, Registration::None);
        match registration.finish(py, task, body, resume) {
            Finish::Resume(next) => return Some(next),
            Finish::WaitAgain => match task.park_shielded() {
                Park::Parked => return None,
                Park::Resume(woken) => resume = woken,
            },
            Finish::Park => match task.park() {
                Park::Parked => return None,
                Park::Resume(woken) => resume = woken,
            },
        }
    }
}

fn send(py: Python<'_>, target: &Py<PyAny>, resume: Resume) -> Sent {
    match resume {
        Resume::Start | Resume::Nothing | Resume::Ready => send_value(py, target, py.None()),
        Resume::Value(value) => send_value(py, target, value),
        Resume::Throw(exc) => throw(py, target, exc),
        Resume::Cancel => throw(py, target, cancelled(py)),
    }
}

fn send_value(py: Python<'_>, target: &Py<PyAny>, value: Py<PyAny>) -> Sent {
    let mut result: *mut ffi::PyObject = std::ptr::null_mut();
    // Safety: `target` and `value` are live references held for the duration of the call and we
    // are attached. On PYGEN_NEXT/PYGEN_RETURN `result` is a new (owned) reference; on PYGEN_ERROR
    // an exception is set and `result` is NULL.
    let status = unsafe { ffi::PyIter_Send(target.as_ptr(), value.as_ptr(), &mut result) };
    match status {
        // Safety (both arms): PyIter_Send returned a new, non-NULL reference in `result`.
        ffi::PySendResult::PYGEN_NEXT => {
            Sent::Yielded(unsafe { Bound::from_owned_ptr(py, result) }.unbind())
        }
        ffi::PySendResult::PYGEN_RETURN => {
            Sent::Returned(unsafe { Bound::from_owned_ptr(py, result) }.unbind())
        }
        ffi::PySendResult::PYGEN_ERROR => Sent::Raised(PyErr::fetch(py)),
    }
}

fn throw(py: Python<'_>, target: &Py<PyAny>, exc: Py<PyAny>) -> Sent {
    match target
        .bind(py)
        .call_method1(pyo3::intern!(py, "throw"), (exc,))
    {
        Ok(value) => Sent::Yielded(value.unbind()),
        Err(err) if err.is_instance_of::<PyStopIteration>(py) => {
            let value = err
                .value(py)
                .getattr("value")
                .map_or_else(|_| py.None(), Bound::unbind);
            Sent::Returned(value)
        }
        Err(err) => Sent::Raised(err),
    }
}

/// Checks, before its first run, that no other task drives the task's coroutine
/// (`ownership.rs`).
fn check_own_coroutine(
    py: Python<'_>,
    task: &Task,
    body: &TaskBody,
) -> PyResult<Option<StartGuard>> {
    match &body.coro {
        Some(coro) => ownership::check_start(coro.bind(py), || task.core.platform.parallel()),
        None => Ok(None),
    }
}

fn finish(py: Python<'_>, task: &Arc<Task>, body: &mut TaskBody, outcome: Outcome) {
    crate::common::run::current::forget_coroutine(); // before it is freed (see `RunningTask::coro`)
    body.coro = None;
    body.children.clear();
    task.mark_done();
    task.group.task_done(py, task, outcome);
    task.core.task_finished();
}
