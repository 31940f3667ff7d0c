"""``IOWrapper``: an open file whose I/O methods are awaitables (both flavours).

``read``, ``read1``, ``readline``, ``readlines``, ``readinto``, ``readinto1``, ``peek``,
``write``, ``writelines``, ``seek``, ``tell``, ``truncate``, ``flush``, ``close``, ``detach``
and ``sync`` (flush, then ``os.fsync``) return awaitables that run the call on the blocking
pool (inline under the simulator). Plain attributes (``name``, ``mode``, ``closed``,
``encoding``, ...) and ``fileno()``, ``readable()``, ``writable()``, ``seekable()``,
``isatty()`` stay synchronous; any other name raises ``AttributeError``. Colored:
``async with await fs.open(...) as f`` (leaving closes it) and ``async for line in f``. Yield
flavour: ``yield f.close()``, or ``with`` (leaving closes it inline).

A cancelled call runs to its end on the pool (a file operation cannot be interrupted); its
result is dropped. One call at a time per file, as with a plain file shared by threads.

A file of the simulated disk (a simulated run with ``disk=``) makes the same calls after the
disk's delay instead (:mod:`tonio.fs._platform_disk`); ``sync()`` makes its bytes durable, and
closing one that a crash broke drops what its buffers held.
"""

from __future__ import annotations

import os
from collections.abc import Buffer, Iterable
from typing import TYPE_CHECKING, Any

from .. import _tonio
from .._tasks import spawn_blocking
from . import _platform_disk

if TYPE_CHECKING:
    from .._tonio import Suspension

__all__ = ["IOWrapper", "wrap_file"]

_ASYNC_METHODS = frozenset(
    {
        "read",
        "read1",
        "readline",
        "readlines",
        "readinto",
        "readinto1",
        "peek",
        "write",
        "writelines",
        "seek",
        "tell",
        "truncate",
        "flush",
        "close",
        "detach",
    }
)
_SYNC_METHODS = frozenset({"fileno", "readable", "writable", "seekable", "isatty"})
_ATTRIBUTES = frozenset(
    {
        "name",
        "mode",
        "closed",
        "encoding",
        "errors",
        "newlines",
        "buffer",
        "raw",
        "line_buffering",
        "write_through",
    }
)


def _call(file: Any, name: str, args: tuple, kwargs: dict) -> Any:
    return getattr(file, name)(*args, **kwargs)


def _sync(file: Any) -> None:
    file.flush()
    os.fsync(file.fileno())


def _close(file: Any) -> None:
    file.close()


class _Backend:
    """Where an open file's calls run (``run``: the blocking pool for an OS file, the
    platform's disk after its delay for a file of the simulated disk), and how it closes and
    syncs there."""

    __slots__ = ("close", "run", "sync")

    def __init__(self, run: Any, close: Any, sync: Any) -> None:
        self.run, self.close, self.sync = run, close, sync


_OS = _Backend(spawn_blocking, _close, _sync)
_DISK = _Backend(_platform_disk.call, _platform_disk.close_file, _platform_disk.sync_file)


def _next_line(file: Any) -> Any:
    line = file.readline()
    if not line:
        raise StopAsyncIteration
    return line


class IOWrapper:
    """An open file with awaitable I/O methods (see the module docs)."""

    __slots__ = ("_backend", "_file")

    if TYPE_CHECKING:  # served by __getattr__, as type checkers see them (bytes or str: Any)
        name: Any
        mode: str
        closed: bool
        encoding: str

        def read(self, size: int | None = -1, /) -> Suspension[Any]: ...
        def read1(self, size: int = -1, /) -> Suspension[bytes]: ...
        def readline(self, size: int | None = -1, /) -> Suspension[Any]: ...
        def readlines(self, hint: int = -1, /) -> Suspension[list[Any]]: ...
        def readinto(self, buffer: Buffer, /) -> Suspension[int]: ...
        def readinto1(self, buffer: Buffer, /) -> Suspension[int]: ...
        def peek(self, size: int = 0, /) -> Suspension[bytes]: ...
        def write(self, data: Any, /) -> Suspension[int]: ...
        def writelines(self, lines: Iterable[Any], /) -> Suspension[None]: ...
        def seek(self, offset: int, whence: int = 0, /) -> Suspension[int]: ...
        def tell(self) -> Suspension[int]: ...
        def truncate(self, size: int | None = None, /) -> Suspension[int]: ...
        def flush(self) -> Suspension[None]: ...
        def close(self) -> Suspension[None]: ...
        def detach(self) -> Suspension[Any]: ...
        def fileno(self) -> int: ...
        def readable(self) -> bool: ...
        def writable(self) -> bool: ...
        def seekable(self) -> bool: ...
        def isatty(self) -> bool: ...

    def __init__(self, file: Any) -> None:
        self._file = file
        on_disk = _platform_disk.raw_of(file) is not None
        self._backend = _DISK if on_disk else _OS

    @property
    def wrapped(self) -> Any:
        """The plain file object."""
        return self._file

    def __getattr__(self, name: str) -> Any:
        file = object.__getattribute__(self, "_file")
        if name in _ASYNC_METHODS and hasattr(file, name):
            backend = object.__getattribute__(self, "_backend")

            def call(*args: Any, **kwargs: Any) -> Any:
                if name == "close":  # closing has its backend's rules (a crash-broken file)
                    return backend.run(backend.close, file)
                return backend.run(_call, file, name, args, kwargs)

            call.__name__ = name
            return call
        if name in _SYNC_METHODS or name in _ATTRIBUTES:
            return getattr(file, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def sync(self) -> Suspension[None]:
        """Awaitable: flushes, then ``os.fsync``: the bytes written are on the disk."""
        return self._backend.run(self._backend.sync, self._file)

    def __aiter__(self) -> IOWrapper:
        return self

    def __anext__(self) -> Suspension[Any]:
        return self._backend.run(_next_line, self._file)

    def __aenter__(self) -> Suspension[IOWrapper]:
        return _tonio.ready(self)

    def __aexit__(self, *exc: object) -> Suspension[None]:
        return self._backend.run(self._backend.close, self._file)

    def __enter__(self) -> IOWrapper:
        return self

    def __exit__(self, *exc: Any) -> None:
        self._backend.close(self._file)

    def __repr__(self) -> str:
        return f"<tonio.fs async file {self._file!r}>"


def wrap_file(file: Any) -> IOWrapper:
    """Adopts an already open file object: its I/O methods become awaitables."""
    if not hasattr(file, "close") or not (hasattr(file, "read") or hasattr(file, "write")):
        raise TypeError(f"wrap_file needs an open file object, not {type(file).__name__}")
    if getattr(file, "closed", False):
        raise ValueError("wrap_file needs an open file object: this one is closed")
    return IOWrapper(file)
