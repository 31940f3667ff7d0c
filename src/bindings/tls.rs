//! Python bindings of the rustls engine: `ClientConfig`, `ServerConfig` (in
//! `tonio.net.tls`), the session the Python `TLSStream` drives (`_tonio.TLSSession`), and the
//! test CA behind `tonio.testing.CA`.

use std::io::{self, BufRead, Write};
use std::sync::Arc;

use pyo3::exceptions::{PyException, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyString, PyTuple};

use super::args::type_name;
use crate::common::io::net_convert::os_error;
use crate::common::io::tls::config;
use crate::common::io::tls::session::{Plain, TlsSession as Session};
use crate::common::io::tls::test_ca::TestCa;

pyo3::create_exception!(
    _tonio,
    TLSError,
    PyException,
    "A TLS session failed (handshake, certificate, protocol); `TLSStream` turns it into \
     `tonio.exceptions.ResourceBroken`."
);

/// PEM given as bytes (the PEM text) or as a path (`str` or path-like: the file's contents).
fn pem_arg(py: Python<'_>, value: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<u8>> {
    if let Ok(bytes) = value.cast::<PyBytes>() {
        return Ok(bytes.as_bytes().to_vec());
    }
    if let Ok(bytes) = value.cast::<PyByteArray>() {
        return Ok(bytes.to_vec());
    }
    let path = py
        .import("os")?
        .call_method1("fspath", (value,))
        .map_err(|_| {
            PyTypeError::new_err(format!(
                "{what} must be PEM bytes or a path, not {}",
                type_name(value)
            ))
        })?;
    let path: std::path::PathBuf = path.extract()?;
    std::fs::read(&path).map_err(|e| os_error(py, &e))
}

fn optional_pem(
    py: Python<'_>,
    value: Option<&Bound<'_, PyAny>>,
    what: &str,
) -> PyResult<Option<Vec<u8>>> {
    match value.filter(|v| !v.is_none()) {
        Some(v) => pem_arg(py, v, what).map(Some),
        None => Ok(None),
    }
}

