//! Delivering OS signals to the tasks that subscribed (`signal_receiver`).
//!
//! The platform feeds `deliver` with each signal it receives; every subscription whose set
//! contains it gets the number in its own sink (an unbounded channel, made by whoever
//! subscribes: the hub knows no channels). A subscription ends when its context exits;
//! undelivered numbers are dropped with it.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use pyo3::prelude::*;

use crate::common::base::util::lock;

/// Where a subscription's signals go (`wait::channel::ChannelCore` implements it).
pub trait SignalSink: Send + Sync {
    /// Hands over one signal (never blocks: the sink is unbounded).
    fn put(&self, py: Python<'_>, signal: Py<PyAny>);

    /// The subscription ended: nothing more will come.
    fn close(&self, py: Python<'_>);
}

/// One subscription: the signals it wants and where they go.
type Subscription = (Vec<i32>, Arc<dyn SignalSink>);

pub struct SignalHub {
    /// The signals the runtime was configured for (`signals=[...]`).
    configured: Vec<i32>,
    subscribers: Mutex<BTreeMap<u64, Subscription>>,
    next: AtomicU64,
}

impl SignalHub {
    pub fn new(configured: Vec<i32>) -> SignalHub {
        SignalHub {
            configured,
            subscribers: Mutex::new(BTreeMap::new()),
            next: AtomicU64::new(1),
        }
    }

    pub fn configured(&self) -> &[i32] {
        &self.configured
    }

    /// Sends `signals` to `sink` from now on; returns the subscription's id.
    pub fn subscribe(&self, signals: Vec<i32>, sink: Arc<dyn SignalSink>) -> u64 {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        lock(&self.subscribers).insert(id, (signals, sink));
        id
    }

    pub fn unsubscribe(&self, py: Python<'_>, id: u64) {
        let removed = lock(&self.subscribers).remove(&id);
        if let Some((_, sink)) = removed {
            sink.close(py);
        }
    }

    /// Hands `signal` to every subscription that asked for it, as a `signal.Signals` member
    /// (a plain int for a number that enum does not know).
    pub fn deliver(&self, py: Python<'_>, signal: i32) {
        let sinks: Vec<Arc<dyn SignalSink>> = lock(&self.subscribers)
            .values()
            .filter(|(signals, _)| signals.contains(&signal))
            .map(|(_, sink)| sink.clone())
            .collect();
        if sinks.is_empty() {
            return;
        }
        let member = py
            .import("signal")
            .and_then(|module| module.getattr("Signals"))
            .and_then(|signals| signals.call1((signal,)));
        let value: Py<PyAny> = match member {
            Ok(member) => member.unbind(),
            Err(_) => {
                let Ok(number) = signal.into_pyobject(py);
                number.into_any().unbind()
            }
        };
        for sink in sinks {
            sink.put(py, value.clone_ref(py));
        }
    }
}
