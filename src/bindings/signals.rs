//! `signal_receiver(*signals)`: a context manager subscribing to OS signals.
//!
//! Yield flavour: `with signal_receiver(SIGHUP) as sigs: for ev in sigs: sig = yield ev`.
//! Colored: `with signal_receiver(SIGHUP) as sigs: async for sig in sigs: ...`. Only signals
//! the runtime was configured for (`signals=[...]`) can be received; leaving the context ends
//! the subscription.

use std::sync::{Arc, Mutex};

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use super::args::signal_arg;
use super::suspension::awaitable;
use crate::common::base::util::lock;
use crate::common::drive::suspend::SuspendKind;
use crate::common::run::core::RuntimeCore;
use crate::common::run::current;
use crate::common::wait::channel::ChannelCore;

/// A subscription to some of the runtime's signals.
#[pyclass(frozen, module = "tonio._tonio")]
pub struct SignalReceiver {
    core: Arc<RuntimeCore>,
    signals: Vec<i32>,
    subscription: Mutex<Option<(u64, Arc<ChannelCore>)>>,
}

impl SignalReceiver {
    /// Ends the subscription (its unreceived signals become pending again: `SignalHub`).
    fn end(&self, py: Python<'_>) {
        if let Some((id, _)) = lock(&self.subscription).take() {
            if let Some(hub) = self.core.platform.signals() {
                hub.unsubscribe(py, id);
            }
        }
    }

    fn next(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        match &*lock(&self.subscription) {
            Some((_, channel)) => awaitable(py, SuspendKind::Receive(channel.clone())),
            None => Err(PyRuntimeError::new_err(
                "use signal_receiver(...) as a context manager (with ... as sigs)",
            )),
        }
    }
}

#[pymethods]
impl SignalReceiver {
    fn __enter__(slf: Bound<'_, Self>) -> PyResult<Bound<'_, Self>> {
        let this = slf.get();
        let mut subscription = lock(&this.subscription);
        if subscription.is_some() {
            return Err(PyRuntimeError::new_err(
                "this signal_receiver is already entered",
            ));
        }
        let hub = this.core.platform.signals().ok_or_else(|| {
            PyRuntimeError::new_err(format!(
                "the {} platform does not deliver signals",
                this.core.platform.name()
            ))
        })?;
        let channel = Arc::new(ChannelCore::new(usize::MAX));
        let id = hub.subscribe(slf.py(), this.signals.clone(), channel.clone());
        *subscription = Some((id, channel));
        drop(subscription);
        Ok(slf)
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, PyTuple>) -> bool {
        self.end(py);
        false
    }

    fn __iter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    /// An awaitable evaluating to the next signal number.
    fn __next__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.next(py)
    }

    fn __aiter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    fn __anext__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.next(py)
    }
}

impl Drop for SignalReceiver {
    /// A receiver dropped inside its `with` block (its task abandoned) still ends its
    /// subscription, so signals go to the next receiver instead of into an unread channel.
    fn drop(&mut self) {
        if lock(&self.subscription).is_some() {
            let _ = Python::try_attach(|py| self.end(py));
        }
    }
}

/// Subscribes to `signals` (each must be in the runtime's `signals=[...]`).
#[pyfunction]
#[pyo3(signature = (*signals))]
pub fn signal_receiver(signals: &Bound<'_, PyTuple>) -> PyResult<SignalReceiver> {
    let mut numbers = Vec::with_capacity(signals.len());
    for item in signals.iter() {
        numbers.push(signal_arg(&item, "signal_receiver")?);
    }
    if numbers.is_empty() {
        return Err(PyValueError::new_err(
            "signal_receiver needs at least one signal",
        ));
    }
    let core = current::require("signal_receiver")?;
    let configured = core
        .platform
        .signals()
        .map(|hub| hub.configured().to_vec())
        .unwrap_or_default();
    if let Some(missing) = numbers.iter().find(|n| !configured.contains(n)) {
        return Err(PyValueError::new_err(format!(
            "signal_receiver: signal {missing} is not one the runtime listens to; add it to \
             runtime(signals=[...]) (configured: {configured:?})"
        )));
    }
    Ok(SignalReceiver {
        core,
        signals: numbers,
        subscription: Mutex::new(None),
    })
}
