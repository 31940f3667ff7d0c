"""Streams and listeners over TCP and Unix sockets (shared by both flavours).

Every coroutine here is a generator-based coroutine (``types.coroutine``): yield it in the
yield flavour (``stream = yield open_tcp_stream(host, port)``) or await it in the colored one.
"""

from . import socket, tls
from ._streams import (
    SocketListener,
    SocketStream,
    open_tcp_listeners,
    open_tcp_stream,
    open_unix_socket,
    serve_listeners,
    serve_tcp,
)
from ._unix_listeners import open_unix_listener, serve_unix

__all__ = [
    "SocketListener",
    "SocketStream",
    "open_tcp_listeners",
    "open_tcp_stream",
    "open_unix_listener",
    "open_unix_socket",
    "serve_listeners",
    "serve_tcp",
    "serve_unix",
    "socket",
    "tls",
]
