//! Converting socket arguments from Python: addresses and payloads.

use std::ffi::OsString;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;

use pyo3::exceptions::{PyOSError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyString, PyTuple};

use super::args::{int_arg, type_name};
use crate::common::net::{Address, Family};

/// Bytes to send: bytes, bytearray, memoryview (anything with the buffer protocol) or str
/// (encoded as UTF-8).
pub fn data_arg(value: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<u8>> {
    if let Ok(bytes) = value.cast::<PyBytes>() {
        return Ok(bytes.as_bytes().to_vec());
    }
    if let Ok(array) = value.cast::<PyByteArray>() {
        return Ok(array.to_vec());
    }
    if let Ok(text) = value.cast::<PyString>() {
        return Ok(text.to_str()?.as_bytes().to_vec());
    }
    match pyo3::buffer::PyBuffer::<u8>::get(value) {
        Ok(buffer) => buffer.to_vec(value.py()),
        Err(_) => Err(PyTypeError::new_err(format!(
            "{what} must be bytes-like or str, not {}",
            type_name(value)
        ))),
    }
}

/// A Unix socket path as the stdlib takes it: str (encoded with the filesystem encoding), bytes,
/// bytearray, or an `os.PathLike` of either. A leading NUL byte names a Linux abstract socket.
fn unix_path(value: &Bound<'_, PyAny>, what: &str) -> PyResult<PathBuf> {
    let refused = || {
        PyTypeError::new_err(format!(
            "{what} must be a path (str, bytes or os.PathLike) for an AF_UNIX socket, not {}",
            type_name(value)
        ))
    };
    let value = if value.is_instance_of::<PyString>()
        || value.is_instance_of::<PyBytes>()
        || value.is_instance_of::<PyByteArray>()
    {
        value.clone()
    } else {
        let fspath = value.py().import("os")?.getattr("fspath")?;
        fspath.call1((value,)).map_err(|_| refused())?
    };
    let bytes = if let Ok(bytes) = value.cast::<PyBytes>() {
        bytes.as_bytes().to_vec()
    } else if let Ok(array) = value.cast::<PyByteArray>() {
        array.to_vec()
    } else {
        value
            .extract::<OsString>()
            .map_err(|_| refused())?
            .into_vec()
    };
    Ok(PathBuf::from(OsString::from_vec(bytes)))
}

/// Parses `(host, port)` (resolving names), a `(host, port, flow, scope)` IPv6 tuple, or a
/// Unix path.
pub fn parse_address(family: Family, value: &Bound<'_, PyAny>, what: &str) -> PyResult<Address> {
    if family == Family::Unix {
        return unix_path(value, what).map(Address::Unix);
    }
    let tuple = value.cast::<PyTuple>().map_err(|_| {
        PyTypeError::new_err(format!(
            "{what} must be a (host, port) tuple, not {}",
            type_name(value)
        ))
    })?;
    if tuple.len() < 2 {
        return Err(PyTypeError::new_err(format!(
            "{what} must be a (host, port) tuple"
        )));
    }
    let host: String = tuple
        .get_item(0)?
        .extract()
        .map_err(|_| PyTypeError::new_err(format!("{what}: host must be a str")))?;
    let port = int_arg(&tuple.get_item(1)?, &format!("{what}: port"))?;
    let port = u16::try_from(port)
        .map_err(|_| PyValueError::new_err(format!("{what}: port must be 0-65535, got {port}")))?;
    let want_v6 = family == Family::Inet6;
    let host = match host.as_str() {
        "" => if want_v6 { "::" } else { "0.0.0.0" }.to_owned(),
        "<broadcast>" => "255.255.255.255".to_owned(),
        other => other.to_owned(),
    };
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(Address::Inet(SocketAddr::new(ip, port)));
    }
    let resolved = (host.as_str(), port)
        .to_socket_addrs()
        .map_err(|err| PyOSError::new_err(format!("{what}: cannot resolve {host:?}: {err}")))?;
    resolved
        .into_iter()
        .find(|addr| addr.is_ipv6() == want_v6)
        .map(Address::Inet)
        .ok_or_else(|| {
            PyOSError::new_err(format!(
                "{what}: no address of the socket's family for {host:?}"
            ))
        })
}
