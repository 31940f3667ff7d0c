//! Validation of the arguments Python passes to suspension constructors.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyFloat, PyInt};

use crate::common::base::errors::type_name;

/// A number of seconds: an int or float, not a bool, not NaN. Negative values are allowed (they
/// mean "now").
pub fn seconds(value: &Bound<'_, PyAny>, name: &str) -> PyResult<f64> {
    if value.is_instance_of::<PyBool>()
        || !(value.is_instance_of::<PyInt>() || value.is_instance_of::<PyFloat>())
    {
        let type_name = type_name(value);
        return Err(PyTypeError::new_err(format!(
            "{name} must be a number of seconds (int or float), not {type_name}"
        )));
    }
    let seconds: f64 = value.extract()?;
    if seconds.is_nan() {
        return Err(PyValueError::new_err(format!(
            "{name} must be a number of seconds, not NaN"
        )));
    }
    Ok(seconds)
}

/// Checks that `value` is something a task can run: a generator or a coroutine (or an object
/// with the same `send`/`throw` protocol).
pub fn coroutine(value: &Bound<'_, PyAny>, what: &str) -> PyResult<()> {
    let ptr = value.as_ptr();
    // Safety: the check functions only read the object's type; `ptr` is a live object we hold.
    let is_native =
        unsafe { pyo3::ffi::PyGen_Check(ptr) != 0 || pyo3::ffi::PyCoro_CheckExact(ptr) != 0 };
    if is_native || (value.hasattr("send")? && value.hasattr("throw")?) {
        return Ok(());
    }
    let type_name = type_name(value);
    let hint = if value.is_callable() {
        " (did you forget to call it?)"
    } else {
        ""
    };
    Err(PyTypeError::new_err(format!(
        "{what} takes generators or coroutines, got {type_name}{hint}"
    )))
}
