//! `SimNet`: the `Net` contract (see `common/net.rs`) implemented in memory, in virtual time.
//!
//! TCP and Unix stream sockets: listeners with a backlog, connect/accept, send/recv,
//! half-close, reset, names and addresses. Nothing touches the OS. What one end sends travels
//! on the [`Wire`](super::wire) and arrives after the link's latency (plus seeded jitter),
//! possibly cut into several pieces; what arrives is buffered at the receiving end until read,
//! so consecutive sends may be read as one. The socket calls are in `net_calls.rs`, the data
//! path of a connection in `net_streams.rs`, what each parcel does when it arrives in
//! `net_arrivals.rs`, partitions, link settings and resets in `net_faults.rs`.
//!
//! # Model (and where it is simpler than TCP)
//! - Connecting takes one trip to the listener and one back. A connection nobody listens for is
//!   refused (`ECONNREFUSED`) after that round trip. A Unix path nobody ever bound fails at
//!   once (`ENOENT`); a path whose socket was closed stays (as its file would) and refuses.
//! - A listener's queue holds `backlog + 1` connections not yet accepted, as Linux's does; an
//!   attempt beyond it is dropped and the client sends it again 1, 2, 4, ... 32 s later, as
//!   Linux's SYN retransmissions do; after the sixth it gives up (`ETIMEDOUT`, 127 s after it
//!   began).
//! - A sender may have at most `WINDOW` bytes that its peer has not read yet; beyond that a
//!   send would block. The window reopens as soon as the peer reads (no ACK latency).
//! - Closing a socket with unread data resets the connection (`ECONNRESET` at the peer), as
//!   Linux does; otherwise the peer reads the end of stream after the data. Data that arrives
//!   for a closed socket is answered with a reset. A reset that arrives after the peer's end
//!   of stream makes sends fail with `EPIPE` and reads return the end of stream (Linux's
//!   `CLOSE_WAIT`); before it, both fail once with `ECONNRESET`.
//! - Datagram sockets are not simulated (opening one fails with a clear `OSError`).
//!
//! # Invariants
//! - Every change that can unblock an operation records a readiness event on the socket (see
//!   `common/readiness.rs`) after the state changed; the tasks it wakes are woken after the
//!   network's lock is released.
//! - Socket ids, ephemeral ports and pipe ids come from counters; maps are ordered: a run stays
//!   a function of its seed.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use super::hosts::{host_of, Hosts};
pub use super::net_datagrams::Datagrams;
use super::wire::{LinkSettings, Wire};
use crate::common::base::time::Ticks;
use crate::common::base::util::lock;
use crate::common::io::net::{bad_socket, Address, Family, Kind, SocketId};
use crate::common::io::readiness::ReadyWaiter;
use crate::common::io::readiness::{Event, Readiness};

/// The most bytes a sender may have sent that its peer has not read.
pub const WINDOW: usize = 256 * 1024;
const FIRST_EPHEMERAL_PORT: u16 = 40_000;
/// One send in this many is cut into pieces.
pub const SPLIT_ONE_IN: u64 = 4;
/// Pipe ids above this carry a listener's refusals (below: a socket's own traffic).
const REFUSAL_PIPES: u64 = 1 << 62;

/// Something travelling on the wire.
pub enum Item {
    /// A connection attempt from `client` (bound to `client_addr`) to `to`.
    Syn {
        client: SocketId,
        client_addr: Address,
        to: Address,
        /// 0 for the first, then the retransmission's number.
        attempt: u32,
    },
    /// The listener took the attempt: `server` is the accepted end.
    Accepted {
        client: SocketId,
        server: SocketId,
    },
    /// The attempt failed (`error`: `ECONNREFUSED`, or `ETIMEDOUT` after the retransmissions).
    Refused {
        client: SocketId,
        error: i32,
    },
    Data {
        to: SocketId,
        bytes: Vec<u8>,
    },
    Fin {
        to: SocketId,
    },
    Reset {
        to: SocketId,
    },
    /// A datagram for whatever socket is bound to `to` (`net_datagrams.rs`).
    Datagram {
        to: Address,
        from: Address,
        bytes: Vec<u8>,
    },
}

