//! `Runtime`: options plus `run_until_complete`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

use super::options::{self, PlatformChoice, RuntimeOptions};
use crate::common::run::core::{CoreOptions, RuntimeCore};
use pyo3::gc::PyVisit;
use pyo3::PyTraverseError;

use super::event::Event;
use crate::common::base::errors::RuntimeAlreadyInitializedError;
use crate::common::base::suspend_args;
use crate::common::base::time::seconds_from_ticks;
use crate::common::base::util::lock;
use crate::common::run::current;
use crate::common::run::gc;
use crate::common::run::group::{GroupKind, TaskGroup};
use crate::common::run::platform::Platform;
use crate::common::wait::event::EventCore;
use crate::real::blocking_pool::BlockingPool;
use crate::real::platform::RealPlatform;
use crate::sim::platform::{SimPlatform, SimRun};

/// One trace entry as Python sees it: `(step, virtual_time, task_id, resumed_from, location)`.
type TraceRow = (u64, f64, u64, String, String, String);

/// A tonio runtime. Create it with `tonio.runtime(**options)`; run coroutines with
/// `run_until_complete`. A runtime can run any number of coroutines, one after another.
#[pyclass(frozen, module = "tonio._tonio")]
pub struct Runtime {
    options: RuntimeOptions,
    pool: Arc<BlockingPool>,
    running: AtomicBool,
    /// Simulator: the trace of the latest run.
    last_run: Mutex<Option<SimRun>>,
    /// What `stop()` sets while `run_forever()` runs (no Python reference: nothing for the GC).
    stopper: Mutex<Option<Arc<EventCore>>>,
    /// `stop()` came while nothing ran forever: the next `run_forever()` returns at once.
    stop_requested: AtomicBool,
    /// The run in progress, for `dump_tasks()` (weak: the run owns its core).
    running_core: Mutex<Option<Weak<RuntimeCore>>>,
}

