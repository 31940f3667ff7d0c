//! What a parcel of the simulated network does when it arrives (see `net.rs` for the model).

use super::net::{refusal_pipe, Conn, Item, NetState, SimNet, State};
use crate::common::base::time::Ticks;
use crate::common::io::net::{Address, SocketId};
use crate::common::io::readiness::Event;

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
            } => self.syn(now, client, client_addr, to),
            Item::Accepted { client, server } => self.accepted(now, client, server),
            Item::Refused { client } => {
                if let Some(socket) = self.sockets.get_mut(&client) {
                    if matches!(socket.state, State::Connecting) {
                        socket.state = State::Failed(libc::ECONNREFUSED);
                        self.event(client, READABLE);
                        self.event(client, WRITABLE);
                    }
                }
            }
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
        }
    }

    /// A connection attempt reached its destination: queue it at the listener or refuse it.
    fn syn(&mut self, now: Ticks, client: SocketId, client_addr: Address, to: Address) {
        let accepting = self.listener_for(&to).and_then(|id| {
            let socket = self.sockets.get(&id)?;
            match &socket.state {
                State::Listening { backlog, queue } if queue.len() < *backlog => {
                    Some((id, socket.family))
                }
                _ => None,
            }
        });
        let Some((listener, family)) = accepting else {
            self.send_item(
                now,
                refusal_pipe(client),
                &to,
                &client_addr,
                Item::Refused { client },
            );
            return;
        };
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

    /// The client learns its attempt was accepted (or, if it gave up meanwhile, resets it).
    fn accepted(&mut self, now: Ticks, client: SocketId, server: SocketId) {
        let server_addr = self.local_of(server);
        match self.sockets.get_mut(&client) {
            Some(socket) if matches!(socket.state, State::Connecting) => {
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

    /// The connection of `to` was reset: every operation fails with `ECONNRESET` once, and the
    /// window no longer matters.
    pub fn reset_arrived(&mut self, to: SocketId) {
        if let Some(State::Connected(conn)) = self.sockets.get_mut(&to).map(|s| &mut s.state) {
            if !conn.reset {
                conn.reset = true;
                self.event(to, CLOSED);
            }
        }
    }
}
