//! The network as the core sees it.
//!
//! Sockets are handles owned by the platform (`SocketId`), addresses are plain data, bytes are
//! byte slices: nothing here is an OS file descriptor, so the simulated platform can provide an
//! in-memory network behind the same Python API. Every operation is non-blocking: it completes,
//! fails, or fails with `io::ErrorKind::WouldBlock`, after which the caller waits for readiness
//! with `readiness(id)` (see `readiness.rs`) and tries again.
//!
//! # What an implementation must provide
//! - the operations below, with OS-like semantics and errors (`io::Error` carrying the errno a
//!   stdlib socket would raise: `ConnectionRefused`, `AddrInUse`, `BrokenPipe`, ...);
//! - `connect` returns `WouldBlock` while the connection is in progress; the socket then becomes
//!   writable and `connect_result` reports the outcome;
//! - `close` releases every resource of the socket (registration, descriptor) and wakes its
//!   waiters; operations on a closed or unknown id fail with `EBADF`;
//! - `flags` of the send and receive calls are the OS's `MSG_*` bits as the stdlib passes them.
//!   An implementation honours `MSG_PEEK` (read without consuming) and fails flags it does not
//!   support with the OS's error for them (`EINVAL`, `EOPNOTSUPP`). `MSG_DONTWAIT` asks nothing
//!   of it (every operation is non-blocking; the core decides not to wait). A send never raises
//!   `SIGPIPE`: a closed peer is `EPIPE`.

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use crate::common::io::readiness::Readiness;

/// A socket owned by the platform.
pub type SocketId = u64;

/// A socket address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Address {
    Inet(SocketAddr),
    /// A Unix socket path; on Linux a name starting with a NUL byte is an abstract name (no
    /// file), exactly as in `sockaddr_un.sun_path`.
    Unix(PathBuf),
    /// An unnamed Unix socket (e.g. the client end of a connection).
    UnixUnnamed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Inet,
    Inet6,
    Unix,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Stream,
    Datagram,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shutdown {
    Read,
    Write,
    Both,
}

/// The error for an unknown or closed socket id.
pub fn bad_socket() -> io::Error {
    io::Error::from_raw_os_error(libc_ebadf())
}

const fn libc_ebadf() -> i32 {
    9 // EBADF on Linux and the BSDs
}

pub trait Net: Send + Sync {
    fn open(&self, family: Family, kind: Kind, protocol: i32) -> io::Result<SocketId>;
    fn bind(&self, id: SocketId, address: &Address) -> io::Result<()>;
    fn listen(&self, id: SocketId, backlog: i32) -> io::Result<()>;
    /// Starts a connection; `WouldBlock` while it is in progress.
    fn connect(&self, id: SocketId, address: &Address) -> io::Result<()>;
    /// The outcome of a connection in progress, once the socket is writable.
    fn connect_result(&self, id: SocketId) -> io::Result<()>;
    fn accept(&self, id: SocketId) -> io::Result<(SocketId, Address)>;
    fn recv(&self, id: SocketId, buffer: &mut [u8], flags: i32) -> io::Result<usize>;
    fn recv_from(
        &self,
        id: SocketId,
        buffer: &mut [u8],
        flags: i32,
    ) -> io::Result<(usize, Address)>;
    fn send(&self, id: SocketId, data: &[u8], flags: i32) -> io::Result<usize>;
    fn send_to(
        &self,
        id: SocketId,
        data: &[u8],
        address: &Address,
        flags: i32,
    ) -> io::Result<usize>;
    fn shutdown(&self, id: SocketId, how: Shutdown) -> io::Result<()>;
    fn close(&self, id: SocketId) -> io::Result<()>;
    fn local_addr(&self, id: SocketId) -> io::Result<Address>;
    fn peer_addr(&self, id: SocketId) -> io::Result<Address>;
    fn set_option(&self, id: SocketId, level: i32, name: i32, value: i32) -> io::Result<()>;
    fn get_option(&self, id: SocketId, level: i32, name: i32) -> io::Result<i32>;
    /// The OS descriptor, where there is one (`fileno()`); `None` on the simulated network.
    fn fileno(&self, id: SocketId) -> io::Result<Option<i64>>;
    /// The readiness tracker of a socket.
    fn readiness(&self, id: SocketId) -> io::Result<Arc<Readiness>>;
    /// Adopts an open OS socket descriptor, which the network then owns (closes); also returns
    /// its family, kind and protocol. Networks without descriptors refuse (`Unsupported`).
    fn adopt_descriptor(&self, _fd: i64) -> io::Result<(SocketId, Family, Kind, i32)> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "this network has no OS descriptors to adopt (the simulated network: create sockets \
             with tonio, or socketpair())",
        ))
    }
    /// A pair of connected sockets (`socketpair()`).
    fn pair(&self, family: Family, kind: Kind) -> io::Result<(SocketId, SocketId)>;
    /// Resolves a host name in this network: `None` when names are the OS resolver's business
    /// (the real network), `Some(None)` for a name this network does not know.
    fn resolve(&self, _name: &str) -> Option<Option<std::net::IpAddr>> {
        None
    }
}
