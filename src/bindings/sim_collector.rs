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
//! - `running` counts the runs in progress; the automatic collector is paused iff it is above
//!   0 (restored as it was when the first began). It is switched with CPython's C calls
//!   (`PyGC_Disable`/`PyGC_Enable`: a flag, no Python code) under the gate's lock, so entering
//!   and leaving cost a lock and no Python call.
//! - No thread ever blocks on the gate while attached to the interpreter: the lock is tried
//!   first, and waited for only detached, so a stop-the-world pause elsewhere never waits for
//!   a thread blocked here.

use std::cell::Cell;
use std::sync::{Condvar, Mutex, MutexGuard};

use pyo3::prelude::*;

use crate::common::base::util::lock;

struct Gate {
    running: usize,
    collecting: bool,
    waiting_collectors: usize,
    /// Whether the automatic collector was enabled when the first run in progress began.
    was_enabled: bool,
}

static GATE: Mutex<Gate> = Mutex::new(Gate {
    running: 0,
    collecting: false,
    waiting_collectors: 0,
    was_enabled: false,
});
static CHANGED: Condvar = Condvar::new();

thread_local! {
    /// Simulated runs in progress on this thread (a thread inside a run never waits at the gate).
    static RUNS_HERE: Cell<usize> = const { Cell::new(0) };
}

/// Runs `then` under the gate's lock, attached, once `ready` holds: at once if the lock is
/// free and the gate ready; else after waiting (detached) until it looks ready, and trying
/// again. (`then` may call into CPython: it always runs attached.)
fn with_gate<R>(
    py: Python<'_>,
    ready: impl Fn(&Gate) -> bool + Send + Sync,
    then: impl FnOnce(&mut Gate) -> R,
) -> R {
    let mut then = Some(then);
    loop {
        if let Ok(mut gate) = GATE.try_lock() {
            if ready(&gate) {
                if let Some(then) = then.take() {
                    return finish(&mut gate, then);
                }
            }
        }
        py.detach(|| {
            let mut gate = lock(&GATE);
            while !ready(&gate) {
                gate = CHANGED
                    .wait(gate)
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
            }
        });
    }
}

fn finish<R>(gate: &mut MutexGuard<'_, Gate>, then: impl FnOnce(&mut Gate) -> R) -> R {
    let result = then(gate);
    CHANGED.notify_all();
    result
}

/// One simulated run in progress, from [`enter`] until dropped.
pub struct SimRun {
    _private: (),
}

/// Starts a simulated run: waits for a collection in progress or asked for, and pauses the
/// automatic collector if this is the first run.
pub fn enter(py: Python<'_>) -> PyResult<SimRun> {
    let nested = RUNS_HERE.with(Cell::get) > 0;
    with_gate(
        py,
        move |gate| nested || (!gate.collecting && gate.waiting_collectors == 0),
        |gate| {
            gate.running += 1;
            if gate.running == 1 {
                // Safety: a flag of the interpreter's collector; no Python code runs.
                gate.was_enabled = unsafe { pyo3::ffi::PyGC_Disable() } != 0;
            }
        },
    );
    RUNS_HERE.with(|runs| runs.set(runs.get() + 1));
    Ok(SimRun { _private: () })
}

impl Drop for SimRun {
    fn drop(&mut self) {
        RUNS_HERE.with(|runs| runs.set(runs.get().saturating_sub(1)));
        Python::attach(|py| {
            with_gate(
                py,
                |_| true,
                |gate| {
                    gate.running -= 1;
                    if gate.running == 0 && gate.was_enabled {
                        // Safety: as in `enter`.
                        unsafe { pyo3::ffi::PyGC_Enable() };
                    }
                },
            );
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
    with_gate(py, |_| true, |gate| gate.waiting_collectors += 1);
    with_gate(
        py,
        |gate| gate.running == 0 && !gate.collecting,
        |gate| {
            gate.waiting_collectors -= 1;
            gate.collecting = true;
        },
    );
    let collected = py
        .import("gc")
        .and_then(|gc| gc.call_method0("collect"))
        .map(Bound::unbind);
    with_gate(py, |_| true, |gate| gate.collecting = false);
    collected.map(Some)
}
