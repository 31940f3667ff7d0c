//! `WatchedDescriptors`: `tonio.io`'s readiness waits on the reactor (see
//! `common/io/descriptors.rs` for the contract).
//!
//! # Invariants
//! - A descriptor is registered with the reactor once, under a token of its own range
//!   (`DESCRIPTOR_TOKENS`, never a socket's), while its watch count is above 0.
//! - `rearm` is epoll's `MOD` with the same interests: it makes the kernel report the
//!   descriptor's current readiness again (edge-triggered registrations report only changes).
//!   If the descriptor was closed and its number reused meanwhile (epoll forgot it: `ENOENT`),
//!   the new one is registered afresh.

use std::collections::BTreeMap;
use std::io;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use super::reactor::Reactor;
use crate::common::base::util::lock;
use crate::common::io::descriptors::Descriptors;
use crate::common::io::readiness::{Interest, Readiness};

/// Tokens of watched descriptors: above every socket id, below the reactor's own tokens.
const DESCRIPTOR_TOKENS: usize = 1 << 48;

struct Watched {
    token: usize,
    readiness: Arc<Readiness>,
    watchers: usize,
}

pub struct WatchedDescriptors {
    reactor: Arc<Reactor>,
    watched: Mutex<BTreeMap<RawFd, Watched>>,
    next_token: AtomicUsize,
}

impl WatchedDescriptors {
    pub fn new(reactor: Arc<Reactor>) -> WatchedDescriptors {
        WatchedDescriptors {
            reactor,
            watched: Mutex::new(BTreeMap::new()),
            next_token: AtomicUsize::new(DESCRIPTOR_TOKENS),
        }
    }
}

impl Descriptors for WatchedDescriptors {
    fn watch(&self, fd: RawFd) -> io::Result<Arc<Readiness>> {
        let mut watched = lock(&self.watched);
        if let Some(entry) = watched.get_mut(&fd) {
            entry.watchers += 1;
            return Ok(entry.readiness.clone());
        }
        let token = self.next_token.fetch_add(1, Ordering::Relaxed);
        let readiness = Arc::new(Readiness::default());
        self.reactor
            .register_readiness(fd, token, readiness.clone())?;
        watched.insert(
            fd,
            Watched {
                token,
                readiness: readiness.clone(),
                watchers: 1,
            },
        );
        Ok(readiness)
    }

    fn rearm(&self, fd: RawFd, _interest: Interest) -> io::Result<()> {
        let watched = lock(&self.watched);
        let Some(entry) = watched.get(&fd) else {
            return Err(io::Error::from_raw_os_error(libc::EBADF));
        };
        match self.reactor.rearm(fd, entry.token) {
            Err(err) if err.raw_os_error() == Some(libc::ENOENT) => self
                .reactor
                .register_readiness(fd, entry.token, entry.readiness.clone()),
            other => other,
        }
    }

    fn unwatch(&self, fd: RawFd) {
        let mut watched = lock(&self.watched);
        let Some(entry) = watched.get_mut(&fd) else {
            return;
        };
        entry.watchers -= 1;
        if entry.watchers == 0 {
            let token = entry.token;
            watched.remove(&fd);
            self.reactor.deregister(fd, token);
        }
    }
}