/// One end of an established connection.
pub struct Conn {
    pub peer: SocketId,
    pub peer_addr: Address,
    /// Arrived, not read yet.
    pub received: VecDeque<u8>,
    /// Sent by this end, not read by the peer yet (bounded by `WINDOW`).
    pub unread_by_peer: usize,
    /// The peer's end of stream arrived.
    pub eof: bool,
    /// The connection was reset; `reset_reported` once an operation raised `reset_error`.
    pub reset: bool,
    pub reset_reported: bool,
    pub reset_error: i32,
    pub read_shut: bool,
    pub write_shut: bool,
}

impl Conn {
    pub fn new(peer: SocketId, peer_addr: Address) -> Conn {
        Conn {
            peer,
            peer_addr,
            received: VecDeque::new(),
            unread_by_peer: 0,
            eof: false,
            reset: false,
            reset_reported: false,
            reset_error: libc::ECONNRESET,
            read_shut: false,
            write_shut: false,
        }
    }
}

pub enum State {
    Idle,
    Listening {
        backlog: usize,
        queue: VecDeque<(SocketId, Address)>,
    },
    /// A connection attempt to `to` is under way.
    Connecting {
        to: Address,
    },
    Failed(i32),
    Connected(Conn),
    /// A datagram socket (`net_datagrams.rs`).
    Datagram(Datagrams),
}

pub struct SimSocket {
    pub family: Family,
    pub kind: Kind,
    pub readiness: Arc<Readiness>,
    pub local: Option<Address>,
    pub state: State,
    pub options: BTreeMap<(i32, i32), i32>,
}

/// What a bound socket holds (UDP and TCP ports are apart: `datagram`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum BoundKey {
    Inet(IpAddr, u16, bool),
    Unix(PathBuf),
}

pub struct NetState {
    pub sockets: BTreeMap<SocketId, SimSocket>,
    pub bound: BTreeMap<BoundKey, SocketId>,
    /// Every Unix path ever bound in the run (the socket files a real bind leaves behind).
    pub unix_files: BTreeSet<PathBuf>,
    pub hosts: Hosts,
    pub wire: Wire<Item>,
    next_id: SocketId,
    next_port: u16,
    /// Readiness events to record once the state is consistent, and the tasks to wake after
    /// the lock is released.
    pub events: Vec<(Arc<Readiness>, Event)>,
}

pub struct SimNet {
    state: Mutex<NetState>,
    clock: Arc<AtomicU64>,
}

pub fn errno(code: i32) -> io::Error {
    io::Error::from_raw_os_error(code)
}

/// The error of an operation that would block, with the errno a socket gives (`EAGAIN`), so
/// that `MSG_DONTWAIT` callers get `BlockingIOError` as from an OS socket.
pub fn would_block() -> io::Error {
    errno(libc::EAGAIN)
}

fn key_of(address: &Address, datagram: bool) -> Option<BoundKey> {
    match address {
        Address::Inet(addr) => Some(BoundKey::Inet(addr.ip(), addr.port(), datagram)),
        Address::Unix(path) => Some(BoundKey::Unix(path.clone())),
        Address::UnixUnnamed => None,
    }
}

impl NetState {
    pub fn socket(&mut self, id: SocketId) -> io::Result<&mut SimSocket> {
        self.sockets.get_mut(&id).ok_or_else(bad_socket)
    }

    pub fn event(&mut self, id: SocketId, event: Event) {
        if let Some(socket) = self.sockets.get(&id) {
            self.events.push((socket.readiness.clone(), event));
        }
    }

    /// A fresh socket id (ids also name pipes: they stay below `REFUSAL_PIPES`).
    pub fn new_socket(&mut self, family: Family, local: Option<Address>, state: State) -> SocketId {
        self.next_id += 1;
        let id = self.next_id;
        let kind = match state {
            State::Datagram(_) => Kind::Datagram,
            _ => Kind::Stream,
        };
        self.sockets.insert(
            id,
            SimSocket {
                family,
                kind,
                readiness: Arc::new(Readiness::default()),
                local,
                state,
                options: BTreeMap::new(),
            },
        );
        id
    }

