"""Certificates and the four client/server configuration mixes the TLS tests run over."""

import ssl

import tonio.testing

CA = tonio.testing.CA()
LEAF = CA.issue_cert("localhost", "127.0.0.1")


def stdlib_server_context(leaf=LEAF):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    leaf.configure_cert(context)
    return context


def stdlib_client_context(ca=CA):
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


#: (server config, client config) per mix: rustls (ours) or a stdlib ssl.SSLContext each side.
CONFIGS = {
    "rustls": lambda: (LEAF.server_config(), CA.client_config()),
    "stdlib": lambda: (stdlib_server_context(), stdlib_client_context()),
    "rustls-server-stdlib-client": lambda: (LEAF.server_config(), stdlib_client_context()),
    "stdlib-server-rustls-client": lambda: (stdlib_server_context(), CA.client_config()),
}
