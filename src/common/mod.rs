//! The platform-independent core, in five layers. Each layer may use only the layers listed
//! before it (`scripts/module-cycles.py` checks that no larger cycle creeps back in):
//!
//! 1. [`base`]: values and plumbing that know nothing of tasks: errors, outcomes and resumes,
//!    time in ticks, the wait queue, contextvars per task, coroutine ownership.
//! 2. [`io`]: the platform's I/O contract: the `Net` trait, socket readiness, socket
//!    operations on plain buffers and addresses, signal delivery, the TLS engine. Whoever waits
//!    is seen through one-method traits (`ReadyWake`, `SignalSink`).
//! 3. [`run`]: tasks and how they run: the task state machine, the runtime core, the `Platform`
//!    trait, groups (joins, scopes, select, timeout, as_completed), timers, blocking jobs, and
//!    the `Registration` a waiting task leaves behind (what it waits on is seen through traits:
//!    `WaitSource`, `IoRetry`).
//! 4. [`wait`]: what tasks wait on: events, locks and semaphores, barriers, channels.
//! 5. [`drive`]: the coroutine driver and the operations it starts (`Suspend`: sleeps, joins,
//!    waits, socket calls).
//!
//! Everything here runs unchanged on every platform. Nothing in this module reads the wall clock,
//! starts a thread or iterates a hash map: time comes from `Platform::now`, threads belong to the
//! platform, and every collection that is iterated has a fixed order (`BTreeMap`, `VecDeque`).
//! There are no Python classes here: `src/bindings` wraps these types for Python.

pub mod base;
pub mod drive;
pub mod io;
pub mod run;
pub mod wait;
