//! What is in flight on the simulated network, and when it arrives.
//!
//! Every parcel travels on a *pipe* (one direction of one connection, or a connection attempt)
//! from one host to another and arrives after the link's latency plus a seeded jitter, in
//! virtual time. Parcels leave in `(arrival time, sequence)` order.
//!
//! # Invariants
//! - A pipe is FIFO: a parcel never arrives before one sent earlier on the same pipe (its
//!   arrival time is at least the pipe's last one, and ties go by sequence).
//! - A parcel due while its two hosts are partitioned waits, in order, until they are healed;
//!   then it and everything behind it on its pipe is sent again, in the original order, as TCP
//!   retransmission would deliver it. Nothing is lost or reordered by a partition.
//! - Every random draw (jitter, how a send is split, a datagram's loss or duplication) comes
//!   from the wire's own seeded stream, in the order the program sends, so a run stays a
//!   function of its seed.
//! - Datagrams (`send_datagram`) are on no pipe: each gets its own jitter, so they may arrive
//!   out of order; the link may lose or duplicate them; one due across a partition is dropped,
//!   not held.

use std::collections::{BTreeMap, BTreeSet};

use rand_chacha::rand_core::RngCore;
use rand_chacha::ChaCha8Rng;

use super::hosts::HostId;
use crate::common::base::time::Ticks;

/// Latency and jitter of a link, in ticks (microseconds), and the chances (in millionths) that
/// it loses or duplicates a datagram.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LinkSettings {
    pub latency: Ticks,
    pub jitter: Ticks,
    pub loss: u32,
    pub duplicate: u32,
}

/// A change of a link's settings (`None`: keep that one).
#[derive(Clone, Copy, Debug, Default)]
pub struct LinkChange {
    pub latency: Option<Ticks>,
    pub jitter: Option<Ticks>,
    pub loss: Option<u32>,
    pub duplicate: Option<u32>,
}

/// One in a million: the unit of `LinkSettings::loss` and `duplicate`.
pub const PER_MILLION: u64 = 1_000_000;

/// The pipe of every datagram (no order is kept among them).
const DATAGRAMS: u64 = u64::MAX;

/// Something travelling from one host to another.
pub struct Parcel<T> {
    pub pipe: u64,
    pub from: HostId,
    pub to: HostId,
    pub item: T,
    /// Sending order (kept across a partition).
    seq: u64,
}

impl<T> Parcel<T> {
    fn is_datagram(&self) -> bool {
        self.pipe == DATAGRAMS
    }
}

pub struct Wire<T> {
    default: LinkSettings,
    links: BTreeMap<(HostId, HostId), LinkSettings>,
    partitions: BTreeSet<(HostId, HostId)>,
    in_flight: BTreeMap<(Ticks, u64), Parcel<T>>,
    /// Parcels that came due across a partition, in the order they came due.
    stalled: Vec<Parcel<T>>,
    /// The latest arrival time given to each pipe.
    pipe_last: BTreeMap<u64, Ticks>,
    seq: u64,
    rng: ChaCha8Rng,
}

/// The unordered pair of two hosts.
fn pair(a: HostId, b: HostId) -> (HostId, HostId) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

impl<T> Wire<T> {
    pub fn new(default: LinkSettings, rng: ChaCha8Rng) -> Wire<T> {
        Wire {
            default,
            links: BTreeMap::new(),
            partitions: BTreeSet::new(),
            in_flight: BTreeMap::new(),
            stalled: Vec::new(),
            pipe_last: BTreeMap::new(),
            seq: 0,
            rng,
        }
    }

    /// A number in `0..bound` from the wire's stream (`bound` > 0).
    pub fn draw(&mut self, bound: u64) -> u64 {
        self.rng.next_u64() % bound.max(1)
    }

    fn link(&self, from: HostId, to: HostId) -> LinkSettings {
        self.links
            .get(&pair(from, to))
            .copied()
            .unwrap_or(self.default)
    }

