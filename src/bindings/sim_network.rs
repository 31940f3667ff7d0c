//! Python bindings of the simulated network: the `network=` option (a `tonio.sim.Network`),
//! the live fault handle `tonio.sim.network()`, and name resolution through the running
//! platform's network (used by `tonio.net` before it falls back to the OS resolver).

use std::net::IpAddr;

use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::args::type_name;
use crate::common::base::suspend_args::seconds;
use crate::common::base::time::{ticks_from_seconds, Ticks};
use crate::common::run::current;
use crate::common::run::platform::Platform;
use crate::common::run::task_report::{frame_place, package_dir};
use crate::sim::hosts::HostId;
use crate::sim::platform::{NetworkConfig, SimPlatform};
use crate::sim::wire::{LinkChange, PER_MILLION};

pub(super) fn duration(value: Option<Bound<'_, PyAny>>, what: &str) -> PyResult<Option<Ticks>> {
    let Some(value) = value.filter(|v| !v.is_none()) else {
        return Ok(None);
    };
    let secs = seconds(&value, what)?;
    if !secs.is_finite() || secs < 0.0 {
        return Err(PyValueError::new_err(format!(
            "{what} must be a finite number of seconds >= 0, got {secs}"
        )));
    }
    Ok(Some(ticks_from_seconds(secs)))
}

/// A probability (0 to 1) as millionths; `None` for `None`.
fn chance(value: Option<Bound<'_, PyAny>>, name: &str) -> PyResult<Option<u32>> {
    let Some(value) = value.filter(|v| !v.is_none()) else {
        return Ok(None);
    };
    let p: f64 = value
        .extract()
        .ok()
        .filter(|_| !value.is_instance_of::<pyo3::types::PyBool>())
        .ok_or_else(|| {
            PyTypeError::new_err(format!(
                "{name} must be a probability (a number from 0 to 1), not {}",
                type_name(&value)
            ))
        })?;
    if !(0.0..=1.0).contains(&p) {
        return Err(pyo3::exceptions::PyValueError::new_err(format!(
            "{name} must be a probability from 0 to 1, got {p}"
        )));
    }
    Ok(Some((p * PER_MILLION as f64).round() as u32))
}

/// `network=`: `None` (the default network) or a `tonio.sim.Network` (read through its
/// `latency`, `jitter` and `hosts` attributes).
pub fn parse_network(value: Option<&Bound<'_, PyAny>>) -> PyResult<NetworkConfig> {
    let mut config = NetworkConfig::default();
    let Some(value) = value.filter(|v| !v.is_none()) else {
        return Ok(config);
    };
    let (Ok(latency), Ok(jitter), Ok(hosts)) = (
        value.getattr("latency"),
        value.getattr("jitter"),
        value.getattr("hosts"),
    ) else {
        return Err(PyTypeError::new_err(format!(
            "network must be a tonio.sim.Network, not {}",
            type_name(value)
        )));
    };
    if let Some(latency) = duration(Some(latency), "latency")? {
        config.link.latency = latency;
    }
    if let Some(jitter) = duration(Some(jitter), "jitter")? {
        config.link.jitter = jitter;
    }
    // `loss` and `duplicate`: optional attributes (0 without them).
    if let Some(loss) = chance(value.getattr("loss").ok(), "loss")? {
        config.link.loss = loss;
    }
    if let Some(duplicate) = chance(value.getattr("duplicate").ok(), "duplicate")? {
        config.link.duplicate = duplicate;
    }
    if !hosts.is_none() {
        let hosts = hosts.cast::<PyDict>().map_err(|_| {
            PyTypeError::new_err(format!(
                "hosts must be a dict of names to IP addresses, not {}",
                type_name(&hosts)
            ))
        })?;
        for (name, ip) in hosts.iter() {
            let name: String = name.extract().map_err(|_| {
                PyTypeError::new_err(format!("host names must be str, got {}", type_name(&name)))
            })?;
            let text: String = ip.extract().map_err(|_| {
                PyTypeError::new_err(format!(
                    "the address of host {name:?} must be a str, got {}",
                    type_name(&ip)
                ))
            })?;
            let ip: IpAddr = text.parse().map_err(|_| {
                PyValueError::new_err(format!(
                    "the address of host {name:?} is not an IP address: {text:?}"
                ))
            })?;
            config.hosts.push((name, ip));
        }
    }
    Ok(config)
}

