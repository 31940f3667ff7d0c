//! The cyclic garbage collector and simulated runs.
//!
//! A finalizer that runs in the middle of a simulated run (a socket closed by the `__del__` of
//! an object in a reference cycle) is a step no seed decided: the run would no longer be a
//! function of its seed. The collector is process-wide, and with `explore(workers=N)` several
//! runs are in progress at once, so the rule is process-wide too:
//!
//! - No automatic collection while any simulated run is in progress: the first run to start
//!   pauses the automatic collector, the last to end restores it as it was.
//! - A collection between runs ([`sim_collect_between_runs`]) waits until no run is in progress,
//!   and holds new runs back meanwhile (so it cannot wait forever behind a stream of runs).
//!
//! So a run's garbage is collected after that run, at a point no other worker decides, and a
//! replay (one run, `tonio.sim.run`) meets the same policy as the exploration it came from.
//! (A `gc.collect()` that the program itself calls from another thread is beyond this rule.)
//!
//! # Invariants
//! - `running` counts the runs in progress; the collector is paused iff it is above 0 (and it
//!   was enabled when the first began), except while `switching`.
//! - `switching` is set while one thread pauses or restores the collector (Python calls made
//!   without the lock); nobody enters, leaves or collects meanwhile.
//! - Every wait happens detached from the interpreter, so a stop-the-world pause elsewhere
//!   never waits for a thread blocked here.

use std::cell::Cell;
use std::sync::{Condvar, Mutex};

use pyo3::prelude::*;

use crate::common::base::util::lock;

struct Gate {
    running: usize,
    switching: bool,
    collecting: bool,
    waiting_collectors: usize,
    /// Whether the automatic collector was enabled when the first run in progress began.
    was_enabled: bool,
}

static GATE: Mutex<Gate> = Mutex::new(Gate {
    running: 0,
    switching: false,
    collecting: false,
    waiting_collectors: 0,
    was_enabled: false,
});
static CHANGED: Condvar = Condvar::new();

thread_local! {
    /// Simulated runs in progress on this thread (a thread inside a run never waits at the gate).
    static RUNS_HERE: Cell<usize> = const { Cell::new(0) };
}

/// Waits (detached) until `ready` holds for the gate, then applies `then` under the lock.
fn wait_then<R: Send>(
    py: Python<'_>,
    ready: impl Fn(&Gate) -> bool + Send + Sync,
    then: impl FnOnce(&mut Gate) -> R + Send,
) -> R {
    py.detach(|| {
        let mut gate = lock(&GATE);
        while !ready(&gate) {
            gate = CHANGED
                .wait(gate)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        let result = then(&mut gate);
        CHANGED.notify_all();
        result
    })
}

fn done_switching(py: Python<'_>) {
    wait_then(py, |_| true, |gate| gate.switching = false);
}

/// One simulated run in progress, from [`enter`] until dropped.
pub struct SimRun {
    _private: (),
}

/// Starts a simulated run: waits for a collection in progress or asked for, and pauses the
/// automatic collector if this is the first run.
pub fn enter(py: Python<'_>) -> PyResult<SimRun> {
    let nested = RUNS_HERE.with(Cell::get) > 0;
    let first = wait_then(
        py,
        move |gate| {
            !gate.switching && (nested || (!gate.collecting && gate.waiting_collectors == 0))
        },
        |gate| {
            gate.running += 1;
            gate.switching = gate.running == 1;
            gate.switching
        },
    );
    RUNS_HERE.with(|runs| runs.set(runs.get() + 1));
    let run = SimRun { _private: () };
    if first {
        let gc = py.import("gc");
        let paused = gc.and_then(|gc| {
            let enabled: bool = gc.call_method0("isenabled")?.extract()?;
            gc.call_method0("disable")?;
            Ok(enabled)
        });
        wait_then(
            py,
            |_| true,
            |gate| {
                gate.was_enabled = *paused.as_ref().unwrap_or(&false);
                gate.switching = false;
            },
        );
        paused?;
    }
    Ok(run)
}

impl Drop for SimRun {
    fn drop(&mut self) {
        RUNS_HERE.with(|runs| runs.set(runs.get().saturating_sub(1)));
        Python::attach(|py| {
            let restore = wait_then(
                py,
                |gate| !gate.switching,
                |gate| {
                    gate.running -= 1;
                    gate.switching = gate.running == 0;
                    gate.switching.then_some(gate.was_enabled)
                },
            );
            if let Some(was_enabled) = restore {
                if was_enabled {
                    if let Err(err) = py.import("gc").and_then(|gc| gc.call_method0("enable")) {
                        err.write_unraisable(py, None);
                    }
                }
                done_switching(py);
            }
        });
    }
}

/// Collects cyclic garbage once no simulated run is in progress (holding new ones back
/// meanwhile); returns what `gc.collect()` returned, or `None` if called from inside a run,
/// where it would wait for itself.
#[pyfunction]
pub fn sim_collect_between_runs(py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
    if RUNS_HERE.with(Cell::get) > 0 {
        return Ok(None);
    }
    wait_then(py, |_| true, |gate| gate.waiting_collectors += 1);
    wait_then(
        py,
        |gate| gate.running == 0 && !gate.switching && !gate.collecting,
        |gate| {
            gate.waiting_collectors -= 1;
            gate.collecting = true;
        },
    );
    let collected = py
        .import("gc")
        .and_then(|gc| gc.call_method0("collect"))
        .map(Bound::unbind);
    wait_then(py, |_| true, |gate| gate.collecting = false);
    collected.map(Some)
}
