//! `time.interval(period, at=None)`: ticks on a fixed schedule.
//!
//! The first tick is at `at` (runtime clock seconds; default: now), then every `period`. A tick
//! awaited late fires at once and the schedule restarts from that moment (no burst of catch-up
//! ticks).

use std::sync::Mutex;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use super::suspension::awaitable;
use crate::common::base::suspend_args::seconds;
use crate::common::base::time::{ticks_from_seconds, Ticks};
use crate::common::base::util::lock;
use crate::common::drive::suspend::SuspendKind;
use crate::common::run::current;

/// A periodic schedule; await `tick()` for each period.
#[pyclass(frozen, module = "tonio._tonio")]
pub struct Interval {
    period: Ticks,
    next: Mutex<Ticks>,
}

#[pymethods]
impl Interval {
    /// An awaitable that finishes at the next scheduled tick.
    fn tick(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let core = current::require("Interval.tick")?;
        let now = core.now();
        let mut next = lock(&self.next);
        let deadline = if *next <= now {
            *next = now.saturating_add(self.period);
            now
        } else {
            let deadline = *next;
            *next = deadline.saturating_add(self.period);
            deadline
        };
        awaitable(py, SuspendKind::SleepUntil(deadline))
    }

    /// The period in seconds.
    #[getter]
    fn period(&self) -> f64 {
        crate::common::base::time::seconds_from_ticks(self.period)
    }
}

/// Creates an `Interval` ticking every `period` seconds, first at `at` (default: now).
#[pyfunction]
#[pyo3(signature = (period, at=None))]
pub fn interval(period: Bound<'_, PyAny>, at: Option<Bound<'_, PyAny>>) -> PyResult<Interval> {
    let period_seconds = seconds(&period, "interval: period")?;
    if period_seconds <= 0.0 || !period_seconds.is_finite() {
        return Err(PyValueError::new_err(format!(
            "interval: period must be a positive, finite number of seconds, got {period_seconds}"
        )));
    }
    let core = current::require("time.interval")?;
    let first = match at.filter(|a| !a.is_none()) {
        None => core.now(),
        Some(at) => ticks_from_seconds(seconds(&at, "interval: at")?),
    };
    Ok(Interval {
        period: ticks_from_seconds(period_seconds).max(1),
        next: Mutex::new(first),
    })
}
