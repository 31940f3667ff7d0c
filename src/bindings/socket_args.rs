//! Arguments of `tonio.net.socket.socket` and its methods: families and types as the OS numbers
//! them, optional ints. Each failure names the argument.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use super::args::{c_int_arg, i32_arg};
use crate::common::io::net::{Family, Kind};

/// An optional `int` argument that fits a C `int`, with its default (`ValueError` out of range).
pub fn optional_i32(value: Option<&Bound<'_, PyAny>>, what: &str, default: i32) -> PyResult<i32> {
    match value {
        Some(value) if !value.is_none() => i32_arg(value, what),
        _ => Ok(default),
    }
}

/// An optional C `int` passed to the OS (flags, backlog): `OverflowError` out of range.
pub fn optional_c_int(value: Option<&Bound<'_, PyAny>>, what: &str, default: i32) -> PyResult<i32> {
    match value {
        Some(value) if !value.is_none() => c_int_arg(value, what),
        _ => Ok(default),
    }
}

/// `AF_INET`, `AF_INET6` or `AF_UNIX`.
pub fn family_from(number: i32) -> PyResult<Family> {
    match number {
        libc::AF_INET => Ok(Family::Inet),
        libc::AF_INET6 => Ok(Family::Inet6),
        libc::AF_UNIX => Ok(Family::Unix),
        other => Err(PyValueError::new_err(format!(
            "family: unsupported address family {other}"
        ))),
    }
}

pub fn family_number(family: Family) -> i32 {
    match family {
        Family::Inet => libc::AF_INET,
        Family::Inet6 => libc::AF_INET6,
        Family::Unix => libc::AF_UNIX,
    }
}

/// `SOCK_STREAM` or `SOCK_DGRAM` (`SOCK_NONBLOCK`/`SOCK_CLOEXEC` are accepted and implied).
pub fn kind_from(number: i32) -> PyResult<Kind> {
    match number & !(libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC) {
        libc::SOCK_STREAM => Ok(Kind::Stream),
        libc::SOCK_DGRAM => Ok(Kind::Datagram),
        other => Err(PyValueError::new_err(format!(
            "type: unsupported socket type {other}"
        ))),
    }
}

pub fn kind_number(kind: Kind) -> i32 {
    match kind {
        Kind::Stream => libc::SOCK_STREAM,
        Kind::Datagram => libc::SOCK_DGRAM,
    }
}
