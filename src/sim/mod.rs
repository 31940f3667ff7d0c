//! The simulated platform: one thread, a virtual clock, a seeded scheduler.
//!
//! This is the first cut (FIFO order, virtual time, deadlock detection) that proves the
//! `Platform` trait fits a single-threaded deterministic implementation; seeded strategies,
//! traces and replay come with the simulation issue.

pub mod platform;
