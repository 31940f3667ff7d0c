"""SocketStream, SocketListener and the helpers that open and serve them."""

from __future__ import annotations

import errno
import ipaddress
import logging
import os
import socket as _stdlib
import types
from collections.abc import Callable, Generator, Iterable
from typing import Any

from .. import _tonio
from ..exceptions import CancelledError

__all__ = [
    "SocketListener",
    "SocketStream",
    "open_tcp_listeners",
    "open_tcp_stream",
    "open_unix_socket",
    "serve_listeners",
    "serve_tcp",
]

DEFAULT_BACKLOG = 128
HAPPY_EYEBALLS_DELAY = 0.25


class SocketStream:
    """A connected stream socket. TCP streams have ``TCP_NODELAY`` set.

    ``send_all(data)``, ``send_eof()`` and ``receive_some(max_bytes=65536)`` are awaitables;
    ``receive_some`` evaluates to ``b''`` at end of stream. ``close()`` is a plain call; the
    stream is also a context manager (``with`` / ``async with``).
    """

    __slots__ = ("socket",)

    def __init__(self, socket: _tonio.socket) -> None:
        if not isinstance(socket, _tonio.socket):
            raise TypeError(f"SocketStream wraps a tonio socket, not {type(socket).__name__}")
        self.socket = socket
        if socket.family in (_stdlib.AF_INET, _stdlib.AF_INET6):
            socket.setsockopt(_stdlib.IPPROTO_TCP, _stdlib.TCP_NODELAY, 1)

    def send_all(self, data: bytes | bytearray | memoryview | str) -> _tonio.Suspension[None]:
        """Awaitable: sends every byte of ``data``."""
        return self.socket.sendall(data)

    def send_eof(self) -> _tonio.Suspension[None]:
        """Awaitable: closes the sending direction (the peer then reads ``b''``)."""
        self.socket.shutdown(_stdlib.SHUT_WR)
        return _tonio.ready(None)

    def receive_some(self, max_bytes: int = 65536) -> _tonio.Suspension[bytes]:
        """Awaitable: evaluates to up to ``max_bytes`` bytes, ``b''`` at end of stream."""
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
            raise ValueError(f"max_bytes must be a positive int, got {max_bytes!r}")
        return self.socket.recv(max_bytes)

    def close(self) -> None:
        """Closes the stream (idempotent)."""
        self.socket.close()

    def __enter__(self) -> SocketStream:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __aenter__(self) -> _tonio.Suspension:
        return _tonio.ready(self)

    def __aexit__(self, *exc: Any) -> _tonio.Suspension:
        self.close()
        return _tonio.ready(None)


class SocketListener:
    """A listening socket; ``accept()`` is an awaitable evaluating to a :class:`SocketStream`."""

    __slots__ = ("socket",)

    def __init__(self, socket: _tonio.socket) -> None:
        if not isinstance(socket, _tonio.socket):
            raise TypeError(f"SocketListener wraps a tonio socket, not {type(socket).__name__}")
        self.socket = socket

    def accept(self) -> _tonio.Suspension[SocketStream]:
        """Awaitable: the next connection, as a :class:`SocketStream`."""
        return self.socket._accept_as(SocketStream)

    def close(self) -> None:
        """Stops listening (idempotent); a task waiting in ``accept`` gets ``OSError``."""
        self.socket.close()

    def __enter__(self) -> SocketListener:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _check_port(port: Any) -> int:
    if isinstance(port, bool) or not isinstance(port, int):
        raise TypeError(f"port must be an int, not {type(port).__name__}")
    if not 0 <= port <= 65535:
        raise ValueError(f"port must be in 0..65535, got {port}")
    return port


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _resolve(host: str | None, port: int, passive: bool = False):
    """Generator: ``[(family, sockaddr), ...]`` for ``host`` (no thread for IP literals; under
    the simulator, the simulated network's names)."""
    if host is None and _tonio.resolve_in_platform("localhost") is not None:
        return [(_stdlib.AF_INET, ("0.0.0.0", port))]  # simulated: every interface
    if host is not None and not _is_ip(host):
        simulated = _tonio.resolve_in_platform(host)
        if simulated is not None:
            host = simulated
    if host is not None:
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            pass
        else:
            family = _stdlib.AF_INET6 if ip.version == 6 else _stdlib.AF_INET
            return [(family, (host, port))]
    flags = _stdlib.AI_PASSIVE if passive else 0
    infos = yield _tonio.spawn_blocking(
        _stdlib.getaddrinfo, host, port, 0, _stdlib.SOCK_STREAM, 0, flags
    )
    seen, targets = set(), []
    for family, _, _, _, sockaddr in infos:
        key = (family, sockaddr[:2])
        if family in (_stdlib.AF_INET, _stdlib.AF_INET6) and key not in seen:
            seen.add(key)
            targets.append((family, sockaddr[:2]))
    return targets


