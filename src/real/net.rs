//! `RealNet`: the `Net` interface on OS sockets (socket2), registered with the reactor.
//!
//! Socket ids double as reactor tokens (ids start at 1; token 0 is the reactor's waker). A
//! socket is registered once when created or accepted and deregistered when closed; closing
//! wakes its waiters so they retry and see `EBADF`.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io;
use std::mem::MaybeUninit;
use std::net::Shutdown as StdShutdown;
use std::os::fd::AsRawFd;
use std::os::fd::FromRawFd;
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use super::reactor::Reactor;
use crate::common::base::util::lock;
use crate::common::io::net::{bad_socket, Address, Family, Kind, Net, Shutdown, SocketId};
use crate::common::io::readiness::Readiness;

struct NetSocket {
    socket: Socket,
    readiness: Arc<Readiness>,
}

pub struct RealNet {
    reactor: Arc<Reactor>,
    sockets: Mutex<BTreeMap<SocketId, Arc<NetSocket>>>,
    next_id: AtomicU64,
}

fn to_sockaddr(address: &Address) -> io::Result<SockAddr> {
    match address {
        Address::Inet(addr) => Ok(SockAddr::from(*addr)),
        Address::Unix(path) => SockAddr::unix(path),
        Address::UnixUnnamed => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "unnamed unix address",
        )),
    }
}

fn from_sockaddr(addr: &SockAddr) -> Address {
    if let Some(inet) = addr.as_socket() {
        return Address::Inet(inet);
    }
    if let Some(path) = addr.as_pathname() {
        return Address::Unix(path.to_path_buf());
    }
    match addr.as_abstract_namespace() {
        // Kept with its leading NUL, as `to_sockaddr` (socket2's `SockAddr::unix`) takes it.
        Some(name) => {
            let mut bytes = Vec::with_capacity(name.len() + 1);
            bytes.push(0);
            bytes.extend_from_slice(name);
            Address::Unix(PathBuf::from(OsString::from_vec(bytes)))
        }
        None => Address::UnixUnnamed,
    }
}

impl RealNet {
    pub fn new(reactor: Arc<Reactor>) -> RealNet {
        RealNet {
            reactor,
            sockets: Mutex::new(BTreeMap::new()),
            next_id: AtomicU64::new(1),
        }
    }

    fn get(&self, id: SocketId) -> io::Result<Arc<NetSocket>> {
        lock(&self.sockets).get(&id).cloned().ok_or_else(bad_socket)
    }

    /// Registers a new socket (non-blocking) and returns its id.
    fn adopt(&self, socket: Socket) -> io::Result<SocketId> {
        socket.set_nonblocking(true)?;
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let readiness = self.reactor.register(socket.as_raw_fd(), id as usize)?;
        lock(&self.sockets).insert(id, Arc::new(NetSocket { socket, readiness }));
        Ok(id)
    }

    /// Closes every socket still open (end of a run).
    pub fn close_all(&self) {
        let ids: Vec<SocketId> = lock(&self.sockets).keys().copied().collect();
        for id in ids {
            let _ = self.close(id);
        }
    }
}

/// `buffer` as the `MaybeUninit` slice socket2's receive calls take.
fn as_uninit(buffer: &mut [u8]) -> &mut [MaybeUninit<u8>] {
    // Safety: `[u8]` and `[MaybeUninit<u8>]` have the same layout, and the receive calls only
    // write initialised bytes into the buffer, so it stays a valid `[u8]` afterwards.
    unsafe { &mut *(buffer as *mut [u8] as *mut [MaybeUninit<u8>]) }
}

fn in_progress(err: io::Error) -> io::Error {
    if err.raw_os_error() == Some(libc::EINPROGRESS) {
        io::Error::from(io::ErrorKind::WouldBlock)
    } else {
        err
    }
}

impl Net for RealNet {
    fn open(&self, family: Family, kind: Kind, protocol: i32) -> io::Result<SocketId> {
        let domain = match family {
            Family::Inet => Domain::IPV4,
            Family::Inet6 => Domain::IPV6,
            Family::Unix => Domain::UNIX,
        };
        let ty = match kind {
            Kind::Stream => Type::STREAM,
            Kind::Datagram => Type::DGRAM,
        };
        let protocol = (protocol != 0).then(|| Protocol::from(protocol));
        self.adopt(Socket::new(domain, ty, protocol)?)
    }

    fn bind(&self, id: SocketId, address: &Address) -> io::Result<()> {
        self.get(id)?.socket.bind(&to_sockaddr(address)?)
    }

    fn listen(&self, id: SocketId, backlog: i32) -> io::Result<()> {
        self.get(id)?.socket.listen(backlog)
    }

    fn connect(&self, id: SocketId, address: &Address) -> io::Result<()> {
        self.get(id)?
            .socket
            .connect(&to_sockaddr(address)?)
            .map_err(in_progress)
    }

    fn connect_result(&self, id: SocketId) -> io::Result<()> {
        let socket = self.get(id)?;
        if let Some(err) = socket.socket.take_error()? {
            return Err(err);
        }
        match socket.socket.peer_addr() {
            Ok(_) => Ok(()),
            Err(err) if err.raw_os_error() == Some(libc::ENOTCONN) => {
                Err(io::ErrorKind::WouldBlock.into())
            }
            Err(err) => Err(err),
        }
    }

    fn accept(&self, id: SocketId) -> io::Result<(SocketId, Address)> {
        let (socket, addr) = self.get(id)?.socket.accept()?;
        Ok((self.adopt(socket)?, from_sockaddr(&addr)))
    }

    fn recv(&self, id: SocketId, buffer: &mut [u8], flags: i32) -> io::Result<usize> {
        let socket = self.get(id)?;
        socket.socket.recv_with_flags(as_uninit(buffer), flags)
    }

