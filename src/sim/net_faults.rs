//! Faults of the simulated network, applied from inside a run (`tonio.sim.network()`):
//! partitions, link settings and connection resets between two hosts. Each is applied at the
//! step of the task that asks for it, so it is part of the schedule and replays with it.

use super::hosts::{host_of, host_of_ip, HostId};
use super::net::{NetState, SimNet, State};
use crate::common::base::time::Ticks;

impl SimNet {
    /// The host of an IP address or name, or a message naming the unknown one.
    pub fn host(&self, name: &str) -> Result<HostId, String> {
        self.resolve_name(name).map(host_of_ip).ok_or_else(|| {
            format!("unknown host {name:?}: not an IP address nor a name of the network")
        })
    }

    /// Traffic between `a` and `b` stalls until healed.
    pub fn partition(&self, a: HostId, b: HostId) {
        self.with_state(|state, _| state.wire.partition(a, b));
    }

    /// Heals the partition between `a` and `b`, or every partition; what waited is delivered.
    pub fn heal(&self, between: Option<(HostId, HostId)>) {
        self.with_state(|state, now| state.wire.heal(now, between));
    }

    pub fn set_link(&self, a: HostId, b: HostId, latency: Option<Ticks>, jitter: Option<Ticks>) {
        self.with_state(|state, _| state.wire.set_link(a, b, latency, jitter));
    }

    /// Resets every open connection between `a` and `b`: both ends get `ECONNRESET`, and what
    /// was in flight between them is lost. Returns how many connection ends were reset.
    pub fn reset_between(&self, a: HostId, b: HostId) -> usize {
        self.with_state(|state, _| state.reset_between(a, b))
    }
}

impl NetState {
    fn reset_between(&mut self, a: HostId, b: HostId) -> usize {
        let ends: Vec<u64> = self
            .sockets
            .iter()
            .filter_map(|(&id, socket)| {
                let State::Connected(conn) = &socket.state else {
                    return None;
                };
                let local = socket
                    .local
                    .as_ref()
                    .map_or(super::hosts::LOCAL_HOST, host_of);
                let peer = host_of(&conn.peer_addr);
                let between = (local == a && peer == b) || (local == b && peer == a);
                (between && !conn.reset).then_some(id)
            })
            .collect();
        self.wire.discard(|parcel| ends.contains(&parcel.pipe));
        for &id in &ends {
            self.reset_arrived(id);
        }
        ends.len()
    }
}
