//! The simulated platform: one thread, a seeded scheduler, a virtual clock, an in-memory
//! network and, with `disk=`, an in-memory disk.
//!
//! # Determinism rules
//! A run is a pure function of `(seed, strategy, program)`:
//! - every choice draws from ChaCha streams derived from the seed, one stream per concern
//!   (scheduling, entropy, network, disk), so a change in one does not reshuffle the other;
//! - no wall clock: time is a counter that moves only when nothing is runnable;
//! - no OS threads: blocking calls run inline, with the simulation paused;
//! - anything iterated has a fixed order (ready queue in wake order, timers by
//!   `(deadline, sequence)`, groups by id); ids come from counters.
//!
//! `check_determinism` (in `tonio.sim.explore`) runs seeds twice and compares trace hashes.

pub mod disk;
pub mod errors;
pub mod hosts;
pub mod net;
mod net_arrivals;
mod net_calls;
mod net_datagrams;
mod net_faults;
mod net_streams;
pub mod platform;
mod run_end;

pub mod schedule;
pub mod strategy;
pub mod trace;
pub mod wire;
