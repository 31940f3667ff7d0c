//! Layer 4 of the core: what tasks wait on: events, locks and semaphores, barriers, channels,
//! written once for every platform.
//!
//! May use: `base`, `io`, `run`. Each primitive is a `run::registration::WaitSource`, so a
//! waiting task's registration can unqueue it without knowing which primitive it is.
//!
//! Each primitive is a small state machine over the one [`WaitQueue`]: FIFO waiters, removal by
//! key, and *claim-based hand-off*: a release or a send decides, while it holds the primitive's
//! lock, which waiter gets the permit or the message (`Waker::claim`), and schedules that waiter
//! only after unlocking. A waiter that was cancelled in the same instant refuses the claim, and
//! the permit or message goes to the next waiter (or back to the primitive). A waiter that took
//! a claim always receives what it was handed, even if it is cancelled right after: the
//! cancellation waits for its next suspension point.
//!
//! [`WaitQueue`]: crate::common::base::waitqueue::WaitQueue

pub mod barrier;
pub mod channel;
pub mod event;
pub mod semaphore;
pub mod waits;

pub use crate::common::run::registration::{Side, WaitSource};
