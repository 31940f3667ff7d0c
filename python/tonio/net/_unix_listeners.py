"""Unix listeners: ``open_unix_listener`` and ``serve_unix`` (permission bits, abstract names,
a path in use, stale socket files)."""

from __future__ import annotations

import errno
import os
import socket as _stdlib
import stat
import types
from collections.abc import Callable, Generator
from typing import Any

from .. import _tonio
from ._streams import SocketListener, SocketStream, _listen, serve_listeners

__all__ = ["open_unix_listener", "serve_unix"]


@types.coroutine
def open_unix_listener(
    path: str | os.PathLike[str], *, mode: int | None = None, backlog: int | None = None
) -> Generator[Any, Any, SocketListener]:
    """Evaluates to a :class:`SocketListener` bound to the Unix socket ``path``.

    ``mode``: the socket file's permission bits (set before it listens; ``ValueError`` for an
    abstract-namespace path, one starting with a NUL byte, which has no file). A path held by a
    live listener raises ``OSError(EADDRINUSE)`` naming it and is left alone; a stale socket
    file (its listener is gone) is replaced. A missing folder is ``FileNotFoundError``. (Under
    the simulator paths live in the run's own namespace: no file is touched.)"""
    path = os.fspath(path)
    if not isinstance(path, str):
        raise TypeError(f"path must be a str or os.PathLike of str, not {type(path).__name__}")
    abstract = path.startswith("\0")
    if mode is not None:
        if isinstance(mode, bool) or not isinstance(mode, int) or not 0 <= mode <= 0o7777:
            raise ValueError(f"mode must be permission bits (an int in 0..0o7777), not {mode!r}")
        if abstract:
            raise ValueError("mode= cannot apply to an abstract-namespace path: it has no file")
    simulated = _tonio.running_platform() == "sim"
    file_mode = None if simulated else mode
    try:
        return _listen(_stdlib.AF_UNIX, path, backlog, file_mode)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE or abstract or simulated:
            if exc.errno == errno.EADDRINUSE:
                raise _in_use(path) from exc
            raise
        if not (yield from _stale_socket_file(path)):
            raise _in_use(path) from exc
    os.unlink(path)
    return _listen(_stdlib.AF_UNIX, path, backlog, file_mode)


def _in_use(path: str) -> OSError:
    return OSError(errno.EADDRINUSE, f"Unix socket path {path!r} is in use by a live listener")


@types.coroutine
def _stale_socket_file(path: str):
    """Whether ``path`` is a socket file that nobody listens on any more."""
    try:
        if not stat.S_ISSOCK(os.lstat(path).st_mode):
            return False  # never remove what is not a socket
    except FileNotFoundError:
        return True
    probe = _tonio.socket(_stdlib.AF_UNIX, _stdlib.SOCK_STREAM)
    try:
        yield probe.connect(path)
    except ConnectionRefusedError:
        return True
    except OSError:
        return False
    finally:
        probe.close()
    return False


@types.coroutine
def serve_unix(
    handler: Callable[[SocketStream], Any],
    path: str | os.PathLike[str],
    *,
    mode: int | None = None,
    backlog: int | None = None,
) -> Generator[Any, Any]:
    """Serves connections on the Unix socket ``path`` until cancelled (``mode``, ``backlog``:
    as :func:`open_unix_listener`)."""
    listener = yield from open_unix_listener(path, mode=mode, backlog=backlog)
    yield from serve_listeners(handler, [listener])
