//! Who wins a `select` or a `timeout`.
//!
//! # The rule
//! A select's winner is the first branch to *finish*; a timeout is the race between its body
//! finishing and its deadline. The decision is one compare-and-swap on the group
//! ([`TaskGroup::decide`]) and never changes afterwards. Nothing a branch does on the way
//! (taking a message, a permit, bytes) decides anything: a deadline always cancels its body,
//! and a losing branch is cancelled like any task, keeping what it already took (the hand-back
//! pattern of docs/cancellation.md).
//!
//! # Operation branches
//! A branch that is *one operation* ([`Branch::Operation`]: a tonio awaitable such as
//! `rx.receive()`, `listener.accept()` or a socket receive, passed to `select`/`timeout` as
//! it is) finishes at the very instant its operation completes. So for such a branch the
//! decision is made at that instant, together with the take ([`operation_completes`]): a
//! hand-off to it (a message, a permit, an `as_completed` outcome) is refused if a deadline or
//! another branch already won, and the message stays in its channel or goes to the next
//! receiver; an operation that takes by itself (a socket read in the task's own thread) hands
//! back what it read. An operation branch therefore completes, and is reported as completed, or
//! takes nothing. A [`Branch::Composed`] operation (`tonio._tonio.operation(generator)`, such as
//! a TLS receive) marks the one instant it takes (`operation_completes` from inside it).
//!
//! The decision climbs through owners that are themselves operation branches, so the operation
//! decides every level at once: in `timeout(select(rx.receive(), ...), t)` a receive that wins
//! the select also wins against the deadline.
//!
//! # Invariants
//! - `TaskGroup::decision` goes from [`UNDECIDED`] to a branch index + 1 or [`DEADLINE`] once.
//! - Whoever decides a select cancels its other branches, after releasing every lock it holds
//!   (`Decisions::apply`); so a refused operation always gets a cancellation.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::common::run::group::{GroupKind, TaskGroup};
use crate::common::run::task::Task;

/// `TaskGroup::decision` before anyone won.
pub const UNDECIDED: usize = 0;
/// `TaskGroup::decision` once a timeout's deadline won.
pub const DEADLINE: usize = usize::MAX;

/// What a task is to the select or timeout it belongs to (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Branch {
    /// Not a branch, or a coroutine: it decides by finishing.
    Coroutine,
    /// One tonio awaitable: it decides when its operation completes.
    Operation,
    /// A composed operation: it decides at the instant it marks (`operation_completes`).
    Composed,
}

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

/// Groups an operation decided; their other branches must be cancelled once the caller
/// released its locks.
/// `None` (nothing decided, the common case) costs nothing to create, apply or drop.
#[must_use = "the other branches of a decided select must be cancelled"]
#[derive(Default)]
pub struct Decisions(Option<Vec<(Arc<TaskGroup>, usize)>>);

impl Decisions {
    /// Cancels the losing branches of every group the operation decided.
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

/// `task`'s operation is about to complete by taking something (see the module docs): for an
/// operation branch, decides its select/timeout (and the operation branches above it) for it,
/// or refuses with `None` if a deadline or another branch already won: it must take nothing.
/// Touches atomics only, so it may run under a primitive's lock and under the task's state
/// lock. A task that is no operation branch (nearly every hand-off) costs one check.
#[inline]
pub fn operation_completes(task: &Task) -> Option<Decisions> {
    if task.branch != Branch::Operation {
        return Some(Decisions::default());
    }
    decide_chain(task)
}

/// Like [`operation_completes`], for the instant a composed operation marks (its root is
/// `Branch::Composed`).
pub fn composed_operation_completes(task: &Task) -> Option<Decisions> {
    debug_assert_eq!(task.branch, Branch::Composed);
    decide_chain(task)
}

#[cold]
fn decide_chain(task: &Task) -> Option<Decisions> {
    let mut decided = Decisions::default();
    let mut group = task.group.clone();
    let mut index = task.index;
    loop {
        match group.decide(index) {
            Decided::Lost => return None,
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
        if owner.branch != Branch::Operation {
            break;
        }
        index = owner.index;
        group = owner.group.clone();
    }
    Some(decided)
}
