//! `SimPlatform`: runs every task on the calling thread, in the order the strategy picks.
//!
//! # The loop (one step each)
//! 1. If tasks are ready or a timer is due, the strategy picks one of them: a task runs until it
//!    suspends; a timer fires (only the earliest due one; a due timer is a candidate like a
//!    ready task, so a deadline can fire before, between or after the steps it races with).
//! 2. Else run the oldest queued blocking call inline (the simulation is paused meanwhile; a
//!    `block_on` inside it drives this same loop, nested, until its coroutine finishes).
//! 3. Else jump the virtual clock to the next timer deadline or network arrival (never past
//!    `max_time`) and deliver the arrivals due; due timers fire in the steps that follow.
//! 4. Else the run is deadlocked: `Deadlock` names the seed, the virtual time and every blocked
//!    task with what it waits on and where; the tasks are then cancelled so they unwind.
//!
//! `max_steps` / `max_time` end a run that does not finish (`LimitExceeded`): see `run_end.rs`.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use pyo3::prelude::*;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::disk::{DiskConfig, SimDisk};
use super::errors::SimulationError;
use super::hosts::Hosts;
use super::net::SimNet;
use super::schedule::{Recorder, TIMERS};
use super::strategy::{Strategy, StrategySpec};
use super::trace::{Trace, TraceEntry};
use super::wire::LinkSettings;
use crate::common::base::time::{Ticks, NEVER};
use crate::common::base::util::lock;
use crate::common::drive::driver::run_task;
use crate::common::io::signals::SignalHub;
use crate::common::run::blocking::BlockingJob;
use crate::common::run::core::RuntimeCore;
use crate::common::run::current;
use crate::common::run::platform::Platform;
use crate::common::run::task::Task;
use crate::common::run::task_report::describe;

/// RNG streams, one per concern.
const SCHEDULER_STREAM: u64 = 1;
const ENTROPY_STREAM: u64 = 2;
const NETWORK_STREAM: u64 = 3;
const TIMER_ORDER_STREAM: u64 = 4;
const DISK_STREAM: u64 = 5;

#[derive(Clone, Debug)]
pub struct SimConfig {
    pub seed: u64,
    pub strategy: StrategySpec,
    pub max_steps: u64,
    pub max_time: Ticks,
    pub record_trace: bool,
    pub network: NetworkConfig,
    /// `disk=`: the run's files are simulated (else `tonio.fs` uses the real disk inline).
    pub disk: Option<DiskConfig>,
}

/// The simulated network a run starts with (`tonio.sim.Network`).
#[derive(Clone, Debug)]
pub struct NetworkConfig {
    /// Every link's settings unless `set_link` changes one.
    pub link: LinkSettings,
    pub hosts: Vec<(String, std::net::IpAddr)>,
}

impl Default for NetworkConfig {
    /// Half a millisecond each way, no jitter, no names beyond `localhost`.
    fn default() -> Self {
        NetworkConfig {
            link: LinkSettings {
                latency: 500,
                ..LinkSettings::default()
            },
            hosts: Vec::new(),
        }
    }
}

/// What a finished run leaves behind.
pub struct SimRun {
    /// The schedule string that replays the run (`schedule.rs`).
    pub schedule: String,
    pub preemptions: u64,
    /// The step at which a deadlock or a limit ended the run (the steps after it unwind).
    pub ended_at: Option<u64>,
    pub trace_hash: u64,
    pub steps: u64,
    pub virtual_time: Ticks,
    pub entries: Option<Vec<TraceEntry>>,
}

pub(super) struct SimState {
    ready: VecDeque<Arc<Task>>,
    blocking: VecDeque<Arc<BlockingJob>>,
    rng: ChaCha8Rng,
    strategy: Strategy,
    decisions: Recorder,
    trace: Trace,
    pub(super) step: u64,
    /// Set once a limit or a deadlock ended the run (tasks are unwinding).
    pub(super) ended_at: Option<u64>,
    /// The step whose task is running now (`None` when timers, the network or a blocking call
    /// run).
    running_step: Option<u64>,
}

pub struct SimPlatform {
    pub(super) config: SimConfig,
    /// Signals of `signals=[...]`, delivered by `tonio.sim.send_signal` (no OS signal is
    /// ever listened to).
    signals: SignalHub,
    clock: Arc<AtomicU64>,
    net: SimNet,
    disk: Option<SimDisk>,
    pub(super) state: Mutex<SimState>,
    entropy: Mutex<ChaCha8Rng>,
    /// Draws `timer_order`.
    timer_order: Mutex<ChaCha8Rng>,
    /// `thread_token()` of the thread running the simulation (0: none): read on every
    /// `schedule`, so an atomic rather than a lock.
    thread: AtomicU64,
    blocking_depth: AtomicUsize,
}

