//! The real platform: worker threads with work stealing, the OS clock, a blocking thread pool.
//!
//! - `scheduler`: run queues (one crossbeam deque per worker plus a global injector) and the
//!   idle-worker bookkeeping that decides whom to wake.
//! - `worker`: the loop each worker thread runs.
//! - `blocking_pool`: threads for `spawn_blocking`, created on demand and retired when idle.
//! - `platform`: `RealPlatform`, the `Platform` implementation tying them together; the calling
//!   thread is worker 0.
//! - `interrupt`: the run's Ctrl-C handler (the first one interrupts the run as a whole).
//! - `python_exit`: when threads started here may attach to Python (never during the
//!   interpreter's exit).

pub mod blocking_pool;
pub mod descriptors;
pub mod interrupt;
pub mod net;
pub mod platform;
pub mod python_exit;
pub mod reactor;
pub mod scheduler;
pub mod signals;
pub mod worker;
