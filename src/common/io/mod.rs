//! Layer 2 of the core: the platform's I/O contract, with no notion of tasks.
//!
//! May use: `base`. What is here: the `Net` trait each platform implements over its own
//! sockets (`net`), per-socket readiness and its waiters (`readiness`), one attempt of a socket
//! operation on pinned buffers (`io_ops`, `buffer`) and what a refused one hands back
//! (`handed_back`), address and error conversion
//! (`net_convert`), signal delivery to subscribers (`signals`), the rustls engine (`tls`), and
//! the readiness of any OS descriptor (`descriptors`).
//!
//! Invariants: a waiter is anything implementing `readiness::ReadyWake` (a task, for the layers
//! above) and a signal subscriber anything implementing `signals::SignalSink` (a channel):
//! this layer never names a task, a channel or a runtime. Wakers are returned to the caller and
//! woken with no lock of this layer held.

pub mod buffer;
pub mod descriptors;
pub mod disk;
pub mod handed_back;
pub mod io_ops;
pub mod net;
pub mod net_convert;
pub mod readiness;
pub mod signals;
pub mod tls;
