//! Checks shared by every binding that takes arguments from Python: each failure is a
//! `TypeError`/`ValueError` whose message names the argument.

use pyo3::exceptions::{PyOverflowError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyInt};

pub use crate::common::base::errors::type_name;

/// An `int` (a `bool` is refused) that fits in an `i64`.
pub fn int_arg(value: &Bound<'_, PyAny>, what: &str) -> PyResult<i64> {
    checked_int(value, what)?
        .extract::<i64>()
        .map_err(|_| PyValueError::new_err(format!("{what} is out of range")))
}

/// An `int` of at least `min`, as a count.
pub fn count_arg(value: &Bound<'_, PyAny>, what: &str, min: i64) -> PyResult<usize> {
    let n = int_arg(value, what)?;
    if n < min {
        return Err(PyValueError::new_err(format!(
            "{what} must be >= {min}, got {n}"
        )));
    }
    usize::try_from(n).map_err(|_| PyValueError::new_err(format!("{what} is out of range")))
}

/// The error for an `int` too large for the C type an OS call takes: `OverflowError`, as the
/// stdlib raises there.
fn overflow_error(message: String) -> PyErr {
    PyOverflowError::new_err(message)
}

/// An `int` that is a size or count for the OS (`recv`'s bufsize, `recv_into`'s nbytes): a
/// negative one is a `ValueError`, one beyond a C `ssize_t` an `OverflowError`, as the stdlib.
pub fn size_arg(value: &Bound<'_, PyAny>, what: &str) -> PyResult<usize> {
    let n = checked_int(value, what)?
        .extract::<i64>()
        .map_err(|_| overflow_error(format!("{what} is too large")))?;
    usize::try_from(n)
        .map_err(|_| PyValueError::new_err(format!("{what} must not be negative, got {n}")))
}

/// An `int` passed to the OS as a C `int` (flags, backlog): out of its range is an
/// `OverflowError`, as the stdlib.
pub fn c_int_arg(value: &Bound<'_, PyAny>, what: &str) -> PyResult<i32> {
    checked_int(value, what)?
        .extract::<i32>()
        .map_err(|_| overflow_error(format!("{what} does not fit a C int")))
}

/// `value` if it is an `int` (a `bool` is refused).
fn checked_int<'a, 'py>(
    value: &'a Bound<'py, PyAny>,
    what: &str,
) -> PyResult<&'a Bound<'py, PyAny>> {
    if value.is_instance_of::<PyBool>() || !value.is_instance_of::<PyInt>() {
        return Err(PyTypeError::new_err(format!(
            "{what} must be an int, not {}",
            type_name(value)
        )));
    }
    Ok(value)
}

/// An `int` that fits a C `int` (socket levels, options, flags, families).
pub fn i32_arg(value: &Bound<'_, PyAny>, what: &str) -> PyResult<i32> {
    let n = int_arg(value, what)?;
    i32::try_from(n).map_err(|_| PyValueError::new_err(format!("{what} is out of range: {n}")))
}

/// A signal number: an `int` (a `signal.Signals` member is one) in `1..=64`.
pub fn signal_arg(value: &Bound<'_, PyAny>, what: &str) -> PyResult<i32> {
    if value.is_instance_of::<PyBool>() || !value.is_instance_of::<PyInt>() {
        return Err(PyTypeError::new_err(format!(
            "{what} takes signal numbers (int or signal.Signals), not {}",
            type_name(value)
        )));
    }
    match value.extract::<i64>() {
        Ok(number @ 1..=64) => Ok(number as i32),
        Ok(number) => Err(PyValueError::new_err(format!(
            "{what}: {number} is not a valid signal number"
        ))),
        Err(_) => Err(PyValueError::new_err(format!(
            "{what}: not a valid signal number"
        ))),
    }
}