/// ALPN protocol names: an iterable of `str` or `bytes`.
fn alpn_arg(value: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<Vec<u8>>> {
    let Some(value) = value.filter(|v| !v.is_none()) else {
        return Ok(Vec::new());
    };
    if value.is_instance_of::<PyString>() || value.is_instance_of::<PyBytes>() {
        return Err(PyTypeError::new_err(
            "alpn must be a sequence of protocol names, e.g. ('h2', 'http/1.1')",
        ));
    }
    let mut names = Vec::new();
    for item in value.try_iter()? {
        let item = item?;
        let name: Vec<u8> = if let Ok(text) = item.cast::<PyString>() {
            text.to_str()?.as_bytes().to_vec()
        } else if let Ok(bytes) = item.cast::<PyBytes>() {
            bytes.as_bytes().to_vec()
        } else {
            return Err(PyTypeError::new_err(format!(
                "ALPN protocol names are str or bytes, not {}",
                type_name(&item)
            )));
        };
        if name.is_empty() || name.len() > 255 {
            return Err(PyValueError::new_err(
                "an ALPN protocol name is 1 to 255 bytes long",
            ));
        }
        names.push(name);
    }
    Ok(names)
}

/// The client side of TLS on rustls: whom to trust, what to present, what to offer.
#[pyclass(module = "tonio.net.tls", name = "ClientConfig", frozen)]
pub struct ClientConfig {
    pub inner: Arc<rustls::ClientConfig>,
}

#[pymethods]
impl ClientConfig {
    /// `ca_certs`: PEM (bytes or a path) of the CAs to trust (default: the system store);
    /// `cert_chain` and `private_key`: a client certificate (mutual TLS); `alpn`: protocols to
    /// offer, in preference order.
    #[new]
    #[pyo3(signature = (*, ca_certs=None, cert_chain=None, private_key=None, alpn=None))]
    fn new(
        py: Python<'_>,
        ca_certs: Option<Bound<'_, PyAny>>,
        cert_chain: Option<Bound<'_, PyAny>>,
        private_key: Option<Bound<'_, PyAny>>,
        alpn: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let ca = optional_pem(py, ca_certs.as_ref(), "ca_certs")?;
        let chain = optional_pem(py, cert_chain.as_ref(), "cert_chain")?;
        let key = optional_pem(py, private_key.as_ref(), "private_key")?;
        let inner = config::client_config(
            ca.as_deref(),
            chain.as_deref(),
            key.as_deref(),
            alpn_arg(alpn.as_ref())?,
        )
        .map_err(PyValueError::new_err)?;
        Ok(ClientConfig { inner })
    }
}

/// The server side of TLS on rustls: the certificate to present, whom to require.
#[pyclass(module = "tonio.net.tls", name = "ServerConfig", frozen)]
pub struct ServerConfig {
    pub inner: Arc<rustls::ServerConfig>,
}

#[pymethods]
impl ServerConfig {
    /// `cert_chain` and `private_key`: PEM (bytes or a path); `client_ca`: require client
    /// certificates issued by these CAs (mutual TLS); `alpn`: protocols accepted, in preference
    /// order.
    #[new]
    #[pyo3(signature = (*, cert_chain, private_key, client_ca=None, alpn=None))]
    fn new(
        py: Python<'_>,
        cert_chain: Bound<'_, PyAny>,
        private_key: Bound<'_, PyAny>,
        client_ca: Option<Bound<'_, PyAny>>,
        alpn: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let chain = pem_arg(py, &cert_chain, "cert_chain")?;
        let key = pem_arg(py, &private_key, "private_key")?;
        let ca = optional_pem(py, client_ca.as_ref(), "client_ca")?;
        let inner = config::server_config(&chain, &key, ca.as_deref(), alpn_arg(alpn.as_ref())?)
            .map_err(PyValueError::new_err)?;
        Ok(ServerConfig { inner })
    }
}

fn tls_error(reason: String) -> PyErr {
    TLSError::new_err(reason)
}

/// One TLS connection end, driven by `tonio.net.tls.TLSStream` (not a public API).
#[pyclass(module = "tonio._tonio", name = "TLSSession", frozen)]
pub struct TLSSession {
    session: Session,
}

impl TLSSession {
    /// The ciphertext to send, written by rustls straight into a bytes object (`capacity`:
    /// the room to start with).
    fn ciphertext<'py>(&self, py: Python<'py>, capacity: usize) -> PyResult<Bound<'py, PyBytes>> {
        PyBytes::new_with_writer(py, capacity, |out| {
            self.session.pending_into(out);
            Ok(())
        })
    }
}