/// The running simulated platform, or the error `what` raises outside one.
pub(super) fn sim_platform<R>(
    what: &str,
    use_it: impl FnOnce(&SimPlatform) -> PyResult<R>,
) -> PyResult<R> {
    let core = current::get().ok_or_else(|| {
        PyRuntimeError::new_err(format!("{what} is only available inside a simulated run"))
    })?;
    match core.platform.as_any().downcast_ref::<SimPlatform>() {
        Some(platform) => use_it(platform),
        None => Err(PyRuntimeError::new_err(format!(
            "{what} is only available inside a simulated run (this run is on the {} platform)",
            core.platform.name()
        ))),
    }
}

/// The live network of the running simulated run (`tonio.sim.network()`).
#[pyclass(module = "tonio._tonio", name = "SimNetwork", frozen)]
pub struct SimNetwork;

/// `file:line` of the program's code calling into this binding (frames of the `tonio` package
/// itself, such as `tonio.sim.send_signal`, are skipped).
fn caller(py: Python<'_>) -> String {
    let package = package_dir(py);
    let inside = |file: &str| package.as_deref().is_some_and(|dir| file.starts_with(dir));
    let mut frame = py
        .import("sys")
        .and_then(|sys| sys.getattr("_getframe"))
        .and_then(|getframe| getframe.call0())
        .ok();
    for _ in 0..16 {
        let Some(current) = frame.take().filter(|f| !f.is_none()) else {
            break;
        };
        match frame_place(&current) {
            Some((file, _)) if inside(&file) => {}
            Some((file, line)) => return format!("{file}:{line}"),
            None => break,
        }
        frame = current.getattr("f_back").ok();
    }
    "?".into()
}

/// Records a fault or signal in the run's trace, as done by the running task.
pub(super) fn note(py: Python<'_>, platform: &SimPlatform, what: String) {
    let task = current::get()
        .zip(current::task_id())
        .map_or(0, |(core, uid)| uid.saturating_sub(core.uid_base));
    platform.note(task, what, || caller(py));
}

fn host(platform: &SimPlatform, name: &str) -> PyResult<HostId> {
    platform.network().host(name).map_err(PyValueError::new_err)
}

#[pymethods]
impl SimNetwork {
    /// Cuts the link between hosts `a` and `b`: traffic stalls (in order) until healed.
    fn partition(&self, py: Python<'_>, a: &str, b: &str) -> PyResult<()> {
        sim_platform("network().partition", |platform| {
            let (a, b) = (host(platform, a)?, host(platform, b)?);
            platform.network().partition(a, b);
            note(py, platform, format!("fault: partition {a} <-> {b}"));
            Ok(())
        })
    }

    /// Heals the partition between `a` and `b`, or every partition when both are omitted.
    #[pyo3(signature = (a=None, b=None))]
    fn heal(&self, py: Python<'_>, a: Option<&str>, b: Option<&str>) -> PyResult<()> {
        sim_platform("network().heal", |platform| {
            let between = match (a, b) {
                (None, None) => None,
                (Some(a), Some(b)) => Some((host(platform, a)?, host(platform, b)?)),
                _ => {
                    return Err(PyTypeError::new_err(
                        "heal takes two hosts, or none to heal every partition",
                    ))
                }
            };
            platform.network().heal(between);
            let what = match between {
                Some((a, b)) => format!("fault: heal {a} <-> {b}"),
                None => "fault: heal every partition".to_owned(),
            };
            note(py, platform, what);
            Ok(())
        })
    }