    fn recv_from(
        &self,
        id: SocketId,
        buffer: &mut [u8],
        flags: i32,
    ) -> io::Result<(usize, Address)> {
        let socket = self.get(id)?;
        let (n, addr) = socket
            .socket
            .recv_from_with_flags(as_uninit(buffer), flags)?;
        Ok((n, from_sockaddr(&addr)))
    }

    fn send(&self, id: SocketId, data: &[u8], flags: i32) -> io::Result<usize> {
        self.get(id)?
            .socket
            .send_with_flags(data, flags | libc::MSG_NOSIGNAL)
    }

    fn send_to(
        &self,
        id: SocketId,
        data: &[u8],
        address: &Address,
        flags: i32,
    ) -> io::Result<usize> {
        self.get(id)?.socket.send_to_with_flags(
            data,
            &to_sockaddr(address)?,
            flags | libc::MSG_NOSIGNAL,
        )
    }

    fn shutdown(&self, id: SocketId, how: Shutdown) -> io::Result<()> {
        let how = match how {
            Shutdown::Read => StdShutdown::Read,
            Shutdown::Write => StdShutdown::Write,
            Shutdown::Both => StdShutdown::Both,
        };
        self.get(id)?.socket.shutdown(how)
    }

    fn close(&self, id: SocketId) -> io::Result<()> {
        let socket = lock(&self.sockets).remove(&id).ok_or_else(bad_socket)?;
        self.reactor
            .deregister(socket.socket.as_raw_fd(), id as usize);
        for waker in socket.readiness.wake_all() {
            waker.wake();
        }
        drop(socket);
        Ok(())
    }

    fn local_addr(&self, id: SocketId) -> io::Result<Address> {
        Ok(from_sockaddr(&self.get(id)?.socket.local_addr()?))
    }

    fn peer_addr(&self, id: SocketId) -> io::Result<Address> {
        Ok(from_sockaddr(&self.get(id)?.socket.peer_addr()?))
    }

    fn set_option(&self, id: SocketId, level: i32, name: i32, value: i32) -> io::Result<()> {
        let socket = self.get(id)?;
        // Safety: setsockopt with a pointer to a live c_int and its exact length; the kernel
        // validates level/name and returns an error for unknown ones.
        let rc = unsafe {
            libc::setsockopt(
                socket.socket.as_raw_fd(),
                level,
                name,
                (&value as *const i32).cast(),
                std::mem::size_of::<i32>() as libc::socklen_t,
            )
        };
        if rc == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }

    fn get_option(&self, id: SocketId, level: i32, name: i32) -> io::Result<i32> {
        let socket = self.get(id)?;
        let mut value: i32 = 0;
        let mut len = std::mem::size_of::<i32>() as libc::socklen_t;
        // Safety: getsockopt writes at most `len` bytes into `value`, a live c_int.
        let rc = unsafe {
            libc::getsockopt(
                socket.socket.as_raw_fd(),
                level,
                name,
                (&mut value as *mut i32).cast(),
                &mut len,
            )
        };
        if rc == 0 {
            Ok(value)
        } else {
            Err(io::Error::last_os_error())
        }
    }

    fn fileno(&self, id: SocketId) -> io::Result<Option<i64>> {
        Ok(Some(i64::from(self.get(id)?.socket.as_raw_fd())))
    }

    fn adopt_descriptor(&self, fd: i64) -> io::Result<(SocketId, Family, Kind, i32)> {
        let fd = std::os::fd::RawFd::try_from(fd).map_err(|_| bad_socket())?;
        if fd < 0 {
            return Err(bad_socket());
        }
        // Safety: fstat writes into a zeroed `stat` we own; it only reads the descriptor.
        let mut stat: libc::stat = unsafe { std::mem::zeroed() };
        if unsafe { libc::fstat(fd, &mut stat) } != 0 {
            return Err(io::Error::last_os_error());
        }
        if stat.st_mode & libc::S_IFMT != libc::S_IFSOCK {
            return Err(io::Error::from_raw_os_error(libc::ENOTSOCK));
        }
        // Safety: `fd` is an open socket (checked above) whose ownership the caller hands over
        // (the stdlib's `socket(fileno=...)` contract): from here the Socket closes it.
        let socket = unsafe { Socket::from_raw_fd(fd) };
        let family = match socket.domain()? {
            d if d == Domain::IPV4 => Family::Inet,
            d if d == Domain::IPV6 => Family::Inet6,
            d if d == Domain::UNIX => Family::Unix,
            _ => return Err(io::Error::from_raw_os_error(libc::EAFNOSUPPORT)),
        };
        let kind = match socket.r#type()? {
            t if t == Type::STREAM => Kind::Stream,
            t if t == Type::DGRAM => Kind::Datagram,
            _ => return Err(io::Error::from_raw_os_error(libc::ESOCKTNOSUPPORT)),
        };
        let protocol = socket.protocol()?.map_or(0, i32::from);
        Ok((self.adopt(socket)?, family, kind, protocol))
    }

    fn pair(&self, family: Family, kind: Kind) -> io::Result<(SocketId, SocketId)> {
        let domain = match family {
            Family::Unix => Domain::UNIX,
            _ => return Err(io::Error::from_raw_os_error(libc::EOPNOTSUPP)),
        };
        let ty = match kind {
            Kind::Stream => Type::STREAM,
            Kind::Datagram => Type::DGRAM,
        };
        let (a, b) = Socket::pair(domain, ty, None)?;
        Ok((self.adopt(a)?, self.adopt(b)?))
    }

    fn readiness(&self, id: SocketId) -> io::Result<Arc<Readiness>> {
        Ok(self.get(id)?.readiness.clone())
    }
}