class _Attempts:
    def __init__(self, count: int) -> None:
        self.count = count
        self.failed = [_tonio.Event() for _ in range(count)]
        self.errors: list[BaseException] = []
        self.never = _tonio.Event()


def _attempt(index: int, family: int, address: tuple, delay: float, state: _Attempts):
    if index:
        # start once the previous attempt failed, or after the happy-eyeballs delay
        yield state.failed[index - 1].wait(delay * index)
    sock = _tonio.socket(family, _stdlib.SOCK_STREAM)
    try:
        yield sock.connect(address)
    except Exception as exc:
        sock.close()
        state.errors.append(exc)
        state.failed[index].set()
        if len(state.errors) == state.count:
            first = state.errors[0]
            if all(type(e) is type(first) for e in state.errors):
                raise first from None
            raise OSError(
                f"all {state.count} connection attempts failed: {state.errors}"
            ) from first
        yield state.never.wait()  # another attempt decides
    except BaseException:
        sock.close()
        raise
    return sock


@types.coroutine
def open_tcp_stream(
    host: str, port: int, *, happy_eyeballs_delay: float = HAPPY_EYEBALLS_DELAY
) -> Generator[Any, Any, SocketStream]:
    """Connects to ``host:port`` and evaluates to a :class:`SocketStream`.

    Every resolved address is tried, the next one starting when the previous failed or after
    ``happy_eyeballs_delay`` seconds; the first connection wins and the others are cancelled.
    """
    if not isinstance(host, str):
        raise TypeError(f"host must be a str, not {type(host).__name__}")
    port = _check_port(port)
    targets = yield from _resolve(host, port)
    if not targets:
        raise OSError(f"no address found for {host!r}")
    if len(targets) == 1:
        family, address = targets[0]
        sock = _tonio.socket(family, _stdlib.SOCK_STREAM)
        try:
            yield sock.connect(address)
        except BaseException:
            sock.close()
            raise
        return SocketStream(sock)
    state = _Attempts(len(targets))
    attempts = [
        _attempt(i, family, address, happy_eyeballs_delay, state)
        for i, (family, address) in enumerate(targets)
    ]
    sock = yield _tonio.select(*attempts)
    return SocketStream(sock)


@types.coroutine
def open_unix_socket(path: str | os.PathLike[str]) -> Generator[Any, Any, SocketStream]:
    """Connects to the Unix socket at ``path`` and evaluates to a :class:`SocketStream`."""
    path = os.fspath(path)
    sock = _tonio.socket(_stdlib.AF_UNIX, _stdlib.SOCK_STREAM)
    try:
        yield sock.connect(path)
    except BaseException:
        sock.close()
        raise
    return SocketStream(sock)


def _listen(
    family: int, address: Any, backlog: int | None, mode: int | None = None
) -> SocketListener:
    sock = _tonio.socket(family, _stdlib.SOCK_STREAM)
    try:
        if family != _stdlib.AF_UNIX:
            sock.setsockopt(_stdlib.SOL_SOCKET, _stdlib.SO_REUSEADDR, 1)
        if family == _stdlib.AF_INET6:
            sock.setsockopt(_stdlib.IPPROTO_IPV6, _stdlib.IPV6_V6ONLY, 1)
        sock.bind(address)  # returns a ready awaitable; the bind itself happened
        if mode is not None:  # before listen: nobody can connect yet
            os.chmod(address, mode)
        sock.listen(DEFAULT_BACKLOG if backlog is None else backlog)
    except BaseException:
        sock.close()
        raise
    return SocketListener(sock)


@types.coroutine
def open_tcp_listeners(
    port: int, *, host: str | None = None, backlog: int | None = None
) -> Generator[Any, Any, list[SocketListener]]:
    """Evaluates to a list of :class:`SocketListener` on ``port`` for every address of
    ``host`` (all interfaces when ``None``). With ``port=0`` they share one free port."""
    port = _check_port(port)
    if host is not None and not isinstance(host, str):
        raise TypeError(f"host must be a str or None, not {type(host).__name__}")
    if backlog is not None and (isinstance(backlog, bool) or not isinstance(backlog, int)):
        raise TypeError(f"backlog must be an int or None, not {type(backlog).__name__}")
    targets = yield from _resolve(host, port, passive=True)
    listeners: list[SocketListener] = []
    try:
        for family, (address, target_port) in targets:
            if port == 0 and listeners:
                target_port = listeners[0].socket.getsockname()[1]
            listeners.append(_listen(family, (address, target_port), backlog))
    except BaseException:
        for listener in listeners:
            listener.close()
        raise
    return listeners


