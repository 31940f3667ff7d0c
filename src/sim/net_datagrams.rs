//! Datagram (UDP) sockets of the simulated network.
//!
//! A datagram socket is `State::Datagram`: what arrived for it (whole datagrams, with their
//! sender), and the peer it is connected to, if any. A datagram travels on the wire on its own
//! (`Wire::send_datagram`): the link may lose it or deliver it twice, each copy has its own
//! jitter (so datagrams reorder), and a partition drops it. As on Linux: a datagram larger
//! than 65,507 bytes is refused (`EMSGSIZE`); one that finds no socket bound to its address is
//! dropped; a connected socket keeps only what its peer sends; a receive shorter than the
//! datagram gets its start and the rest is lost; a socket queues at most `RECEIVE_BUFFER` bytes
//! and drops what comes beyond.

use std::collections::VecDeque;
use std::io;

use super::hosts::host_of;
use super::net::{errno, would_block, Item, NetState, State};
use crate::common::base::time::Ticks;
use crate::common::io::net::{Address, SocketId};
use crate::common::io::readiness::Event;

/// The largest UDP payload over IPv4.
pub const MAX_DATAGRAM: usize = 65_507;
/// Bytes a datagram socket queues before it drops what arrives (Linux's default `SO_RCVBUF`).
const RECEIVE_BUFFER: usize = 212_992;

/// A datagram socket's state.
#[derive(Default)]
pub struct Datagrams {
    pub arrived: VecDeque<(Vec<u8>, Address)>,
    queued_bytes: usize,
    pub peer: Option<Address>,
}

impl NetState {
    /// Sends `data` from datagram socket `id` to `to` (its peer when `None`).
    pub fn send_datagram(
        &mut self,
        now: Ticks,
        id: SocketId,
        data: &[u8],
        to: Option<&Address>,
    ) -> io::Result<usize> {
        let to = match (to, &self.socket(id)?.state) {
            (Some(to), State::Datagram(_)) => to.clone(),
            (None, State::Datagram(d)) => {
                d.peer.clone().ok_or_else(|| errno(libc::EDESTADDRREQ))?
            }
            _ => return Err(errno(libc::ENOTCONN)),
        };
        if data.len() > MAX_DATAGRAM {
            return Err(errno(libc::EMSGSIZE));
        }
        let from = self.autobind(id)?;
        let (from_host, to_host) = (host_of(&from), host_of(&to));
        self.wire
            .send_datagram(now, from_host, to_host, || Item::Datagram {
                to: to.clone(),
                from: from.clone(),
                bytes: data.to_vec(),
            });
        Ok(data.len())
    }

    /// Receives one datagram into `buffer` (its start if it is longer) and its sender.
    pub fn recv_datagram(
        &mut self,
        id: SocketId,
        buffer: &mut [u8],
        peek: bool,
    ) -> io::Result<(usize, Address)> {
        let State::Datagram(datagrams) = &mut self.socket(id)?.state else {
            return Err(errno(libc::ENOTCONN));
        };
        let (bytes, from) = if peek {
            datagrams.arrived.front().cloned()
        } else {
            datagrams.arrived.pop_front().inspect(|(bytes, _)| {
                datagrams.queued_bytes -= bytes.len();
            })
        }
        .ok_or_else(would_block)?;
        let n = bytes.len().min(buffer.len());
        buffer[..n].copy_from_slice(&bytes[..n]);
        Ok((n, from))
    }

    /// A datagram arrived for address `to`.
    pub fn datagram_arrived(&mut self, to: &Address, from: Address, bytes: Vec<u8>) {
        let Some(id) = self.bound_socket(to, true) else {
            return; // nobody bound there: dropped
        };
        let Some(State::Datagram(datagrams)) = self.sockets.get_mut(&id).map(|s| &mut s.state)
        else {
            return;
        };
        if datagrams.peer.as_ref().is_some_and(|peer| *peer != from)
            || datagrams.queued_bytes + bytes.len() > RECEIVE_BUFFER
        {
            return;
        }
        datagrams.queued_bytes += bytes.len();
        datagrams.arrived.push_back((bytes, from));
        self.event(
            id,
            Event {
                readable: true,
                ..Event::default()
            },
        );
    }
}
