//! Delivering OS signals to the tasks that subscribed (`signal_receiver`).
//!
//! The platform feeds `deliver` with each signal it receives; every subscription whose set
//! contains it gets the number in its own sink (an unbounded channel, made by whoever
//! subscribes: the hub knows no channels). A subscription ends when its context exits.
//!
//! # Nothing is dropped
//! A configured signal that arrives while no subscription wants it (during start-up, between
//! two `signal_receiver` blocks) is kept *pending*, one per signal number as POSIX keeps them,
//! and handed to the next subscription that wants it. A subscription that ends with signals
//! it never received gives them back: they become pending again (unless another subscription
//! got them too).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use pyo3::prelude::*;

use crate::common::base::util::lock;

/// Where a subscription's signals go (`wait::channel::ChannelCore` implements it).
pub trait SignalSink: Send + Sync {
    /// Hands over one signal (never blocks: the sink is unbounded).
    fn put(&self, py: Python<'_>, signal: Py<PyAny>);

    /// The subscription ended: nothing more will come. Returns the signals it held that were
    /// never received.
    fn close(&self, py: Python<'_>) -> Vec<Py<PyAny>>;
}

/// One subscription: the signals it wants and where they go.
type Subscription = (Vec<i32>, Arc<dyn SignalSink>);

struct HubState {
    subscribers: BTreeMap<u64, Subscription>,
    /// Signals that arrived while nobody wanted them (see the module docs).
    pending: BTreeSet<i32>,
}

pub struct SignalHub {
    /// The signals the runtime was configured for (`signals=[...]`).
    configured: Vec<i32>,
    state: Mutex<HubState>,
    next: AtomicU64,
}

impl SignalHub {
    pub fn new(configured: Vec<i32>) -> SignalHub {
        SignalHub {
            configured,
            state: Mutex::new(HubState {
                subscribers: BTreeMap::new(),
                pending: BTreeSet::new(),
            }),
            next: AtomicU64::new(1),
        }
    }

    pub fn configured(&self) -> &[i32] {
        &self.configured
    }

    /// Sends `signals` to `sink` from now on, starting with those pending; returns the
    /// subscription's id.
    pub fn subscribe(&self, py: Python<'_>, signals: Vec<i32>, sink: Arc<dyn SignalSink>) -> u64 {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let mut state = lock(&self.state);
        let waiting: Vec<i32> = signals
            .iter()
            .filter(|signal| state.pending.remove(signal))
            .copied()
            .collect();
        state.subscribers.insert(id, (signals, sink.clone()));
        drop(state);
        for signal in waiting {
            sink.put(py, signal_object(py, signal));
        }
        id
    }

    /// Ends a subscription; the signals it never received become pending again (unless
    /// another subscription wants them: it got them too).
    pub fn unsubscribe(&self, py: Python<'_>, id: u64) {
        let removed = lock(&self.state).subscribers.remove(&id);
        let Some((_, sink)) = removed else { return };
        let unreceived: Vec<i32> = sink
            .close(py)
            .iter()
            .filter_map(|signal| signal.extract::<i32>(py).ok())
            .collect();
        let mut state = lock(&self.state);
        for signal in unreceived {
            if !state.wanted(signal) {
                state.pending.insert(signal);
            }
        }
    }

    /// Hands `signal` to every subscription that asked for it, as a `signal.Signals` member
    /// (a plain int for a number that enum does not know); keeps it pending if none did.
    pub fn deliver(&self, py: Python<'_>, signal: i32) {
        let sinks: Vec<Arc<dyn SignalSink>> = {
            let mut state = lock(&self.state);
            let sinks: Vec<_> = state
                .subscribers
                .values()
                .filter(|(signals, _)| signals.contains(&signal))
                .map(|(_, sink)| sink.clone())
                .collect();
            if sinks.is_empty() && self.configured.contains(&signal) {
                state.pending.insert(signal);
            }
            sinks
        };
        if sinks.is_empty() {
            return;
        }
        let value = signal_object(py, signal);
        for sink in sinks {
            sink.put(py, value.clone_ref(py));
        }
    }
}

impl HubState {
    fn wanted(&self, signal: i32) -> bool {
        self.subscribers
            .values()
            .any(|(signals, _)| signals.contains(&signal))
    }
}

/// `signal` as a `signal.Signals` member, or a plain int for a number that enum does not know.
fn signal_object(py: Python<'_>, signal: i32) -> Py<PyAny> {
    let member = py
        .import("signal")
        .and_then(|module| module.getattr("Signals"))
        .and_then(|signals| signals.call1((signal,)));
    match member {
        Ok(member) => member.unbind(),
        Err(_) => {
            let Ok(number) = signal.into_pyobject(py);
            number.into_any().unbind()
        }
    }
}
