//! The blocking thread pool behind `spawn_blocking`.
//!
//! Threads are created on demand, up to `max_threads`, and retire after `idle_ttl` without work.
//! The pool belongs to a `Runtime` and outlives its runs; dropping the runtime tells idle threads
//! to exit (a thread stuck in a user call exits when the call returns).
//!
//! # Invariants (under `state`)
//! - `idle` counts threads waiting on `work`; a submit wakes one only if `idle` covers every
//!   queued job, otherwise it starts a thread (if under the limit), so queued jobs never wait
//!   for a thread that was already promised to an earlier job.

use std::collections::VecDeque;
use std::os::raw::{c_long, c_ulong};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use pyo3::prelude::*;

use crate::common::base::errors::CancelledError;
use crate::common::base::util::lock;
use crate::common::run::blocking::BlockingJob;
use crate::real::python_exit;

extern "C" {
    // Part of CPython's stable ABI (`pythread.h`); pyo3-ffi does not declare it.
    fn PyThread_get_thread_ident() -> c_ulong;
}

/// The calling pool thread's Python identifier (`Platform::blocking_thread`).
#[allow(clippy::useless_conversion)] // `c_ulong` is narrower than u64 on some platforms
pub fn current_thread() -> u64 {
    // Safety: plain query of the calling thread's identifier.
    u64::from(unsafe { PyThread_get_thread_ident() })
}

/// Raises `CancelledError` asynchronously in the pool thread `thread` (its next bytecode), or
/// clears a pending one (`raise: false`) (`Platform::interrupt_blocking`).
pub fn interrupt(py: Python<'_>, thread: u64, raise: bool) -> bool {
    let exc = match raise {
        true => py.get_type::<CancelledError>().as_ptr(),
        false => std::ptr::null_mut(),
    };
    // Safety: `thread` came from `current_thread` on the pool thread that runs the call, and
    // the caller (`BlockingJob`) holds the job's state lock, so that call is still running;
    // a NULL `exc` only clears. We are attached. (`c_ulong` to `c_long`: CPython's own cast.)
    unsafe { pyo3::ffi::PyThreadState_SetAsyncExc(thread as c_ulong as c_long, exc) };
    true
}

/// What the pool runs: a `BlockingJob` (the tests also run jobs that panic).
pub trait PoolJob: Send + Sync {
    /// Runs the job on the calling pool thread (attached).
    fn run(&self, py: Python<'_>);
    /// The job could not run or finish: fail its call with `reason`.
    fn fail(&self, reason: &str);
}

impl PoolJob for BlockingJob {
    fn run(&self, py: Python<'_>) {
        BlockingJob::run(self, py)
    }

    fn fail(&self, reason: &str) {
        BlockingJob::fail(self, reason)
    }
}

/// How long the pool may go without taking a queued call before it grows by a thread, once it
/// has one thread per core. Busy threads that keep taking calls (short ones: file reads) are
/// not stuck: with 64 reads in flight on 2 cores, 27 threads made them 1.5x slower than 2
/// (measured). Threads that all block (a `time.sleep`, a call waiting on another queued call)
/// are: the pool then grows by a thread per `GROW_AFTER` until calls are taken again.
const GROW_AFTER: Duration = Duration::from_millis(1);

struct PoolState {
    queue: VecDeque<Arc<dyn PoolJob>>,
    /// When a thread last took a queued job (the pool's progress).
    last_take: Instant,
    threads: usize,
    idle: usize,
    /// Threads started for queued jobs that have not taken one yet.
    starting: usize,
    /// Whether the thread that grows the pool (`grow_when_stuck`) runs.
    grower: bool,
    shutdown: bool,
}

impl PoolState {
    /// Whether a thread is free or on its way for every queued job.
    fn covered(&self) -> bool {
        self.idle + self.starting >= self.queue.len()
    }
}

struct PoolShared {
    state: Mutex<PoolState>,
    work: Condvar,
    /// Wakes the grower: a job was queued with every thread busy, or the pool shuts down.
    stuck: Condvar,
    max_threads: usize,
    /// Threads started at once when a job finds none free (one per core).
    eager_threads: usize,
    idle_ttl: Duration,
}

pub struct BlockingPool {
    shared: Arc<PoolShared>,
}

impl BlockingPool {
    pub fn new(max_threads: usize, idle_ttl: Duration) -> BlockingPool {
        let max_threads = max_threads.max(1);
        let cores = crate::common::base::util::cores();
        BlockingPool {
            shared: Arc::new(PoolShared {
                state: Mutex::new(PoolState {
                    queue: VecDeque::new(),
                    last_take: Instant::now(),
                    threads: 0,
                    idle: 0,
                    starting: 0,
                    grower: false,
                    shutdown: false,
                }),
                work: Condvar::new(),
                stuck: Condvar::new(),
                max_threads,
                eager_threads: cores.min(max_threads),
                idle_ttl,
            }),
        }
    }