    /// Changes the link between `a` and `b`: one-way `latency` and `jitter` (seconds), the
    /// chances (0 to 1) that a datagram is lost (`loss`) or arrives twice (`duplicate`).
    #[pyo3(signature = (a, b, *, latency=None, jitter=None, loss=None, duplicate=None))]
    #[allow(clippy::too_many_arguments)] // the Python signature
    fn set_link(
        &self,
        py: Python<'_>,
        a: &str,
        b: &str,
        latency: Option<Bound<'_, PyAny>>,
        jitter: Option<Bound<'_, PyAny>>,
        loss: Option<Bound<'_, PyAny>>,
        duplicate: Option<Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let change = LinkChange {
            latency: duration(latency, "latency")?,
            jitter: duration(jitter, "jitter")?,
            loss: chance(loss, "loss")?,
            duplicate: chance(duplicate, "duplicate")?,
        };
        sim_platform("network().set_link", |platform| {
            let (a, b) = (host(platform, a)?, host(platform, b)?);
            platform.network().set_link(a, b, change);
            let what = format!("fault: set_link {a} <-> {b} {change:?}");
            note(py, platform, what);
            Ok(())
        })
    }

    /// Resets every connection between `a` and `b`, open or being set up (both ends get
    /// `ConnectionResetError`; a connect under way `ConnectionRefusedError`). Returns how many
    /// connection ends were reset: 2 per connection.
    fn reset(&self, py: Python<'_>, a: &str, b: &str) -> PyResult<usize> {
        sim_platform("network().reset", |platform| {
            let (a, b) = (host(platform, a)?, host(platform, b)?);
            let ends = platform.network().reset_between(a, b);
            note(
                py,
                platform,
                format!("fault: reset {a} <-> {b} ({ends} ends)"),
            );
            Ok(ends)
        })
    }
}

/// `tonio.sim.network()`: the live network of the running simulated run.
#[pyfunction]
pub fn sim_network() -> PyResult<SimNetwork> {
    sim_platform("tonio.sim.network()", |_| Ok(SimNetwork))
}

/// `tonio.sim.send_signal(signum)`: delivers `signum` to the run's signal receivers at this
/// step. The signal must be one of the run's `signals=[...]`.
#[pyfunction]
pub fn sim_send_signal(py: Python<'_>, signum: Bound<'_, PyAny>) -> PyResult<()> {
    let number = super::args::signal_arg(&signum, "send_signal")?;
    sim_platform("tonio.sim.send_signal()", |platform| {
        let Some(hub) = platform.signals() else {
            return Err(PyRuntimeError::new_err("this run has no signal hub"));
        };
        if !hub.configured().contains(&number) {
            return Err(PyValueError::new_err(format!(
                "signal {number} is not one of this run's signals=[...] (configured: {:?})",
                hub.configured()
            )));
        }
        hub.deliver(py, number);
        note(py, platform, format!("signal {number}"));
        Ok(())
    })
}

/// Whether this thread is running a blocking call inline under the simulator (for the guard
/// that reports real sockets used there: `tonio/_sim_guard.py`).
#[pyfunction]
pub fn in_simulated_blocking_call() -> bool {
    current::get().is_some_and(|core| {
        core.platform
            .as_any()
            .downcast_ref::<SimPlatform>()
            .is_some_and(SimPlatform::in_blocking_call)
    })
}

/// The name of the platform of this thread's runtime (`"real"`, `"sim"`), `None` outside one.
#[pyfunction]
pub fn running_platform() -> Option<&'static str> {
    current::get().map(|core| core.platform.name())
}

/// 64 random bits from the running platform (`None` outside a runtime): under the simulator
/// they come from the run's seed, so a program that draws them replays.
#[pyfunction]
pub fn platform_entropy() -> Option<u64> {
    current::get().map(|core| core.platform.entropy())
}

/// The address of `name` in the running platform's network: `None` when the OS resolver is
/// the one to ask (the real platform, or no runtime); raises `socket.gaierror` for a name the
/// simulated network does not know.
#[pyfunction]
pub fn resolve_in_platform(py: Python<'_>, name: &str) -> PyResult<Option<String>> {
    let Some(core) = current::get() else {
        return Ok(None);
    };
    let Some(net) = core.platform.net() else {
        return Ok(None);
    };
    match net.resolve(name) {
        None => Ok(None),
        Some(Some(ip)) => Ok(Some(ip.to_string())),
        Some(None) => {
            let gaierror = py.import("socket")?.getattr("gaierror")?;
            let eai_noname = -2;
            Err(PyErr::from_value(gaierror.call1((
                eai_noname,
                format!("Name or service not known (simulated network): {name:?}"),
            ))?))
        }
    }
}