#[pymethods]
impl Runtime {
    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        match self
            .options
            .unhandled_error_hook
            .as_ref()
            .and_then(gc::sole)
        {
            Some(hook) => visit.call(hook),
            None => Ok(()),
        }
    }

    #[new]
    #[pyo3(signature = (
        *, context=None, signals=None, threads=None, blocking_threadpool_size=None,
        blocking_threadpool_idle_ttl=None, unhandled_error_hook=None, platform=None, seed=None,
        strategy=None, max_steps=None, max_time=None, trace=None, network=None, disk=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        context: Option<Bound<'_, PyAny>>,
        signals: Option<Bound<'_, PyAny>>,
        threads: Option<Bound<'_, PyAny>>,
        blocking_threadpool_size: Option<Bound<'_, PyAny>>,
        blocking_threadpool_idle_ttl: Option<Bound<'_, PyAny>>,
        unhandled_error_hook: Option<Bound<'_, PyAny>>,
        platform: Option<&str>,
        seed: Option<Bound<'_, PyAny>>,
        strategy: Option<&str>,
        max_steps: Option<Bound<'_, PyAny>>,
        max_time: Option<Bound<'_, PyAny>>,
        trace: Option<Bound<'_, PyAny>>,
        network: Option<Bound<'_, PyAny>>,
        disk: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let given = |value: &Option<Bound<'_, PyAny>>| value.as_ref().is_some_and(|v| !v.is_none());
        let platform = match platform.unwrap_or("real") {
            "real" => {
                check_free_threaded(py)?;
                refuse_options(
                    "the real platform",
                    "platform='sim'",
                    &[
                        ("seed", given(&seed)),
                        ("strategy", strategy.is_some()),
                        ("max_steps", given(&max_steps)),
                        ("max_time", given(&max_time)),
                        ("trace", given(&trace)),
                        ("network", given(&network)),
                        ("disk", given(&disk)),
                    ],
                )?;
                PlatformChoice::Real
            }
            "sim" => {
                refuse_options(
                    "the simulator (one thread, blocking calls inline)",
                    "platform='real'",
                    &[
                        ("threads", given(&threads)),
                        ("blocking_threadpool_size", given(&blocking_threadpool_size)),
                        (
                            "blocking_threadpool_idle_ttl",
                            given(&blocking_threadpool_idle_ttl),
                        ),
                    ],
                )?;
                // Real sockets used by blocking calls under the simulator get reported.
                py.import("tonio._sim_guard")?.call_method0("install")?;
                PlatformChoice::Sim(options::parse_sim(
                    seed.as_ref(),
                    strategy,
                    max_steps.as_ref(),
                    max_time.as_ref(),
                    trace.as_ref(),
                    super::sim_network::parse_network(network.as_ref())?,
                    super::sim_disk::parse_disk(disk.as_ref())?,
                )?)
            }
            other => {
                return Err(pyo3::exceptions::PyValueError::new_err(format!(
                    "platform must be 'real' or 'sim', got {other:?}"
                )))
            }
        };
        let options = RuntimeOptions {
            context: options::parse_context(context.as_ref())?,
            signals: options::parse_signals(signals.as_ref())?,
            threads: options::parse_threads(threads.as_ref())?,
            blocking_threadpool_size: options::parse_pool_size(blocking_threadpool_size.as_ref())?,
            blocking_threadpool_idle_ttl: options::parse_idle_ttl(
                blocking_threadpool_idle_ttl.as_ref(),
            )?,
            unhandled_error_hook: options::parse_hook(unhandled_error_hook.as_ref())?,
            platform,
        };
        let pool = Arc::new(BlockingPool::new(
            options.blocking_threadpool_size,
            options.blocking_threadpool_idle_ttl,
        ));
        Ok(Runtime {
            options,
            pool,
            running: AtomicBool::new(false),
            last_run: Mutex::new(None),
            stopper: Mutex::new(None),
            stop_requested: AtomicBool::new(false),
            running_core: Mutex::new(None),
        })
    }

    /// Runs `coro` (a generator or a coroutine) to completion and returns its value, or raises
    /// its exception. Tasks it leaves running are cancelled and unwound before this returns.
    fn run_until_complete(&self, py: Python<'_>, coro: Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        suspend_args::coroutine(&coro, "run_until_complete")?;
        if current::get().is_some() {
            return Err(RuntimeAlreadyInitializedError::new_err(
                "a tonio runtime is already running on this thread; yield/await the coroutine instead \
                 of starting a nested runtime",
            ));
        }
        if self.running.swap(true, Ordering::AcqRel) {
            return Err(RuntimeAlreadyInitializedError::new_err(
                "this Runtime is already running a coroutine in another thread",
            ));
        }
        let result = self.run(py, coro);
        self.running.store(false, Ordering::Release);
        result
    }

    /// Runs until `stop()` is called (from a task, another thread or a signal handler), with
    /// `coro`, if given, started as a task (its exception goes to the unhandled-error hook).
    /// Tasks still running when it stops are cancelled and unwound before this returns.
    #[pyo3(signature = (coro=None))]
    fn run_forever(&self, py: Python<'_>, coro: Option<Bound<'_, PyAny>>) -> PyResult<()> {
        if let Some(coro) = coro.as_ref().filter(|c| !c.is_none()) {
            suspend_args::coroutine(coro, "run_forever")?;
        }
        if self.stop_requested.swap(false, Ordering::AcqRel) {
            return Ok(());
        }
        let stopper = Arc::new(EventCore::default());
        *lock(&self.stopper) = Some(stopper.clone());
        let event = Py::new(py, Event { core: stopper })?;
        let main = py
            .import("tonio._forever")?
            .call_method1("forever", (event, coro))?;
        let result = self.run_until_complete(py, main);
        *lock(&self.stopper) = None;
        result.map(drop)
    }

    /// Stops `run_forever()` (a plain call, from anywhere); before it runs, makes the next one
    /// return at once.
    fn stop(&self, py: Python<'_>) {
        match lock(&self.stopper).clone() {
            Some(stopper) => stopper.set(py),
            None => self.stop_requested.store(true, Ordering::Release),
        }
    }

    /// The number of worker threads.
    #[getter]
    fn threads(&self) -> usize {
        self.options.threads
    }

    /// Every live task of the run in progress, one line each: its id, name, what it waits on
    /// and its `file:line` (a task running at this instant says so). For a hung run: call it
    /// from another thread (a `threading.Timer`, a debugger) and print the result. Empty when
    /// nothing runs.
    fn dump_tasks(&self, py: Python<'_>) -> String {
        let core = lock(&self.running_core).as_ref().and_then(Weak::upgrade);
        let Some(core) = core else {
            return String::new();
        };
        let lines = crate::common::run::task_report::live_tasks_now(py, &core);
        let mut text = format!("{} live tasks:\n", lines.len());
        for line in lines {
            text.push_str("  ");
            text.push_str(&line);
            text.push('\n');
        }
        text
    }

    /// Whether tasks run in a copy of their spawner's `contextvars` context.
    #[getter]
    fn context(&self) -> bool {
        self.options.context
    }

    /// The signal numbers this runtime listens to.
    #[getter]
    fn signals(&self) -> Vec<i32> {
        self.options.signals.clone()
    }

    /// `"real"` or `"sim"`.
    #[getter]
    fn platform(&self) -> &'static str {
        match self.options.platform {
            PlatformChoice::Real => "real",
            PlatformChoice::Sim(_) => "sim",
        }
    }

    /// Simulator: the seed of this runtime's runs (None on the real platform).
    #[getter]
    fn seed(&self) -> Option<u64> {
        match &self.options.platform {
            PlatformChoice::Sim(config) => Some(config.seed),
            PlatformChoice::Real => None,
        }
    }

    /// Simulator: the strategy, in its canonical (replayable) form.
    #[getter]
    fn strategy(&self) -> Option<String> {
        match &self.options.platform {
            PlatformChoice::Sim(config) => Some(config.strategy.describe()),
            PlatformChoice::Real => None,
        }
    }

    /// Simulator: the trace hash of the latest run (same hash, same schedule).
    #[getter]
    fn last_trace_hash(&self) -> Option<u64> {
        lock(&self.last_run).as_ref().map(|run| run.trace_hash)
    }

    /// Simulator: the latest run's schedule string; `strategy="replay:" + it` (or
    /// `tonio.sim.run(coro, schedule=it)`) replays that run exactly, whatever the seed.
    #[getter]
    fn last_schedule(&self) -> Option<String> {
        lock(&self.last_run)
            .as_ref()
            .map(|run| run.schedule.clone())
    }

    /// Simulator: preemptions in the latest run (steps where the running task could have gone
    /// on but another one was picked).
    #[getter]
    fn last_preemptions(&self) -> Option<u64> {
        lock(&self.last_run).as_ref().map(|run| run.preemptions)
    }

    /// Simulator: the step at which a deadlock or a limit ended the latest run (the steps after
    /// it are the tasks unwinding); `None` if nothing ended it.
    #[getter]
    fn last_end_step(&self) -> Option<u64> {
        lock(&self.last_run).as_ref().and_then(|run| run.ended_at)
    }

    /// Simulator: scheduling steps of the latest run.
    #[getter]
    fn last_steps(&self) -> Option<u64> {
        lock(&self.last_run).as_ref().map(|run| run.steps)
    }

    /// Simulator: virtual seconds elapsed in the latest run.
    #[getter]
    fn last_virtual_time(&self) -> Option<f64> {
        lock(&self.last_run)
            .as_ref()
            .map(|run| seconds_from_ticks(run.virtual_time))
    }

    /// Simulator with `trace=True`: the latest run's steps as
    /// `(step, virtual_time, task_id, resumed_from, location)` tuples.
    #[getter]
    fn last_trace(&self) -> Option<Vec<TraceRow>> {
        let last = lock(&self.last_run);
        let entries = last.as_ref()?.entries.as_ref()?;
        Some(
            entries
                .iter()
                .map(|e| {
                    (
                        e.step,
                        seconds_from_ticks(e.time),
                        e.task,
                        e.resumed_from.clone(),
                        e.location.clone(),
                        e.name.clone(),
                    )
                })
                .collect(),
        )
    }

    /// Simulator with `trace=True`: the wake edges of the latest run, as `(step, waker_step)`:
    /// the task picked at `step` was woken by the task that ran at `waker_step`.
    #[getter]
    fn last_wakes(&self) -> Option<Vec<(u64, u64)>> {
        let last = lock(&self.last_run);
        let entries = last.as_ref()?.entries.as_ref()?;
        Some(
            entries
                .iter()
                .filter_map(|e| e.woken_at.map(|at| (e.step, at)))
                .collect(),
        )
    }

    /// Live threads of the blocking pool.
    #[getter]
    fn blocking_threads(&self) -> usize {
        self.pool.thread_count()
    }
}

