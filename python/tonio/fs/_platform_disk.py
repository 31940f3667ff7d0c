"""``tonio.fs`` on the platform's own disk: a simulated run with ``disk=tonio.sim.Disk()``.

Every operation waits the disk's seeded delay (virtual time: other tasks run meanwhile), then
happens at once, in one step of the task (``_tonio.disk_*``, on ``src/sim/disk``). A call
cancelled while it waits still happens, its result dropped, as on the real disk, where a
cancelled call runs to its end on the blocking pool.

Files are composed as the built-in ``open`` composes them: a raw file of the disk
(:class:`DiskRawFile`), a buffer over it, a text layer over that. So a write sits in the
buffer until a flush (or ``close``, or ``sync``), reaches the disk's cache, and is durable only
once synced: a crash keeps the synced bytes plus a seeded prefix of the rest.
"""

from __future__ import annotations

import codecs
import errno
import io
import os
import types
from collections.abc import Callable
from typing import Any

from .. import _tonio

__all__ = [
    "DiskRawFile",
    "call",
    "close_file",
    "open_file",
    "present",
    "raw_of",
    "sync_file",
]

#: Whether the running runtime has a disk of its own (else files are the OS's).
present = _tonio.disk_present


@types.coroutine
def _after_delay(fn: Callable[..., Any], args: tuple) -> Any:
    delay = _tonio.disk_delay()
    try:
        yield _tonio.sleep(delay)
    except BaseException:
        # Cancelled while the disk was busy: the operation happens all the same (as a real
        # blocking call runs to its end), and its result or error goes nowhere.
        try:
            fn(*args)
        except Exception:  # noqa: BLE001, S110 - dropped, as the cancelled caller is gone
            pass
        raise
    return fn(*args)


def call(fn: Callable[..., Any], *args: Any) -> Any:
    """Awaitable (both flavours): ``fn(*args)`` after the disk's delay."""
    return _tonio.operation(_after_delay(fn, args))


class DiskRawFile(io.RawIOBase):
    """An open file of the platform's disk, under the buffers of an ordinary file object.

    It has no OS descriptor: ``fileno()`` raises ``io.UnsupportedOperation``.
    """

    def __init__(self, number: int, name: Any, mode: str, readable: bool, writable: bool):
        super().__init__()
        self.number = number
        self.name = name
        self.mode = mode
        self._readable = readable
        self._writable = writable

    def _check_can(self, reading: bool) -> None:
        self._checkClosed()
        if not (self._readable if reading else self._writable):
            what = "reading" if reading else "writing"
            raise io.UnsupportedOperation(f"File not open for {what}")

    def readable(self) -> bool:
        self._checkClosed()
        return self._readable

    def writable(self) -> bool:
        self._checkClosed()
        return self._writable

    def seekable(self) -> bool:
        self._checkClosed()
        return True

    def fileno(self) -> int:
        raise io.UnsupportedOperation("a file of the simulated disk has no OS descriptor")

    def read(self, size: int | None = -1) -> bytes:
        self._check_can(reading=True)
        if size is None or size < 0:
            return self.readall()
        return _tonio.disk_read(self.number, size)

    def readinto(self, buffer: Any) -> int:
        self._check_can(reading=True)
        with memoryview(buffer) as view, view.cast("B") as target:
            data = _tonio.disk_read(self.number, len(target))
            target[: len(data)] = data
        return len(data)

    def readall(self) -> bytes:
        self._check_can(reading=True)
        chunks = []
        while chunk := _tonio.disk_read(self.number, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)

    def write(self, data: Any) -> int:
        self._check_can(reading=False)
        with memoryview(data) as view, view.cast("B") as octets:
            return _tonio.disk_write(self.number, octets)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        self._checkClosed()
        return _tonio.disk_seek(self.number, offset, whence)

    def tell(self) -> int:
        return self.seek(0, os.SEEK_CUR)

    def truncate(self, size: int | None = None) -> int:
        self._check_can(reading=False)
        if size is None:
            size = self.tell()
        if size < 0:
            raise OSError(errno.EINVAL, os.strerror(errno.EINVAL))
        _tonio.disk_truncate(self.number, size)
        return size

    def sync(self) -> None:
        """The file's bytes are durable (``fsync``)."""
        self._checkClosed()
        _tonio.disk_sync(self.number)

    def close(self) -> None:
        if self.closed:
            return
        try:
            if _tonio.disk_present():
                _tonio.disk_close(self.number)
        except OSError as exc:  # EBADF: the file of an earlier run's disk, gone with it
            if exc.errno != errno.EBADF:
                raise
        finally:
            super().close()

    def __repr__(self) -> str:
        return f"<tonio.fs simulated file name={self.name!r} mode={self.mode!r}>"


def raw_of(file: Any) -> DiskRawFile | None:
    """The disk's raw file under ``file`` (a text, buffered or raw file), if it is one."""
    file = getattr(file, "buffer", file)
    file = getattr(file, "raw", file)
    return file if isinstance(file, DiskRawFile) else None


