"""Test helpers: a certificate authority for TLS tests (a trustme for free-threaded Python).

    ca = tonio.testing.CA()
    leaf = ca.issue_cert("localhost", "127.0.0.1")
    server = leaf.server_config()          # tonio.net.tls.ServerConfig
    client = ca.client_config()            # tonio.net.tls.ClientConfig trusting the CA

    ctx = ssl.create_default_context()     # or stdlib contexts
    ca.configure_trust(ctx)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    leaf.configure_cert(server_ctx)

Keys and certificates are generated in memory (rcgen, in Rust); nothing is written to disk
except, briefly, by ``configure_cert`` (the stdlib loads certificate chains from files only).
"""

from __future__ import annotations

import os
import ssl
import tempfile
from collections.abc import Iterable

from . import _tonio
from .net.tls import ClientConfig, ServerConfig

__all__ = ["CA", "LeafCert"]


class LeafCert:
    """A certificate issued by a :class:`CA`, with its private key (PEM bytes)."""

    __slots__ = ("cert_chain_pem", "private_key_pem")

    def __init__(self, cert_chain_pem: bytes, private_key_pem: bytes) -> None:
        #: The leaf certificate followed by the CA's, PEM.
        self.cert_chain_pem = cert_chain_pem
        #: The leaf's private key, PEM (PKCS#8).
        self.private_key_pem = private_key_pem

    def configure_cert(self, ssl_context: ssl.SSLContext) -> None:
        """Makes ``ssl_context`` present this certificate (``load_cert_chain``)."""
        with tempfile.TemporaryDirectory() as directory:
            chain = os.path.join(directory, "chain.pem")
            key = os.path.join(directory, "key.pem")
            with open(chain, "wb") as file:
                file.write(self.cert_chain_pem)
            with open(key, "wb") as file:
                file.write(self.private_key_pem)
            ssl_context.load_cert_chain(chain, key)

    def server_config(
        self, *, client_ca: CA | None = None, alpn: Iterable[str | bytes] = ()
    ) -> ServerConfig:
        """A :class:`~tonio.net.tls.ServerConfig` presenting this certificate; with
        ``client_ca``, clients must present a certificate issued by that CA."""
        return ServerConfig(
            cert_chain=self.cert_chain_pem,
            private_key=self.private_key_pem,
            client_ca=None if client_ca is None else client_ca.cert_pem,
            alpn=tuple(alpn),
        )


class CA:
    """A self-signed certificate authority for tests."""

    __slots__ = ("_ca",)

    def __init__(self) -> None:
        self._ca = _tonio.TestCA()

    @property
    def cert_pem(self) -> bytes:
        """The CA certificate, PEM."""
        return self._ca.cert_pem

    def issue_cert(self, *hostnames: str) -> LeafCert:
        """A new certificate for ``hostnames`` (DNS names or IP addresses), signed by this CA."""
        chain, key = self._ca.issue(*hostnames)
        return LeafCert(chain, key)

    def configure_trust(self, ssl_context: ssl.SSLContext) -> None:
        """Makes ``ssl_context`` trust this CA (``load_verify_locations``)."""
        ssl_context.load_verify_locations(cadata=self.cert_pem.decode())

    def client_config(
        self, *, cert: LeafCert | None = None, alpn: Iterable[str | bytes] = ()
    ) -> ClientConfig:
        """A :class:`~tonio.net.tls.ClientConfig` trusting this CA; with ``cert``, presenting
        that client certificate (mutual TLS)."""
        return ClientConfig(
            ca_certs=self.cert_pem,
            cert_chain=None if cert is None else cert.cert_chain_pem,
            private_key=None if cert is None else cert.private_key_pem,
            alpn=tuple(alpn),
        )