    /// Queues `job`: a free thread takes it; else a new one, up to one per core at once; past
    /// that the pool grows only when it stops taking jobs (see `grow_when_stuck`).
    pub fn submit(&self, job: Arc<dyn PoolJob>) {
        let shared = &self.shared;
        let mut state = lock(&shared.state);
        state.queue.push_back(job);
        if state.idle >= state.queue.len() {
            shared.work.notify_one();
        } else if state.covered() {
            // a thread on its way will take it
        } else if state.threads < shared.eager_threads {
            start_thread(shared, &mut state);
        } else if state.threads < shared.max_threads {
            if !state.grower {
                state.grower = true;
                let grower = shared.clone();
                let started = std::thread::Builder::new()
                    .name("tonio-blocking-grow".into())
                    .spawn(move || grow_when_stuck(&grower));
                if started.is_err() {
                    state.grower = false;
                    start_thread(shared, &mut state); // grow now rather than never
                    return;
                }
            }
            shared.stuck.notify_one();
        }
    }

    /// Number of live pool threads (for tests).
    pub fn thread_count(&self) -> usize {
        lock(&self.shared.state).threads
    }
}

impl Drop for BlockingPool {
    fn drop(&mut self) {
        lock(&self.shared.state).shutdown = true;
        self.shared.work.notify_all();
        self.shared.stuck.notify_all();
    }
}

/// Starts a pool thread for a queued job (under `state`). If none can start and there is no
/// thread at all, the newest job fails instead of waiting for ever.
fn start_thread(shared: &Arc<PoolShared>, state: &mut PoolState) {
    state.threads += 1;
    state.starting += 1;
    let thread_shared = shared.clone();
    let spawned = std::thread::Builder::new()
        .name("tonio-blocking".into())
        .spawn(move || pool_thread(&thread_shared));
    if spawned.is_err() {
        state.threads -= 1;
        state.starting -= 1;
        if state.threads == 0 {
            if let Some(job) = state.queue.pop_back() {
                job.fail("could not start a thread for the blocking call");
            }
        }
    }
}

/// The grower: while jobs are queued, every thread is busy and none was taken for
/// `GROW_AFTER`, starts a thread (up to `max_threads`), so calls that block for long never
/// wait behind each other for more than that per thread. Never touches Python.
fn grow_when_stuck(shared: &Arc<PoolShared>) {
    let mut state = lock(&shared.state);
    while !state.shutdown {
        let waiting = !state.queue.is_empty() && !state.covered();
        state = match waiting && state.threads < shared.max_threads {
            true => {
                let stalled = state.last_take.elapsed();
                if stalled >= GROW_AFTER {
                    start_thread(shared, &mut state);
                    state.last_take = Instant::now();
                    continue;
                }
                let rest = GROW_AFTER - stalled;
                shared
                    .stuck
                    .wait_timeout(state, rest)
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .0
            }
            false => shared
                .stuck
                .wait(state)
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        };
    }
    state.grower = false;
}

/// A pool thread has one Python thread state for its whole life, attached only while it runs a
/// job and detached while it waits (attaching a thread anew for each job creates and destroys a
/// thread state: about 100 µs per call, measured). It attaches only through
/// `python_exit::enter`, which never lets it attach once the interpreter is exiting.
///
/// A panic inside the runtime while running a job fails that job's call (its task gets a
/// `RuntimeError`, instead of waiting forever) and ends the thread, which leaves the pool (the
/// next call starts another). It is not caught here (see [`FailOnPanic`]).
fn pool_thread(shared: &PoolShared) {
    lock(&shared.state).starting -= 1;
    python_exit::enter();
    let _left_at_the_end = python_exit::Inside; // also when a panic ends the thread
    let _ = Python::try_attach(|py| {
        while let Some(job) = py.detach(|| {
            python_exit::leave();
            let job = next_job(shared);
            python_exit::enter(); // attaches again when this returns
            job
        }) {
            let guard = FailOnPanic { job: &job, shared };
            job.run(py);
            drop(guard);
        }
    });
}

/// While a pool thread runs a job: if a Rust panic unwinds through it, fails the job's call and
/// takes the thread out of the pool's count. Any other unwinding (the thread's forced exit)
/// passes untouched.
struct FailOnPanic<'a> {
    job: &'a Arc<dyn PoolJob>,
    shared: &'a PoolShared,
}

