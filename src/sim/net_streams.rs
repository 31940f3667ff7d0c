//! The data path of a simulated connection: sending (cut into seeded pieces, bounded by the
//! window), the window reopening as the peer reads, half-close and close.

use std::io;

use super::hosts::host_of;
use super::net::{errno, would_block, Item, NetState, State, SPLIT_ONE_IN, WINDOW};
use crate::common::base::time::Ticks;
use crate::common::io::net::{bad_socket, Address, Shutdown, SocketId};
use crate::common::io::readiness::Event;

const READ_CLOSED: Event = Event {
    readable: true,
    writable: false,
    read_closed: true,
    write_closed: false,
};

impl NetState {
    /// The peer of `id` read `n` bytes that `id` sent: reopen `id`'s window.
    pub fn credit(&mut self, id: SocketId, n: usize) {
        let Some(socket) = self.sockets.get_mut(&id) else {
            return;
        };
        let State::Connected(conn) = &mut socket.state else {
            return;
        };
        let was_full = conn.unread_by_peer >= WINDOW;
        conn.unread_by_peer = conn.unread_by_peer.saturating_sub(n);
        if was_full && conn.unread_by_peer < WINDOW {
            self.event(
                id,
                Event {
                    writable: true,
                    ..Event::default()
                },
            );
        }
    }

    /// Sends what fits of `data` from `id` to its peer; the bytes leave in one piece or, one
    /// send in `SPLIT_ONE_IN`, in two or three (seeded), all on `id`'s pipe.
    pub fn send_data(&mut self, now: Ticks, id: SocketId, data: &[u8]) -> io::Result<usize> {
        let socket = self.sockets.get_mut(&id).ok_or_else(bad_socket)?;
        let local = socket.local.clone().unwrap_or(Address::UnixUnnamed);
        let conn = match &mut socket.state {
            State::Connected(conn) => conn,
            State::Connecting { .. } => return Err(would_block()),
            _ => return Err(errno(libc::ENOTCONN)),
        };
        if conn.reset {
            if conn.reset_reported {
                return Err(errno(libc::EPIPE));
            }
            conn.reset_reported = true;
            return Err(errno(conn.reset_error));
        }
        if conn.write_shut {
            return Err(errno(libc::EPIPE));
        }
        if data.is_empty() {
            return Ok(0);
        }
        let room = WINDOW.saturating_sub(conn.unread_by_peer);
        if room == 0 {
            return Err(would_block());
        }
        let n = data.len().min(room);
        conn.unread_by_peer += n;
        let (peer, peer_addr) = (conn.peer, conn.peer_addr.clone());
        let mut cuts = vec![0, n];
        if n > 1 && self.wire.draw(SPLIT_ONE_IN) == 0 {
            for _ in 0..=self.wire.draw(2) {
                cuts.push(1 + self.wire.draw(n as u64 - 1) as usize);
            }
            cuts.sort_unstable();
            cuts.dedup();
        }
        // Later pieces trail the first by up to a quarter of the latency, so that a reader
        // can see them apart even without jitter.
        let (from, to) = (host_of(&local), host_of(&peer_addr));
        let spread = (self.wire.latency(from, to) / 4).max(1);
        for (index, piece) in cuts.windows(2).enumerate() {
            let bytes = data[piece[0]..piece[1]].to_vec();
            let extra = if index == 0 {
                0
            } else {
                1 + self.wire.draw(spread)
            };
            let item = Item::Data { to: peer, bytes };
            self.wire.send_after(now, extra, id, from, to, item);
        }
        Ok(n)
    }

    /// `shutdown(how)` on `id`.
    pub fn shut(&mut self, now: Ticks, id: SocketId, how: Shutdown) -> io::Result<()> {
        let socket = self.sockets.get_mut(&id).ok_or_else(bad_socket)?;
        let local = socket.local.clone().unwrap_or(Address::UnixUnnamed);
        let State::Connected(conn) = &mut socket.state else {
            return Err(errno(libc::ENOTCONN));
        };
        let read = matches!(how, Shutdown::Read | Shutdown::Both);
        let write = matches!(how, Shutdown::Write | Shutdown::Both) && !conn.write_shut;
        if read {
            conn.read_shut = true;
        }
        if write {
            conn.write_shut = true;
        }
        let (peer, peer_addr) = (conn.peer, conn.peer_addr.clone());
        if read {
            self.event(id, READ_CLOSED);
        }
        if write {
            self.send_item(now, id, &local, &peer_addr, Item::Fin { to: peer });
        }
        Ok(())
    }

    /// Closes `id`: its peer reads the end of stream after the data in flight, or is reset if
    /// `id` leaves data unread; a listener resets the connections it had not accepted yet.
    pub fn close_socket(&mut self, now: Ticks, id: SocketId) -> io::Result<()> {
        let socket = self.sockets.remove(&id).ok_or_else(bad_socket)?;
        self.bound.retain(|_, holder| *holder != id);
        let local = socket.local.clone().unwrap_or(Address::UnixUnnamed);
        match socket.state {
            State::Connected(conn) if !conn.reset => {
                if !conn.received.is_empty() {
                    self.reset_peer(now, id, &local, conn.peer);
                } else if !conn.write_shut {
                    let item = Item::Fin { to: conn.peer };
                    self.send_item(now, id, &local, &conn.peer_addr, item);
                }
            }
            State::Listening { queue, .. } => {
                for (accepted, _) in queue {
                    if let Some(gone) = self.sockets.remove(&accepted) {
                        let from = gone.local.unwrap_or(Address::UnixUnnamed);
                        if let State::Connected(conn) = gone.state {
                            self.reset_peer(now, accepted, &from, conn.peer);
                        }
                    }
                }
            }
            _ => {}
        }
        self.wire.close_pipe(id);
        self.events.push((
            socket.readiness,
            Event {
                readable: true,
                writable: true,
                read_closed: true,
                write_closed: true,
            },
        ));
        Ok(())
    }
}
