//! Synchronisation primitives and channels, written once for every platform.
//!
//! Each primitive is a small state machine over the one [`WaitQueue`]: FIFO waiters, removal by
//! key, and *claim-based hand-off*: a release or a send decides, while it holds the primitive's
//! lock, which waiter gets the permit or the message (`Waker::claim`), and schedules that waiter
//! only after unlocking. A waiter that was cancelled in the same instant refuses the claim, and
//! the permit or message goes to the next waiter (or back to the primitive). A waiter that took
//! a claim always receives what it was handed, even if it is cancelled right after: the
//! cancellation waits for its next suspension point.
//!
//! [`WaitQueue`]: crate::common::waitqueue::WaitQueue

pub mod barrier;
pub mod channel;
pub mod semaphore;
pub mod waits;

use std::sync::Arc;

use pyo3::prelude::*;

use super::outcome::Resume;
use super::waitqueue::WaiterKey;

/// Which of a primitive's queues a waiter is in (a channel has one per direction).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Only,
    Senders,
    Receivers,
}

/// A primitive that tasks queue on. The driver calls `remove_waiter` when a queued task stops
/// waiting without having been handed anything (it was cancelled).
pub trait WaitSource: Send + Sync {
    fn remove_waiter(&self, side: Side, key: WaiterKey);

    /// What a waiter on `side` waits for, for reports ("Lock acquire", "channel receive", ...).
    fn describe(&self, side: Side) -> &'static str;

    /// What a value granted to a waiter that asked for it wrapped (`OnValue::Grant`) becomes:
    /// a lock's permit becomes the guard that owns it. Other sources pass it on.
    fn wrap_grant(self: Arc<Self>, py: Python<'_>, granted: Resume) -> Resume {
        let _ = py;
        granted
    }
}
