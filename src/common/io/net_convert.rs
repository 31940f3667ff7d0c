//! Network results as Python sees them: errors as the stdlib's `OSError` subclasses, addresses
//! as the stdlib's tuples and paths.

use std::io;
use std::os::unix::ffi::OsStrExt;

use pyo3::exceptions::PyOSError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::common::io::net::Address;

/// The OS's words for `errno` (`os.strerror`), without Rust's " (os error N)".
pub fn strerror(errno: i32) -> String {
    let message = io::Error::from_raw_os_error(errno).to_string();
    match message.split_once(" (os error") {
        Some((words, _)) => words.to_owned(),
        None => message,
    }
}

/// An `io::Error` as the stdlib's `OSError` subclass for its errno (ConnectionRefusedError, ...).
pub fn os_error(py: Python<'_>, err: &io::Error) -> PyErr {
    let Some(errno) = err.raw_os_error() else {
        return PyOSError::new_err(err.to_string());
    };
    match py.get_type::<PyOSError>().call1((errno, strerror(errno))) {
        Ok(exc) => PyErr::from_value(exc),
        Err(err) => err,
    }
}

/// An address as Python sees it: `(host, port)`, a path string or an abstract name (bytes).
pub fn address_to_py(py: Python<'_>, address: &Address) -> PyResult<Py<PyAny>> {
    Ok(match address {
        Address::Inet(addr) => match addr {
            std::net::SocketAddr::V4(v4) => (v4.ip().to_string(), v4.port())
                .into_pyobject(py)?
                .into_any()
                .unbind(),
            std::net::SocketAddr::V6(v6) => {
                (v6.ip().to_string(), v6.port(), v6.flowinfo(), v6.scope_id())
                    .into_pyobject(py)?
                    .into_any()
                    .unbind()
            }
        },
        // A Linux abstract name (leading NUL) as bytes, a path as str decoded with the
        // filesystem encoding (undecodable bytes as surrogates), as the stdlib returns them.
        Address::Unix(path) => match path.as_os_str().as_bytes() {
            [0, ..] => PyBytes::new(py, path.as_os_str().as_bytes())
                .into_any()
                .unbind(),
            _ => path.as_os_str().into_pyobject(py)?.into_any().unbind(),
        },
        Address::UnixUnnamed => "".into_pyobject(py)?.into_any().unbind(),
    })
}
