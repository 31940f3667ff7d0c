//! The fair wait queue under every blocking primitive.
//!
//! A FIFO of waiters with O(1) push and pop and amortised O(1) removal by key. The queue is not
//! synchronised by itself: it lives inside the primitive's own mutex, so a release that hands
//! something to the head waiter and a cancellation that unlinks a waiter happen in one critical
//! section each.
//!
//! # Invariants
//! - Keys are handed out in increasing order and `slots` is sorted by key.
//! - A removed waiter leaves a `None` tombstone; `len` counts live waiters, `dead` tombstones,
//!   and the front slot is never a tombstone.
//! - Tombstones never outnumber live waiters by more than `SLACK`: when they would, the queue is
//!   compacted. So a long-lived waiter at the front cannot make the queue grow with every
//!   cancelled waiter behind it.
//! - Until a compaction, the waiter with key `k` sits at index `k - base`; afterwards it is
//!   found by binary search on the (sorted) keys.

use std::collections::VecDeque;

/// Tombstones allowed beyond the number of live waiters before compacting.
const SLACK: usize = 32;

/// Identifies a queued waiter, for removal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaiterKey(u64);

/// A FIFO of waiters of type `W`.
#[derive(Debug)]
pub struct WaitQueue<W> {
    slots: VecDeque<(u64, Option<W>)>,
    /// The next key to hand out.
    next: u64,
    len: usize,
    dead: usize,
}

impl<W> Default for WaitQueue<W> {
    fn default() -> Self {
        Self::new()
    }
}

impl<W> WaitQueue<W> {
    pub const fn new() -> Self {
        Self {
            slots: VecDeque::new(),
            next: 0,
            len: 0,
            dead: 0,
        }
    }

    /// Number of live waiters.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Slots in use, tombstones included (for tests of the bound).
    pub fn slots(&self) -> usize {
        self.slots.len()
    }

    /// Queues `waiter` at the back.
    pub fn push(&mut self, waiter: W) -> WaiterKey {
        let key = self.next;
        self.next += 1;
        self.slots.push_back((key, Some(waiter)));
        self.len += 1;
        WaiterKey(key)
    }

    /// Removes and returns the waiter at the front.
    pub fn pop(&mut self) -> Option<W> {
        let (_, waiter) = self.slots.pop_front()?;
        let waiter = waiter?;
        self.len -= 1;
        self.skip_tombstones();
        Some(waiter)
    }

    /// The waiter at the front, if any.
    pub fn front(&self) -> Option<&W> {
        self.slots.front().and_then(|(_, waiter)| waiter.as_ref())
    }

    /// Removes the waiter with `key` if it is still queued.
    pub fn remove(&mut self, key: WaiterKey) -> Option<W> {
        let index = self.index_of(key.0)?;
        let waiter = self.slots.get_mut(index)?.1.take()?;
        self.len -= 1;
        self.dead += 1;
        self.skip_tombstones();
        if self.dead > self.len + SLACK {
            self.compact();
        }
        Some(waiter)
    }

    /// Removes every waiter, in FIFO order.
    pub fn drain(&mut self) -> Vec<W> {
        self.len = 0;
        self.dead = 0;
        self.slots
            .drain(..)
            .filter_map(|(_, waiter)| waiter)
            .collect()
    }

    /// Iterates live waiters in FIFO order.
    pub fn iter(&self) -> impl Iterator<Item = &W> {
        self.slots.iter().filter_map(|(_, waiter)| waiter.as_ref())
    }

    fn index_of(&self, key: u64) -> Option<usize> {
        let base = self.slots.front()?.0;
        let guess = usize::try_from(key.checked_sub(base)?).ok()?;
        match self.slots.get(guess) {
            Some((k, _)) if *k == key => Some(guess),
            _ => self.slots.binary_search_by_key(&key, |(k, _)| *k).ok(),
        }
    }

    fn skip_tombstones(&mut self) {
        while matches!(self.slots.front(), Some((_, None))) {
            self.slots.pop_front();
            self.dead -= 1;
        }
    }

    fn compact(&mut self) {
        self.slots.retain(|(_, waiter)| waiter.is_some());
        self.dead = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_order() {
        let mut q = WaitQueue::new();
        q.push(1);
        q.push(2);
        q.push(3);
        assert_eq!(q.pop(), Some(1));
        assert_eq!(q.pop(), Some(2));
        assert_eq!(q.pop(), Some(3));
        assert_eq!(q.pop(), None);
    }

    #[test]
    fn remove_middle_then_front_keeps_order() {
        let mut q = WaitQueue::new();
        let _a = q.push("a");
        let b = q.push("b");
        let c = q.push("c");
        assert_eq!(q.remove(b), Some("b"));
        assert_eq!(q.len(), 2);
        assert_eq!(q.pop(), Some("a"));
        assert_eq!(q.front(), Some(&"c"));
        assert_eq!(q.remove(c), Some("c"));
        assert!(q.is_empty());
        assert_eq!(q.remove(c), None);
    }

    #[test]
    fn stale_keys_never_remove_new_waiters() {
        let mut q = WaitQueue::new();
        let a = q.push(1);
        assert_eq!(q.pop(), Some(1));
        let _b = q.push(2);
        assert_eq!(q.remove(a), None);
        assert_eq!(q.len(), 1);
    }

    #[test]
    fn cancelled_waiters_behind_a_long_lived_front_are_compacted() {
        let mut q = WaitQueue::new();
        let _front = q.push(0);
        let mut kept = Vec::new();
        for i in 1..100_000 {
            let key = q.push(i);
            if i % 1000 == 0 {
                kept.push((key, i));
            } else {
                assert_eq!(q.remove(key), Some(i));
            }
            assert!(q.slots() <= 2 * q.len() + SLACK + 1, "{} slots", q.slots());
        }
        // keys still find their waiters after compactions, in FIFO order
        for (key, value) in kept.iter().skip(1).step_by(2) {
            assert_eq!(q.remove(*key), Some(*value));
        }
        assert_eq!(q.pop(), Some(0));
        let rest: Vec<_> = q.drain();
        let expected: Vec<_> = kept.iter().step_by(2).map(|(_, v)| *v).collect();
        assert_eq!(rest, expected);
    }

    #[test]
    fn drain_returns_live_waiters_in_order() {
        let mut q = WaitQueue::new();
        q.push(1);
        let k = q.push(2);
        q.push(3);
        q.remove(k);
        assert_eq!(q.drain(), vec![1, 3]);
        assert!(q.is_empty());
        let k4 = q.push(4);
        assert_eq!(q.remove(k4), Some(4));
    }
}
