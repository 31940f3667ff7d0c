//! Who wins a `select` or a `timeout`, decided once, so that nothing a loser took is lost.
//!
//! A select's winner is the first branch that *commits*: it finishes, or it takes something
//! that would be lost if its outcome were dropped (a channel message, an `as_completed`
//! result). A timeout is the same race between its one coroutine and its deadline. The decision
//! is one compare-and-swap on the group ([`TaskGroup::decide`]); it never changes afterwards.
//!
//! Taking is checked *before* the thing is taken ([`commit`]): a branch whose select (or any
//! select/timeout above it, through the tasks that own them) was already decided for someone
//! else is refused the hand-off; the message stays in the channel or goes to the next receiver,
//! and the branch gets `CancelledError` (it is a loser being cancelled). So a message is either
//! returned by the select or still in its channel: never dropped with a loser's outcome.
//!
//! # Scope of the guarantee
//! The chain runs through the groups of `select` and `timeout` only (a task's group, the task
//! that owns that group, its group, ...). A branch that spawns tasks of its own owns what they
//! receive, as any task does.
//!
//! # Invariants
//! - `TaskGroup::decision` goes from [`UNDECIDED`] to a branch index + 1 or [`DEADLINE`] once.
//! - Whoever decides a select cancels its other branches, after releasing every lock it holds
//!   (`Decisions::apply`); so a refused branch always gets a cancellation.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::common::run::group::{GroupKind, TaskGroup};
use crate::common::run::task::Task;

/// `TaskGroup::decision` before anyone won.
pub const UNDECIDED: usize = 0;
/// `TaskGroup::decision` once a timeout's deadline won.
pub const DEADLINE: usize = usize::MAX;

/// What `decide` found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decided {
    /// The group is decided for the caller; `first`: by this very call.
    Won {
        first: bool,
    },
    Lost,
}

impl GroupKind {
    /// Select and timeout groups have one winner.
    pub fn decides(self) -> bool {
        matches!(self, GroupKind::Select | GroupKind::Timeout)
    }
}

impl TaskGroup {
    /// Decides the group for the task at `index` (or for `DEADLINE`), unless it already went to
    /// someone else.
    pub fn decide(&self, index: usize) -> Decided {
        let me = if index == DEADLINE {
            DEADLINE
        } else {
            index + 1
        };
        match self
            .decision
            .compare_exchange(UNDECIDED, me, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => Decided::Won { first: true },
            Err(current) if current == me => Decided::Won { first: false },
            Err(_) => Decided::Lost,
        }
    }

    /// True once the deadline won (timeouts).
    pub fn deadline_won(&self) -> bool {
        self.decision.load(Ordering::Acquire) == DEADLINE
    }
}

/// Groups decided by a commit; their other branches must be cancelled once the caller released
/// its locks.
/// `None` (nothing decided, the common case) costs nothing to create, apply or drop.
#[must_use = "the other branches of a decided select must be cancelled"]
#[derive(Default)]
pub struct Decisions(Option<Vec<(Arc<TaskGroup>, usize)>>);

impl Decisions {
    /// Cancels the losing branches of every group decided by the commit.
    #[inline]
    pub fn apply(self) {
        let Decisions(decided) = self;
        if let Some(decided) = decided {
            cancel_losers(decided);
        }
    }
}

#[cold]
fn cancel_losers(decided: Vec<(Arc<TaskGroup>, usize)>) {
    for (group, winner) in decided {
        group.cancel_others(winner);
    }
}

/// What a take means for the selects and timeouts a task belongs to.
pub enum Commit {
    /// Take it (then `apply` the decisions once unlocked).
    Go(Decisions),
    /// Someone else won: take nothing.
    Refused,
}

/// Commits `task` to taking something (see the module docs). Touches atomics only, so it may
/// run under a primitive's lock and under the task's state lock. A task in no select or
/// timeout (nearly every hand-off) costs one check.
#[inline]
pub fn commit(task: &Task) -> Commit {
    if !task.decides {
        return Commit::Go(Decisions::default());
    }
    commit_chain(task)
}

#[cold]
fn commit_chain(task: &Task) -> Commit {
    let mut decided = Decisions::default();
    let mut group = task.group.clone();
    let mut index = task.index;
    loop {
        match group.decide(index) {
            Decided::Lost => return Commit::Refused,
            Decided::Won { first } => {
                if first {
                    decided
                        .0
                        .get_or_insert_with(Vec::new)
                        .push((group.clone(), index));
                }
            }
        }
        let Some(owner) = group.owner() else { break };
        if !owner.group.kind.decides() {
            break;
        }
        index = owner.index;
        group = owner.group.clone();
    }
    Commit::Go(decided)
}
