//! What a blocked task is waiting on and where: for deadlock reports and traces.

use std::sync::Arc;

use pyo3::prelude::*;

use crate::common::core::RuntimeCore;
use crate::common::task::Task;
use crate::common::util::lock;

/// `file:line` of the innermost Python frame of `coro` (following awaited coroutines and
/// delegated generators), or `?`.
pub fn location(py: Python<'_>, coro: &Py<PyAny>) -> String {
    let mut current = coro.bind(py).clone();
    for _ in 0..64 {
        let inner = ["cr_await", "gi_yieldfrom"]
            .iter()
            .filter_map(|attr| current.getattr(*attr).ok())
            .find(|inner| {
                inner.hasattr("cr_frame").unwrap_or(false)
                    || inner.hasattr("gi_frame").unwrap_or(false)
            });
        match inner {
            Some(inner) => current = inner,
            None => break,
        }
    }
    let frame = current
        .getattr("cr_frame")
        .or_else(|_| current.getattr("gi_frame"))
        .ok()
        .filter(|f| !f.is_none());
    let Some(frame) = frame else {
        return "?".into();
    };
    let file = frame
        .getattr("f_code")
        .and_then(|c| c.getattr("co_filename"))
        .map(|f| f.to_string());
    let line = frame.getattr("f_lineno").map(|l| l.to_string());
    match (file, line) {
        (Ok(file), Ok(line)) => format!("{file}:{line}"),
        _ => "?".into(),
    }
}

/// What `task` waits on (`start` if it never ran) and where its innermost frame is.
pub fn describe(py: Python<'_>, task: &Arc<Task>) -> (String, String) {
    let body = lock(&task.body);
    let what = if !task.started.load(std::sync::atomic::Ordering::Relaxed) {
        "start".to_owned()
    } else {
        body.wait.describe()
    };
    let place = body
        .top()
        .map_or_else(|| "?".to_owned(), |coro| location(py, coro));
    (what, place)
}

/// One line per unfinished task: id, what it waits on, where.
pub fn blocked_tasks(py: Python<'_>, core: &RuntimeCore) -> Vec<String> {
    core.live_task_list()
        .iter()
        .map(|task| {
            let (what, place) = describe(py, task);
            format!("  task {} waiting on {what} at {place}", task.id)
        })
        .collect()
}