/// Copies `n` bytes from `reader`'s buffer into `out` (the reader holds at least `n`).
fn copy_exactly(mut n: usize, reader: &mut dyn BufRead, out: &mut dyn Write) -> io::Result<()> {
    while n > 0 {
        let chunk = reader.fill_buf()?;
        if chunk.is_empty() {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let k = chunk.len().min(n);
        out.write_all(&chunk[..k])?;
        reader.consume(k);
        n -= k;
    }
    Ok(())
}

#[pymethods]
impl TLSSession {
    /// A client session for `server_hostname` (SNI and certificate name check).
    #[staticmethod]
    fn client(config: PyRef<'_, ClientConfig>, server_hostname: &str) -> PyResult<Self> {
        let session = Session::client(config.inner.clone(), server_hostname)
            .map_err(PyValueError::new_err)?;
        Ok(TLSSession { session })
    }

    #[staticmethod]
    fn server(config: PyRef<'_, ServerConfig>) -> PyResult<Self> {
        let session = Session::server(config.inner.clone()).map_err(PyValueError::new_err)?;
        Ok(TLSSession { session })
    }

    /// Takes ciphertext from the transport (`b''`: the transport ended). Raises `TLSError`.
    fn feed(&self, data: &[u8]) -> PyResult<()> {
        self.session.feed(data).map_err(tls_error)
    }

    /// Ciphertext to send to the peer (may be empty).
    fn pending<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        self.ciphertext(py, 4096)
    }

    /// Up to `max_bytes` of plaintext: bytes; `None` when more ciphertext is needed first;
    /// `b''` at the peer's close_notify. A transport that ended without close_notify raises
    /// `TLSError`, unless `truncation_is_eof` (then `b''`).
    fn read<'py>(
        &self,
        py: Python<'py>,
        max_bytes: usize,
        truncation_is_eof: bool,
    ) -> PyResult<Option<Bound<'py, PyBytes>>> {
        // The plaintext goes from rustls's buffer straight into the bytes object.
        let copy = |n: usize, reader: &mut dyn BufRead| {
            PyBytes::new_with_writer(py, n, |out| {
                copy_exactly(n, reader, out).map_err(Into::into)
            })
        };
        match self.session.read(max_bytes, copy).map_err(tls_error)? {
            Plain::Data(data) => data.map(Some),
            Plain::NeedMore => Ok(None),
            Plain::Closed => Ok(Some(PyBytes::new(py, b""))),
            Plain::Truncated if truncation_is_eof => Ok(Some(PyBytes::new(py, b""))),
            Plain::Truncated => Err(tls_error(
                "the peer closed the connection without a TLS close_notify (truncation)".into(),
            )),
        }
    }

    /// `feed(data)` then `read(max_bytes, truncation_is_eof)`, in one call (the receive path).
    fn feed_read<'py>(
        &self,
        py: Python<'py>,
        data: &[u8],
        max_bytes: usize,
        truncation_is_eof: bool,
    ) -> PyResult<Option<Bound<'py, PyBytes>>> {
        self.session.feed(data).map_err(tls_error)?;
        self.read(py, max_bytes, truncation_is_eof)
    }

    /// `write(data)` then `pending()`, in one call (the send path): `(taken, ciphertext)`.
    fn seal<'py>(&self, py: Python<'py>, data: &[u8]) -> PyResult<(usize, Bound<'py, PyBytes>)> {
        let taken = self.session.write(data).map_err(tls_error)?;
        // Records add a little to the plaintext: room for them up front, so nothing moves.
        Ok((taken, self.ciphertext(py, taken + 1024)?))
    }

    #[getter]
    fn handshaking(&self) -> bool {
        self.session.handshaking()
    }

    /// The ALPN protocol agreed with the peer, or `None`.
    #[getter]
    fn alpn_protocol(&self) -> Option<String> {
        self.session
            .alpn()
            .map(|p| String::from_utf8_lossy(&p).into_owned())
    }

    /// Whether the handshake resumed an earlier session (the client remembers sessions per
    /// `ClientConfig`).
    #[getter]
    fn session_reused(&self) -> bool {
        self.session.resumed()
    }

    /// Queues close_notify (send `pending()` after).
    fn close_notify(&self) {
        self.session.close_notify();
    }
}

/// The certificate authority behind `tonio.testing.CA`.
#[pyclass(module = "tonio._tonio", name = "TestCA", frozen)]
pub struct TestCA {
    ca: TestCa,
}

#[pymethods]
impl TestCA {
    #[new]
    fn new() -> PyResult<Self> {
        Ok(TestCA {
            ca: TestCa::new().map_err(PyValueError::new_err)?,
        })
    }

    /// The CA certificate, PEM.
    #[getter]
    fn cert_pem<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.ca.cert_pem.as_bytes())
    }

    /// `(cert_chain_pem, private_key_pem)` of a new leaf for `hostnames`.
    #[pyo3(signature = (*hostnames))]
    fn issue<'py>(
        &self,
        py: Python<'py>,
        hostnames: &Bound<'py, PyTuple>,
    ) -> PyResult<(Bound<'py, PyBytes>, Bound<'py, PyBytes>)> {
        let names: Vec<String> = hostnames
            .iter()
            .map(|name| {
                name.extract::<String>().map_err(|_| {
                    PyTypeError::new_err(format!("host names are str, not {}", type_name(&name)))
                })
            })
            .collect::<PyResult<_>>()?;
        let leaf = self.ca.issue(&names).map_err(PyValueError::new_err)?;
        Ok((
            PyBytes::new(py, leaf.cert_chain_pem.as_bytes()),
            PyBytes::new(py, leaf.private_key_pem.as_bytes()),
        ))
    }
}