    fn delay(&mut self, from: HostId, to: HostId) -> Ticks {
        let link = self.link(from, to);
        let jitter = if link.jitter > 0 {
            self.draw(link.jitter + 1)
        } else {
            0
        };
        link.latency.saturating_add(jitter)
    }

    fn schedule(&mut self, now: Ticks, parcel: Parcel<T>) {
        self.schedule_after(now, 0, parcel);
    }

    fn schedule_after(&mut self, now: Ticks, extra: Ticks, parcel: Parcel<T>) {
        let delay = self.delay(parcel.from, parcel.to).saturating_add(extra);
        let last = self.pipe_last.entry(parcel.pipe).or_insert(0);
        let at = now.saturating_add(delay).max(*last);
        *last = at;
        self.in_flight.insert((at, parcel.seq), parcel);
    }

    /// Sends `item` on `pipe` from host `from` to host `to`.
    pub fn send(&mut self, now: Ticks, pipe: u64, from: HostId, to: HostId, item: T) {
        self.send_after(now, 0, pipe, from, to, item);
    }

    /// Sends `item` `extra` ticks later than `send` would (a later piece of a cut send).
    pub fn send_after(
        &mut self,
        now: Ticks,
        extra: Ticks,
        pipe: u64,
        from: HostId,
        to: HostId,
        item: T,
    ) {
        self.seq += 1;
        let parcel = Parcel {
            pipe,
            from,
            to,
            item,
            seq: self.seq,
        };
        self.schedule_after(now, extra, parcel);
    }

    /// Sends a datagram from host `from` to host `to` (`make` builds each copy): the link may
    /// lose it or duplicate it, and each copy gets its own delay. Returns how many copies left.
    pub fn send_datagram(
        &mut self,
        now: Ticks,
        from: HostId,
        to: HostId,
        make: impl Fn() -> T,
    ) -> usize {
        let link = self.link(from, to);
        if self.draw(PER_MILLION) < u64::from(link.loss) {
            return 0;
        }
        let copies = 1 + usize::from(self.draw(PER_MILLION) < u64::from(link.duplicate));
        for _ in 0..copies {
            self.seq += 1;
            let at = now.saturating_add(self.delay(from, to));
            let parcel = Parcel {
                pipe: DATAGRAMS,
                from,
                to,
                item: make(),
                seq: self.seq,
            };
            self.in_flight.insert((at, parcel.seq), parcel);
        }
        copies
    }

    /// The latency of the link between `a` and `b`.
    pub fn latency(&self, a: HostId, b: HostId) -> Ticks {
        self.link(a, b).latency
    }

    /// When the next parcel arrives, if any is in flight.
    pub fn next_arrival(&self) -> Option<Ticks> {
        self.in_flight.keys().next().map(|&(at, _)| at)
    }

    /// The next parcel due by `now` that may arrive (those due across a partition are held).
    pub fn pop_due(&mut self, now: Ticks) -> Option<Parcel<T>> {
        loop {
            let (&key, _) = self.in_flight.iter().next()?;
            if key.0 > now {
                return None;
            }
            let parcel = self.in_flight.remove(&key)?;
            if self.partitioned(parcel.from, parcel.to) {
                if !parcel.is_datagram() {
                    self.stalled.push(parcel);
                }
                continue;
            }
            return Some(parcel);
        }
    }

    pub fn partitioned(&self, a: HostId, b: HostId) -> bool {
        self.partitions.contains(&pair(a, b))
    }

    /// Cuts the link between `a` and `b` (traffic waits until healed).
    pub fn partition(&mut self, a: HostId, b: HostId) {
        self.partitions.insert(pair(a, b));
    }

