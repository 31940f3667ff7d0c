//! Layer 1 of the core: values and plumbing that know nothing of tasks or runtimes.
//!
//! May use: nothing else in `common`. What is here: Python errors and exception types
//! (`errors`), a task step's outcome and what a task resumes with (`outcome`), time in ticks
//! (`time`), the FIFO wait queue under every primitive (`waitqueue`), the `contextvars` context
//! a task runs in (`task_context`), the "one driver per coroutine" check (`ownership`),
//! argument checks for suspension constructors (`suspend_args`), freeing from any thread
//! (`refcount`), the never-awaited warning (`unawaited`), lock helpers (`util`).
//!
//! Invariant: nothing here locks more than its own mutex, calls into a scheduler or wakes a
//! task, so it can be used under any other lock.

pub mod errors;
pub mod outcome;
pub mod ownership;
pub mod refcount;
pub mod suspend_args;
pub mod task_context;
pub mod time;
pub mod unawaited;
pub mod util;
pub mod waitqueue;
