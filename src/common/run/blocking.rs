//! A blocking call (`spawn_blocking`) and its hand-off between a task and a pool thread.
//!
//! A blocking call runs a plain function: a function that returns a coroutine or generator
//! would hand back something nobody runs, so that result is closed and the task gets a
//! `TypeError` saying what to do instead.
//!
//! # States (under `state`)
//! `Created -> Queued(waker) -> Running(thread) -> Finished`, or `Queued -> Cancelled` when the
//! task is cancelled before a thread picks the job up (the call then never runs).
//!
//! # Cancellation while running
//! The waiting task resumes with `CancelledError` at once. The call itself is interrupted if
//! the platform can (`Platform::interrupt_blocking`: the real platform raises an asynchronous
//! `CancelledError` in its pool thread; the simulator, which runs calls inline on its one
//! thread, lets them finish), unless it was made `to_completion`: a call that must not stop
//! halfway (spawning a child process) finishes and its result is dropped. An interruption is requested and withdrawn only under `state`,
//! and withdrawn after the call returns if it never fired, so it can never hit a later job on
//! the same thread.

use std::sync::{Arc, Mutex};

use pyo3::gc::PyVisit;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use pyo3::PyTraverseError;

use crate::common::base::outcome::Resume;
use crate::common::base::util::lock;
use crate::common::run::core::RuntimeCore;
use crate::common::run::current;
use crate::common::run::task::Waker;

enum JobState {
    Created,
    Queued(Waker),
    Running {
        /// The running thread, as `Platform::blocking_thread` named it.
        thread: u64,
        waker: Waker,
        interrupted: bool,
    },
    Finished,
    Cancelled,
}

pub struct BlockingJob {
    func: Py<PyAny>,
    args: Py<PyTuple>,
    kwargs: Option<Py<PyDict>>,
    /// `contextvars.Context` to run in (runtime option `context=True`).
    context: Option<Py<PyAny>>,
    core: Arc<RuntimeCore>,
    state: Mutex<JobState>,
    /// A cancellation of the waiting task does not interrupt the running call.
    to_completion: bool,
}

/// The blocking function returned a coroutine or generator: close it (it will never run) and
/// raise a `TypeError`.
fn refuse_coroutine_result(
    func: &Bound<'_, PyAny>,
    result: Bound<'_, PyAny>,
) -> PyResult<Py<PyAny>> {
    // Safety: exact type checks on a live object.
    let is_coroutine = unsafe {
        pyo3::ffi::PyCoro_CheckExact(result.as_ptr()) != 0
            || pyo3::ffi::PyGen_CheckExact(result.as_ptr()) != 0
    };
    if !is_coroutine {
        return Ok(result.unbind());
    }
    let _ = result.call_method0("close");
    let name = func
        .getattr("__qualname__")
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "the function".to_owned());
    Err(pyo3::exceptions::PyTypeError::new_err(format!(
        "spawn_blocking: {name} returned a coroutine or generator instead of running its work; \
         spawn_blocking runs plain functions in a thread: yield/await the coroutine in a task \
         (or spawn it) instead"
    )))
}

impl BlockingJob {
    pub fn new(
        core: Arc<RuntimeCore>,
        func: Py<PyAny>,
        args: Py<PyTuple>,
        kwargs: Option<Py<PyDict>>,
        context: Option<Py<PyAny>>,
    ) -> BlockingJob {
        BlockingJob {
            func,
            args,
            kwargs,
            context,
            core,
            state: Mutex::new(JobState::Created),
            to_completion: false,
        }
    }

    /// The same job, never interrupted once it runs (see the module docs).
    pub fn to_completion(self) -> BlockingJob {
        BlockingJob {
            to_completion: true,
            ..self
        }
    }

    /// Visits the call's function, arguments and context (for the cyclic GC: `gc.rs`). Call
    /// only as the job's sole owner.
    pub fn traverse(&self, visit: &PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.func)?;
        visit.call(&self.args)?;
        self.kwargs
            .iter()
            .try_for_each(|kwargs| visit.call(kwargs))?;
        self.context
            .iter()
            .try_for_each(|context| visit.call(context))
    }

    /// Attaches the waiting task. Returns false if the job was already submitted once.
    pub fn submit(&self, waker: Waker) -> bool {
        let mut state = lock(&self.state);
        if !matches!(*state, JobState::Created) {
            return false;
        }
        *state = JobState::Queued(waker);
        true
    }

    /// Runs the call on the current (pool) thread and wakes the waiting task with its outcome.
    pub fn run(&self, py: Python<'_>) {
        {
            let mut state = lock(&self.state);
            let JobState::Queued(waker) = std::mem::replace(&mut *state, JobState::Finished) else {
                // Cancelled before it started: nothing to run, nobody waiting.
                *state = JobState::Cancelled;
                return;
            };
            let thread = self.core.platform.blocking_thread();
            *state = JobState::Running {
                thread,
                waker,
                interrupted: false,
            };
        }
        let result = {
            let _runtime = current::enter(&self.core);
            self.call(py)
        };
        let waker = {
            let mut state = lock(&self.state);
            match std::mem::replace(&mut *state, JobState::Finished) {
                JobState::Running {
                    thread,
                    waker,
                    interrupted,
                } => {
                    if interrupted {
                        self.core.platform.interrupt_blocking(py, thread, false);
                    }
                    Some(waker)
                }
                _ => None,
            }
        };
        if let Some(waker) = waker {
            waker.wake(Resume::from_result(py, result));
        }
    }

    fn call(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let func = self.func.bind(py);
        let args = self.args.bind(py);
        let kwargs = self.kwargs.as_ref().map(|k| k.bind(py));
        let result = match &self.context {
            None => func.call(args, kwargs)?,
            Some(context) => {
                let mut full = vec![func.clone()];
                full.extend(args.iter());
                let full = PyTuple::new(py, full)?;
                context.bind(py).getattr("run")?.call(full, kwargs)?
            }
        };
        refuse_coroutine_result(func, result)
    }

    /// Fails a queued call without running it (no thread could be started for it), or a
    /// running one that the runtime could not finish (a panic): its task gets a `RuntimeError`.
    pub fn fail(&self, reason: &str) {
        let waker = match std::mem::replace(&mut *lock(&self.state), JobState::Finished) {
            JobState::Queued(waker) | JobState::Running { waker, .. } => waker,
            _ => return,
        };
        let _ = Python::try_attach(|py| {
            let err =
                pyo3::exceptions::PyRuntimeError::new_err(format!("spawn_blocking: {reason}"));
            waker.wake(Resume::throw(py, err));
        });
    }

    /// The waiting task was cancelled: drop the job if it has not started, else interrupt it.
    pub fn cancel(&self, py: Python<'_>) {
        let mut state = lock(&self.state);
        match &mut *state {
            JobState::Created | JobState::Queued(_) => *state = JobState::Cancelled,
            JobState::Running {
                thread,
                interrupted,
                ..
            } => {
                // While we hold `state` the job cannot finish: the interruption targets this
                // call, and `run` withdraws it if it never fired.
                if !*interrupted && !self.to_completion {
                    *interrupted = self.core.platform.interrupt_blocking(py, *thread, true);
                }
            }
            JobState::Finished | JobState::Cancelled => {}
        }
    }
}
