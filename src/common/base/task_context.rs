//! The `contextvars` context a task runs in (runtime option `context`, on by default).
//!
//! With the option on, every task runs in a copy of the context current where it was spawned,
//! so a variable it sets is seen by itself and the tasks it spawns, never by its parent or
//! siblings. Most tasks never set one, and a copy per task is an allocation the cyclic GC
//! counts (on the 1M-task benchmark it caused one extra collection of the whole heap). So a
//! task spawned while the current context is *empty* gets no copy: it has no context of its
//! own, and each of its steps runs in an empty context borrowed from the thread. A step that leaves the borrowed context non-empty (it set a variable) or referenced
//! from elsewhere (a `Token` points at its context) makes that context the task's own.
//!
//! # Invariants
//! - A borrowed context goes back to the thread only if it is empty and nobody else holds it,
//!   so no two tasks can observe one context: an unobservable empty context is as good as a
//!   fresh copy of an empty one.
//! - A spawn concludes "the current context is empty" only when the current context is
//!   provably the running step's borrowed one (`PyContext_Exit` accepts only the current
//!   context; it is then entered again) and it holds no variable. Anything else (no step on
//!   this thread, a task with its own context, a nested `Context.run`) copies.
//! - Steps nest on one thread (`block_on` runs other tasks inside a step): each step takes the
//!   thread's spare context or makes one, and restores the outer step's marker when it ends.

use std::cell::Cell;
use std::ptr;

use pyo3::ffi;
use pyo3::prelude::*;

/// The context of one task: its own `contextvars.Context`, or none. Without one, the task
/// runs in whatever context is current on its thread when the runtime shares contexts
/// (`context=False`), and in a borrowed empty one otherwise (it was spawned from an empty
/// context and has not set a variable yet). Which of the two is the runtime's option, passed
/// to each call, so a task pays one pointer for this.
pub struct TaskContext(Option<Py<PyAny>>);

/// This thread's side of the scheme, in one thread-local (each access to a thread-local of a
/// shared library is a call: one per step boundary, not one per field).
struct ThreadSlots {
    /// An empty context no task holds, ready for the next borrowing step on this thread.
    spare: Cell<Option<Py<PyAny>>>,
    /// The borrowed context of the step running on this thread (null: none, or not borrowed).
    borrowed: Cell<*mut ffi::PyObject>,
}

thread_local! {
    static THREAD: ThreadSlots = const {
        ThreadSlots {
            spare: Cell::new(None),
            borrowed: Cell::new(ptr::null_mut()),
        }
    };
}

/// How the tasks of one spawn call get their contexts (decided once per call).
pub enum SpawnContext {
    Shared,
    Empty,
    /// The current context has variables: each task gets a copy of it (the first one, the
    /// copy `decide` made to look, if it made one).
    Copy(Cell<Option<Py<PyAny>>>),
}

impl SpawnContext {
    /// Looks at the context current on this thread.
    pub fn decide(py: Python<'_>, enabled: bool) -> PyResult<SpawnContext> {
        if !enabled {
            return Ok(SpawnContext::Shared);
        }
        if current_is_empty_borrowed(py) {
            return Ok(SpawnContext::Empty);
        }
        if THREAD.with(|slots| slots.borrowed.get()).is_null() {
            // Outside a borrowing step (the main task, a task with its own context, another
            // thread): one copy tells whether the current context is empty.
            let copy = copy_current(py)?;
            // Safety: we hold a reference to `copy` for the call.
            if unsafe { is_empty(py, copy.as_ptr()) } {
                return Ok(SpawnContext::Empty);
            }
            return Ok(SpawnContext::Copy(Cell::new(Some(copy))));
        }
        Ok(SpawnContext::Copy(Cell::new(None)))
    }

    /// The context of the next task of the spawn call.
    pub fn for_task(&self, py: Python<'_>) -> PyResult<TaskContext> {
        Ok(TaskContext(match self {
            SpawnContext::Shared | SpawnContext::Empty => None,
            SpawnContext::Copy(first) => Some(match first.take() {
                Some(copy) => copy,
                None => copy_current(py)?,
            }),
        }))
    }
}

