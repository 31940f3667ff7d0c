//! The simulator's exceptions (re-exported by `tonio.sim`).

use pyo3::exceptions::PyRuntimeError;

pyo3::create_exception!(
    tonio.sim,
    SimulationError,
    PyRuntimeError,
    "A simulated run ended abnormally; the message names the seed and strategy to replay it."
);
pyo3::create_exception!(
    tonio.sim,
    Deadlock,
    SimulationError,
    "No task can make progress: nothing is ready, no timer is pending, the main task is unfinished."
);
pyo3::create_exception!(
    tonio.sim,
    LimitExceeded,
    SimulationError,
    "The run exceeded max_steps or max_time (a livelock guard)."
);
