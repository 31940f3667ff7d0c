//! What an awaitable holds, for Python's cyclic garbage collector.
//!
//! Only the kinds that hold Python objects for as long as the user keeps the awaitable take part
//! (`holds_python_objects`; the bindings make those awaitables tracked: `bindings::suspension`
//! says why the others are not). They report what they hold by the rules of `run::gc`: a
//! coroutine not started yet is the awaitable's own; a group or a blocking job behind an `Arc`
//! is reported only while the awaitable is its only owner (a join handle whose tasks have all
//! finished), never while a run still uses it.
//!
//! `clear` breaks a cycle through an awaitable the collector found unreachable: coroutines not
//! started are dropped, and a join handle's group gives up its outcomes, reporting the errors
//! nobody retrieved to the unhandled-error hook (as dropping the group would).

use pyo3::gc::PyVisit;
use pyo3::PyTraverseError;

use crate::common::base::util::lock;
use crate::common::drive::suspend::SuspendKind;
use crate::common::run::gc;

impl SuspendKind {
    /// True for the kinds whose awaitables take part in the cyclic GC (see the module docs).
    pub fn holds_python_objects(&self) -> bool {
        matches!(
            self,
            SuspendKind::Join(_)
                | SuspendKind::Select(_)
                | SuspendKind::Timeout { .. }
                | SuspendKind::Blocking(_)
                | SuspendKind::Operation(_)
        )
    }

    /// Visits the Python objects the awaitable holds (see the module docs).
    pub fn traverse(&self, visit: &PyVisit<'_>) -> Result<(), PyTraverseError> {
        match self {
            SuspendKind::Join(group) => gc::traverse_group(group, visit),
            SuspendKind::Select(coros) => match gc::try_lock(coros) {
                Some(coros) => coros.iter().flatten().try_for_each(|coro| visit.call(coro)),
                None => Ok(()),
            },
            SuspendKind::Timeout { coro, .. } | SuspendKind::Operation(coro) => {
                match gc::try_lock(coro) {
                    Some(coro) => coro.iter().try_for_each(|coro| visit.call(coro)),
                    None => Ok(()),
                }
            }
            SuspendKind::Blocking(job) => match gc::sole(job) {
                Some(job) => job.traverse(visit),
                None => Ok(()),
            },
            _ => Ok(()),
        }
    }

    /// Lets go of what the awaitable holds (see the module docs).
    pub fn clear(&self) {
        match self {
            SuspendKind::Join(group) => {
                if let Some(group) = gc::sole(group) {
                    group.release_outcomes();
                }
            }
            SuspendKind::Select(coros) => drop(lock(coros).take()),
            SuspendKind::Timeout { coro, .. } | SuspendKind::Operation(coro) => {
                drop(lock(coro).take())
            }
            _ => {}
        }
    }
}
