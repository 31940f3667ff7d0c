//! The Python binding layer: argument checking and conversion, nothing else.
//!
//! Each file wraps one public concept; the behaviour lives in `common` (and the platforms).

pub mod address;
pub mod api;
pub mod args;
pub mod as_completed;
pub mod channel;
pub mod descriptor;
pub mod disk_calls;
pub mod eager;
pub mod event;
pub mod generic;
pub mod guard;
pub mod interval;
pub mod options;
pub mod ready;
pub mod runtime;
pub mod scope;
pub mod signals;
pub mod sim_collector;
pub mod sim_disk;
pub mod sim_network;
pub mod sim_schedule;
pub mod socket;
pub mod socket_args;
pub mod suspension;
pub mod sync;
pub mod task_info;
pub mod tls;
