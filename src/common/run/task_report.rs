//! What a task is waiting on and where: for deadlock reports, traces and `Runtime.dump_tasks()`.

use std::sync::Arc;

use pyo3::prelude::*;

use crate::common::base::util::lock;
use crate::common::run::core::RuntimeCore;
use crate::common::run::decision::Branch;
use crate::common::run::gc::try_lock;
use crate::common::run::group::GroupKind;
use crate::common::run::task::{Task, TaskBody};

/// `(file, line)` of every Python frame of `coro`, outermost first (following awaited
/// coroutines and delegated generators).
fn frames(py: Python<'_>, coro: &Py<PyAny>) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut current = Some(coro.bind(py).clone());
    for _ in 0..64 {
        let Some(object) = current.take() else { break };
        let frame = object
            .getattr("cr_frame")
            .or_else(|_| object.getattr("gi_frame"))
            .ok()
            .filter(|f| !f.is_none());
        if let Some(place) = frame.as_ref().and_then(frame_place) {
            found.push(place);
        }
        current = ["cr_await", "gi_yieldfrom"]
            .iter()
            .filter_map(|attr| object.getattr(*attr).ok())
            .find(|inner| {
                inner.hasattr("cr_frame").unwrap_or(false)
                    || inner.hasattr("gi_frame").unwrap_or(false)
            });
    }
    found
}

/// `(file, line)` of a Python frame object.
pub fn frame_place(frame: &Bound<'_, PyAny>) -> Option<(String, String)> {
    let file = frame.getattr("f_code").ok()?.getattr("co_filename").ok()?;
    let line = frame.getattr("f_lineno").ok()?;
    Some((file.to_string(), line.to_string()))
}

/// The directory of the `tonio` package, to tell its frames from the program's.
pub fn package_dir(py: Python<'_>) -> Option<String> {
    let file: String = py
        .import("tonio")
        .ok()?
        .getattr("__file__")
        .ok()?
        .extract()
        .ok()?;
    let dir = std::path::Path::new(&file).parent()?;
    Some(dir.to_string_lossy().into_owned())
}

/// Where a task stands: the innermost frame, and when that frame is inside tonio, the
/// innermost frame of the program that called into it (`file:line (in tonio, from
/// file:line)`); `?` if there is no frame.
fn place(py: Python<'_>, stack: &[(String, String)]) -> String {
    let Some((file, line)) = stack.last() else {
        return "?".into();
    };
    let here = format!("{file}:{line}");
    let Some(package) = package_dir(py) else {
        return here;
    };
    let inside = |file: &str| file.starts_with(&package);
    if !inside(file) {
        return here;
    }
    match stack.iter().rev().find(|(file, _)| !inside(file)) {
        Some((file, line)) => format!("{here} (in tonio, from {file}:{line})"),
        None => here,
    }
}

/// A task's name: the qualified name of its coroutine (`main.<locals>.client`), or `?`.
fn name_of(py: Python<'_>, coro: Option<&Py<PyAny>>) -> String {
    coro.and_then(|coro| coro.bind(py).getattr("__qualname__").ok())
        .map_or_else(|| "?".to_owned(), |name| name.to_string())
}

/// What `task` waits on (`start` if it never ran), where it stands (see `place`), and its name.
pub fn describe(py: Python<'_>, task: &Arc<Task>) -> (String, String, String) {
    describe_body(py, task, &lock(&task.body))
}

/// One line per live task, for `Runtime.dump_tasks()`: like [`blocked_tasks`], but a task that
/// is running right now (its body is held by a worker, perhaps this very thread) is shown as
/// running instead of waited for.
pub fn live_tasks_now(py: Python<'_>, core: &RuntimeCore) -> Vec<String> {
    core.live_task_list()
        .iter()
        .map(|task| match try_lock(&task.body) {
            Some(body) => waiting_line(py, task, &body),
            None => format!("task {} running", task.id),
        })
        .collect()
}

/// `task <id> (<name>) waiting on <what> at <file:line>`.
fn waiting_line(py: Python<'_>, task: &Arc<Task>, body: &TaskBody) -> String {
    let (what, place, name) = describe_body(py, task, body);
    format!("task {} ({name}) waiting on {what} at {place}", task.id)
}

fn describe_body(py: Python<'_>, task: &Arc<Task>, body: &TaskBody) -> (String, String, String) {
    let what = if !task.started.load(std::sync::atomic::Ordering::Relaxed) {
        "start".to_owned()
    } else {
        body.wait.describe()
    };
    let stack = stack_of(py, body);
    if stack.is_empty() {
        if let Some((name, place)) = branch_of(py, task) {
            return (what, place, name);
        }
    }
    (what, place(py, &stack), name_of(py, body.coro.as_ref()))
}

/// The frames of a task's coroutine and of the children it waits on, outermost first.
fn stack_of(py: Python<'_>, body: &TaskBody) -> Vec<(String, String)> {
    body.coro
        .iter()
        .chain(body.children.iter())
        .flat_map(|coro| frames(py, coro))
        .collect()
}

/// A branch that is one tonio awaitable (`select(rx.receive(), ...)`) has no frame of its own:
/// it is named after the select or timeout it belongs to (`select branch of main`), at the
/// place of the task that waits on it. `None` for other tasks, or if that task is busy.
fn branch_of(py: Python<'_>, task: &Arc<Task>) -> Option<(String, String)> {
    if task.branch == Branch::Coroutine {
        return None;
    }
    let owner = task.group.owner()?;
    let body = try_lock(&owner.body)?;
    let kind = match task.group.kind {
        GroupKind::Select => "select",
        GroupKind::Timeout => "timeout",
        _ => "group",
    };
    let name = format!("{kind} branch of {}", name_of(py, body.coro.as_ref()));
    Some((name, place(py, &stack_of(py, &body))))
}

/// One line per unfinished task: id, what it waits on, where.
pub fn blocked_tasks(py: Python<'_>, core: &RuntimeCore) -> Vec<String> {
    core.live_task_list()
        .iter()
        .map(|task| format!("  {}", waiting_line(py, task, &lock(&task.body))))
        .collect()
}