impl TaskContext {
    /// Enters the task's context for one step (`copies`: the runtime's `context` option); pass
    /// the result to [`TaskContext::exit`].
    pub fn enter(&self, py: Python<'_>, copies: bool) -> Entered {
        if self.0.is_none() && !copies {
            return Entered::nothing();
        }
        THREAD.with(|slots| {
            let (context, borrowed) = match &self.0 {
                Some(context) => (context.clone_ref(py), false),
                None => match slots.spare.take().map_or_else(|| new_context(py), Ok) {
                    Ok(context) => (context, true),
                    Err(err) => {
                        err.write_unraisable(py, None);
                        return Entered::nothing();
                    }
                },
            };
            // Safety: `context` is a live contextvars.Context (we hold a reference) and we
            // are attached to the interpreter.
            if unsafe { ffi::PyContext_Enter(context.as_ptr()) } != 0 {
                PyErr::fetch(py).write_unraisable(py, None);
                return Entered::nothing();
            }
            let marker = if borrowed {
                context.as_ptr()
            } else {
                ptr::null_mut()
            };
            Entered {
                outer: slots.borrowed.replace(marker),
                context: Some(context),
                borrowed,
            }
        })
    }

    /// Leaves the step's context. A borrowed context the step left non-empty or referenced
    /// becomes the task's own; otherwise it goes back to the thread.
    pub fn exit(&mut self, py: Python<'_>, entered: Entered) {
        let Some(context) = entered.context else {
            return;
        };
        THREAD.with(|slots| {
            slots.borrowed.set(entered.outer);
            // Safety: exits the context this step entered, on this thread.
            if unsafe { ffi::PyContext_Exit(context.as_ptr()) } != 0 {
                PyErr::fetch(py).write_unraisable(py, None);
                return;
            }
            if !entered.borrowed {
                return;
            }
            // Safety: we hold a reference to the context; reading its reference count is a
            // plain load (one reference: ours).
            let unshared = unsafe { ffi::Py_REFCNT(context.as_ptr()) } == 1;
            // Safety: we hold a reference to `context` for the call.
            if unshared && unsafe { is_empty(py, context.as_ptr()) } {
                let spare = slots.spare.take();
                slots.spare.set(Some(spare.unwrap_or(context)));
            } else {
                self.0 = Some(context);
            }
        })
    }
}

/// What [`TaskContext::enter`] did, for [`TaskContext::exit`].
pub struct Entered {
    context: Option<Py<PyAny>>,
    borrowed: bool,
    outer: *mut ffi::PyObject,
}

impl Entered {
    /// Nothing entered: `exit` does nothing (and does not look at `outer`).
    fn nothing() -> Entered {
        Entered {
            context: None,
            borrowed: false,
            outer: ptr::null_mut(),
        }
    }
}

/// Whether the current context is the running step's borrowed context, still empty.
fn current_is_empty_borrowed(py: Python<'_>) -> bool {
    let borrowed = THREAD.with(|slots| slots.borrowed.get());
    if borrowed.is_null() {
        return false;
    }
    // Safety: `borrowed` is entered by the step running on this thread, which holds a reference
    // until it exits it. PyContext_Exit fails, changing nothing, unless it is the current
    // context; then it is entered again at once, restoring the thread's state.
    unsafe {
        if ffi::PyContext_Exit(borrowed) != 0 {
            drop(PyErr::fetch(py)); // a nested Context.run: not ours, copy it
            return false;
        }
        if ffi::PyContext_Enter(borrowed) != 0 {
            PyErr::fetch(py).write_unraisable(py, None);
            return false;
        }
        is_empty(py, borrowed)
    }
}

/// Whether `context` (a live contextvars.Context the caller holds) has no variables.
///
/// # Safety
/// `context` must point to a live object the caller keeps alive for the call.
unsafe fn is_empty(py: Python<'_>, context: *mut ffi::PyObject) -> bool {
    // Safety (for the call): guaranteed by the caller; we are attached (we hold `py`).
    match unsafe { ffi::PyObject_Length(context) } {
        0 => true,
        -1 => {
            drop(PyErr::fetch(py));
            false
        }
        _ => false,
    }
}

/// A copy of the calling thread's current `contextvars` context.
pub fn copy_current(py: Python<'_>) -> PyResult<Py<PyAny>> {
    // Safety: PyContext_CopyCurrent returns a new reference or NULL with an exception set; we
    // are attached to the interpreter (we hold `py`).
    unsafe { Bound::from_owned_ptr_or_err(py, ffi::PyContext_CopyCurrent()).map(Bound::unbind) }
}

fn new_context(py: Python<'_>) -> PyResult<Py<PyAny>> {
    // Safety: PyContext_New returns a new reference or NULL with an exception set; attached.
    unsafe { Bound::from_owned_ptr_or_err(py, ffi::PyContext_New()).map(Bound::unbind) }
}
