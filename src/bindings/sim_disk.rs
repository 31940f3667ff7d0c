//! Python bindings of the simulated disk: the `disk=` option (a `tonio.sim.Disk`) and the
//! live fault handle `tonio.sim.disk()` (`crash`, `fail`, `heal`). Each fault is recorded in
//! the run's trace as done by the calling task, at its step, so it replays with the run.

use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;

use super::args::{c_int_arg, type_name};
use super::sim_network::{duration, note, sim_platform};
use crate::common::base::time::Ticks;
use crate::sim::disk::{DiskConfig, SimDisk as Disk};
use crate::sim::platform::SimPlatform;

/// The longest `latency` or `jitter` of a disk operation: an hour.
const MAX_DELAY: Ticks = 3_600_000_000;

/// `disk=`: `None` (files are the real disk's) or a `tonio.sim.Disk` (read through its
/// `latency` and `jitter` attributes).
pub fn parse_disk(value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<DiskConfig>> {
    let Some(value) = value.filter(|v| !v.is_none()) else {
        return Ok(None);
    };
    let (Ok(latency), Ok(jitter)) = (value.getattr("latency"), value.getattr("jitter")) else {
        return Err(PyTypeError::new_err(format!(
            "disk must be a tonio.sim.Disk, not {}",
            type_name(value)
        )));
    };
    let bounded = |value, name| -> PyResult<Ticks> {
        let ticks = duration(Some(value), name)?.unwrap_or(0);
        if ticks > MAX_DELAY {
            return Err(PyValueError::new_err(format!(
                "{name} must be at most an hour (3600 seconds) per disk operation"
            )));
        }
        Ok(ticks)
    };
    Ok(Some(DiskConfig {
        latency: bounded(latency, "latency")?,
        jitter: bounded(jitter, "jitter")?,
    }))
}

/// The running simulated run's disk, or the error `what` raises without one.
fn with_disk<R>(
    what: &str,
    use_it: impl FnOnce(&SimPlatform, &Disk) -> PyResult<R>,
) -> PyResult<R> {
    sim_platform(what, |platform| match platform.sim_disk() {
        Some(disk) => use_it(platform, disk),
        None => Err(PyRuntimeError::new_err(format!(
            "{what}: this simulated run has no disk (pass disk=tonio.sim.Disk())"
        ))),
    })
}

/// The simulated disk of the running run (`tonio.sim.disk()`).
#[pyclass(module = "tonio._tonio", name = "SimDisk", frozen)]
pub struct SimDisk;

#[pymethods]
impl SimDisk {
    /// A power loss: every file keeps its synced bytes plus a seeded prefix (possibly empty,
    /// possibly ending inside a write) of what was written after; every file open now is
    /// broken (its operations but `close` raise `OSError(EIO)`). Returns how many open files
    /// it broke. Names stay as they were (creating, renaming, deleting are durable at once).
    fn crash(&self, py: Python<'_>) -> PyResult<usize> {
        with_disk("disk().crash", |platform, disk| {
            let broken = disk.crash();
            note(
                py,
                platform,
                format!("fault: disk crash ({broken} open files broken)"),
            );
            Ok(broken)
        })
    }

    /// Operations on `prefix` and the paths below it raise `OSError(errno)` (`errno.EIO`,
    /// `errno.ENOSPC`, `errno.EACCES`...) until `heal`; `seek` and `close` never fail.
    fn fail(&self, py: Python<'_>, prefix: &str, errno: Bound<'_, PyAny>) -> PyResult<()> {
        let code = c_int_arg(&errno, "errno")?;
        if code <= 0 {
            return Err(PyValueError::new_err(format!(
                "errno must be a positive error number (errno.EIO, ...), got {code}"
            )));
        }
        with_disk("disk().fail", |platform, disk| {
            disk.fail(prefix.as_bytes(), code);
            note(
                py,
                platform,
                format!("fault: disk fail {prefix:?} errno {code}"),
            );
            Ok(())
        })
    }

    /// Ends the injected errors under `prefix`, or every one when omitted; how many ended.
    #[pyo3(signature = (prefix=None))]
    fn heal(&self, py: Python<'_>, prefix: Option<&str>) -> PyResult<usize> {
        with_disk("disk().heal", |platform, disk| {
            let healed = disk.heal(prefix.map(str::as_bytes));
            let what = match prefix {
                Some(prefix) => format!("fault: disk heal {prefix:?}"),
                None => "fault: disk heal everything".to_owned(),
            };
            note(py, platform, what);
            Ok(healed)
        })
    }
}

/// `tonio.sim.disk()`: the simulated disk of the running run.
#[pyfunction]
pub fn sim_disk() -> PyResult<SimDisk> {
    with_disk("tonio.sim.disk()", |_, _| Ok(SimDisk))
}
