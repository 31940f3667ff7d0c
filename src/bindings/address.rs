//! Converting socket arguments from Python: addresses and payloads. Nothing here blocks: host
//! names are left to the caller to resolve off the worker threads.

use std::ffi::OsString;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6};
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;

use pyo3::exceptions::{PyMemoryError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyByteArray, PyBytes, PyString, PyTuple};

use super::args::{int_arg, type_name};
use crate::common::io::net::{Address, Family};

/// Bytes to send: bytes, bytearray, memoryview (anything with the buffer protocol) or str
/// (encoded as UTF-8), copied. A payload too large to copy is a `MemoryError`, not an abort.
pub fn data_arg(value: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<u8>> {
    if let Ok(bytes) = value.cast::<PyBytes>() {
        return copied(bytes.as_bytes(), what);
    }
    if let Ok(text) = value.cast::<PyString>() {
        return copied(text.to_str()?.as_bytes(), what);
    }
    // bytearray, memoryview, array('B'), ...: the view pins the memory while it is copied.
    let Ok(buffer) = pyo3::buffer::PyBuffer::<u8>::get(value) else {
        return Err(PyTypeError::new_err(format!(
            "{what} must be bytes-like or str, not {}",
            type_name(value)
        )));
    };
    let mut data = reserved(buffer.item_count(), what)?;
    data.resize(buffer.item_count(), 0);
    buffer.copy_to_slice(value.py(), &mut data)?;
    Ok(data)
}

/// An empty vector with room for `len` bytes, or a `MemoryError`.
fn reserved(len: usize, what: &str) -> PyResult<Vec<u8>> {
    let mut data = Vec::new();
    data.try_reserve_exact(len).map_err(|_| {
        PyMemoryError::new_err(format!("{what}: cannot copy {len} bytes: out of memory"))
    })?;
    Ok(data)
}

fn copied(bytes: &[u8], what: &str) -> PyResult<Vec<u8>> {
    let mut data = reserved(bytes.len(), what)?;
    data.extend_from_slice(bytes);
    Ok(data)
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

/// A parsed socket address, or a host name that must be resolved first.
pub enum Parsed {
    Address(Address),
    /// `(host, port, ...)` whose host is a name: it is resolved off the worker threads (see
    /// `python/tonio/net/_resolution.py`), never here.
    HostName,
}

/// Parses `(host, port)` with an IP literal (or `''`, `'<broadcast>'`), a
/// `(host, port, flowinfo, scope_id)` IPv6 tuple, or a Unix path. A host name is
/// `Parsed::HostName`: resolving it would block the calling worker.
pub fn parse_address(family: Family, value: &Bound<'_, PyAny>, what: &str) -> PyResult<Parsed> {
    if family == Family::Unix {
        return unix_path(value, what).map(|path| Parsed::Address(Address::Unix(path)));
    }
    let tuple = value.cast::<PyTuple>().map_err(|_| {
        PyTypeError::new_err(format!(
            "{what} must be a (host, port) tuple, not {}",
            type_name(value)
        ))
    })?;
    if tuple.len() < 2 || tuple.len() > 4 {
        return Err(PyTypeError::new_err(format!(
            "{what} must be a (host, port) tuple (or (host, port, flowinfo, scope_id) for \
             AF_INET6)"
        )));
    }
    let host: String = tuple
        .get_item(0)?
        .extract()
        .map_err(|_| PyTypeError::new_err(format!("{what}: host must be a str")))?;
    let port = int_arg(&tuple.get_item(1)?, &format!("{what}: port"))?;
    let port = u16::try_from(port)
        .map_err(|_| PyValueError::new_err(format!("{what}: port must be 0-65535, got {port}")))?;
    let (flowinfo, scope_id) = ipv6_extras(tuple, what)?;
    let want_v6 = family == Family::Inet6;
    let ip = match host.as_str() {
        "" if want_v6 => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        "" => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        "<broadcast>" => IpAddr::V4(Ipv4Addr::BROADCAST),
        other => match other.parse::<IpAddr>() {
            Ok(ip) => ip,
            Err(_) => return Ok(Parsed::HostName),
        },
    };
    Ok(Parsed::Address(Address::Inet(match ip {
        IpAddr::V6(v6) => SocketAddr::V6(SocketAddrV6::new(v6, port, flowinfo, scope_id)),
        IpAddr::V4(v4) => SocketAddr::new(IpAddr::V4(v4), port),
    })))
}

/// The optional `flowinfo` (20 bits) and `scope_id` of an IPv6 address tuple, 0 when absent.
fn ipv6_extras(tuple: &Bound<'_, PyTuple>, what: &str) -> PyResult<(u32, u32)> {
    let item = |index: usize, name: &str, max: u32| -> PyResult<u32> {
        if index >= tuple.len() {
            return Ok(0);
        }
        let n = int_arg(&tuple.get_item(index)?, &format!("{what}: {name}"))?;
        u32::try_from(n).ok().filter(|n| *n <= max).ok_or_else(|| {
            PyValueError::new_err(format!("{what}: {name} must be 0-{max}, got {n}"))
        })
    };
    Ok((
        item(2, "flowinfo", 0xF_FFFF)?,
        item(3, "scope_id", u32::MAX)?,
    ))
}

/// For a host name: the coroutine (`tonio.net._resolution.by_name`) that resolves it on the
/// blocking pool, then evaluates to `socket.<method>(*leading, resolved_address)`.
pub fn resolve_then(
    socket: &Bound<'_, PyAny>,
    address: &Bound<'_, PyAny>,
    method: &str,
    leading: &[Bound<'_, PyAny>],
) -> PyResult<Py<PyAny>> {
    static BY_NAME: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let py = socket.py();
    let by_name = BY_NAME.import(py, "tonio.net._resolution", "by_name")?;
    let mut args = vec![
        socket.clone(),
        address.clone(),
        method.into_pyobject(py)?.into_any(),
    ];
    args.extend(leading.iter().cloned());
    Ok(by_name.call1(PyTuple::new(py, args)?)?.unbind())
}
