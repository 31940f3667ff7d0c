//! The platform-independent core: the task model and coroutine driver, the wait queue, timers,
//! task groups (spawn joins, scopes, select, timeouts), events, blocking jobs and the `Platform`
//! trait that the real and simulated platforms implement.
//!
//! Everything here runs unchanged on every platform. Nothing in this module reads the wall clock,
//! starts a thread or iterates a hash map: time comes from `Platform::now`, threads belong to the
//! platform, and every collection that is iterated has a fixed order (`BTreeMap`, `VecDeque`).

pub mod blocking;
pub mod buffer;
pub mod completions;
pub mod core;
pub mod current;
pub mod decision;
pub mod driver;
pub mod errors;
pub mod event;
pub mod gc;
pub mod group;
pub mod group_outcomes;
pub mod group_result;
pub mod io;
pub mod io_ops;
pub mod net;
pub mod net_convert;
pub mod outcome;
pub mod ownership;
pub mod platform;
pub mod readiness;

pub mod refcount;
pub mod registration;
pub mod signals;
pub mod suspend;
pub mod suspend_args;
pub mod sync;
pub mod task;
pub mod task_context;
pub mod task_report;
pub mod time;
pub mod timers;
pub mod tls;
pub mod unawaited;
pub mod util;
pub mod waitqueue;
