//! Runtime options: parsing and validation of `tonio.runtime(**options)`.

use std::sync::Arc;
use std::time::Duration;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

use super::args::{int_arg, signal_arg, type_name};
use pyo3::types::{PyBool, PyFloat, PyInt};

use crate::sim::disk::DiskConfig;
use crate::sim::platform::{NetworkConfig, SimConfig};
use crate::sim::strategy::StrategySpec;

/// Which platform a runtime runs on.
#[derive(Clone)]
pub enum PlatformChoice {
    Real,
    Sim(SimConfig),
}

/// Default livelock guards of a simulated run.
pub const DEFAULT_MAX_STEPS: u64 = 1_000_000;
pub const DEFAULT_MAX_TIME_SECONDS: f64 = 365.0 * 86_400.0;

/// The simulator's options.
pub fn parse_sim(
    seed: Option<&Bound<'_, PyAny>>,
    strategy: Option<&str>,
    max_steps: Option<&Bound<'_, PyAny>>,
    max_time: Option<&Bound<'_, PyAny>>,
    trace: Option<&Bound<'_, PyAny>>,
    network: NetworkConfig,
    disk: Option<DiskConfig>,
) -> PyResult<SimConfig> {
    let mut seed = seed.map(parse_seed).transpose()?.unwrap_or(0);
    let strategy =
        StrategySpec::parse(strategy.unwrap_or("random")).map_err(PyValueError::new_err)?;
    if let StrategySpec::Replay { world, .. } = &strategy {
        seed = *world; // a schedule string carries the seed of the rest of the run's randomness
    }
    let max_steps = match max_steps.filter(|v| !v.is_none()) {
        None => DEFAULT_MAX_STEPS,
        Some(v) => match int_arg(v, "max_steps")? {
            n if n < 1 => {
                return Err(PyValueError::new_err(format!(
                    "max_steps must be >= 1, got {n}"
                )))
            }
            n => n as u64,
        },
    };
    let max_time = match max_time.filter(|v| !v.is_none()) {
        None => DEFAULT_MAX_TIME_SECONDS,
        Some(v) => {
            let seconds = crate::common::base::suspend_args::seconds(v, "max_time")?;
            if seconds <= 0.0 {
                return Err(PyValueError::new_err(format!(
                    "max_time must be > 0 seconds, got {seconds}"
                )));
            }
            seconds
        }
    };
    let record_trace = match trace {
        None => false,
        Some(v) if v.is_instance_of::<PyBool>() => v.extract()?,
        Some(v) => {
            return Err(PyTypeError::new_err(format!(
                "trace must be a bool, not {}",
                type_name(v)
            )))
        }
    };
    Ok(SimConfig {
        seed,
        strategy,
        max_steps,
        max_time: crate::common::base::time::ticks_from_seconds(max_time),
        record_trace,
        network,
        disk,
    })
}

#[derive(Clone)]
pub struct RuntimeOptions {
    pub context: bool,
    pub signals: Vec<i32>,
    pub threads: usize,
    pub blocking_threadpool_size: usize,
    pub blocking_threadpool_idle_ttl: Duration,
    pub unhandled_error_hook: Option<Arc<Py<PyAny>>>,
    pub platform: PlatformChoice,
}

pub fn parse_context(value: Option<&Bound<'_, PyAny>>) -> PyResult<bool> {
    match value {
        None => Ok(true),
        Some(v) if v.is_instance_of::<PyBool>() => v.extract(),
        Some(v) => Err(PyTypeError::new_err(format!(
            "context must be a bool, not {}",
            type_name(v)
        ))),
    }
}

pub fn parse_threads(value: Option<&Bound<'_, PyAny>>) -> PyResult<usize> {
    let cores = crate::common::base::util::cores();
    let Some(value) = value.filter(|v| !v.is_none()) else {
        return Ok(cores);
    };
    match int_arg(value, "threads")? {
        n if n < 0 => Err(PyValueError::new_err(format!(
            "threads must be >= 0 (0 means one per CPU core), got {n}"
        ))),
        0 => Ok(cores),
        n if n > 1024 => Err(PyValueError::new_err(format!(
            "threads must be at most 1024, got {n}"
        ))),
        n => Ok(n as usize),
    }
}

pub fn parse_pool_size(value: Option<&Bound<'_, PyAny>>) -> PyResult<usize> {
    let Some(value) = value else { return Ok(128) };
    match int_arg(value, "blocking_threadpool_size")? {
        n if n < 1 => Err(PyValueError::new_err(format!(
            "blocking_threadpool_size must be >= 1, got {n}"
        ))),
        n => Ok(n as usize),
    }
}

pub fn parse_idle_ttl(value: Option<&Bound<'_, PyAny>>) -> PyResult<Duration> {
    let Some(value) = value else {
        return Ok(Duration::from_secs(30));
    };
    if value.is_instance_of::<PyBool>()
        || !(value.is_instance_of::<PyInt>() || value.is_instance_of::<PyFloat>())
    {
        return Err(PyTypeError::new_err(format!(
            "blocking_threadpool_idle_ttl must be a number of seconds, not {}",
            type_name(value)
        )));
    }
    let seconds: f64 = value.extract()?;
    if !(seconds > 0.0 && seconds.is_finite() && seconds < 1e9) {
        return Err(PyValueError::new_err(format!(
            "blocking_threadpool_idle_ttl must be a positive, finite number of seconds, got {seconds}"
        )));
    }
    Ok(Duration::from_secs_f64(seconds))
}

pub fn parse_signals(value: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<i32>> {
    let Some(value) = value.filter(|v| !v.is_none()) else {
        return Ok(Vec::new());
    };
    let iter = value.try_iter().map_err(|_| {
        PyTypeError::new_err(format!(
            "signals must be a list of signal numbers, not {}",
            type_name(value)
        ))
    })?;
    let mut signals = Vec::new();
    for item in iter {
        let item = item?;
        let number = signal_arg(&item, "signals")?;
        if crate::real::signals::FORBIDDEN.contains(&number) {
            return Err(PyValueError::new_err(format!(
                "signals: signal {number} cannot be handled (SIGKILL, SIGSTOP and fault signals are refused)"
            )));
        }
        signals.push(number);
    }
    Ok(signals)
}

pub fn parse_hook(value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Arc<Py<PyAny>>>> {
    match value {
        None => Ok(None),
        Some(v) if v.is_none() => Ok(None),
        Some(v) if v.is_callable() => Ok(Some(Arc::new(v.clone().unbind()))),
        Some(v) => Err(PyTypeError::new_err(format!(
            "unhandled_error_hook must be callable or None, not {}",
            type_name(v)
        ))),
    }
}

pub fn parse_seed(value: &Bound<'_, PyAny>) -> PyResult<u64> {
    let seed = int_arg(value, "seed")?;
    u64::try_from(seed).map_err(|_| PyValueError::new_err(format!("seed must be >= 0, got {seed}")))
}
