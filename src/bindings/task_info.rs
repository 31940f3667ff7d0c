//! Which task is this (`tonio.current_task()`), and naming tasks where they are spawned.

use pyo3::prelude::*;
use pyo3::types::PyTuple;

use crate::common::run::current;

/// The task running the caller: its per-run `id` (as traces, deadlock reports and
/// `Runtime.dump_tasks()` show it) and its `name` (its coroutine's qualified name, or the
/// `name=` it was spawned with).
#[pyclass(frozen, module = "tonio._tonio")]
pub struct TaskInfo {
    /// Per-run task id.
    #[pyo3(get)]
    id: u64,
    /// The task's name.
    #[pyo3(get)]
    name: String,
}

#[pymethods]
impl TaskInfo {
    fn __repr__(&self) -> String {
        format!("<tonio task {} {:?}>", self.id, self.name)
    }
}

/// The task running the caller, or `None` outside a task (in a blocking call, or no run).
#[pyfunction]
pub fn current_task(py: Python<'_>) -> Option<TaskInfo> {
    let (id, coro) = current::task_identity(py)?;
    let name = coro
        .bind(py)
        .getattr("__qualname__")
        .map_or_else(|_| "?".to_owned(), |name| name.to_string());
    Some(TaskInfo { id, name })
}

/// Names the tasks about to be spawned from `coros` (`what(..., name=...)`): one coroutine
/// takes `name`, several take `name[0]`, `name[1]`, ... The name becomes the coroutine's
/// `__qualname__`, which reports, traces and `current_task()` show.
pub fn name_tasks(coros: &Bound<'_, PyTuple>, name: &str, what: &str) -> PyResult<()> {
    let several = coros.len() > 1;
    for (index, coro) in coros.iter().enumerate() {
        let task_name = if several {
            format!("{name}[{index}]")
        } else {
            name.to_owned()
        };
        coro.setattr("__qualname__", task_name).map_err(|_| {
            pyo3::exceptions::PyTypeError::new_err(format!(
                "{what}(name=...) names generator and coroutine tasks; wrap this awaitable in \
                 one to name it"
            ))
        })?;
    }
    Ok(())
}
