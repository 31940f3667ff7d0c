//! The `Platform` trait: what the core needs from the world it runs in.
//!
//! The core (tasks, the driver, wait queues, groups, timers, events) is written once. Two
//! platforms run it: `real` (worker threads, OS clock, blocking thread pool; later a mio reactor
//! and OS sockets) and `sim` (one thread, a seeded scheduler, a virtual clock; later an in-memory
//! network). A runtime owns one platform instance per run.
//!
//! # What an implementation must provide
//! 1. **Clock** — `now()`: monotonic ticks (µs) since the run started. Real: `Instant`. Sim: a
//!    virtual counter that moves only when nothing is runnable.
//! 2. **Scheduling** — `schedule(task)` makes a task runnable; it may be called from any thread
//!    (a worker, a blocking-pool thread, a foreign thread calling `Event.set`). Each call follows
//!    exactly one transition of the task to `Scheduled`, so a task is in at most one queue and is
//!    run by one thread at a time. `schedule_yielded` is the same for a task that gave up the CPU
//!    voluntarily and should run after other ready work.
//! 3. **The run loop** — `run(core)` runs tasks (`driver::run_task`) until `core.is_finished()`.
//!    While idle it must fire due timers (`core.timers.fire_due(now)`) and otherwise sleep no
//!    later than `core.timers.next_deadline()`. Every thread that runs tasks must have the run's
//!    core installed as the current runtime (`current::enter`).
//! 4. **Blocking work** — `spawn_blocking(job)` runs `job.run()` somewhere it may block without
//!    stalling tasks. The job wakes its waiting task itself. A platform that can interrupt a
//!    running call when its task is cancelled says so with `interrupt_blocking`.
//! 5. **Entropy** — `entropy()`: random bits. Sim: drawn from the run's seeded RNG, so a run is
//!    a pure function of its seed.
//! 6. **Network** — `net()`: non-blocking socket operations on platform-owned handles, plain
//!    addresses and byte buffers, never raw OS file descriptors (`net.rs` has its contract), so
//!    the simulator can provide an in-memory network behind the same API.
//!
//! # What an implementation may rely on
//! - The core never holds one of its locks while calling `schedule`.
//! - Arming a timer that becomes the earliest calls `timer_armed` (after `next_deadline` shows
//!   it): a platform whose threads may be asleep until a later deadline must wake one of them.
//!
//! # Why `dyn Platform`
//! Tasks, wakers and groups are shared with Python objects (`Event`, join handles) that cannot be
//! generic, so the core reaches its platform through `Arc<dyn Platform>`. Each call is one
//! indirect jump; the hot loop (`run_task` called from the platform's own loop) is monomorphic.

use std::sync::Arc;

use pyo3::prelude::*;

use crate::common::base::time::Ticks;
use crate::common::io::descriptors::Descriptors;
use crate::common::io::disk::Disk;
use crate::common::io::net::Net;
use crate::common::io::signals::SignalHub;
use crate::common::run::blocking::BlockingJob;
use crate::common::run::core::RuntimeCore;
use crate::common::run::task::Task;

pub trait Platform: Send + Sync + 'static {
    /// A short name for messages (`"real"`, `"sim"`).
    fn name(&self) -> &'static str;

    /// The implementation, for bindings that only make sense on one platform (the simulated
    /// network's faults).
    fn as_any(&self) -> &dyn std::any::Any;

    /// Monotonic time since the run started.
    fn now(&self) -> Ticks;

    /// Makes `task` runnable. Callable from any thread.
    fn schedule(&self, task: Arc<Task>);

    /// Requeues a task that yielded control voluntarily.
    fn schedule_yielded(&self, task: Arc<Task>) {
        self.schedule(task)
    }

    /// Runs `job` where it may block.
    fn spawn_blocking(&self, job: Arc<BlockingJob>);

    /// Random bits.
    fn entropy(&self) -> u64;

    /// Names the calling thread, which is about to run a blocking call, for
    /// `interrupt_blocking`.
    fn blocking_thread(&self) -> u64 {
        0
    }

    /// Raises `CancelledError` in the blocking call running on `thread` (`raise: true`), or
    /// withdraws such a request that has not fired yet (`false`, on that very thread). Returns
    /// whether a request was made; by default none is: the call runs to completion and its
    /// result is dropped (its task was resumed with `CancelledError` already).
    fn interrupt_blocking(&self, py: Python<'_>, thread: u64, raise: bool) -> bool {
        let _ = (py, thread, raise);
        false
    }

    /// The OS signals this run listens to, if the platform has any.
    fn signals(&self) -> Option<&SignalHub> {
        None
    }

    /// The network, if this platform has one.
    fn net(&self) -> Option<&dyn Net> {
        None
    }

    /// The platform's own disk (`tonio.fs` under the simulator with `disk=`), if it has one;
    /// `None`: files are the OS's.
    fn disk(&self) -> Option<&dyn Disk> {
        None
    }

    /// Readiness of OS descriptors (`tonio.io`), if this platform has OS descriptors.
    fn descriptors(&self) -> Option<&dyn Descriptors> {
        None
    }

    /// The run just finished (`RuntimeCore::is_finished` is now true): a platform whose threads
    /// may be parked must let `run` return.
    fn run_finished(&self) {}

    /// A timer earlier than every other was armed: a thread of the platform sleeping until a
    /// later deadline must wake up (and sleep again until `deadline`).
    fn timer_armed(&self, deadline: Ticks) {
        let _ = deadline;
    }

    /// Where a new timer goes among the timers with the same deadline (lower fires first; only
    /// its top 24 bits count; ties: in arming order). 0 here: arming order. The simulator draws it from the seed, so timers
    /// due at the same instant fire in an order the run explores.
    fn timer_order(&self) -> u64 {
        0
    }

    /// True if tasks may run on several threads at the same moment.
    fn parallel(&self) -> bool {
        false
    }

    /// True if the current thread runs this platform's tasks (a worker). Calls that would block
    /// the thread, like `block_on`, refuse to run there.
    fn on_worker_thread(&self) -> bool;

    /// True if `block_on`, called on a thread where `on_worker_thread()` is true, may run the
    /// loop nested there (`run_nested`). The simulator allows it inside a blocking call; the
    /// real platform never (blocking a worker would deadlock), and `block_on` then refuses.
    fn nested_block_on_allowed(&self) -> bool {
        false
    }

    /// Drives the loop on this thread until `done()` or nothing can progress (see
    /// `nested_block_on_allowed`).
    fn run_nested(&self, py: Python<'_>, core: &Arc<RuntimeCore>, done: &dyn Fn() -> bool) {
        let _ = (py, core, done);
    }

    /// Drives the run until `core.is_finished()`. Called once per run, on the thread that called
    /// `run_until_complete`, with the main task already scheduled.
    fn run(&self, py: Python<'_>, core: &Arc<RuntimeCore>) -> PyResult<()>;
}
