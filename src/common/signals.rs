//! Delivering OS signals to the tasks that subscribed (`signal_receiver`).
//!
//! The platform feeds `deliver` with each signal it receives; every subscription whose set
//! contains it gets the number in its own unbounded channel. A subscription ends when its
//! context exits; undelivered numbers are dropped with it.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use pyo3::prelude::*;

use super::sync::channel::ChannelCore;
use super::util::lock;

/// One subscription: the signals it wants and the channel they go to.
type Subscription = (Vec<i32>, Arc<ChannelCore>);

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

    pub fn subscribe(&self, signals: Vec<i32>) -> (u64, Arc<ChannelCore>) {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let channel = Arc::new(ChannelCore::new(usize::MAX));
        lock(&self.subscribers).insert(id, (signals, channel.clone()));
        (id, channel)
    }

    pub fn unsubscribe(&self, py: Python<'_>, id: u64) {
        let removed = lock(&self.subscribers).remove(&id);
        if let Some((_, channel)) = removed {
            channel.close(py);
        }
    }

    /// Hands `signal` to every subscription that asked for it, as a `signal.Signals` member
    /// (a plain int for a number that enum does not know).
    pub fn deliver(&self, py: Python<'_>, signal: i32) {
        let channels: Vec<Arc<ChannelCore>> = lock(&self.subscribers)
            .values()
            .filter(|(signals, _)| signals.contains(&signal))
            .map(|(_, channel)| channel.clone())
            .collect();
        if channels.is_empty() {
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
        for channel in channels {
            channel.send(py, value.clone_ref(py), None);
        }
    }
}
