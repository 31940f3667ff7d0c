//! Readiness of any OS descriptor (`tonio.io`): a pipe, a tty, an eventfd, a pidfd, a socket
//! that another library owns.
//!
//! The platform watches a descriptor on its reactor for as long as someone holds a watch on it
//! (every watcher of one descriptor shares one registration and one [`Readiness`]), and can ask
//! the OS again whether it is ready ([`Descriptors::rearm`]): a readiness wait that performs no
//! I/O itself must not trust what was seen before, so it clears what it waits for, queues, then
//! rearms; if the descriptor is ready, the OS reports it again and the waiter wakes.
//!
//! The simulated platform has no OS descriptors: its `Platform::descriptors` is `None` (a real
//! descriptor's readiness comes from the OS, not from the seed).

use std::io;
use std::os::fd::RawFd;
use std::sync::Arc;

use crate::common::io::readiness::{Interest, Readiness};

pub trait Descriptors: Send + Sync {
    /// Starts (or joins) watching `fd`; its shared readiness. Fails with the OS's error for a
    /// descriptor it cannot watch (`EBADF`, `EPERM` for a regular file, `EEXIST` for one the
    /// runtime already watches as a socket).
    fn watch(&self, fd: RawFd) -> io::Result<Arc<Readiness>>;
    /// Asks the OS to report `fd`'s readiness again (the waiters for `interest` were queued).
    fn rearm(&self, fd: RawFd, interest: Interest) -> io::Result<()>;
    /// Ends one watch of `fd`; the last one deregisters it.
    fn unwatch(&self, fd: RawFd);
}