    /// Heals the partition between `a` and `b`, or every partition (`None`); what waited is
    /// sent again, each pipe in its original order.
    pub fn heal(&mut self, now: Ticks, between: Option<(HostId, HostId)>) {
        match between {
            Some((a, b)) => {
                self.partitions.remove(&pair(a, b));
            }
            None => self.partitions.clear(),
        }
        let (resend, keep): (Vec<_>, Vec<_>) = std::mem::take(&mut self.stalled)
            .into_iter()
            .partition(|p| !self.partitioned(p.from, p.to));
        self.stalled = keep;
        if resend.is_empty() {
            return;
        }
        // Everything still in flight behind a resent parcel on its pipe goes again after it.
        let pipes: BTreeSet<u64> = resend.iter().map(|p| p.pipe).collect();
        let behind: Vec<(Ticks, u64)> = self
            .in_flight
            .iter()
            .filter(|(_, p)| pipes.contains(&p.pipe))
            .map(|(&key, _)| key)
            .collect();
        let mut again: Vec<Parcel<T>> = resend;
        again.extend(behind.iter().filter_map(|key| self.in_flight.remove(key)));
        again.sort_by_key(|p| p.seq);
        for pipe in &pipes {
            self.pipe_last.remove(pipe);
        }
        for parcel in again {
            self.schedule(now, parcel);
        }
    }

    /// Changes the settings of the link between `a` and `b`.
    pub fn set_link(&mut self, a: HostId, b: HostId, change: LinkChange) {
        let current = self.link(a, b);
        self.links.insert(
            pair(a, b),
            LinkSettings {
                latency: change.latency.unwrap_or(current.latency),
                jitter: change.jitter.unwrap_or(current.jitter),
                loss: change.loss.unwrap_or(current.loss),
                duplicate: change.duplicate.unwrap_or(current.duplicate),
            },
        );
    }

    /// Removes every parcel (in flight or held) for which `drop` says so.
    pub fn discard(&mut self, mut drop: impl FnMut(&Parcel<T>) -> bool) {
        self.in_flight.retain(|_, p| !drop(p));
        self.stalled.retain(|p| !drop(p));
    }

    /// Forgets a pipe that will carry nothing more.
    pub fn close_pipe(&mut self, pipe: u64) {
        if !self.in_flight.values().any(|p| p.pipe == pipe)
            && !self.stalled.iter().any(|p| p.pipe == pipe)
        {
            self.pipe_last.remove(&pipe);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;

    fn wire(latency: Ticks, jitter: Ticks) -> Wire<u32> {
        Wire::new(
            LinkSettings {
                latency,
                jitter,
                ..LinkSettings::default()
            },
            ChaCha8Rng::seed_from_u64(7),
        )
    }

    const A: HostId = super::super::hosts::LOCAL_HOST;

    fn b() -> HostId {
        "10.0.0.2".parse().unwrap()
    }

    fn drain(wire: &mut Wire<u32>, now: Ticks) -> Vec<u32> {
        std::iter::from_fn(|| wire.pop_due(now).map(|p| p.item)).collect()
    }

    #[test]
    fn a_pipe_stays_in_order_whatever_the_jitter() {
        let mut wire = wire(100, 1_000);
        for i in 0..50 {
            wire.send(i, 1, A, b(), i as u32);
        }
        assert_eq!(drain(&mut wire, Ticks::MAX), (0..50).collect::<Vec<_>>());
    }

    #[test]
    fn nothing_arrives_before_the_latency() {
        let mut wire = wire(500, 0);
        wire.send(10, 1, A, b(), 1);
        assert_eq!(wire.next_arrival(), Some(510));
        assert!(wire.pop_due(509).is_none());
        assert_eq!(drain(&mut wire, 510), vec![1]);
    }

    #[test]
    fn a_partition_holds_traffic_and_healing_resends_it_in_order() {
        let mut wire = wire(10, 0);
        wire.partition(A, b());
        wire.send(0, 1, A, b(), 1);
        wire.send(0, 1, A, b(), 2);
        assert!(drain(&mut wire, 100).is_empty());
        wire.send(100, 1, A, b(), 3); // in flight, behind the held ones
        wire.heal(105, None);
        assert_eq!(drain(&mut wire, 114), Vec::<u32>::new());
        assert_eq!(drain(&mut wire, 115), vec![1, 2, 3]);
    }
}
