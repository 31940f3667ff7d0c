//! Layer 3 of the core: tasks and how they run.
//!
//! May use: `base`, `io`. What is here: the task and its wake/cancel state machine (`task`),
//! the runtime core shared by a run's tasks (`core`, `current`), the `Platform` trait the real
//! and simulated platforms implement (`platform`), task groups and what they decide (`group*`,
//! `decision`, `completions` for `as_completed`), timers (`timers`), blocking jobs
//! (`blocking`), cyclic-GC help (`gc`) and task reports (`task_report`), and the
//! `Registration` a waiting task leaves behind, with `Started`, the outcome of starting a wait
//! (`registration`).
//!
//! Invariants: the layers above are seen only through traits defined here: a primitive tasks
//! queue on is a `registration::WaitSource`, a socket call waiting to retry an
//! `registration::IoRetry`. A task is run by one thread at a time (`task.rs` has the state
//! machine); nothing here holds one of its locks while calling `Platform::schedule`.

pub mod blocking;
pub mod completions;
pub mod core;
pub mod current;
pub mod decision;
pub mod gc;
pub mod group;
pub mod group_outcomes;
pub mod group_result;
pub mod platform;
pub mod registration;
pub mod task;
pub mod task_report;
pub mod timers;
