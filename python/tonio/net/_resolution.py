"""Host-name resolution for the raw socket methods, on the blocking pool.

``socket.connect``, ``bind`` and ``sendto`` parse IP literals in Rust and go straight to the
operation. For a host name they return :func:`by_name` instead: a generator-based coroutine
(so both ``yield`` and ``await`` run it) that resolves the name with ``getaddrinfo`` on the
blocking pool, never on a worker thread, then performs the operation on the address found.
Under the simulator names resolve in the simulated network instead (no OS resolver).
"""

from __future__ import annotations

import socket as _stdlib
import types
from typing import Any

from .. import _tonio


@types.coroutine
def by_name(sock: _tonio.socket, address: tuple, method: str, *leading: Any):
    """Resolves the host of ``address`` for ``sock``'s family, then evaluates to
    ``getattr(sock, method)(*leading, resolved)``.

    As the stdlib, the first address ``getaddrinfo`` gives for the socket's family is used; a
    name that does not resolve raises ``socket.gaierror``.
    """
    host, port = address[0], address[1]
    simulated = _tonio.resolve_in_platform(host)  # the simulated network's own names
    if simulated is not None:
        return (yield getattr(sock, method)(*leading, (simulated, *address[1:])))
    infos = yield _tonio.spawn_blocking(_stdlib.getaddrinfo, host, port, sock.family, sock.type)
    if not infos:
        raise OSError(f"no address of the socket's family for {host!r}")
    sockaddr = infos[0][4]
    # An IPv6 tuple given with flowinfo/scope_id keeps them; otherwise getaddrinfo's are used.
    resolved = (sockaddr[0], *address[1:]) if len(address) > 2 else sockaddr
    return (yield getattr(sock, method)(*leading, resolved))