/// A number unique to the calling OS thread (never 0).
fn thread_token() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    thread_local! {
        static TOKEN: u64 = NEXT.fetch_add(1, Ordering::Relaxed);
    }
    TOKEN.with(|token| *token)
}

fn stream(seed: u64, id: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(id);
    rng
}

enum Step {
    Ran,
    Idle,
}

/// What a step runs.
enum Picked {
    Task(Arc<Task>, u64),
    Timer(u64),
}

impl SimPlatform {
    /// The run's network (for the fault bindings).
    pub fn network(&self) -> &SimNet {
        &self.net
    }

    /// The run's simulated disk, if it has one (for the fault bindings).
    pub fn sim_disk(&self) -> Option<&SimDisk> {
        self.disk.as_ref()
    }

    /// Whether a blocking call (`spawn_blocking`) is running inline right now.
    pub fn in_blocking_call(&self) -> bool {
        self.blocking_depth.load(Ordering::Acquire) > 0
    }

    /// Records in the trace that task `task` changed the simulated world (`what`: a fault, a
    /// signal) during the current step; `location` (its `file:line`) is asked only when the
    /// full trace is kept.
    pub fn note(&self, task: u64, what: String, location: impl FnOnce() -> String) {
        let mut state = lock(&self.state);
        let (step, now) = (state.step, self.now());
        state.trace.note(step, now, task, what, location);
    }

    pub fn new(config: SimConfig, signals: Vec<i32>) -> SimPlatform {
        let mut rng = stream(config.seed, SCHEDULER_STREAM);
        let strategy = Strategy::new(&config.strategy, &mut rng);
        let clock = Arc::new(AtomicU64::new(0));
        let net = SimNet::new(
            config.network.link,
            Hosts::new(config.network.hosts.iter().cloned()),
            stream(config.seed, NETWORK_STREAM),
            clock.clone(),
        );
        let disk = config
            .disk
            .map(|disk| SimDisk::new(disk, stream(config.seed, DISK_STREAM), clock.clone()));
        SimPlatform {
            signals: SignalHub::new(signals),
            clock,
            net,
            disk,
            state: Mutex::new(SimState {
                ready: VecDeque::new(),
                blocking: VecDeque::new(),
                rng,
                strategy,
                decisions: Recorder::default(),
                trace: Trace::new(config.record_trace),
                step: 0,
                ended_at: None,
                running_step: None,
            }),
            entropy: Mutex::new(stream(config.seed, ENTROPY_STREAM)),
            timer_order: Mutex::new(stream(config.seed, TIMER_ORDER_STREAM)),
            thread: AtomicU64::new(0),
            blocking_depth: AtomicUsize::new(0),
            config,
        }
    }

    /// The trace and counters of the finished run.
    pub fn take_run(&self) -> SimRun {
        let mut state = lock(&self.state);
        SimRun {
            schedule: state.decisions.text(self.config.seed),
            preemptions: state.decisions.preemptions(),
            ended_at: state.ended_at,
            trace_hash: state.trace.hash(),
            steps: state.step,
            virtual_time: self.now(),
            entries: state.trace.take_entries(),
        }
    }

    /// One step of the loop (see the module docs).
    fn step(&self, py: Python<'_>, core: &Arc<RuntimeCore>) -> Step {
        let picked = self.pick(py, core);
        match picked {
            Some(Picked::Task(task, step)) => {
                self.check_limits(py, core, step, self.now());
                run_task(py, task);
                return Step::Ran;
            }
            Some(Picked::Timer(step)) => {
                let now = self.now();
                self.check_limits(py, core, step, now);
                if let Some(fired) = core.timers.fire_next_due(now) {
                    lock(&self.state)
                        .trace
                        .timer(step, now, fired.task, fired.what);
                }
                return Step::Ran;
            }
            None => {}
        }
        let job = lock(&self.state).blocking.pop_front();
        if let Some(job) = job {
            self.blocking_depth.fetch_add(1, Ordering::AcqRel);
            job.run(py);
            self.blocking_depth.fetch_sub(1, Ordering::AcqRel);
            return Step::Ran;
        }
        let deadline = core.timers.next_deadline();
        let arrival = self.net.next_arrival().unwrap_or(NEVER);
        let next = deadline.min(arrival);
        if next == NEVER {
            return Step::Idle;
        }
        let step = lock(&self.state).step;
        if self.check_limits(py, core, step, next) {
            // The clock stops at `max_time`; the run unwinds from there.
            self.clock.fetch_max(self.config.max_time, Ordering::AcqRel);
            return Step::Ran;
        }
        self.clock.fetch_max(next, Ordering::AcqRel);
        // Parcels arrive at once; the timers now due fire in steps of their own, so a deadline
        // and an arrival at the same instant race as the strategy decides.
        self.net.deliver_due();
        Step::Ran
    }

