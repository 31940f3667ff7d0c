"""PipeStream: one end of an OS pipe as a tonio stream (a child process's stdin, stdout or
stderr), on the reactor: no thread per pipe.

``send_all(data)``, ``receive_some(max_bytes=65536)`` (``b''`` at end of stream) are
awaitables in both flavours; ``close()`` is a plain call. A receive is one operation: passed to
``select``/``timeout`` as it is, it returns data or takes none (what it read too late stays for
the next receive), as a socket receive does. One task at a time sends, one receives.
"""

from __future__ import annotations

import errno
import os
import types
from collections.abc import Generator
from typing import Any

from . import _tonio
from .exceptions import CancelledError, ResourceBroken

_READ_SIZE = 65536


class PipeStream:
    """One end of a pipe, as a stream (see the module docs). It owns the descriptor."""

    __slots__ = ("_fd", "_watch", "_unread", "_sending", "_receiving", "__weakref__")

    def __init__(self, fd: int) -> None:
        os.set_blocking(fd, False)
        self._watch = _tonio.ScheduledIO(fd)
        self._fd = fd
        self._unread = b""
        self._sending = False
        self._receiving = False

    def fileno(self) -> int:
        """The pipe's descriptor (-1 once closed)."""
        return self._fd

    @property
    def closed(self) -> bool:
        return self._fd < 0

    def _check_open(self) -> int:
        if self._fd < 0:
            raise OSError(errno.EBADF, "the pipe is closed")
        return self._fd

    def receive_some(self, max_bytes: int = _READ_SIZE) -> _tonio.Suspension[bytes]:
        """Awaitable: up to ``max_bytes`` bytes, ``b''`` once the other end is closed."""
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
            raise ValueError(f"max_bytes must be a positive int, got {max_bytes!r}")
        self._check_open()
        return _tonio.operation(self._receive(max_bytes))

    @types.coroutine
    def _receive(self, max_bytes: int) -> Any:
        if self._receiving:
            raise RuntimeError("another task is already receiving from this pipe")
        self._receiving = True
        try:
            if self._unread:
                data, self._unread = self._unread[:max_bytes], self._unread[max_bytes:]
            else:
                data = yield from self._read(max_bytes)
            try:
                # The one instant this operation takes: refused if it lost a select or deadline.
                yield _tonio.operation_completes()
            except CancelledError:
                self._unread = data + self._unread
                raise
            return data
        finally:
            self._receiving = False

    @types.coroutine
    def _read(self, max_bytes: int) -> Any:
        while True:
            fd = self._check_open()
            waiter = self._watch.arm_r()
            if waiter is not None:
                yield waiter
                continue
            try:
                return os.read(fd, max_bytes)
            except BlockingIOError:
                self._watch.consume_r()
            except InterruptedError:
                pass

    @types.coroutine
    def send_all(self, data: bytes | bytearray | memoryview | str) -> Generator[Any, Any]:
        """Writes every byte of ``data`` (``str``: UTF-8). ``ResourceBroken`` if the reading end
        is closed (the child exited or closed it)."""
        if isinstance(data, str):
            data = data.encode()
        if self._sending:
            raise RuntimeError("another task is already sending on this pipe")
        self._sending = True
        try:
            with memoryview(data) as whole:
                view = whole.cast("B")
                while view:
                    fd = self._check_open()
                    waiter = self._watch.arm_w()
                    if waiter is not None:
                        yield waiter
                        continue
                    try:
                        view = view[os.write(fd, view) :]
                    except BlockingIOError:
                        self._watch.consume_w()
                    except InterruptedError:
                        pass
                    except BrokenPipeError as exc:
                        raise ResourceBroken("the reading end of the pipe is closed") from exc
        finally:
            self._sending = False

    def close(self) -> None:
        """Closes the pipe (idempotent); the other end then reads end of stream or gets
        ``EPIPE``."""
        fd, self._fd = self._fd, -1
        if fd >= 0:
            self._watch.close()
            os.close(fd)

    def __enter__(self) -> PipeStream:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __aenter__(self) -> Any:
        return _tonio.ready(self)

    def __aexit__(self, *exc: Any) -> Any:
        self.close()
        return _tonio.ready(None)

    def __del__(self) -> None:
        if getattr(self, "_fd", -1) >= 0:
            self.close()

    def __repr__(self) -> str:
        return f"<tonio PipeStream fd={self._fd}>"
