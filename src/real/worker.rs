//! The loop a worker thread runs.
//!
//! ```text
//! loop:
//!   run the next task (own deque, injector, steal)        -- every 61st pick checks the
//!   else fire due timers                                      injector and timers first
//!   else search (spin over the queues, watch the timers) for a short while
//!   else register as sleeping, re-check, park until woken or the next timer deadline
//! ```
//! The worker is attached to the interpreter while it runs tasks and detached while it parks,
//! so a parked worker never holds up the garbage collector's stop-the-world pauses.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

use crossbeam_deque::Worker;
use pyo3::prelude::*;

use super::scheduler::{Scheduler, TaskRef};
use crate::common::core::RuntimeCore;
use crate::common::current;
use crate::common::driver::run_task;
use crate::common::outcome::Outcome;
use crate::common::time::NEVER;

/// How many empty search rounds before parking.
const SEARCH_ROUNDS: u32 = 64;
/// How often (in search rounds) a searching worker polls the reactor without blocking.
const POLL_EVERY: u32 = 8;
/// How often (in tasks) the injector and the timers are looked at first, for fairness.
const CHECK_INTERVAL: u32 = 61;

pub fn run_worker(
    py: Python<'_>,
    scheduler: &Arc<Scheduler>,
    core: &Arc<RuntimeCore>,
    index: usize,
    queue: Worker<TaskRef>,
) {
    let _runtime = current::enter(core);
    scheduler.install_worker(index, queue);
    let mut picks: u32 = 0;
    while !scheduler.is_stopping() {
        picks = picks.wrapping_add(1);
        let periodic = picks % CHECK_INTERVAL == 0;
        if periodic {
            core.timers.fire_due(core.now());
            if let Some(mut poll) = scheduler.reactor.try_lock() {
                scheduler.reactor.poll(&mut poll, Some(Duration::ZERO));
            }
        }
        if let Some(task) = scheduler.next_task(index, periodic) {
            run_guarded(py, task);
            continue;
        }
        if core.timers.fire_due(core.now()) > 0 {
            continue;
        }
        if search(scheduler, core) {
            continue;
        }
        park(py, scheduler, core, index);
    }
    Scheduler::uninstall_worker();
}

/// Spins over the queues (and polls the reactor without blocking) for a short while.
/// Returns true if work showed up, or a timer became due (the caller fires it).
fn search(scheduler: &Scheduler, core: &RuntimeCore) -> bool {
    scheduler.begin_search();
    let mut found = false;
    for round in 0..SEARCH_ROUNDS {
        let timer_due = core.timers.next_deadline() <= core.now();
        if scheduler.has_work() || scheduler.is_stopping() || timer_due {
            found = true;
            break;
        }
        if round % POLL_EVERY == 0 {
            if let Some(mut poll) = scheduler.reactor.try_lock() {
                if scheduler.reactor.poll(&mut poll, Some(Duration::ZERO)) > 0 {
                    found = true;
                    break;
                }
            }
        }
        if round < SEARCH_ROUNDS / 2 {
            std::hint::spin_loop();
        } else {
            std::thread::yield_now();
        }
    }
    scheduler.end_search();
    found
}

/// Parks until woken or the next timer deadline: blocked in the reactor's poll if no other
/// worker is, else with `thread::park`. Detached from the interpreter throughout.
fn park(py: Python<'_>, scheduler: &Scheduler, core: &RuntimeCore, index: usize) {
    py.detach(|| {
        let mut poll = scheduler.reactor.try_lock();
        if poll.is_some() {
            scheduler.set_poller(index);
        }
        scheduler.register_sleeper(index);
        let deadline = scheduler.park_deadline(index, || core.timers.next_deadline());
        let now = core.now();
        let must_stay = scheduler.has_work() || scheduler.is_stopping() || deadline <= now;
        if !must_stay {
            let timeout = (deadline != NEVER).then(|| Duration::from_micros(deadline - now));
            match poll.as_mut() {
                Some(guard) => {
                    scheduler.reactor.poll(guard, timeout);
                }
                None => match timeout {
                    None => std::thread::park(),
                    Some(timeout) => std::thread::park_timeout(timeout),
                },
            }
        }
        if poll.is_some() {
            scheduler.clear_poller();
        }
        drop(poll);
        scheduler.unpark_deadline(index);
        scheduler.unregister_sleeper(index);
    });
}

/// Runs a task; a panic inside the runtime fails that task instead of killing the worker.
fn run_guarded(py: Python<'_>, task: TaskRef) {
    let keep = task.clone();
    if catch_unwind(AssertUnwindSafe(|| run_task(py, task))).is_err() {
        let err = pyo3::exceptions::PyRuntimeError::new_err(
            "tonio internal error: the runtime panicked while running this task (please report it)",
        );
        keep.mark_done();
        keep.group
            .task_done(py, &keep, Outcome::Raised(err.into_value(py).into_any()));
        keep.core.task_finished();
    }
}
