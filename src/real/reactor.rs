//! The reactor: one mio `Poll` for the whole run.
//!
//! Every socket is registered once, edge-triggered for read and write, when it is created, and
//! stays registered until it is closed (never re-registered per wait). Readiness events are
//! recorded in the socket's [`Readiness`], which wakes the tasks waiting for it.
//!
//! # Who polls
//! The `Poll` is behind a mutex: a worker that runs out of work and finds it free blocks in
//! `poll` (with the next timer deadline as timeout) instead of parking; a busy worker polls
//! without blocking every so often. Waking a worker that is blocked in `poll` goes through the
//! mio `Waker` (token 0), not `Thread::unpark`.

use std::collections::BTreeMap;
use std::io;
use std::os::fd::RawFd;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Registry, Token, Waker};

use super::signals::SignalSource;
use crate::common::base::util::lock;
use crate::common::io::readiness::{Event as ReadinessEvent, Readiness};
use crate::common::io::signals::SignalHub;

const WAKER: Token = Token(0);
/// The signal source's token (socket ids never get this high).
const SIGNALS: Token = Token(usize::MAX - 1);

pub struct Reactor {
    poll: Mutex<(Poll, Events)>,
    registry: Registry,
    waker: Waker,
    /// Readiness per registered token.
    sources: Mutex<BTreeMap<usize, Arc<Readiness>>>,
    /// OS signals of this run and where to deliver them.
    signals: Mutex<Option<(SignalSource, Arc<SignalHub>)>>,
}

pub type PollGuard<'a> = MutexGuard<'a, (Poll, Events)>;

impl Reactor {
    pub fn new() -> io::Result<Reactor> {
        let poll = Poll::new()?;
        let registry = poll.registry().try_clone()?;
        let waker = Waker::new(&registry, WAKER)?;
        Ok(Reactor {
            poll: Mutex::new((poll, Events::with_capacity(1024))),
            registry,
            waker,
            sources: Mutex::new(BTreeMap::new()),
            signals: Mutex::new(None),
        })
    }

    /// Starts listening for `numbers`, delivering them to `hub`.
    pub fn listen_signals(&self, numbers: &[i32], hub: Arc<SignalHub>) -> io::Result<()> {
        let mut source = SignalSource::new(numbers)?;
        self.registry
            .register(&mut source.signals, SIGNALS, Interest::READABLE)?;
        *lock(&self.signals) = Some((source, hub));
        Ok(())
    }

    /// Stops listening for signals and restores their previous dispositions.
    pub fn stop_signals(&self) {
        if let Some((mut source, _)) = lock(&self.signals).take() {
            let _ = self.registry.deregister(&mut source.signals);
        }
    }

    fn deliver_signals(&self) {
        let received = lock(&self.signals)
            .as_mut()
            .map(|(source, hub)| (source.pending(), hub.clone()));
        if let Some((numbers, hub)) = received {
            if !numbers.is_empty() {
                let _ =
                    pyo3::Python::try_attach(|py| numbers.iter().for_each(|&n| hub.deliver(py, n)));
            }
        }
    }

    /// Registers `fd` under `token` (never 0) and returns its readiness tracker.
    pub fn register(&self, fd: RawFd, token: usize) -> io::Result<Arc<Readiness>> {
        let readiness = Arc::new(Readiness::default());
        self.register_readiness(fd, token, readiness.clone())?;
        Ok(readiness)
    }

    /// Registers `fd` under `token` (never 0), recording its events in `readiness`.
    pub fn register_readiness(
        &self,
        fd: RawFd,
        token: usize,
        readiness: Arc<Readiness>,
    ) -> io::Result<()> {
        lock(&self.sources).insert(token, readiness);
        let interest = Interest::READABLE | Interest::WRITABLE;
        if let Err(err) = self
            .registry
            .register(&mut SourceFd(&fd), Token(token), interest)
        {
            lock(&self.sources).remove(&token);
            return Err(err);
        }
        Ok(())
    }

    /// Makes the kernel report `fd`'s current readiness again (see `descriptors.rs`).
    pub fn rearm(&self, fd: RawFd, token: usize) -> io::Result<()> {
        let interest = Interest::READABLE | Interest::WRITABLE;
        self.registry
            .reregister(&mut SourceFd(&fd), Token(token), interest)
    }

    /// Removes a registration (before the descriptor is closed).
    pub fn deregister(&self, fd: RawFd, token: usize) {
        let _ = self.registry.deregister(&mut SourceFd(&fd));
        lock(&self.sources).remove(&token);
    }

    /// The poll, if no other worker holds it.
    pub fn try_lock(&self) -> Option<PollGuard<'_>> {
        self.poll.try_lock().ok()
    }

    /// Polls with `guard` for up to `timeout` and records the events. Returns how many tasks
    /// were woken.
    pub fn poll(&self, guard: &mut PollGuard<'_>, timeout: Option<Duration>) -> usize {
        let (poll, events) = &mut **guard;
        if let Err(err) = poll.poll(events, timeout) {
            if err.kind() != io::ErrorKind::Interrupted {
                // Nothing sensible to do but try again on the next park; never panic.
                return 0;
            }
        }
        let mut woken = 0;
        for event in events.iter() {
            if event.token() == WAKER {
                continue;
            }
            if event.token() == SIGNALS {
                self.deliver_signals();
                continue;
            }
            let readiness = lock(&self.sources).get(&event.token().0).cloned();
            let Some(readiness) = readiness else { continue };
            let error = event.is_error();
            let woken_now = readiness.set_event(ReadinessEvent {
                readable: event.is_readable(),
                writable: event.is_writable(),
                read_closed: error || event.is_read_closed(),
                write_closed: error || event.is_write_closed(),
            });
            for waker in woken_now {
                woken += usize::from(waker.wake());
            }
        }
        woken
    }

    /// Interrupts a worker blocked in `poll`.
    pub fn wake(&self) {
        let _ = self.waker.wake();
    }
}
