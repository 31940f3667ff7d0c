//! The fair wait queue under every blocking primitive.
//!
//! A FIFO of waiters with O(1) push, pop and removal by key. The queue is not synchronised by
//! itself: it lives inside the primitive's own mutex, so a release that hands something to the
//! head waiter and a cancellation that unlinks a waiter happen in one critical section each.
//!
//! # Invariants
//! - Keys are handed out in increasing order; the waiter with key `k` sits at index
//!   `k - base` of `slots` while it is queued.
//! - A removed waiter leaves a `None` tombstone until it reaches the front; `len` counts only
//!   live waiters, and the front slot is never a tombstone.

use std::collections::VecDeque;

/// Identifies a queued waiter, for removal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaiterKey(u64);

/// A FIFO of waiters of type `W`.
#[derive(Debug)]
pub struct WaitQueue<W> {
    slots: VecDeque<Option<W>>,
    /// Key of `slots[0]`.
    base: u64,
    len: usize,
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
            base: 0,
            len: 0,
        }
    }

    /// Number of live waiters.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Queues `waiter` at the back.
    pub fn push(&mut self, waiter: W) -> WaiterKey {
        let key = WaiterKey(self.base + self.slots.len() as u64);
        self.slots.push_back(Some(waiter));
        self.len += 1;
        key
    }

    /// Removes and returns the waiter at the front.
    pub fn pop(&mut self) -> Option<W> {
        let waiter = self.slots.pop_front()??;
        self.base += 1;
        self.len -= 1;
        self.skip_tombstones();
        Some(waiter)
    }

    /// The waiter at the front, if any.
    pub fn front(&self) -> Option<&W> {
        self.slots.front().and_then(Option::as_ref)
    }

    /// Removes the waiter with `key` if it is still queued.
    pub fn remove(&mut self, key: WaiterKey) -> Option<W> {
        let index = key.0.checked_sub(self.base)? as usize;
        let waiter = self.slots.get_mut(index)?.take()?;
        self.len -= 1;
        self.skip_tombstones();
        Some(waiter)
    }

    /// Removes every waiter, in FIFO order.
    pub fn drain(&mut self) -> Vec<W> {
        self.base += self.slots.len() as u64;
        self.len = 0;
        self.slots.drain(..).flatten().collect()
    }

    /// Iterates live waiters in FIFO order.
    pub fn iter(&self) -> impl Iterator<Item = &W> {
        self.slots.iter().flatten()
    }

    fn skip_tombstones(&mut self) {
        while matches!(self.slots.front(), Some(None)) {
            self.slots.pop_front();
            self.base += 1;
        }
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
