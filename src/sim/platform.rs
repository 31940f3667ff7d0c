//! `SimPlatform`: runs every task on the calling thread, in FIFO order, on a virtual clock.
//!
//! # The loop
//! 1. Run ready tasks, oldest first.
//! 2. Otherwise run one queued blocking call inline (the simulation is paused while it runs).
//! 3. Otherwise jump the virtual clock to the next timer deadline and fire it.
//! 4. Otherwise nothing can ever happen again: the run is deadlocked. It is interrupted with a
//!    `RuntimeError` naming the virtual time, which cancels every task so they unwind.
//!
//! # Determinism
//! No wall clock, no threads, no hash-map iteration; entropy comes from a ChaCha RNG seeded by
//! the run's seed.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use pyo3::prelude::*;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::common::blocking::BlockingJob;
use crate::common::core::RuntimeCore;
use crate::common::current;
use crate::common::driver::run_task;
use crate::common::platform::Platform;
use crate::common::task::Task;
use crate::common::time::{seconds_from_ticks, Ticks, NEVER};
use crate::common::util::lock;

pub struct SimPlatform {
    now: AtomicU64,
    ready: Mutex<VecDeque<Arc<Task>>>,
    blocking: Mutex<VecDeque<Arc<BlockingJob>>>,
    rng: Mutex<ChaCha8Rng>,
    /// The thread running the simulation (set by `run`).
    thread: Mutex<Option<std::thread::ThreadId>>,
}

impl SimPlatform {
    pub fn new(seed: u64) -> SimPlatform {
        SimPlatform {
            now: AtomicU64::new(0),
            ready: Mutex::new(VecDeque::new()),
            blocking: Mutex::new(VecDeque::new()),
            rng: Mutex::new(ChaCha8Rng::seed_from_u64(seed)),
            thread: Mutex::new(None),
        }
    }
}

impl Platform for SimPlatform {
    fn name(&self) -> &'static str {
        "sim"
    }

    fn now(&self) -> Ticks {
        self.now.load(Ordering::Acquire)
    }

    fn schedule(&self, task: Arc<Task>) {
        lock(&self.ready).push_back(task);
    }

    fn spawn_blocking(&self, job: Arc<BlockingJob>) {
        lock(&self.blocking).push_back(job);
    }

    fn entropy(&self) -> u64 {
        lock(&self.rng).next_u64()
    }

    fn on_worker_thread(&self) -> bool {
        *lock(&self.thread) == Some(std::thread::current().id())
    }

    fn run(&self, py: Python<'_>, core: &Arc<RuntimeCore>) -> PyResult<()> {
        *lock(&self.thread) = Some(std::thread::current().id());
        let _runtime = current::enter(core);
        while !core.is_finished() {
            let next = lock(&self.ready).pop_front();
            if let Some(task) = next {
                run_task(py, task);
                continue;
            }
            let job = lock(&self.blocking).pop_front();
            if let Some(job) = job {
                job.run(py);
                continue;
            }
            let deadline = core.timers.next_deadline();
            if deadline != NEVER {
                self.now.fetch_max(deadline, Ordering::AcqRel);
                core.timers.fire_due(deadline);
                continue;
            }
            if core.is_finished() {
                break;
            }
            let err = pyo3::exceptions::PyRuntimeError::new_err(format!(
                "deadlock: no task can make progress at virtual time {:.6}s ({} tasks blocked)",
                seconds_from_ticks(self.now()),
                core.live_tasks()
            ));
            core.interrupt(err);
        }
        *lock(&self.thread) = None;
        Ok(())
    }
}