def close_file(file: Any) -> None:
    """Closes ``file``. One that a crash broke closes quietly: what its buffers still held
    died with the crash (its other operations raise ``OSError(EIO)``)."""
    raw = raw_of(file)
    if raw is not None and not raw.closed and _tonio.disk_broken(raw.number):
        try:
            file.close()
        except OSError:
            pass
        return
    file.close()


def sync_file(file: Any) -> None:
    """Flushes ``file``'s buffers, then makes its bytes durable."""
    file.flush()
    raw = raw_of(file)
    if raw is None:
        raise io.UnsupportedOperation("sync: not a file of the simulated disk")
    raw.sync()


_ACCESS = {"r": os.O_RDONLY, "w": os.O_WRONLY, "a": os.O_WRONLY, "x": os.O_WRONLY}
_CREATE = {"r": 0, "w": os.O_CREAT | os.O_TRUNC, "a": os.O_CREAT | os.O_APPEND}
_CREATE["x"] = os.O_CREAT | os.O_EXCL


def _check_mode(mode: str) -> tuple[str, bool, bool]:
    """The kind (``r``, ``w``, ``a``, ``x``), whether it updates and whether it is binary;
    raises as the built-in ``open`` does."""
    if not isinstance(mode, str):
        raise TypeError(f"open() argument 'mode' must be str, not {type(mode).__name__}")
    kinds = [c for c in mode if c in "rwax"]
    if set(mode) - set("rwaxbt+") or len(mode) != len(set(mode)) or len(kinds) != 1:
        raise ValueError(f"invalid mode: {mode!r}")
    if "b" in mode and "t" in mode:
        raise ValueError("can't have text and binary mode at once")
    return kinds[0], "+" in mode, "b" in mode


def open_file(
    file: Any,
    mode: str = "r",
    buffering: int = -1,
    encoding: str | None = None,
    errors: str | None = None,
    newline: str | None = None,
    closefd: bool = True,
    opener: Any = None,
) -> Any:
    """The built-in ``open``, on the platform's disk: a raw, buffered or text file object."""
    if isinstance(file, int) and not isinstance(file, bool):
        raise TypeError("a file of the simulated disk is opened by path, not by OS descriptor")
    path = os.fspath(file)
    kind, updating, binary = _check_mode(mode)
    _check_options(binary, buffering, encoding, errors, newline)
    if not closefd:
        raise ValueError("Cannot use closefd=False with file name")
    if opener is not None:
        raise ValueError("opener= is not available on the simulated disk (it opens OS files)")
    flags = (os.O_RDWR if updating else _ACCESS[kind]) | _CREATE[kind]
    number = _tonio.disk_open(path, flags)
    readable, writable = kind == "r" or updating, kind != "r" or updating
    raw = DiskRawFile(number, path, _raw_mode(kind, readable, writable), readable, writable)
    try:
        return _layers(raw, mode, kind, updating, binary, buffering, encoding, errors, newline)
    except BaseException:
        raw.close()
        raise


def _raw_mode(kind: str, readable: bool, writable: bool) -> str:
    """``FileIO.mode`` for these flags (``w+`` is ``rb+``, as the built-in file says)."""
    plus = "+" if readable and writable else ""
    if kind in "xa":
        return f"{kind}b{plus}"
    return f"rb{plus}" if readable else "wb"


def _check_options(binary: bool, buffering: Any, encoding: Any, errors: Any, newline: Any):
    """Refuses bad options as the built-in ``open`` does, before any file is touched."""
    if not isinstance(buffering, int):
        raise TypeError(f"'{type(buffering).__name__}' object cannot be interpreted as an integer")
    for name, value in (("encoding", encoding), ("errors", errors), ("newline", newline)):
        if value is not None and not isinstance(value, str):
            raise TypeError(
                f"open() argument '{name}' must be str or None, not {type(value).__name__}"
            )
    if binary and (encoding is not None or errors is not None or newline is not None):
        raise ValueError("binary mode doesn't take an encoding, errors or newline argument")
    if newline not in (None, "", "\n", "\r", "\r\n"):
        raise ValueError(f"illegal newline value: {newline}")
    if encoding is not None:
        codecs.lookup(encoding)  # LookupError for an unknown codec


def _layers(raw, mode, kind, updating, binary, buffering, encoding, errors, newline) -> Any:
    """The buffer and text layers over ``raw``, as the built-in ``open`` stacks them."""
    if kind == "a":
        raw.seek(0, os.SEEK_END)
    line_buffering = buffering == 1 and not binary
    if buffering == 1 or buffering < 0:
        buffering = io.DEFAULT_BUFFER_SIZE
    if buffering == 0:
        if binary:
            return raw
        raise ValueError("can't have unbuffered text I/O")
    if updating:
        buffered: Any = io.BufferedRandom(raw, buffering)
    elif kind == "r":
        buffered = io.BufferedReader(raw, buffering)
    else:
        buffered = io.BufferedWriter(raw, buffering)
    if binary:
        return buffered
    text = io.TextIOWrapper(
        buffered, io.text_encoding(encoding), errors, newline, line_buffering=line_buffering
    )
    text.mode = mode
    return text
