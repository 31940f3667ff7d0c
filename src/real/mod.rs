//! The real platform: worker threads with work stealing, the OS clock, a blocking thread pool.
//!
//! - `scheduler`: run queues (one crossbeam deque per worker plus a global injector) and the
//!   idle-worker bookkeeping that decides whom to wake.
//! - `worker`: the loop each worker thread runs.
//! - `blocking_pool`: threads for `spawn_blocking`, created on demand and retired when idle.
//! - `platform`: `RealPlatform`, the `Platform` implementation tying them together.

pub mod blocking_pool;
pub mod net;
pub mod platform;
pub mod reactor;
pub mod scheduler;
pub mod signals;
pub mod worker;
