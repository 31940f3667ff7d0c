//! Timers: pure data on integer ticks.
//!
//! A timer is an action stored under `(deadline, rank)` (`rank`: the platform's order among
//! equal deadlines, see `Platform::timer_order`, then the arming sequence). The platform
//! decides who moves "now": the real platform reads a monotonic clock and sleeps until
//! `next_deadline`; the simulator jumps its virtual clock to `next_deadline` when nothing else
//! can run. The real platform calls [`Timers::fire_due`], which runs the due actions in key
//! order outside the lock; the simulator fires them one per step ([`Timers::fire_next_due`]),
//! each a choice of its strategy like a ready task.
//!
//! # Invariants
//! - `next` always equals the smallest key's deadline, or `NEVER` when there are no timers; it is
//!   written only while `entries` is locked.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::common::base::outcome::Resume;
use crate::common::base::time::{Ticks, NEVER};
use crate::common::base::util::lock;
use crate::common::run::group::TaskGroup;
use crate::common::run::task::Waker;

/// What happens when a timer fires.
pub enum TimerAction {
    /// Resume a suspended task with the given resume.
    Wake(Waker, Resume),
    /// A `timeout` group's deadline passed: cancel its task.
    GroupDeadline(Arc<TaskGroup>),
}

impl TimerAction {
    fn fire(self) {
        match self {
            TimerAction::Wake(waker, resume) => {
                waker.wake(resume);
            }
            TimerAction::GroupDeadline(group) => group.deadline_passed(),
        }
    }
}

/// A timer that fired: the task it concerned (the sleeper, or the owner of the timed-out
/// body; 0 if gone) and what it did.
#[derive(Clone, Copy, Debug)]
pub struct Fired {
    pub task: u64,
    pub what: &'static str,
}

/// Identifies a timer, for cancellation. `rank` orders timers with equal deadlines: the
/// platform's `timer_order` in its top `ORDER_BITS` bits, the arming sequence below (unique).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct TimerKey {
    deadline: Ticks,
    rank: u64,
}

/// Bits of `TimerKey::rank` taken by the platform's order (the rest count timers: 2^40).
const ORDER_BITS: u32 = 24;

#[derive(Default)]
struct TimerEntries {
    map: BTreeMap<TimerKey, TimerAction>,
    seq: u64,
}

pub struct Timers {
    entries: Mutex<TimerEntries>,
    next: AtomicU64,
}

impl Default for Timers {
    fn default() -> Self {
        Self::new()
    }
}

impl Timers {
    pub fn new() -> Self {
        Self {
            entries: Mutex::new(TimerEntries::default()),
            next: AtomicU64::new(NEVER),
        }
    }

    /// Arms a timer; returns its key, and whether it is now the earliest (then a platform
    /// thread sleeping until a later deadline must be woken: `RuntimeCore::arm_timer`).
    pub fn add(&self, deadline: Ticks, order: u64, action: TimerAction) -> (TimerKey, bool) {
        let mut entries = lock(&self.entries);
        entries.seq += 1;
        let sequence = entries.seq & ((1 << (64 - ORDER_BITS)) - 1);
        let key = TimerKey {
            deadline,
            rank: (order >> (64 - ORDER_BITS) << (64 - ORDER_BITS)) | sequence,
        };
        entries.map.insert(key, action);
        let earliest = deadline < self.next.load(Ordering::Relaxed);
        if earliest {
            self.next.store(deadline, Ordering::Release);
        }
        (key, earliest)
    }

    /// Disarms a timer that has not fired yet. Returns its action so the caller drops it
    /// outside the lock.
    pub fn cancel(&self, key: TimerKey) -> Option<TimerAction> {
        let mut entries = lock(&self.entries);
        let action = entries.map.remove(&key);
        self.refresh_next(&entries);
        action
    }

    /// The earliest deadline, or `NEVER`.
    pub fn next_deadline(&self) -> Ticks {
        self.next.load(Ordering::Acquire)
    }

    /// Removes the timers due at `now`, in firing order.
    pub fn take_due(&self, now: Ticks) -> Vec<TimerAction> {
        if self.next_deadline() > now {
            return Vec::new();
        }
        let mut entries = lock(&self.entries);
        let later = entries.map.split_off(&TimerKey {
            deadline: now.saturating_add(1),
            rank: 0,
        });
        let due = std::mem::replace(&mut entries.map, later);
        self.refresh_next(&entries);
        drop(entries);
        due.into_values().collect()
    }

    /// Fires every timer due at `now`. Returns how many fired.
    pub fn fire_due(&self, now: Ticks) -> usize {
        let due = self.take_due(now);
        let count = due.len();
        for action in due {
            action.fire();
        }
        count
    }

    /// Fires only the earliest timer due at `now` (the simulator makes each firing a step of
    /// its own). Returns what it was, or `None` if no timer is due.
    pub fn fire_next_due(&self, now: Ticks) -> Option<Fired> {
        if self.next_deadline() > now {
            return None;
        }
        let action = {
            let mut entries = lock(&self.entries);
            let due = entries.map.first_key_value()?.0.deadline <= now;
            let action = due.then(|| entries.map.pop_first()).flatten();
            self.refresh_next(&entries);
            action.map(|(_, action)| action)
        }?;
        let fired = match &action {
            TimerAction::Wake(waker, _) => Fired {
                task: waker.task.id,
                what: "timer fired",
            },
            TimerAction::GroupDeadline(group) => Fired {
                task: group.owner().map_or(0, |owner| owner.id),
                what: "timeout deadline passed",
            },
        };
        action.fire();
        Some(fired)
    }

    /// Drops every timer (end of a run).
    pub fn clear(&self) -> Vec<TimerAction> {
        let mut entries = lock(&self.entries);
        let all = std::mem::take(&mut entries.map);
        self.next.store(NEVER, Ordering::Release);
        all.into_values().collect()
    }

    fn refresh_next(&self, entries: &TimerEntries) {
        let next = entries.map.keys().next().map_or(NEVER, |key| key.deadline);
        self.next.store(next, Ordering::Release);
    }
}
