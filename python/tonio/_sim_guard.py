"""Reports real sockets used by a blocking call under the simulator.

The simulator runs ``spawn_blocking`` calls inline, with the simulation paused. Code there that
opens or resolves a real socket escapes the simulated network: its timing and results come
from the OS, so the run is no longer a function of its seed. An audit hook (installed once, when
the first simulated runtime is created) turns such a call into a ``RuntimeError`` naming it.
Only socket events are looked at, and only the simulator's blocking calls are refused.
"""

from __future__ import annotations

import sys
from typing import Any

from . import _tonio

_SOCKET_EVENTS = frozenset(
    {
        "socket.__new__",
        "socket.bind",
        "socket.connect",
        "socket.getaddrinfo",
        "socket.gethostbyaddr",
        "socket.gethostbyname",
        "socket.getnameinfo",
        "socket.sendmsg",
        "socket.sendto",
    }
)
_installed = False


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if event in _SOCKET_EVENTS and _tonio.in_simulated_blocking_call():
        raise RuntimeError(
            f"a blocking call under the simulator used a real socket ({event}): the simulated "
            "network cannot see it and the run would no longer be deterministic; use tonio.net "
            "from a task instead, or run this code on the real platform"
        )


def install() -> None:
    """Installs the hook (once per process; audit hooks cannot be removed)."""
    global _installed
    if not _installed:
        sys.addaudithook(_hook)
        _installed = True
