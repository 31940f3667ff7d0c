//! Faults of the simulated network, applied from inside a run (`tonio.sim.network()`):
//! partitions, link settings and connection resets between two hosts. Each is applied at the
//! step of the task that asks for it, so it is part of the schedule and replays with it.

use super::hosts::{host_of, host_of_ip, HostId};
use super::net::{refusal_pipe, NetState, SimNet, State};
use super::wire::LinkChange;

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

    pub fn set_link(&self, a: HostId, b: HostId, change: LinkChange) {
        self.with_state(|state, _| state.wire.set_link(a, b, change));
    }

    /// Resets every connection between `a` and `b`, open or being set up: both ends get
    /// `ECONNRESET` (a connect under way fails with `ECONNREFUSED`), and what was in flight
    /// between them is lost. Returns how many connection ends were reset (2 per connection
    /// whose two ends are in the run).
    pub fn reset_between(&self, a: HostId, b: HostId) -> usize {
        self.with_state(|state, _| state.reset_between(a, b))
    }
}

impl NetState {
    /// See [`SimNet::reset_between`]. A connection being set up counts too: its server end (if
    /// the listener took it) is reset, and its client's connect fails with `ECONNREFUSED`, as a
    /// reset in `SYN_SENT` makes it on Linux.
    fn reset_between(&mut self, a: HostId, b: HostId) -> usize {
        let between =
            |local: HostId, peer: HostId| (local == a && peer == b) || (local == b && peer == a);
        let mut ends = Vec::new();
        let mut connecting = Vec::new();
        for (&id, socket) in &self.sockets {
            let local = socket
                .local
                .as_ref()
                .map_or(super::hosts::LOCAL_HOST, host_of);
            match &socket.state {
                State::Connected(conn)
                    if !conn.reset && between(local, host_of(&conn.peer_addr)) =>
                {
                    ends.push(id)
                }
                State::Connecting { to } if between(local, host_of(to)) => connecting.push(id),
                _ => {}
            }
        }
        self.wire.discard(|parcel| {
            ends.contains(&parcel.pipe)
                || connecting
                    .iter()
                    .any(|&id| parcel.pipe == id || parcel.pipe == refusal_pipe(id))
        });
        for &id in &ends {
            self.reset_arrived(id);
        }
        for &id in &connecting {
            self.connect_failed(id, libc::ECONNREFUSED);
        }
        ends.len() + connecting.len()
    }
}
