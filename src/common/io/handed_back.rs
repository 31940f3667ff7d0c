//! What a socket operation took and had to give back.
//!
//! A receive or accept that is a select branch or a timeout body on its own completes or takes
//! nothing (`run::decision`). A socket read happens in the task's own thread, in a system call
//! that cannot be undone: when the read returns data and the branch then turns out to have lost
//! (another branch or the deadline won while it was reading), the operation hands what it read
//! back to its socket. The next receive (or accept) on that socket is served from here first,
//! before the OS is asked again, so the bytes, datagram or connection reach the next reader in
//! order. The queue lives in the socket's `Readiness`, under its lock, because handed-back data
//! makes the socket readable (see `readiness.rs`).
//!
//! # Invariants
//! - Items are served front first; a hand-back goes to the front (it was read before anything
//!   still in the OS's buffer).
//! - On a stream socket a `Received` item is a run of bytes: a read takes what fits and leaves
//!   the rest at the front. On a datagram socket it is one datagram: a read takes it whole,
//!   truncated to the read's size, as the OS does.
//! - An `Accepted` connection is owned by the queue until an accept takes it; whoever drops the
//!   queue's items closes them (`Readiness::drain_handed_back`).

use std::collections::VecDeque;

use crate::common::io::net::{Address, SocketId};

/// One thing a refused operation gave back.
#[derive(Debug, PartialEq, Eq)]
pub enum HandedBack {
    /// Bytes or a datagram; `from` when the read reported its sender (`recvfrom`).
    Received {
        data: Vec<u8>,
        from: Option<Address>,
    },
    /// An accepted connection.
    Accepted { id: SocketId, address: Address },
}

/// A read served from the queue.
#[derive(Debug, PartialEq, Eq)]
pub struct Served {
    pub data: Vec<u8>,
    pub from: Option<Address>,
}

/// Serves a read of at most `max` bytes from the front of `queue`, if it holds received data.
/// `stream`: the socket is a stream (see the module invariants). `peek`: leave it queued.
pub fn serve_read(
    queue: &mut VecDeque<HandedBack>,
    max: usize,
    stream: bool,
    peek: bool,
) -> Option<Served> {
    let Some(HandedBack::Received { data, from }) = queue.front_mut() else {
        return None;
    };
    let n = max.min(data.len());
    if peek {
        return Some(Served {
            data: data[..n].to_vec(),
            from: from.clone(),
        });
    }
    if stream && n < data.len() {
        let rest = data.split_off(n);
        let served = std::mem::replace(data, rest);
        return Some(Served {
            data: served,
            from: from.clone(),
        });
    }
    match queue.pop_front() {
        Some(HandedBack::Received { mut data, from }) => {
            data.truncate(n);
            Some(Served { data, from })
        }
        _ => None,
    }
}

/// Serves an accept from the front of `queue`, if it holds an accepted connection.
pub fn serve_accept(queue: &mut VecDeque<HandedBack>) -> Option<(SocketId, Address)> {
    if !matches!(queue.front(), Some(HandedBack::Accepted { .. })) {
        return None;
    }
    match queue.pop_front() {
        Some(HandedBack::Accepted { id, address }) => Some((id, address)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(data: &[u8]) -> HandedBack {
        HandedBack::Received {
            data: data.to_vec(),
            from: None,
        }
    }

    #[test]
    fn a_stream_read_takes_what_fits_and_leaves_the_rest_in_front() {
        let mut queue = VecDeque::from([bytes(b"hello"), bytes(b"!")]);
        assert_eq!(serve_read(&mut queue, 3, true, false).unwrap().data, b"hel");
        assert_eq!(serve_read(&mut queue, 10, true, false).unwrap().data, b"lo");
        assert_eq!(serve_read(&mut queue, 10, true, false).unwrap().data, b"!");
        assert!(serve_read(&mut queue, 10, true, false).is_none());
    }

    #[test]
    fn a_datagram_read_takes_the_whole_datagram_truncated() {
        let mut queue = VecDeque::from([bytes(b"hello"), bytes(b"next")]);
        assert_eq!(
            serve_read(&mut queue, 3, false, false).unwrap().data,
            b"hel"
        );
        assert_eq!(
            serve_read(&mut queue, 10, false, false).unwrap().data,
            b"next"
        );
        assert!(queue.is_empty());
    }

    #[test]
    fn a_peek_leaves_the_data_queued() {
        let mut queue = VecDeque::from([bytes(b"hello")]);
        assert_eq!(serve_read(&mut queue, 2, true, true).unwrap().data, b"he");
        assert_eq!(
            serve_read(&mut queue, 10, true, false).unwrap().data,
            b"hello"
        );
    }

    #[test]
    fn reads_and_accepts_take_only_their_own_kind() {
        let address = Address::UnixUnnamed;
        let mut queue = VecDeque::from([HandedBack::Accepted {
            id: 7,
            address: address.clone(),
        }]);
        assert!(serve_read(&mut queue, 10, true, false).is_none());
        assert_eq!(serve_accept(&mut queue), Some((7, address)));
        queue.push_back(bytes(b"x"));
        assert!(serve_accept(&mut queue).is_none());
    }
}
