//! Recording a finished task's outcome in its group, per group kind.
//!
//! # Where each outcome goes
//! - spawn joins keep values and errors for whoever awaits the join (errors nobody took are
//!   reported when the group is dropped);
//! - scopes keep errors for the scope's owner, or report them at once (`reports_errors`);
//! - untracked tasks report errors at once;
//! - select: the first branch to finish wins (`decision.rs`; an operation branch finishes when
//!   its operation completes); a loser's exception (other than `CancelledError`) goes to the
//!   unhandled-error hook, never nowhere;
//! - timeout: the coroutine's outcome, in time or not depending on who won the decision;
//! - as_completed: queued in completion order and handed to waiting steps (`completions.rs`);
//! - main: to the core, which ends the run.

use std::sync::Arc;

use pyo3::prelude::*;

use crate::common::base::errors::is_cancelled;
use crate::common::base::outcome::Outcome;
use crate::common::base::util::lock;
use crate::common::run::decision::Decided;
use crate::common::run::group::{GroupKind, TaskGroup};
use crate::common::run::task::Task;

/// What to do once the group's lock is released.
#[derive(Default)]
struct After {
    report: Option<Py<PyAny>>,
    cancel_others: Option<usize>,
    hand_off: bool,
    finished: bool,
}

impl TaskGroup {
    /// Records `task`'s outcome. Called once per task, by the thread that ran it.
    pub fn task_done(self: &Arc<Self>, py: Python<'_>, task: &Task, outcome: Outcome) {
        let index = task.index;
        let mut after = After::default();
        let mut inner = lock(&self.inner);
        let finished_task = inner.tasks.get_mut(index).and_then(Option::take);
        if inner.open {
            inner.free_slots.push(index);
        }
        inner.remaining -= 1;
        match self.kind {
            GroupKind::Join { .. } => match outcome {
                Outcome::Returned(value) => inner.results[index] = Some(value),
                Outcome::Raised(exc) => inner.errors.push((task.id, exc)),
            },
            GroupKind::JoinNoResults | GroupKind::Scope => {
                if let Outcome::Raised(exc) = outcome {
                    if !self.reports_errors {
                        inner.errors.push((task.id, exc));
                    } else if !is_cancelled(py, &exc) {
                        after.report = Some(exc);
                    }
                }
            }
            GroupKind::Untracked => {
                if let Outcome::Raised(exc) = outcome {
                    if !is_cancelled(py, &exc) {
                        after.report = Some(exc);
                    }
                }
            }
            GroupKind::Select => match self.decide(index) {
                Decided::Won { first } => {
                    inner.winner = Some(outcome);
                    if first && inner.remaining > 0 {
                        after.cancel_others = Some(index);
                    }
                }
                Decided::Lost => {
                    if let Outcome::Raised(exc) = outcome {
                        if !is_cancelled(py, &exc) {
                            after.report = Some(exc);
                        }
                    }
                }
            },
            GroupKind::Timeout => {
                // In time if the coroutine wins the decision against the deadline.
                let _ = self.decide(index);
                inner.winner = Some(outcome);
            }
            GroupKind::BlockOn => {
                if inner.winner.is_none() {
                    inner.winner = Some(outcome);
                }
            }
            GroupKind::AsCompleted => {
                inner.completions.push_back(outcome);
                after.hand_off = true;
            }
            GroupKind::Main => {
                // The main group has exactly one task: it is finished now.
                inner.finished = true;
                drop(inner);
                drop(finished_task);
                self.core.unregister_group(self.id);
                self.core.main_finished(outcome);
                return;
            }
        }
        if inner.remaining == 0 && !inner.open && !inner.finished {
            inner.finished = true;
            after.finished = true;
        }
        drop(inner);
        drop(finished_task);
        if let Some(exc) = after.report {
            self.core.report_unhandled(py, &exc);
        }
        if let Some(winner) = after.cancel_others {
            self.cancel_others(winner);
        }
        if after.hand_off {
            self.hand_off_completions(py);
        }
        if after.finished {
            self.on_finished(py);
        }
    }
}
