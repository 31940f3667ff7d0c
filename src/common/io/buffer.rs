//! A writable Python buffer held for the length of one operation (`recv_into`).
//!
//! # Invariants
//! - The view was obtained with `PyObject_GetBuffer(PyBUF_WRITABLE)` and is C-contiguous, so
//!   `buf[..len]` is one writable block of bytes.
//! - While the view is held its exporter keeps that block in place: a `bytearray` or `array`
//!   refuses to resize (`BufferError`), a `memoryview` cannot be released. So the block stays
//!   valid until `Drop`, whatever other threads do to the object meanwhile.
//! - The view lives in a `Box` and never moves: exporters may point `shape`/`strides` into it.
//! - It is released exactly once, in `Drop`, attached to the interpreter.
//!
//! # Why not `pyo3::buffer::PyBuffer<u8>`
//! It asks for a read-only view (`PyBUF_FULL_RO`) and for a `u8` element format; the stdlib's
//! `recv_into` takes any writable contiguous buffer (an `array('i')` too), asking for
//! `PyBUF_WRITABLE` so that a read-only object is refused by its exporter.

use std::ffi::c_char;

use pyo3::exceptions::PyTypeError;
use pyo3::ffi;
use pyo3::prelude::*;

use crate::common::base::errors::type_name;

pub struct WritableBuffer {
    view: Box<ffi::Py_buffer>,
}

// Safety: the view only holds pointers to the exporter (a strong reference, released in `Drop`
// attached to the interpreter) and to the pinned block of bytes (see the module invariants);
// neither is tied to the thread that took the view, so it may move to another thread. (It is
// not `Sync`: the `IoOp` that owns it is shared behind a mutex.)
unsafe impl Send for WritableBuffer {}

impl WritableBuffer {
    /// Takes a writable, C-contiguous view of `obj`; a `TypeError` naming `what` otherwise
    /// (the stdlib's error for a read-only or non-contiguous `recv_into` target).
    pub fn get(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<WritableBuffer> {
        let py = obj.py();
        let type_name = type_name(obj);
        let mut view = Box::new(ffi::Py_buffer::new());
        // Safety: `obj` is a live object (we hold a reference, attached), and `view` points to
        // a `Py_buffer` we own; on success the exporter fills it and holds its export count up.
        let rc = unsafe { ffi::PyObject_GetBuffer(obj.as_ptr(), &mut *view, ffi::PyBUF_WRITABLE) };
        if rc != 0 {
            let cause = PyErr::take(py);
            let err = PyTypeError::new_err(format!(
                "{what} must be a writable, contiguous bytes-like object (bytearray, memoryview, \
                 array, ...), not {type_name}"
            ));
            err.set_cause(py, cause);
            return Err(err);
        }
        // From here on `Drop` releases the view.
        let buffer = WritableBuffer { view };
        // Safety: the view was just filled by `PyObject_GetBuffer` and is still held.
        let contiguous = unsafe { ffi::PyBuffer_IsContiguous(&*buffer.view, b'C' as c_char) };
        if contiguous == 0 {
            return Err(PyTypeError::new_err(format!(
                "{what} must be a contiguous writable buffer, not a non-contiguous {type_name}"
            )));
        }
        Ok(buffer)
    }

    /// The size of the buffer in bytes.
    pub fn byte_len(&self) -> usize {
        usize::try_from(self.view.len).unwrap_or(0)
    }

    /// The first `len` bytes of the buffer (all of it if `len` is larger).
    ///
    /// Other Python threads may read or write these bytes while the slice is in use, as with
    /// the stdlib's `recv_into`: callers only hand it to the OS to write into.
    pub fn prefix_mut(&mut self, len: usize) -> &mut [u8] {
        let len = len.min(self.byte_len());
        if len == 0 {
            return &mut [];
        }
        // Safety: by the module invariants `buf[..self.byte_len()]` is one writable block that stays
        // allocated while the view is held, which outlives the returned borrow of `self`;
        // `len <= self.byte_len()` and `len > 0` (so `buf` is not null).
        unsafe { std::slice::from_raw_parts_mut(self.view.buf.cast::<u8>(), len) }
    }
}

impl Drop for WritableBuffer {
    fn drop(&mut self) {
        // Attached, as `PyBuffer_Release` (a decref and the exporter's release hook) requires.
        // If the interpreter is gone there is nothing left to release the view to.
        let _ = Python::try_attach(|_| {
            // Safety: the view was filled by `PyObject_GetBuffer` and this is its only release.
            unsafe { ffi::PyBuffer_Release(&mut *self.view) }
        });
    }
}