    /// Two Unix stream sockets connected to each other (`socketpair()`).
    pub fn connected_pair(&mut self) -> (SocketId, SocketId) {
        let unnamed = || Some(Address::UnixUnnamed);
        let a = self.new_socket(Family::Unix, unnamed(), State::Idle);
        let b = self.new_socket(Family::Unix, unnamed(), State::Idle);
        if let Some(socket) = self.sockets.get_mut(&a) {
            socket.state = State::Connected(Conn::new(b, Address::UnixUnnamed));
        }
        if let Some(socket) = self.sockets.get_mut(&b) {
            socket.state = State::Connected(Conn::new(a, Address::UnixUnnamed));
        }
        (a, b)
    }

    /// Whether `ip:port` is taken (the same IP version, the same port, and either address the
    /// unspecified one or both equal).
    fn in_use(&self, ip: IpAddr, port: u16, datagram: bool) -> bool {
        self.bound.keys().any(|key| match key {
            BoundKey::Inet(other, other_port, other_datagram) => {
                *other_port == port
                    && *other_datagram == datagram
                    && other.is_ipv4() == ip.is_ipv4()
                    && (*other == ip || other.is_unspecified() || ip.is_unspecified())
            }
            BoundKey::Unix(_) => false,
        })
    }

    fn ephemeral_port(&mut self, ip: IpAddr, datagram: bool) -> io::Result<u16> {
        for _ in 0..=(u16::MAX - FIRST_EPHEMERAL_PORT) {
            let port = self.next_port;
            self.next_port = if port == u16::MAX {
                FIRST_EPHEMERAL_PORT
            } else {
                port + 1
            };
            if !self.in_use(ip, port, datagram) {
                return Ok(port);
            }
        }
        Err(errno(libc::EADDRNOTAVAIL))
    }

    pub fn bind_to(&mut self, id: SocketId, address: Address) -> io::Result<()> {
        let datagram = self.socket(id)?.kind == Kind::Datagram;
        let address = match address {
            Address::Inet(addr) if addr.port() == 0 => {
                let port = self.ephemeral_port(addr.ip(), datagram)?;
                Address::Inet(SocketAddr::new(addr.ip(), port))
            }
            Address::Inet(addr) if self.in_use(addr.ip(), addr.port(), datagram) => {
                return Err(errno(libc::EADDRINUSE))
            }
            Address::Unix(path) if self.bound.contains_key(&BoundKey::Unix(path.clone())) => {
                return Err(errno(libc::EADDRINUSE))
            }
            Address::Unix(path) => {
                self.unix_files.insert(path.clone());
                Address::Unix(path)
            }
            other => other,
        };
        if let Some(key) = key_of(&address, datagram) {
            self.bound.insert(key, id);
        }
        self.socket(id)?.local = Some(address);
        Ok(())
    }

    /// Binds an unbound socket to an ephemeral address on the local host.
    pub fn autobind(&mut self, id: SocketId) -> io::Result<Address> {
        let socket = self.socket(id)?;
        if let Some(local) = &socket.local {
            return Ok(local.clone());
        }
        let address = match socket.family {
            Family::Inet => Address::Inet(SocketAddr::new(Ipv4Addr::LOCALHOST.into(), 0)),
            Family::Inet6 => Address::Inet(SocketAddr::new(Ipv6Addr::LOCALHOST.into(), 0)),
            Family::Unix => Address::UnixUnnamed,
        };
        self.bind_to(id, address)?;
        Ok(self
            .socket(id)?
            .local
            .clone()
            .unwrap_or(Address::UnixUnnamed))
    }

    /// Sends `item` on `pipe` from `from`'s host to `to`'s host.
    pub fn send_item(&mut self, now: Ticks, pipe: u64, from: &Address, to: &Address, item: Item) {
        self.wire.send(now, pipe, host_of(from), host_of(to), item);
    }