# Accept errors that say nothing about the listener: out of descriptors or memory (wait for
# some to be freed), or a connection that was gone before it was accepted (take the next).
ACCEPT_RETRY_DELAY = 0.1
_ACCEPT_EXHAUSTED = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
_ACCEPT_ABORTED = frozenset({errno.ECONNABORTED})
_log = logging.getLogger("tonio.net")


class _AcceptFailure:
    """The first error that ended an accept loop; ``event`` is set once there is one."""

    __slots__ = ("error", "event")

    def __init__(self) -> None:
        self.error: BaseException | None = None
        self.event = _tonio.Event()

    def record(self, error: BaseException) -> None:
        if self.error is None:
            self.error = error
        self.event.set()


def _accept_loop(
    listener: SocketListener,
    handler: Callable[[SocketStream], Any],
    scope,
    failure: _AcceptFailure,
):
    """Accepts until cancelled. Exhaustion (EMFILE, ENFILE, ENOBUFS, ENOMEM) is logged and
    retried after ``ACCEPT_RETRY_DELAY`` seconds, an aborted connection retried at once; any
    other error is recorded in ``failure``, which ends the serve."""
    try:
        while True:
            try:
                stream = yield listener.accept()
            except OSError as exc:
                if exc.errno in _ACCEPT_EXHAUSTED:
                    _log.error(
                        "accept on %r failed: %s; retrying in %.1f s",
                        listener.socket,
                        exc,
                        ACCEPT_RETRY_DELAY,
                    )
                    yield _tonio.sleep(ACCEPT_RETRY_DELAY)
                    continue
                if exc.errno in _ACCEPT_ABORTED:
                    _log.debug("accept on %r: %s; retrying", listener.socket, exc)
                    continue
                raise
            scope.spawn(handler(stream))
    except Exception as exc:
        failure.record(exc)


@types.coroutine
def serve_listeners(
    handler: Callable[[Any], Any], listeners: Iterable[SocketListener]
) -> Generator[Any, Any]:
    """Accepts connections on every listener and runs ``handler(stream)`` as a task for each
    (handlers own their stream). Runs until cancelled; then the accept loops and the handlers
    are cancelled, the listeners closed, and it waits for them to unwind.

    An exception escaping a handler goes to the runtime's ``unhandled_error_hook`` as soon as
    it happens (the default hook prints it with its traceback) and is then released: the
    server keeps serving, and its memory does not grow with failed connections.

    An accept loop rides out running out of descriptors or memory (it logs to the
    ``tonio.net`` logger and retries shortly). Any other error of an accept loop ends the serve
    the same way, then raises that error."""
    if not callable(handler):
        raise TypeError(f"handler must be callable, not {type(handler).__name__}")
    listeners = list(listeners)
    if not all(isinstance(listener, SocketListener) for listener in listeners):
        raise TypeError("listeners must be SocketListener objects")
    scope = _tonio.Scope(report_errors=True)
    failure = _AcceptFailure()
    try:
        with scope:
            for listener in listeners:
                scope.spawn(_accept_loop(listener, handler, scope, failure))
            yield failure.event.wait()  # until cancelled, or an accept loop failed
            scope.cancel()
        # An accept loop failed: once the rest unwound, raise its error (anything the unwinding
        # raised, handler errors included, becomes that error's __context__).
        try:
            yield scope()
        finally:
            raise failure.error
    except CancelledError:
        yield scope()
        raise
    finally:
        for listener in listeners:
            listener.close()


@types.coroutine
def serve_tcp(
    handler: Callable[[SocketStream], Any],
    port: int,
    *,
    host: str | None = None,
    backlog: int | None = None,
) -> Generator[Any, Any]:
    """Opens TCP listeners on ``port`` (see :func:`open_tcp_listeners`) and serves them with
    ``handler`` until cancelled (see :func:`serve_listeners`)."""
    listeners = yield from open_tcp_listeners(port, host=host, backlog=backlog)
    yield from serve_listeners(handler, listeners)
