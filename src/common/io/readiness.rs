//! Readiness of one socket, the tasks waiting for it, and what refused operations handed back.
//!
//! The platform reports readiness changes (`set_event`): each bumps `generation`, records what became
//! ready and wakes the waiters for it. A task attempts its operation first; only if the
//! operation would block does it `wait`, passing the generation it saw *before* the attempt. If
//! the generation moved in between, readiness changed while it was trying and it must try again
//! instead of waiting, so an edge can never be lost between the attempt and the wait.
//!
//! # Invariants (under `state`)
//! - A waiter is queued only while the readiness it waits for is clear.
//! - `set_event` clears nothing; an attempt that would block clears the interest it waited on, and
//!   so does one that drained it (a short read), if the generation did not move meanwhile.
//! - A direction the platform reported closed (the peer's end of stream, a hang-up, an error)
//!   stays ready for good: no later event will say so again (edge-triggered), so a short read
//!   that stopped just before the end of stream must not hide it.
//! - Handed-back data or connections (`handed_back.rs`) make the socket readable until they are
//!   served: handing back bumps the generation and wakes the read waiters, as an event would.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::common::base::util::lock;
use crate::common::base::waitqueue::{WaitQueue, WaiterKey};
use crate::common::io::handed_back::{self, HandedBack, Served};
use crate::common::io::net::{Address, SocketId};

/// What a task waits for.
/// Whatever waits for readiness (a task's suspension: `task.rs` implements it), seen through
/// this one method so that the I/O contract knows nothing about tasks.
pub trait ReadyWake: Send + Sync {
    /// Resumes the wait identified by `token`; false if it had already ended.
    fn wake_ready(self: Arc<Self>, token: u64) -> bool;
}

/// One queued readiness waiter: whom to wake, for which of its waits.
pub struct ReadyWaiter {
    target: Arc<dyn ReadyWake>,
    token: u64,
}

impl ReadyWaiter {
    pub fn new(target: Arc<dyn ReadyWake>, token: u64) -> ReadyWaiter {
        ReadyWaiter { target, token }
    }

    /// Wakes the waiter (call it with no lock held); false if its wait had already ended.
    pub fn wake(self) -> bool {
        self.target.wake_ready(self.token)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interest {
    Read,
    Write,
}

impl Interest {
    pub fn describe(self) -> &'static str {
        match self {
            Interest::Read => "socket readable",
            Interest::Write => "socket writable",
        }
    }
}

/// One readiness event of the platform for a socket.
#[derive(Clone, Copy, Debug, Default)]
pub struct Event {
    pub readable: bool,
    pub writable: bool,
    /// Reading will not block again: end of stream, hang-up or error.
    pub read_closed: bool,
    /// Writing will not block again: hang-up or error.
    pub write_closed: bool,
}

struct ReadinessState {
    generation: u64,
    readable: bool,
    writable: bool,
    read_closed: bool,
    write_closed: bool,
    read_waiters: WaitQueue<ReadyWaiter>,
    write_waiters: WaitQueue<ReadyWaiter>,
    /// Served before the OS is asked again (`handed_back.rs`).
    handed_back: VecDeque<HandedBack>,
}

pub struct Readiness {
    state: Mutex<ReadinessState>,
    /// `!state.handed_back.is_empty()`, written under `state`: a receive checks it before
    /// taking the lock, since nearly every socket never has anything handed back.
    holds_handed_back: AtomicBool,
}

impl Default for Readiness {
    /// A new socket is assumed ready both ways: the first attempt tries the operation.
    fn default() -> Self {
        Readiness {
            state: Mutex::new(ReadinessState {
                generation: 0,
                readable: true,
                writable: true,
                read_closed: false,
                write_closed: false,
                read_waiters: WaitQueue::new(),
                write_waiters: WaitQueue::new(),
                handed_back: VecDeque::new(),
            }),
            holds_handed_back: AtomicBool::new(false),
        }
    }
}

impl Readiness {
    /// The generation now, and whether `interest` is believed ready.
    pub fn snapshot(&self, interest: Interest) -> (u64, bool) {
        let state = lock(&self.state);
        let ready = match interest {
            Interest::Read => state.readable || !state.handed_back.is_empty(),
            Interest::Write => state.writable,
        };
        (state.generation, ready)
    }

    /// Marks `interest` not ready after an attempt (started at `generation`) drained it, e.g.
    /// a read that returned less than asked: unless readiness changed since, the next attempt
    /// waits for the platform's next event instead of trying in vain.
    pub fn clear(&self, interest: Interest, generation: u64) {
        let mut state = lock(&self.state);
        if state.generation == generation {
            match interest {
                Interest::Read => state.readable = state.read_closed,
                Interest::Write => state.writable = state.write_closed,
            }
        }
    }

    /// Queues `waker` for `interest`, unless readiness changed since `generation` (then `None`:
    /// try again).
    pub fn wait(
        &self,
        interest: Interest,
        generation: u64,
        waker: impl FnOnce() -> ReadyWaiter,
    ) -> Option<WaiterKey> {
        let mut state = lock(&self.state);
        if state.generation != generation {
            return None;
        }
        Some(match interest {
            Interest::Read => {
                state.readable = false;
                state.read_waiters.push(waker())
            }
            Interest::Write => {
                state.writable = false;
                state.write_waiters.push(waker())
            }
        })
    }