    /// Picks what runs at the next step: a ready task, or (a candidate when one is due, always
    /// the youngest) the earliest due timer. `None`: neither.
    fn pick(&self, py: Python<'_>, core: &RuntimeCore) -> Option<Picked> {
        let timer_due = core.timers.next_deadline() <= self.now();
        let mut state = lock(&self.state);
        let state = &mut *state;
        let tasks = state.ready.len();
        if tasks == 0 && !timer_due {
            state.running_step = None;
            return None;
        }
        state.step += 1;
        let step = state.step;
        let ready = &state.ready;
        let id_at = |i: usize| ready.get(i).map_or(TIMERS, |task| task.id);
        let index =
            state
                .strategy
                .pick(&mut state.rng, step, tasks + usize::from(timer_due), id_at);
        state.decisions.record(step, index, id_at(index));
        let Some(task) = state.ready.remove(index) else {
            // A timer's wakes are not edges of the timeline.
            state.running_step = None;
            return Some(Picked::Timer(step));
        };
        // Until the next step (a `block_on` nested in this one reassigns it early, so a wake
        // edge can then name the nested step).
        state.running_step = Some(step);
        let now = self.now();
        state
            .trace
            .record(step, now, task.id, || describe(py, &task));
        Some(Picked::Task(task, step))
    }
}

impl Platform for SimPlatform {
    fn name(&self) -> &'static str {
        "sim"
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn now(&self) -> Ticks {
        self.clock.load(Ordering::Acquire)
    }

    fn net(&self) -> Option<&dyn crate::common::io::net::Net> {
        Some(&self.net)
    }

    fn signals(&self) -> Option<&SignalHub> {
        Some(&self.signals)
    }

    fn disk(&self) -> Option<&dyn crate::common::io::disk::Disk> {
        self.disk
            .as_ref()
            .map(|disk| disk as &dyn crate::common::io::disk::Disk)
    }

    fn schedule(&self, task: Arc<Task>) {
        let running_on = self.thread.load(Ordering::Acquire);
        if running_on != 0 && running_on != thread_token() {
            // Another OS thread woke a task while the simulation runs: when that happens is
            // up to the OS, not the seed, so the run cannot replay. It ends with an error
            // (the task is still queued so that everything unwinds).
            task.core.interrupt(SimulationError::new_err(format!(
                "a task was woken from another OS thread ({:?}) while the simulator ran: the \
                 run is no longer a function of its seed ({}); wake tasks only from tasks of \
                 the run, or from blocking calls (spawn_blocking), which the simulator runs inline",
                std::thread::current().name().unwrap_or("unnamed"),
                self.replay_hint()
            )));
        }
        let mut state = lock(&self.state);
        if let Some(step) = state.running_step {
            state.trace.woke(step, task.id);
        }
        state.ready.push_back(task);
    }

    fn spawn_blocking(&self, job: Arc<BlockingJob>) {
        lock(&self.state).blocking.push_back(job);
    }

    // `interrupt_blocking` keeps its default (no interruption): a blocking call runs inline on
    // the simulator's one thread, where an asynchronous exception would land in whatever Python
    // code runs next (the tasks of a nested `block_on`), not necessarily in the call.

    fn entropy(&self) -> u64 {
        lock(&self.entropy).next_u64()
    }

    fn timer_order(&self) -> u64 {
        lock(&self.timer_order).next_u64()
    }

    fn on_worker_thread(&self) -> bool {
        self.thread.load(Ordering::Acquire) == thread_token()
    }

    fn nested_block_on_allowed(&self) -> bool {
        self.blocking_depth.load(Ordering::Acquire) > 0
    }

    fn run_nested(&self, py: Python<'_>, core: &Arc<RuntimeCore>, done: &dyn Fn() -> bool) {
        while !done() {
            if let Step::Idle = self.step(py, core) {
                return;
            }
        }
    }

    fn run(&self, py: Python<'_>, core: &Arc<RuntimeCore>) -> PyResult<()> {
        self.thread.store(thread_token(), Ordering::Release);
        let _runtime = current::enter(core);
        while !core.is_finished() && !self.unwinding_too_long() {
            if let Step::Idle = self.step(py, core) {
                if core.is_finished() || !self.deadlocked(py, core) {
                    break;
                }
            }
        }
        self.thread.store(0, Ordering::Release);
        Ok(())
    }
}
