//! Layer 5 of the core: the coroutine driver and the operations it starts.
//!
//! May use: every other layer. What is here: the driver that runs one step of a task
//! (`driver`), the operation behind each tonio awaitable and how it starts (`suspend`), what an
//! awaitable holds for the cyclic GC (`suspend_gc`), and socket calls as suspensions that retry
//! on readiness (`io_call`).
//!
//! Invariants: only the driver sends into a task's coroutine, on the thread that dequeued the
//! task; starting an operation either finishes at once or records one `Registration` in the
//! task body before the task parks. Nothing below this layer names it: the bindings create
//! `Suspend`s, and the driver finds them in yielded objects through the function the bindings
//! install (`driver::recognise`).

pub mod driver;
pub mod fd_wait;
pub mod io_call;
pub mod suspend;
pub mod suspend_gc;
