//! tonio: a multi-threaded async runtime for free-threaded CPython, with a deterministic
//! simulator. This file only registers the Python module; see `common` for the core,
//! `real` and `sim` for the platforms and `bindings` for the Python-facing layer.

use pyo3::prelude::*;

pub mod bindings;
pub mod common;
pub mod real;
pub mod sim;

#[pymodule(gil_used = false)]
fn _tonio(m: &Bound<'_, PyModule>) -> PyResult<()> {
    use bindings::{api, as_completed, interval};
    use common::base::errors;

    let py = m.py();
    bindings::suspension::install(m)?;
    m.add_class::<bindings::runtime::Runtime>()?;
    m.add_class::<bindings::scope::Scope>()?;
    m.add_class::<bindings::event::Event>()?;
    m.add_class::<bindings::descriptor::ScheduledIO>()?;
    m.add_function(wrap_pyfunction!(bindings::descriptor::wait_readable, m)?)?;
    m.add_function(wrap_pyfunction!(bindings::descriptor::wait_writable, m)?)?;
    m.add_class::<bindings::ready::Ready>()?;
    m.add_class::<as_completed::AsCompleted>()?;
    m.add_class::<interval::Interval>()?;
    m.add_class::<bindings::sync::Lock>()?;
    m.add_class::<bindings::sync::Semaphore>()?;
    m.add_class::<bindings::sync::Barrier>()?;
    m.add_class::<bindings::sync::OrRaise>()?;
    m.add_class::<bindings::guard::Guard>()?;
    m.add_class::<bindings::socket::Socket>()?;
    m.add_function(wrap_pyfunction!(bindings::socket::socketpair, m)?)?;
    m.add_function(wrap_pyfunction!(bindings::socket::fromfd, m)?)?;
    m.add_class::<bindings::sim_network::SimNetwork>()?;
    m.add_class::<bindings::sim_disk::SimDisk>()?;
    m.add_function(wrap_pyfunction!(bindings::sim_disk::sim_disk, m)?)?;
    bindings::disk_calls::register(m)?;
    m.add_class::<bindings::tls::ClientConfig>()?;
    m.add_class::<bindings::tls::ServerConfig>()?;
    m.add_class::<bindings::tls::TLSSession>()?;
    m.add_class::<bindings::tls::TestCA>()?;
    m.add("TLSError", py.get_type::<bindings::tls::TLSError>())?;
    m.add_function(wrap_pyfunction!(bindings::sim_network::sim_network, m)?)?;
    m.add_function(wrap_pyfunction!(bindings::sim_schedule::schedule_picks, m)?)?;
    m.add_function(wrap_pyfunction!(bindings::sim_schedule::schedule_text, m)?)?;
    m.add_function(wrap_pyfunction!(bindings::sim_network::sim_send_signal, m)?)?;
    m.add_function(wrap_pyfunction!(
        bindings::sim_network::running_platform,
        m
    )?)?;
    m.add_function(wrap_pyfunction!(
        bindings::sim_collector::sim_collect_between_runs,
        m
    )?)?;
    m.add_function(wrap_pyfunction!(
        bindings::sim_network::platform_entropy,
        m
    )?)?;
    m.add_function(wrap_pyfunction!(
        bindings::sim_network::in_simulated_blocking_call,
        m
    )?)?;
    m.add_function(wrap_pyfunction!(
        bindings::sim_network::resolve_in_platform,
        m
    )?)?;
    m.add_class::<bindings::signals::SignalReceiver>()?;
    m.add_function(wrap_pyfunction!(bindings::signals::signal_receiver, m)?)?;
    m.add_class::<bindings::channel::Sender>()?;
    m.add_class::<bindings::channel::UnboundedSender>()?;
    m.add_class::<bindings::channel::Receiver>()?;
    m.add_function(wrap_pyfunction!(bindings::channel::channel, m)?)?;
    m.add_function(wrap_pyfunction!(bindings::channel::unbounded, m)?)?;
    m.add_function(wrap_pyfunction!(api::spawn, m)?)?;
    m.add_class::<bindings::task_info::TaskInfo>()?;
    m.add_function(wrap_pyfunction!(bindings::task_info::current_task, m)?)?;
    m.add_function(wrap_pyfunction!(api::spawn_without_results, m)?)?;
    m.add_function(wrap_pyfunction!(api::spawn_without_tracking, m)?)?;
    m.add_function(wrap_pyfunction!(api::spawn_list, m)?)?;
    m.add_function(wrap_pyfunction!(api::spawn_blocking, m)?)?;
    m.add_function(wrap_pyfunction!(api::spawn_blocking_to_completion, m)?)?;
    m.add_function(wrap_pyfunction!(api::block_on, m)?)?;
    m.add_function(wrap_pyfunction!(api::sleep, m)?)?;
    m.add_function(wrap_pyfunction!(api::yield_now, m)?)?;
    m.add_function(wrap_pyfunction!(api::time, m)?)?;
    m.add_function(wrap_pyfunction!(api::timeout, m)?)?;
    m.add_function(wrap_pyfunction!(api::select, m)?)?;
    m.add_function(wrap_pyfunction!(api::ready, m)?)?;
    m.add_function(wrap_pyfunction!(api::operation, m)?)?;
    m.add_function(wrap_pyfunction!(api::drain_threads_at_exit, m)?)?;
    m.add_function(wrap_pyfunction!(api::operation_completes, m)?)?;
    m.add_function(wrap_pyfunction!(as_completed::as_completed, m)?)?;
    m.add_function(wrap_pyfunction!(interval::interval, m)?)?;
    m.add(
        "SimulationError",
        py.get_type::<sim::errors::SimulationError>(),
    )?;
    m.add("Deadlock", py.get_type::<sim::errors::Deadlock>())?;
    m.add("LimitExceeded", py.get_type::<sim::errors::LimitExceeded>())?;
    m.add("CancelledError", py.get_type::<errors::CancelledError>())?;
    m.add("TimeoutError", py.get_type::<errors::TimeoutError>())?;
    m.add("WouldBlock", py.get_type::<errors::WouldBlock>())?;
    m.add("ResourceBroken", py.get_type::<errors::ResourceBroken>())?;
    m.add(
        "RuntimeAlreadyInitializedError",
        py.get_type::<errors::RuntimeAlreadyInitializedError>(),
    )?;
    m.add(
        "RuntimeNotInitializedError",
        py.get_type::<errors::RuntimeNotInitializedError>(),
    )?;
    Ok(())
}
