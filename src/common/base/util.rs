//! Small helpers shared by the core.

use std::sync::{Mutex, MutexGuard};

/// Locks `mutex`, ignoring poisoning.
///
/// A poisoned mutex means a panic happened while it was held. Every critical section in this
/// crate leaves its data consistent before it can panic (panics only come from broken invariants),
/// so the data is still usable and refusing it would turn one bug into a hang.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The number of cores the process may use, asked of the OS once (it reads cgroup files to
/// answer: about 10 us, and every `Runtime` wants it).
pub fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, usize::from))
}