    /// Unqueues a waiter that stopped waiting.
    pub fn remove(&self, interest: Interest, key: WaiterKey) -> Option<ReadyWaiter> {
        let mut state = lock(&self.state);
        match interest {
            Interest::Read => state.read_waiters.remove(key),
            Interest::Write => state.write_waiters.remove(key),
        }
    }

    /// Records an event of the platform (readiness, and directions it reported closed) and
    /// returns the waiters to wake (call `wake` on them unlocked).
    pub fn set_event(&self, event: Event) -> Vec<ReadyWaiter> {
        let mut state = lock(&self.state);
        state.read_closed |= event.read_closed;
        state.write_closed |= event.write_closed;
        let readable = event.readable || event.read_closed;
        let writable = event.writable || event.write_closed;
        state.generation += 1;
        let mut woken = Vec::new();
        if readable {
            state.readable = true;
            woken.extend(state.read_waiters.drain());
        }
        if writable {
            state.writable = true;
            woken.extend(state.write_waiters.drain());
        }
        woken
    }

    /// Gives back what a refused operation took (`handed_back.rs`): the socket reads as readable
    /// until it is served. Returns the read waiters to wake (call `wake` on them unlocked).
    pub fn hand_back(&self, item: HandedBack) -> Vec<ReadyWaiter> {
        let mut state = lock(&self.state);
        state.handed_back.push_front(item);
        self.holds_handed_back.store(true, Ordering::Release);
        state.generation += 1;
        state.read_waiters.drain()
    }

    /// A read of at most `max` bytes served from what was handed back, if anything was.
    pub fn serve_handed_back(&self, max: usize, stream: bool, peek: bool) -> Option<Served> {
        self.serve(|queue| handed_back::serve_read(queue, max, stream, peek))
    }

    /// An accept served from a connection that was handed back, if any was.
    pub fn serve_handed_back_accept(&self) -> Option<(SocketId, Address)> {
        self.serve(handed_back::serve_accept)
    }

    /// Everything still handed back (the socket is closing: the caller closes connections).
    pub fn drain_handed_back(&self) -> Vec<HandedBack> {
        self.serve(|queue| Some(queue.drain(..).collect()))
            .unwrap_or_default()
    }

    /// Runs `take` on the handed-back queue if it holds anything (without locking otherwise).
    fn serve<T>(&self, take: impl FnOnce(&mut VecDeque<HandedBack>) -> Option<T>) -> Option<T> {
        if !self.holds_handed_back.load(Ordering::Acquire) {
            return None;
        }
        let mut state = lock(&self.state);
        let taken = take(&mut state.handed_back);
        self.holds_handed_back
            .store(!state.handed_back.is_empty(), Ordering::Release);
        taken
    }

    /// Wakes every waiter (the socket was closed): they retry and see the error.
    pub fn wake_all(&self) -> Vec<ReadyWaiter> {
        self.set_event(Event {
            read_closed: true,
            write_closed: true,
            ..Event::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const READABLE: Event = Event {
        readable: true,
        writable: false,
        read_closed: false,
        write_closed: false,
    };

    #[test]
    fn a_new_socket_is_assumed_ready_both_ways() {
        let readiness = Readiness::default();
        assert_eq!(readiness.snapshot(Interest::Read), (0, true));
        assert_eq!(readiness.snapshot(Interest::Write), (0, true));
    }

    #[test]
    fn a_drained_interest_stays_clear_until_the_next_event() {
        let readiness = Readiness::default();
        let (generation, _) = readiness.snapshot(Interest::Read);
        readiness.clear(Interest::Read, generation);
        assert_eq!(readiness.snapshot(Interest::Read), (generation, false));
        assert!(readiness.snapshot(Interest::Write).1);
        assert!(readiness.set_event(READABLE).is_empty());
        assert_eq!(readiness.snapshot(Interest::Read), (generation + 1, true));
    }

    #[test]
    fn a_closed_direction_stays_ready_after_a_short_read() {
        // The end of stream was reported before the last data was read: the read that took
        // that data was short, but the next one must still be attempted (it returns b'').
        let readiness = Readiness::default();
        readiness.set_event(Event {
            readable: true,
            read_closed: true,
            ..Event::default()
        });
        let (generation, ready) = readiness.snapshot(Interest::Read);
        assert!(ready);
        readiness.clear(Interest::Read, generation);
        assert!(readiness.snapshot(Interest::Read).1);
        readiness.clear(Interest::Write, generation);
        assert!(
            !readiness.snapshot(Interest::Write).1,
            "writing was not closed"
        );
    }

    #[test]
    fn an_event_during_an_attempt_wins_over_the_clear_and_the_wait() {
        let readiness = Readiness::default();
        let (before, _) = readiness.snapshot(Interest::Read);
        readiness.set_event(READABLE); // arrives while the attempt is in flight
        readiness.clear(Interest::Read, before);
        assert!(
            readiness.snapshot(Interest::Read).1,
            "a stale clear must not hide the new edge"
        );
        let waited = readiness.wait(Interest::Read, before, || {
            unreachable!("must retry, not wait")
        });
        assert!(waited.is_none());
    }
}
