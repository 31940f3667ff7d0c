//! `RealPlatform`: the `Platform` implementation on OS threads and the OS clock.
//!
//! One instance per run. `run` starts `threads - 1` worker threads and makes the calling
//! thread worker 0; when the run finishes (`run_finished`) every worker stops and the others are
//! joined.
//!
//! # Why the calling thread is a worker
//! On free-threaded CPython an object belongs to the thread that created it, and using it from
//! another thread takes slower paths: reference counts go through atomics and merge queues,
//! and a dict created elsewhere is read under its per-object lock (measured: an h11 HTTP
//! exchange costs 75 µs on the thread that imported h11 and 199 µs on another thread, with 160
//! `sched_yield` calls per request spinning on those locks). A program's modules are imported
//! by the main thread, so that is where its coroutines run fastest; with `threads=1` every task
//! runs there, as asyncio's do. Worker 0 also runs Python's signal handlers (only the main
//! thread can), so a `KeyboardInterrupt` interrupts the run: every task is cancelled and the
//! interrupt is re-raised once they have unwound.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use pyo3::prelude::*;

use super::blocking_pool::BlockingPool;
use super::descriptors::WatchedDescriptors;
use super::net::RealNet;
use super::reactor::Reactor;
use super::scheduler::Scheduler;
use super::worker::run_worker;
use crate::common::base::time::Ticks;
use crate::common::io::descriptors::Descriptors;
use crate::common::io::net::Net;
use crate::common::io::signals::SignalHub;
use crate::common::run::blocking::BlockingJob;
use crate::common::run::core::RuntimeCore;
use crate::common::run::platform::Platform;
use crate::common::run::task::Task;

pub struct RealPlatform {
    epoch: Instant,
    net: RealNet,
    descriptors: WatchedDescriptors,
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
            net: RealNet::new(reactor.clone()),
            descriptors: WatchedDescriptors::new(reactor),
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

    fn as_any(&self) -> &dyn std::any::Any {
        self
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

    fn blocking_thread(&self) -> u64 {
        super::blocking_pool::current_thread()
    }

    fn interrupt_blocking(&self, py: Python<'_>, thread: u64, raise: bool) -> bool {
        super::blocking_pool::interrupt(py, thread, raise)
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

    fn descriptors(&self) -> Option<&dyn Descriptors> {
        Some(&self.descriptors)
    }

    fn signals(&self) -> Option<&SignalHub> {
        Some(&self.signals)
    }

    fn run_finished(&self) {
        self.scheduler.stop();
    }

    fn run(&self, py: Python<'_>, core: &Arc<RuntimeCore>) -> PyResult<()> {
        let mut queues =
            std::mem::take(&mut *crate::common::base::util::lock(&self.queues)).into_iter();
        let Some(own_queue) = queues.next() else {
            return Err(pyo3::exceptions::PyRuntimeError::new_err(
                "tonio: the runtime has no worker queue",
            ));
        };
        let mut handles = Vec::with_capacity(queues.len());
        for (offset, queue) in queues.enumerate() {
            let index = offset + 1;
            let scheduler = self.scheduler.clone();
            let core = core.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("tonio-worker-{index}"))
                .spawn(move || {
                    Python::attach(|py| run_worker(py, &scheduler, &core, index, queue, false))
                });
            match spawned {
                Ok(handle) => handles.push(handle),
                // Fewer workers: the others (and this thread) take their share.
                Err(_) => break,
            }
        }
        // Worker 0 is this thread: see the module docs.
        run_worker(py, &self.scheduler, core, 0, own_queue, true);
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
