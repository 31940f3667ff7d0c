//! How a simulated run ends when it cannot finish: a limit (`max_steps`, `max_time`) or a
//! deadlock raises into the run (naming the seed, the virtual time and every unfinished task
//! with what it waits on), then the tasks unwind, for at most `UNWIND_STEPS` steps.
//!
//! # Invariants
//! - `SimState::ended_at` is set once, by whichever ends the run first; after it the clock may
//!   move on (a `finally` that sleeps) and no limit fires again.

use pyo3::prelude::*;

use super::errors::{Deadlock, LimitExceeded};
use super::platform::SimPlatform;
use crate::common::base::time::{seconds_from_ticks, Ticks};
use crate::common::base::util::lock;
use crate::common::run::core::RuntimeCore;
use crate::common::run::platform::Platform;
use crate::common::run::task_report::blocked_tasks;

/// Steps allowed for unwinding after a run was ended by a limit or a deadlock.
const UNWIND_STEPS: u64 = 100_000;

impl SimPlatform {
    pub(super) fn replay_hint(&self) -> String {
        format!(
            "seed={} strategy={}",
            self.config.seed,
            self.config.strategy.describe()
        )
    }

    /// Ends the run with `LimitExceeded` once it passes `max_steps`, or once its clock would
    /// pass `max_time` (`time`: where it is or would go). Returns whether a limit is passed.
    pub(super) fn check_limits(
        &self,
        py: Python<'_>,
        core: &RuntimeCore,
        step: u64,
        time: Ticks,
    ) -> bool {
        if step <= self.config.max_steps && time <= self.config.max_time {
            return false;
        }
        let mut state = lock(&self.state);
        if state.ended_at.is_some() {
            // Unwinding after the end: the clock may move on (a `finally` that sleeps).
            return false;
        }
        state.ended_at = Some(step);
        drop(state);
        let what = if step > self.config.max_steps {
            format!("max_steps={} steps", self.config.max_steps)
        } else {
            format!(
                "max_time={:.6}s of virtual time",
                seconds_from_ticks(self.config.max_time)
            )
        };
        let blocked = blocked_tasks(py, core);
        core.interrupt(LimitExceeded::new_err(format!(
            "simulated run did not finish within {what} (livelock?); {}; {} unfinished \
             task(s):\n{}",
            self.replay_hint(),
            blocked.len(),
            blocked.join("\n")
        )));
        true
    }

    /// Nothing can run: report the deadlock once (then the tasks unwind). Returns false if the
    /// run cannot make progress even after that.
    pub(super) fn deadlocked(&self, py: Python<'_>, core: &RuntimeCore) -> bool {
        let mut state = lock(&self.state);
        if state.ended_at.is_some() {
            return false;
        }
        state.ended_at = Some(state.step);
        let step = state.step;
        drop(state);
        let blocked = blocked_tasks(py, core);
        core.interrupt(Deadlock::new_err(format!(
            "deadlock at virtual time {:.6}s after {step} steps ({}): no task can make progress; \
             {} unfinished task(s):\n{}",
            seconds_from_ticks(self.now()),
            self.replay_hint(),
            blocked.len(),
            blocked.join("\n")
        )));
        true
    }

    pub(super) fn unwinding_too_long(&self) -> bool {
        let state = lock(&self.state);
        state
            .ended_at
            .is_some_and(|at| state.step > at + UNWIND_STEPS)
    }
}
