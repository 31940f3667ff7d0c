//! `impl Net for SimNet`: the socket calls of the simulated network, with the errors a Linux
//! socket gives for the same misuse. The model is described in `net.rs`.

use std::collections::VecDeque;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use super::net::{errno, would_block, Datagrams, Item, SimNet, State};
use crate::common::io::net::{Address, Family, Kind, Net, Shutdown, SocketId};
use crate::common::io::readiness::Readiness;

fn check_flags(flags: i32, allowed: i32) -> io::Result<()> {
    if flags & libc::MSG_OOB != 0 {
        return Err(errno(libc::EINVAL));
    }
    if flags & !allowed != 0 {
        return Err(errno(libc::EOPNOTSUPP));
    }
    Ok(())
}

const RECV_FLAGS: i32 =
    libc::MSG_PEEK | libc::MSG_DONTWAIT | libc::MSG_WAITALL | libc::MSG_NOSIGNAL;
const SEND_FLAGS: i32 = libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL;

impl Net for SimNet {
    fn open(&self, family: Family, kind: Kind, _protocol: i32) -> io::Result<SocketId> {
        let state = match (kind, family) {
            (Kind::Stream, _) => State::Idle,
            (Kind::Datagram, Family::Unix) => {
                return Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    "Unix datagram sockets are not simulated: the simulated network carries \
                     TCP and UDP, and Unix stream sockets",
                ))
            }
            (Kind::Datagram, _) => State::Datagram(Datagrams::default()),
        };
        self.with_state(|state_, _| Ok(state_.new_socket(family, None, state)))
    }

    fn bind(&self, id: SocketId, address: &Address) -> io::Result<()> {
        self.with_state(|state, _| {
            let socket = state.socket(id)?;
            if socket.local.is_some() || !matches!(socket.state, State::Idle | State::Datagram(_)) {
                return Err(errno(libc::EINVAL));
            }
            state.bind_to(id, address.clone())
        })
    }

    fn listen(&self, id: SocketId, backlog: i32) -> io::Result<()> {
        self.with_state(|state, _| {
            if matches!(state.socket(id)?.family, Family::Unix) && state.socket(id)?.local.is_none()
            {
                return Err(errno(libc::EINVAL));
            }
            state.autobind(id)?;
            let socket = state.socket(id)?;
            if let State::Datagram(_) = socket.state {
                return Err(errno(libc::EOPNOTSUPP));
            }
            let backlog = backlog.clamp(1, 4096) as usize;
            match &mut socket.state {
                State::Idle => {
                    socket.state = State::Listening {
                        backlog,
                        queue: VecDeque::new(),
                    }
                }
                State::Listening {
                    backlog: current, ..
                } => *current = backlog,
                _ => return Err(errno(libc::EINVAL)),
            }
            Ok(())
        })
    }

    fn connect(&self, id: SocketId, address: &Address) -> io::Result<()> {
        self.with_state(|state, now| {
            if let Address::Unix(path) = address {
                if !state.unix_files.contains(path) {
                    return Err(errno(libc::ENOENT));
                }
            }
            if let State::Datagram(_) = state.socket(id)?.state {
                state.autobind(id)?;
                if let State::Datagram(datagrams) = &mut state.socket(id)?.state {
                    datagrams.peer = Some(address.clone());
                }
                return Ok(());
            }
            match state.socket(id)?.state {
                State::Datagram(_) => return Err(errno(libc::EINVAL)),
                State::Connecting { .. } => return Err(errno(libc::EALREADY)),
                State::Connected(_) => return Err(errno(libc::EISCONN)),
                State::Listening { .. } => return Err(errno(libc::EINVAL)),
                State::Idle | State::Failed(_) => {}
            }
            let local = state.autobind(id)?;
            let item = Item::Syn {
                client: id,
                client_addr: local.clone(),
                to: address.clone(),
                attempt: 0,
            };
            state.send_item(now, id, &local, address, item);
            state.socket(id)?.state = State::Connecting {
                to: address.clone(),
            };
            Err(would_block())
        })
    }

    fn connect_result(&self, id: SocketId) -> io::Result<()> {
        self.with_state(|state, _| match state.socket(id)?.state {
            State::Connected(_) => Ok(()),
            State::Datagram(ref datagrams) if datagrams.peer.is_some() => Ok(()),
            State::Connecting { .. } => Err(would_block()),
            State::Failed(code) => Err(errno(code)),
            _ => Err(errno(libc::ENOTCONN)),
        })
    }

    fn accept(&self, id: SocketId) -> io::Result<(SocketId, Address)> {
        self.with_state(|state, _| match &mut state.socket(id)?.state {
            State::Listening { queue, .. } => queue.pop_front().ok_or_else(would_block),
            _ => Err(errno(libc::EINVAL)),
        })
    }

    fn recv(&self, id: SocketId, buffer: &mut [u8], flags: i32) -> io::Result<usize> {
        check_flags(flags, RECV_FLAGS)?;
        self.with_state(|state, _| {
            if let State::Datagram(_) = state.socket(id)?.state {
                let peek = flags & libc::MSG_PEEK != 0;
                return state.recv_datagram(id, buffer, peek).map(|(n, _)| n);
            }
            let State::Connected(conn) = &mut state.socket(id)?.state else {
                return Err(errno(libc::ENOTCONN));
            };
            if buffer.is_empty() {
                return Ok(0);
            }
            if !conn.received.is_empty() && !conn.read_shut {
                let n = buffer.len().min(conn.received.len());
                for (slot, byte) in buffer.iter_mut().zip(conn.received.iter()) {
                    *slot = *byte;
                }
                if flags & libc::MSG_PEEK == 0 {
                    conn.received.drain(..n);
                    let peer = conn.peer;
                    state.credit(peer, n);
                }
                return Ok(n);
            }
            if conn.reset && !conn.reset_reported && !conn.eof {
                conn.reset_reported = true;
                return Err(errno(conn.reset_error));
            }
            if conn.eof || conn.read_shut || conn.reset {
                return Ok(0);
            }
            Err(would_block())
        })
    }

    fn recv_from(
        &self,
        id: SocketId,
        buffer: &mut [u8],
        flags: i32,
    ) -> io::Result<(usize, Address)> {
        check_flags(flags, RECV_FLAGS)?;
        let peek = flags & libc::MSG_PEEK != 0;
        let datagram = self.with_state(|state, _| match state.socket(id)?.state {
            State::Datagram(_) => state.recv_datagram(id, buffer, peek).map(Some),
            _ => Ok(None),
        })?;
        if let Some(received) = datagram {
            return Ok(received);
        }
        let n = self.recv(id, buffer, flags)?;
        let peer = self.peer_addr(id).unwrap_or(Address::UnixUnnamed);
        Ok((n, peer))
    }

    fn send(&self, id: SocketId, data: &[u8], flags: i32) -> io::Result<usize> {
        check_flags(flags, SEND_FLAGS)?;
        self.with_state(|state, now| match state.socket(id)?.state {
            State::Datagram(_) => state.send_datagram(now, id, data, None),
            _ => state.send_data(now, id, data),
        })
    }

    fn send_to(
        &self,
        id: SocketId,
        data: &[u8],
        address: &Address,
        flags: i32,
    ) -> io::Result<usize> {
        check_flags(flags, SEND_FLAGS)?;
        self.with_state(|state, now| match state.socket(id)?.state {
            State::Datagram(_) => state.send_datagram(now, id, data, Some(address)),
            State::Connected(_) => Err(errno(libc::EISCONN)),
            _ => Err(errno(libc::ENOTCONN)),
        })
    }

    fn shutdown(&self, id: SocketId, how: Shutdown) -> io::Result<()> {
        self.with_state(|state, now| state.shut(now, id, how))
    }

    fn close(&self, id: SocketId) -> io::Result<()> {
        self.with_state(|state, now| state.close_socket(now, id))
    }

    fn local_addr(&self, id: SocketId) -> io::Result<Address> {
        self.with_state(|state, _| {
            let socket = state.socket(id)?;
            Ok(socket.local.clone().unwrap_or(match socket.family {
                Family::Inet => Address::Inet(SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), 0)),
                Family::Inet6 => Address::Inet(SocketAddr::new(Ipv6Addr::UNSPECIFIED.into(), 0)),
                Family::Unix => Address::UnixUnnamed,
            }))
        })
    }

    fn peer_addr(&self, id: SocketId) -> io::Result<Address> {
        self.with_state(|state, _| match &state.socket(id)?.state {
            State::Connected(conn) => Ok(conn.peer_addr.clone()),
            State::Datagram(datagrams) => {
                datagrams.peer.clone().ok_or_else(|| errno(libc::ENOTCONN))
            }
            _ => Err(errno(libc::ENOTCONN)),
        })
    }

    fn set_option(&self, id: SocketId, level: i32, name: i32, value: i32) -> io::Result<()> {
        self.with_state(|state, _| {
            state.socket(id)?.options.insert((level, name), value);
            Ok(())
        })
    }

    fn get_option(&self, id: SocketId, level: i32, name: i32) -> io::Result<i32> {
        self.with_state(|state, _| {
            let socket = state.socket(id)?;
            Ok(match (level, name) {
                (libc::SOL_SOCKET, libc::SO_ERROR) => match socket.state {
                    State::Failed(code) => code,
                    _ => 0,
                },
                (libc::SOL_SOCKET, libc::SO_TYPE) => match socket.kind {
                    Kind::Stream => libc::SOCK_STREAM,
                    Kind::Datagram => libc::SOCK_DGRAM,
                },
                (libc::SOL_SOCKET, libc::SO_ACCEPTCONN) => {
                    i32::from(matches!(socket.state, State::Listening { .. }))
                }
                key => socket.options.get(&key).copied().unwrap_or(0),
            })
        })
    }

    fn fileno(&self, id: SocketId) -> io::Result<Option<i64>> {
        self.with_state(|state, _| state.socket(id).map(|_| None))
    }

    fn readiness(&self, id: SocketId) -> io::Result<Arc<Readiness>> {
        self.with_state(|state, _| Ok(state.socket(id)?.readiness.clone()))
    }

    fn pair(&self, family: Family, kind: Kind) -> io::Result<(SocketId, SocketId)> {
        if family != Family::Unix || kind != Kind::Stream {
            return Err(errno(libc::EOPNOTSUPP));
        }
        self.with_state(|state, _| Ok(state.connected_pair()))
    }

    fn resolve(&self, name: &str) -> Option<Option<IpAddr>> {
        Some(self.resolve_name(name))
    }
}