/// `TypeError` naming the first option given that `platform` does not use.
fn refuse_options(platform: &str, needs: &str, options: &[(&str, bool)]) -> PyResult<()> {
    match options.iter().find(|(_, given)| *given) {
        Some((name, _)) => Err(pyo3::exceptions::PyTypeError::new_err(format!(
            "{name}= does not apply to {platform}: it needs {needs}"
        ))),
        None => Ok(()),
    }
}

impl Runtime {
    fn run(&self, py: Python<'_>, coro: Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let mut sim = None;
        let platform: Arc<dyn Platform> = match &self.options.platform {
            PlatformChoice::Real => {
                check_free_threaded(py)?;
                Arc::new(RealPlatform::new(
                    self.options.threads,
                    self.pool.clone(),
                    &self.options.signals,
                )?)
            }
            PlatformChoice::Sim(config) => {
                let platform = Arc::new(SimPlatform::new(
                    config.clone(),
                    self.options.signals.clone(),
                ));
                sim = Some(platform.clone());
                platform
            }
        };
        let core = RuntimeCore::new(
            platform.clone(),
            CoreOptions {
                context: self.options.context,
                unhandled_error_hook: self.options.unhandled_error_hook.clone(),
            },
        );
        let _running = current::register_running(&core);
        *lock(&self.running_core) = Some(Arc::downgrade(&core));
        let _sigint = match self.options.platform {
            PlatformChoice::Real => Some(crate::real::interrupt::take_sigint(
                py,
                &core,
                &self.options.signals,
            )?),
            PlatformChoice::Sim(_) => None,
        };
        // No cyclic collection while the simulated run is in progress (`sim_collector`).
        let _collector = match sim {
            Some(_) => Some(crate::bindings::sim_collector::enter(py)?),
            None => None,
        };
        let main = TaskGroup::new(&core, GroupKind::Main, false);
        main.spawn(py, vec![coro.unbind()])?;
        drop(main);
        let ran = platform.run(py, &core);
        *lock(&self.running_core) = None;
        core.clear();
        if let Some(sim) = sim {
            *lock(&self.last_run) = Some(sim.take_run());
        }
        ran?;
        core.take_result(py)
    }
}

/// The real platform runs Python code on several threads at once: it needs the GIL disabled.
fn check_free_threaded(py: Python<'_>) -> PyResult<()> {
    let sys = py.import("sys")?;
    let gil_enabled = match sys.getattr("_is_gil_enabled") {
        Ok(f) => f.call0()?.is_truthy()?,
        Err(_) => true,
    };
    if gil_enabled {
        return Err(PyRuntimeError::new_err(
            "tonio's real platform needs a free-threaded CPython (3.13t/3.14t) running with the GIL \
             disabled, but the GIL is enabled in this interpreter (a GIL build, PYTHON_GIL=1, -X gil=1, \
             or an extension module that re-enabled it)",
        ));
    }
    Ok(())
}
