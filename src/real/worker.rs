//! The loop a worker thread runs.
//!
//! ```text
//! loop:
//!   run the next task (own deque, injector, steal)        -- every 61st pick checks the
//!   else fire due timers                                      injector and timers first
//!   else search (spin, then yield; watch the timers) briefly -- never with one worker
//!   else register as sleeping, re-check, park until woken or the next timer deadline
//! ```
//! The worker is attached to the interpreter while it runs tasks and detached while it parks,
//! so a parked worker never holds up the garbage collector's stop-the-world pauses.
//!
//! Worker 0 is the thread that called `run_until_complete` (see `platform.rs` for why). It
//! also handles Python's signal handlers (`KeyboardInterrupt`): it checks them every
//! `CHECK_INTERVAL` tasks and after every park, and parks at most `SIGNAL_CHECK` at a time.
//!
//! # Who searches, and how long
//! Searching only pays when another worker may hand us work soon; otherwise the reactor (where
//! a parked worker blocks) or a wake-up brings the next task. So: no search at all with one
//! worker (nobody else can produce work: `threads=1` never spins or yields). With more, a
//! searching worker spins for half its rounds, then yields the CPU (`sched_yield`) for the
//! other half, some tens of microseconds in all. Measured with 64 echo connections and 2
//! workers: a 3 µs spin-only search, one searcher at a time, made the second worker cost
//! throughput (131k -> 107k req/s, p99 0.85 -> 2.5 ms: it parked and had to be woken for nearly
//! every event); with the longer search it gains some (131k -> 135k).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

use crossbeam_deque::Worker;
use pyo3::prelude::*;

use super::scheduler::{Scheduler, TaskRef};
use crate::common::base::outcome::Outcome;
use crate::common::base::time::NEVER;
use crate::common::drive::driver::run_task;
use crate::common::run::core::RuntimeCore;
use crate::common::run::current;

/// How many empty search rounds before parking (the first half spin, the second half yield).
const SEARCH_ROUNDS: u32 = 64;
/// How often (in search rounds) a searching worker polls the reactor without blocking.
const POLL_EVERY: u32 = 8;
/// How often (in tasks) the injector and the timers are looked at first, for fairness.
const CHECK_INTERVAL: u32 = 61;
/// The longest the signal-handling worker parks before it checks Python's signal handlers.
const SIGNAL_CHECK: Duration = Duration::from_millis(50);

/// Runs worker `index` until the scheduler stops. `signals`: this worker also runs Python's
/// signal handlers (a `KeyboardInterrupt` there interrupts the run).
pub fn run_worker(
    py: Python<'_>,
    scheduler: &Arc<Scheduler>,
    core: &Arc<RuntimeCore>,
    index: usize,
    queue: Worker<TaskRef>,
    signals: bool,
) {
    let _runtime = current::enter(core);
    scheduler.install_worker(index, queue);
    let mut picks: u32 = 0;
    while !scheduler.is_stopping() {
        picks = picks.wrapping_add(1);
        let periodic = picks % CHECK_INTERVAL == 0;
        if periodic {
            if signals {
                check_signals(py, core);
            }
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
        park(py, scheduler, core, index, signals);
        if signals {
            check_signals(py, core);
        }
    }
    Scheduler::uninstall_worker();
}

/// Runs Python's signal handlers; an exception from one (`KeyboardInterrupt`) interrupts the
/// run: every task is cancelled and the exception is raised once they have unwound.
fn check_signals(py: Python<'_>, core: &RuntimeCore) {
    if let Err(err) = py.check_signals() {
        core.interrupt(err);
    }
}

/// Spins over the queues (and polls the reactor without blocking) for a short while.
/// Returns true if work showed up, or a timer became due (the caller fires it).
fn search(scheduler: &Scheduler, core: &RuntimeCore) -> bool {
    if !scheduler.begin_search() {
        return false;
    }
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
fn park(py: Python<'_>, scheduler: &Scheduler, core: &RuntimeCore, index: usize, signals: bool) {
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
            let mut timeout = (deadline != NEVER).then(|| Duration::from_micros(deadline - now));
            if signals {
                timeout = Some(timeout.map_or(SIGNAL_CHECK, |t| t.min(SIGNAL_CHECK)));
            }
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