impl Drop for FailOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.job
                .fail("tonio internal error: the runtime panicked running this call");
            lock(&self.shared.state).threads -= 1;
        }
    }
}

/// Waits for a job; `None` when the thread should retire (idle too long, or shutdown).
fn next_job(shared: &PoolShared) -> Option<Arc<dyn PoolJob>> {
    let mut state = lock(&shared.state);
    loop {
        if let Some(job) = state.queue.pop_front() {
            state.last_take = Instant::now();
            return Some(job);
        }
        if state.shutdown {
            state.threads -= 1;
            return None;
        }
        state.idle += 1;
        let (next, timeout) = shared
            .work
            .wait_timeout(state, shared.idle_ttl)
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        state = next;
        state.idle -= 1;
        if timeout.timed_out() && state.queue.is_empty() {
            state.threads -= 1;
            return None;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// A job that panics inside the runtime (as a bug in `BlockingJob::run` would), or counts
    /// its runs; records the failures it is given.
    struct Probe {
        panics: bool,
        ran: AtomicUsize,
        failed: Mutex<Vec<String>>,
        done: (Mutex<bool>, Condvar),
    }

    impl Probe {
        fn new(panics: bool) -> Arc<Probe> {
            Arc::new(Probe {
                panics,
                ran: AtomicUsize::new(0),
                failed: Mutex::new(Vec::new()),
                done: (Mutex::new(false), Condvar::new()),
            })
        }

        fn finish(&self) {
            *lock(&self.done.0) = true;
            self.done.1.notify_all();
        }

        /// Waits until the job ran or failed; false if it did neither within 10 seconds.
        fn wait(&self) -> bool {
            let done = lock(&self.done.0);
            let (done, _) = self
                .done
                .1
                .wait_timeout_while(done, Duration::from_secs(10), |done| !*done)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            *done
        }
    }

    impl PoolJob for Probe {
        fn run(&self, _py: Python<'_>) {
            if self.panics {
                panic!("a bug inside the runtime while it runs a blocking call");
            }
            self.ran.fetch_add(1, Ordering::SeqCst);
            self.finish();
        }

        fn fail(&self, reason: &str) {
            lock(&self.failed).push(reason.to_owned());
            self.finish();
        }
    }

    #[test]
    fn a_job_that_panics_fails_its_call_and_the_pool_goes_on() {
        Python::initialize();
        let pool = BlockingPool::new(1, Duration::from_secs(30));
        let panicking = Probe::new(true);
        pool.submit(panicking.clone());
        assert!(panicking.wait(), "the panicking job was never failed");
        assert_eq!(
            *lock(&panicking.failed),
            ["tonio internal error: the runtime panicked running this call"]
        );
        let next = Probe::new(false);
        pool.submit(next.clone());
        assert!(next.wait(), "the next job never ran");
        assert_eq!(next.ran.load(Ordering::SeqCst), 1);
        assert!(lock(&next.failed).is_empty());
        assert_eq!(
            pool.thread_count(),
            1,
            "the panicking thread left the pool and one took its place"
        );
    }

    /// A job that blocks until `needed` jobs run at the same time (as calls that wait on each
    /// other do), detached as a blocking call is.
    struct Rendezvous {
        arrived: Mutex<usize>,
        all_here: Condvar,
        needed: usize,
        done: AtomicUsize,
    }

    impl PoolJob for Rendezvous {
        fn run(&self, py: Python<'_>) {
            py.detach(|| {
                let mut arrived = lock(&self.arrived);
                *arrived += 1;
                self.all_here.notify_all();
                let (_arrived, timeout) = self
                    .all_here
                    .wait_timeout_while(arrived, Duration::from_secs(10), |n| *n < self.needed)
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                if !timeout.timed_out() {
                    self.done.fetch_add(1, Ordering::SeqCst);
                }
            });
        }

        fn fail(&self, _reason: &str) {}
    }

    #[test]
    fn a_pool_whose_threads_all_block_grows_until_the_calls_can_finish() {
        Python::initialize();
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let needed = cores + 3; // beyond the threads started at once
        let pool = BlockingPool::new(64, Duration::from_secs(30));
        let job = Arc::new(Rendezvous {
            arrived: Mutex::new(0),
            all_here: Condvar::new(),
            needed,
            done: AtomicUsize::new(0),
        });
        for _ in 0..needed {
            pool.submit(job.clone());
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while job.done.load(Ordering::SeqCst) < needed && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(job.done.load(Ordering::SeqCst), needed);
        assert_eq!(pool.thread_count(), needed);
    }
}
