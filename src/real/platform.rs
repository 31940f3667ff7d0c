//! `RealPlatform`: the `Platform` implementation on OS threads and the OS clock.
//!
//! One instance per run. `run` starts `threads` worker threads, then the calling thread waits
//! (detached from the interpreter) for the run to finish, waking every 50 ms to let Python
//! handle signals: a `KeyboardInterrupt` there interrupts the run, which cancels every task and
//! re-raises the interrupt once they have unwound. Then the workers are stopped and joined.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pyo3::prelude::*;

use super::blocking_pool::BlockingPool;
use super::net::RealNet;
use super::reactor::Reactor;
use super::scheduler::Scheduler;
use super::worker::run_worker;
use crate::common::blocking::BlockingJob;
use crate::common::core::RuntimeCore;
use crate::common::net::Net;
use crate::common::platform::Platform;
use crate::common::signals::SignalHub;
use crate::common::task::Task;
use crate::common::time::Ticks;

/// How often the waiting thread checks for signals.
const SIGNAL_CHECK: Duration = Duration::from_millis(50);

pub struct RealPlatform {
    epoch: Instant,
    net: RealNet,
    signals: Arc<SignalHub>,
    scheduler: Arc<Scheduler>,
    queues: std::sync::Mutex<Vec<crossbeam_deque::Worker<Arc<Task>>>>,
    pool: Arc<BlockingPool>,
    entropy: AtomicU64,
    /// Number of worker threads.
    workers: usize,
}

impl RealPlatform {
    pub fn new(
        threads: usize,
        pool: Arc<BlockingPool>,
        signals: &[i32],
    ) -> std::io::Result<RealPlatform> {
        let reactor = Arc::new(Reactor::new()?);
        let hub = Arc::new(SignalHub::new(signals.to_vec()));
        if !signals.is_empty() {
            reactor.listen_signals(signals, hub.clone())?;
        }
        let (scheduler, queues) = Scheduler::new(threads.max(1), reactor.clone());
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0x9e37_79b9, |d| d.as_nanos() as u64);
        Ok(RealPlatform {
            epoch: Instant::now(),
            net: RealNet::new(reactor),
            signals: hub,
            scheduler,
            queues: std::sync::Mutex::new(queues),
            pool,
            entropy: AtomicU64::new(seed),
            workers: threads.max(1),
        })
    }
}

impl Platform for RealPlatform {
    fn name(&self) -> &'static str {
        "real"
    }

    fn now(&self) -> Ticks {
        self.epoch.elapsed().as_micros() as Ticks
    }

    fn schedule(&self, task: Arc<Task>) {
        self.scheduler.schedule(task);
    }

    fn spawn_blocking(&self, job: Arc<BlockingJob>) {
        self.pool.submit(job);
    }

    fn entropy(&self) -> u64 {
        // splitmix64 over an atomic counter.
        let mut z = self
            .entropy
            .fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn timer_armed(&self, deadline: Ticks) {
        self.scheduler.timer_armed(deadline);
    }

    fn parallel(&self) -> bool {
        self.workers > 1
    }

    fn on_worker_thread(&self) -> bool {
        self.scheduler.on_worker()
    }

    fn net(&self) -> Option<&dyn Net> {
        Some(&self.net)
    }

    fn signals(&self) -> Option<&SignalHub> {
        Some(&self.signals)
    }

    fn run(&self, py: Python<'_>, core: &Arc<RuntimeCore>) -> PyResult<()> {
        let queues = std::mem::take(&mut *crate::common::util::lock(&self.queues));
        let mut handles = Vec::with_capacity(queues.len());
        for (index, queue) in queues.into_iter().enumerate() {
            let scheduler = self.scheduler.clone();
            let core = core.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("tonio-worker-{index}"))
                .spawn(move || {
                    Python::attach(|py| run_worker(py, &scheduler, &core, index, queue))
                });
            match spawned {
                Ok(handle) => handles.push(handle),
                Err(err) => {
                    if handles.is_empty() {
                        return Err(pyo3::exceptions::PyRuntimeError::new_err(format!(
                            "tonio: could not start a worker thread: {err}"
                        )));
                    }
                    break;
                }
            }
        }
        loop {
            if py.detach(|| core.wait_finished(SIGNAL_CHECK)) {
                break;
            }
            if let Err(err) = py.check_signals() {
                core.interrupt(err);
            }
        }
        self.scheduler.stop();
        py.detach(|| {
            for handle in handles {
                let _ = handle.join();
            }
        });
        // Sockets and signal subscriptions belong to the run: whatever the program left open is
        // closed now, and the signals get their previous dispositions back.
        self.net.close_all();
        self.scheduler.reactor.stop_signals();
        Ok(())
    }
}
