//! Objects whose last reference may be dropped on any thread.
//!
//! On free-threaded CPython an object belongs to the thread that created it: a reference
//! dropped by another thread goes to a shared count, and an object whose count reaches zero
//! there is queued for its owning thread to free *the next time that thread runs Python code*.
//! A runtime worker can stay parked for a long time, so an object whose deallocation releases
//! something (a lock guard gives its permit back) could keep it held indefinitely.
//!
//! [`free_from_any_thread`] gives up the creating thread's ownership right after creation,
//! exactly as CPython's own `Py_SET_REFCNT` does for an object it does not own: the counts are
//! merged into the shared one and the object is marked unowned, so whichever thread drops the
//! last reference frees it at once.

use pyo3::ffi;

/// Makes `object` freed by whichever thread drops its last reference.
///
/// # Safety
/// `object` must be a live object created by the calling thread that no other thread can
/// reach yet (nothing else touches its reference counts while they are rewritten).
pub unsafe fn free_from_any_thread(object: *mut ffi::PyObject) {
    #[cfg(Py_GIL_DISABLED)]
    {
        use std::sync::atomic::Ordering::Relaxed;
        /// `_Py_REF_MERGED` and `_Py_REF_SHARED_SHIFT` of CPython's object.h.
        const MERGED: isize = 0x3;
        const SHARED_SHIFT: u32 = 2;
        // Safety (caller's contract): we are the only thread using the object's header.
        let header = unsafe { &mut *object };
        let local = header.ob_ref_local.load(Relaxed) as isize;
        if local == u32::MAX as isize {
            return; // immortal
        }
        let shared = header.ob_ref_shared.load(Relaxed) >> SHARED_SHIFT;
        header.ob_tid = 0;
        header.ob_ref_local.store(0, Relaxed);
        header
            .ob_ref_shared
            .store(((local + shared) << SHARED_SHIFT) | MERGED, Relaxed);
    }
    #[cfg(not(Py_GIL_DISABLED))]
    let _ = object;
}
