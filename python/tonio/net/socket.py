"""Low-level sockets mirroring the stdlib :mod:`socket` module.

``socket(family=AF_INET, type=SOCK_STREAM, proto=0)`` creates a non-blocking socket of the
running runtime. Blocking methods are awaitables (``yield sock.recv(1024)`` /
``await sock.recv(1024)``): ``bind``, ``connect``, ``accept``, ``recv``, ``recv_into``,
``recvfrom``, ``send``, ``sendall``, ``sendto``. ``listen``, ``setsockopt``, ``getsockopt``,
``getsockname``, ``getpeername``, ``shutdown``, ``close`` and ``fileno`` are plain calls.
``socket(fileno=fd)`` adopts an open descriptor (it then owns it), ``fromfd(fd, family, type)``
adopts a duplicate, ``socketpair()`` gives two connected sockets (also on the simulated
network, which has no descriptors to adopt).
Errors are the stdlib's ``OSError`` subclasses with the OS errno.
"""

from socket import (
    AF_INET,
    AF_INET6,
    AF_UNIX,
    IPPROTO_TCP,
    IPPROTO_UDP,
    SHUT_RD,
    SHUT_RDWR,
    SHUT_WR,
    SO_KEEPALIVE,
    SO_RCVBUF,
    SO_REUSEADDR,
    SO_REUSEPORT,
    SO_SNDBUF,
    SOCK_DGRAM,
    SOCK_STREAM,
    SOL_SOCKET,
    TCP_NODELAY,
)

from .._tonio import fromfd, socket, socketpair

#: The socket class, as the stdlib's ``socket.SocketType`` (for annotations).
SocketType = socket

__all__ = [
    "AF_INET",
    "AF_INET6",
    "AF_UNIX",
    "IPPROTO_TCP",
    "IPPROTO_UDP",
    "SHUT_RD",
    "SHUT_RDWR",
    "SHUT_WR",
    "SOCK_DGRAM",
    "SOCK_STREAM",
    "SOL_SOCKET",
    "SocketType",
    "SO_KEEPALIVE",
    "SO_RCVBUF",
    "SO_REUSEADDR",
    "SO_REUSEPORT",
    "SO_SNDBUF",
    "TCP_NODELAY",
    "fromfd",
    "socket",
    "socketpair",
]
