//! `BarrierCore`: waiters are released together when the `parties`-th one arrives.
//!
//! Each `wait` gets its 0-based arrival index. The barrier is single-use: once it has tripped,
//! later waits return their arrival index at once. A waiter cancelled before the barrier trips
//! stops waiting; its arrival still counts (it did arrive).
//!
//! # Invariants (under `state`)
//! - `arrivals < parties` while anyone is queued; the arrival that reaches `parties` claims every
//!   queued waiter with its index.

use std::sync::{Arc, Mutex};

use pyo3::prelude::*;

use super::{Side, WaitSource};
use crate::common::base::outcome::Resume;
use crate::common::base::util::lock;
use crate::common::base::waitqueue::{WaitQueue, WaiterKey};
use crate::common::run::task::{Claimed, Task, Waker};

struct BarrierState {
    arrivals: usize,
    waiters: WaitQueue<(Waker, usize)>,
}

pub struct BarrierCore {
    parties: usize,
    state: Mutex<BarrierState>,
}

/// What `arrive` did.
pub enum Arrival {
    /// Released at once with this index (the barrier tripped now or earlier).
    Passed(usize),
    Queued(WaiterKey),
}

impl BarrierCore {
    pub fn new(parties: usize) -> BarrierCore {
        BarrierCore {
            parties,
            state: Mutex::new(BarrierState {
                arrivals: 0,
                waiters: WaitQueue::new(),
            }),
        }
    }

    /// Arrivals so far.
    pub fn arrivals(&self) -> usize {
        lock(&self.state).arrivals
    }

    pub fn parties(&self) -> usize {
        self.parties
    }

    /// Records an arrival; queues `task` unless this arrival trips the barrier.
    pub fn arrive(&self, py: Python<'_>, task: &Arc<Task>) -> Arrival {
        let mut released: Vec<Claimed> = Vec::new();
        let arrival = {
            let mut state = lock(&self.state);
            let index = state.arrivals;
            state.arrivals += 1;
            if state.arrivals < self.parties {
                return Arrival::Queued(state.waiters.push((Waker::begin(task), index)));
            }
            Self::release_all(py, &mut state, &mut released);
            Arrival::Passed(index)
        };
        for claimed in released {
            claimed.schedule();
        }
        arrival
    }

    /// Records an arrival that does not wait (`Barrier.ack()`, tonio 0.6.0's name) and returns
    /// its index; if it is the one that trips the barrier, the queued waiters are released.
    pub fn ack(&self, py: Python<'_>) -> usize {
        let mut released: Vec<Claimed> = Vec::new();
        let index = {
            let mut state = lock(&self.state);
            let index = state.arrivals;
            state.arrivals += 1;
            if state.arrivals >= self.parties {
                Self::release_all(py, &mut state, &mut released);
            }
            index
        };
        for claimed in released {
            claimed.schedule();
        }
        index
    }

    /// Claims every queued waiter with its arrival index (scheduled by the caller, unlocked).
    fn release_all(py: Python<'_>, state: &mut BarrierState, released: &mut Vec<Claimed>) {
        for (waiter, waiter_index) in state.waiters.drain() {
            let Ok(value) = waiter_index.into_pyobject(py);
            released.extend(waiter.claim(Resume::Value(value.into_any().unbind())));
        }
    }
}

impl WaitSource for BarrierCore {
    fn describe(&self, _side: Side) -> &'static str {
        "Barrier.wait"
    }

    fn remove_waiter(&self, _side: Side, key: WaiterKey) {
        let removed = lock(&self.state).waiters.remove(key);
        drop(removed);
    }
}