    /// The local address of `id`, for routing (unbound: the local host).
    pub fn local_of(&self, id: SocketId) -> Address {
        self.sockets
            .get(&id)
            .and_then(|s| s.local.clone())
            .unwrap_or(Address::UnixUnnamed)
    }

    /// Sends a reset to `peer` from `from` (a socket that is gone or giving up).
    pub fn reset_peer(&mut self, now: Ticks, from: SocketId, from_addr: &Address, peer: SocketId) {
        let to = self.local_of(peer);
        self.send_item(now, from, from_addr, &to, Item::Reset { to: peer });
    }

    /// The listener for a connection to `to` (see `bound_socket`).
    pub fn listener_for(&self, to: &Address) -> Option<SocketId> {
        self.bound_socket(to, false)
    }

    /// The listener (`datagram`: the datagram socket) that `to` reaches: bound to exactly that
    /// address, or to the unspecified address of its IP version on the same port (when `to`
    /// is on the local host).
    pub fn bound_socket(&self, to: &Address, datagram: bool) -> Option<SocketId> {
        let wanted = |id: &SocketId| {
            self.sockets.get(id).is_some_and(|s| match s.state {
                State::Listening { .. } => !datagram,
                State::Datagram(_) => datagram,
                _ => false,
            })
        };
        let exact = key_of(to, datagram).and_then(|key| self.bound.get(&key).copied());
        if let Some(id) = exact.filter(wanted) {
            return Some(id);
        }
        let Address::Inet(addr) = to else { return None };
        if host_of(to) != super::hosts::LOCAL_HOST && !addr.ip().is_unspecified() {
            return None;
        }
        let any: IpAddr = if addr.is_ipv4() {
            Ipv4Addr::UNSPECIFIED.into()
        } else {
            Ipv6Addr::UNSPECIFIED.into()
        };
        self.bound
            .get(&BoundKey::Inet(any, addr.port(), datagram))
            .copied()
            .filter(wanted)
    }

    /// Takes the collected events: records them and returns the wakers to wake.
    fn take_wakers(&mut self) -> Vec<ReadyWaiter> {
        self.events
            .drain(..)
            .flat_map(|(readiness, event)| readiness.set_event(event))
            .collect()
    }
}

impl SimNet {
    pub fn new(
        link: LinkSettings,
        hosts: Hosts,
        rng: rand_chacha::ChaCha8Rng,
        clock: Arc<AtomicU64>,
    ) -> SimNet {
        SimNet {
            state: Mutex::new(NetState {
                sockets: BTreeMap::new(),
                bound: BTreeMap::new(),
                unix_files: BTreeSet::new(),
                hosts,
                wire: Wire::new(link, rng),
                next_id: 0,
                next_port: FIRST_EPHEMERAL_PORT,
                events: Vec::new(),
            }),
            clock,
        }
    }

    pub fn now(&self) -> Ticks {
        self.clock.load(Ordering::Acquire)
    }

    /// Runs `op` on the state, then wakes whoever its events unblocked (unlocked).
    pub fn with_state<R>(&self, op: impl FnOnce(&mut NetState, Ticks) -> R) -> R {
        let now = self.now();
        let (result, wakers) = {
            let mut state: MutexGuard<'_, NetState> = lock(&self.state);
            let result = op(&mut state, now);
            (result, state.take_wakers())
        };
        for waker in wakers {
            waker.wake();
        }
        result
    }

    /// When the next parcel arrives, if anything is in flight.
    pub fn next_arrival(&self) -> Option<Ticks> {
        lock(&self.state).wire.next_arrival()
    }

    /// The address of a host name (`None`: unknown name).
    pub fn resolve_name(&self, name: &str) -> Option<IpAddr> {
        lock(&self.state).hosts.resolve(name)
    }
}

/// The pipe a listener's refusal of `client` travels on.
pub fn refusal_pipe(client: SocketId) -> u64 {
    REFUSAL_PIPES | client
}
