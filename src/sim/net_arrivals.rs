//! What a parcel of the simulated network does when it arrives (see `net.rs` for the model).

use super::hosts::host_of;
use super::net::{refusal_pipe, Conn, Item, NetState, SimNet, State};
use crate::common::base::time::Ticks;
use crate::common::io::net::{Address, SocketId};
use crate::common::io::readiness::Event;

/// Linux's first SYN retransmission timeout, in ticks, and how many retransmissions it makes
/// (`tcp_syn_retries`).
const SYN_TIMEOUT: Ticks = 1_000_000;
const SYN_RETRIES: u32 = 6;

const READABLE: Event = Event {
    readable: true,
    writable: false,
    read_closed: false,
    write_closed: false,
};
const WRITABLE: Event = Event {
    readable: false,
    writable: true,
    read_closed: false,
    write_closed: false,
};
const CLOSED: Event = Event {
    readable: true,
    writable: true,
    read_closed: true,
    write_closed: true,
};

impl SimNet {
    /// Delivers every parcel due by `now` (the clock was just moved there). Returns how many
    /// arrived.
    pub fn deliver_due(&self) -> usize {
        self.with_state(|state, now| {
            let mut arrived = 0;
            while let Some(parcel) = state.wire.pop_due(now) {
                arrived += 1;
                state.arrive(now, parcel.pipe, parcel.item);
            }
            arrived
        })
    }
}

impl NetState {
    fn arrive(&mut self, now: Ticks, pipe: u64, item: Item) {
        match item {
            Item::Syn {
                client,
                client_addr,
                to,
                attempt,
            } => self.syn(now, client, client_addr, to, attempt),
            Item::Accepted { client, server } => self.accepted(now, client, server),
            Item::Refused { client, error } => self.connect_failed(client, error),
            Item::Data { to, bytes } => self.data(now, pipe, to, bytes),
            Item::Fin { to } => {
                if let Some(State::Connected(conn)) =
                    self.sockets.get_mut(&to).map(|s| &mut s.state)
                {
                    conn.eof = true;
                    self.event(
                        to,
                        Event {
                            readable: true,
                            read_closed: true,
                            ..Event::default()
                        },
                    );
                }
            }
            Item::Reset { to } => self.reset_arrived(to),
            Item::Datagram { to, from, bytes } => self.datagram_arrived(&to, from, bytes),
        }
    }

    /// A connection attempt reached its destination: queue it at the listener, drop it (a full
    /// queue: the client sends it again later) or refuse it.
    fn syn(
        &mut self,
        now: Ticks,
        client: SocketId,
        client_addr: Address,
        to: Address,
        attempt: u32,
    ) {
        let still_trying = matches!(
            self.sockets.get(&client).map(|s| &s.state),
            Some(State::Connecting { .. })
        );
        if attempt > 0 && !still_trying {
            return; // a retransmission of an attempt the client gave up
        }
        let listening = self.listener_for(&to).and_then(|id| {
            let socket = self.sockets.get(&id)?;
            match &socket.state {
                State::Listening { backlog, queue } => {
                    Some((id, socket.family, queue.len() > *backlog))
                }
                _ => None,
            }
        });
        let Some((listener, family, full)) = listening else {
            let refused = Item::Refused {
                client,
                error: libc::ECONNREFUSED,
            };
            self.send_item(now, refusal_pipe(client), &to, &client_addr, refused);
            return;
        };
        if full {
            self.syn_dropped(now, client, client_addr, to, attempt);
            return;
        }
        let conn = Conn::new(client, client_addr.clone());
        let server = self.new_socket(family, Some(to.clone()), State::Connected(conn));
        if let Some(State::Listening { queue, .. }) =
            self.sockets.get_mut(&listener).map(|s| &mut s.state)
        {
            queue.push_back((server, client_addr.clone()));
        }
        self.event(listener, READABLE);
        self.send_item(
            now,
            server,
            &to,
            &client_addr,
            Item::Accepted { client, server },
        );
    }

    /// A full queue dropped attempt `attempt` of `client`: it arrives again as Linux's SYN
    /// retransmission would (`SYN_RETRIES` times, 1, 2, 4, ... s apart), then the client gives
    /// up with `ETIMEDOUT`.
    fn syn_dropped(
        &mut self,
        now: Ticks,
        client: SocketId,
        client_addr: Address,
        to: Address,
        attempt: u32,
    ) {
        let (from_host, to_host) = (host_of(&client_addr), host_of(&to));
        let latency = self.wire.latency(from_host, to_host);
        let wait = SYN_TIMEOUT << attempt;
        if attempt < SYN_RETRIES {
            let again = Item::Syn {
                client,
                client_addr,
                to,
                attempt: attempt + 1,
            };
            let extra = wait.saturating_sub(latency);
            self.wire
                .send_after(now, extra, client, from_host, to_host, again);
        } else {
            let timed_out = Item::Refused {
                client,
                error: libc::ETIMEDOUT,
            };
            let extra = wait.saturating_sub(latency);
            self.wire.send_after(
                now,
                extra,
                refusal_pipe(client),
                to_host,
                from_host,
                timed_out,
            );
        }
    }

    /// The client learns its attempt was accepted (or, if it gave up meanwhile, resets it).
    fn accepted(&mut self, now: Ticks, client: SocketId, server: SocketId) {
        let server_addr = self.local_of(server);
        match self.sockets.get_mut(&client) {
            Some(socket) if matches!(socket.state, State::Connecting { .. }) => {
                socket.state = State::Connected(Conn::new(server, server_addr));
                self.event(client, WRITABLE);
            }
            _ => {
                let from = self.local_of(client);
                self.reset_peer(now, client, &from, server);
            }
        }
    }

    /// Bytes arrive at `to` from the socket whose pipe this is; a socket that is gone answers
    /// with a reset.
    fn data(&mut self, now: Ticks, from: u64, to: SocketId, bytes: Vec<u8>) {
        match self.sockets.get_mut(&to).map(|s| &mut s.state) {
            Some(State::Connected(conn)) if !conn.reset => {
                conn.received.extend(bytes);
                self.event(to, READABLE);
            }
            Some(State::Connected(_)) => {}
            _ => {
                let from_addr = self.local_of(from);
                let gone_addr = match self.sockets.get(&from).map(|s| &s.state) {
                    Some(State::Connected(conn)) => conn.peer_addr.clone(),
                    _ => Address::UnixUnnamed,
                };
                self.send_item(now, to, &gone_addr, &from_addr, Item::Reset { to: from });
            }
        }
    }

    /// The connection attempt of `client` failed with `error` (if it is still under way).
    pub fn connect_failed(&mut self, client: SocketId, error: i32) {
        if let Some(socket) = self.sockets.get_mut(&client) {
            if matches!(socket.state, State::Connecting { .. }) {
                socket.state = State::Failed(error);
                self.event(client, READABLE);
                self.event(client, WRITABLE);
            }
        }
    }

    /// The connection of `to` was reset: every operation fails with `ECONNRESET` once, and the
    /// window no longer matters.
    pub fn reset_arrived(&mut self, to: SocketId) {
        if let Some(State::Connected(conn)) = self.sockets.get_mut(&to).map(|s| &mut s.state) {
            if !conn.reset {
                conn.reset = true;
                if conn.eof {
                    conn.reset_error = libc::EPIPE;
                }
                self.event(to, CLOSED);
            }
        }
    }
}
