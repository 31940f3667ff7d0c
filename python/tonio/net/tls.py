"""TLS over any tonio stream, in both flavours.

``TLSStream(transport, ssl_context, *, server_hostname=None, server_side=False,
https_compatible=False)`` wraps a stream (:class:`~tonio.net.SocketStream` over TCP or Unix,
on the real or the simulated network). ``ssl_context`` is either one of ours, which run on
rustls in Rust (records are parsed, encrypted and decrypted there; Python only moves the bytes of
each transport read and write):

- :class:`ClientConfig` ``(*, ca_certs=None, cert_chain=None, private_key=None, alpn=())``:
  whom to trust (PEM bytes or a path; default: the system trust store), a client certificate
  for mutual TLS, the ALPN protocols to offer;
- :class:`ServerConfig` ``(*, cert_chain, private_key, client_ca=None, alpn=())``;

or a stdlib :class:`ssl.SSLContext`, honoured exactly as the stdlib would (it runs the
interpreter's OpenSSL over memory buffers), so code written for tonio 0.6.0 runs unchanged.

The handshake happens on the first ``send_all``/``receive_some`` (or an explicit
``handshake()``). Any handshake, certificate or protocol failure raises
:class:`tonio.exceptions.ResourceBroken` naming the reason, with the underlying error as
``__cause__``; the stream is then broken and its transport closed. With
``https_compatible=True`` a peer that closes without a TLS close_notify reads as the end of
stream instead of an error, as HTTPS clients expect. Closing (``aclose()``, ``close()``,
leaving ``with``, dropping the stream) is clean: close_notify, and no reset that would make the
peer lose data (see "closing" in the class).

Every coroutine here is a generator-based coroutine: ``yield`` it in the yield flavour, ``await``
it in the colored one.
"""

from __future__ import annotations

import socket as _socket
import ssl as _ssl
import threading
import types
from collections.abc import Callable, Generator
from typing import Any

from .. import _tonio
from ..exceptions import CancelledError, ResourceBroken
from ._streams import (
    SocketListener,
    SocketStream,
    open_tcp_listeners,
    open_tcp_stream,
    serve_listeners,
)

ClientConfig = _tonio.ClientConfig
ServerConfig = _tonio.ServerConfig

__all__ = [
    "ClientConfig",
    "ServerConfig",
    "TLSListener",
    "TLSStream",
    "open_tls_over_tcp_listeners",
    "open_tls_over_tcp_stream",
    "serve_tls_over_tcp",
]

_READ_SIZE = 65536
# How long closing may take (sending close_notify, then waiting for the peer to close too)
# before the transport is closed anyway. Go's tls.Conn.Close allows its close_notify as long.
_CLOSE_GRACE = 5.0
# Plaintext handed to the engine at a time (each piece is copied once, then encrypted).
_WRITE_CHUNK = 65536
_TLS_ERRORS = (_tonio.TLSError, _ssl.SSLError, _ssl.CertificateError)


class _RustlsEngine:
    """A rustls session (ours): the engine interface TLSStream drives."""

    __slots__ = ("session",)

    def __init__(self, session: Any) -> None:
        self.session = session

    def feed(self, data: bytes) -> None:
        self.session.feed(data)

    def pending(self) -> bytes:
        return self.session.pending()

    def handshake_step(self) -> bool:
        return not self.session.handshaking

    def read(self, max_bytes: int, truncation_is_eof: bool) -> bytes | None:
        return self.session.read(max_bytes, truncation_is_eof)

    def feed_read(self, data: bytes, max_bytes: int, truncation_is_eof: bool) -> bytes | None:
        return self.session.feed_read(data, max_bytes, truncation_is_eof)

    def seal(self, data: memoryview) -> tuple[int, bytes]:
        return self.session.seal(bytes(data))

    def close_notify(self) -> None:
        self.session.close_notify()

    def alpn(self) -> str | None:
        return self.session.alpn_protocol

    def session_reused(self) -> bool:
        return self.session.session_reused


class _StdlibEngine:
    """A stdlib ``ssl.SSLContext`` over memory buffers (the interpreter's OpenSSL).

    An OpenSSL connection must not be used by two threads at once, and a task sending and
    another receiving on the same stream may run on two workers at the same moment: every call
    takes ``lock`` (none of them waits for I/O)."""

    __slots__ = ("incoming", "outgoing", "obj", "lock", "stash")

    def __init__(self, context: _ssl.SSLContext, server_side: bool, hostname: str | None) -> None:
        self.incoming = _ssl.MemoryBIO()
        self.outgoing = _ssl.MemoryBIO()
        self.obj = context.wrap_bio(
            self.incoming, self.outgoing, server_side=server_side, server_hostname=hostname
        )
        self.lock = threading.Lock()
        # Plaintext decrypted before close_notify was sent (see `close_notify`), served first.
        self.stash = b""

    def feed(self, data: bytes) -> None:
        with self.lock:
            if data:
                self.incoming.write(data)
            else:
                self.incoming.write_eof()

    def pending(self) -> bytes:
        with self.lock:
            return self.outgoing.read()

    def handshake_step(self) -> bool:
        with self.lock:
            try:
                self.obj.do_handshake()
            except _ssl.SSLWantReadError:
                return False
            return True

    def read(self, max_bytes: int, truncation_is_eof: bool) -> bytes | None:
        with self.lock:
            if self.stash:
                data, self.stash = self.stash[:max_bytes], self.stash[max_bytes:]
                return data
            try:
                return self.obj.read(max_bytes)
            except _ssl.SSLWantReadError:
                return None
            except _ssl.SSLZeroReturnError:
                return b""
            except _ssl.SSLEOFError:
                if truncation_is_eof:
                    return b""
                raise

    def feed_read(self, data: bytes, max_bytes: int, truncation_is_eof: bool) -> bytes | None:
        self.feed(data)
        return self.read(max_bytes, truncation_is_eof)

    def seal(self, data: memoryview) -> tuple[int, bytes]:
        with self.lock:
            taken = self.obj.write(data)
            return taken, self.outgoing.read()

    def close_notify(self) -> None:
        with self.lock:
            # OpenSSL's shutdown (ssl.SSLObject.unwrap) sends close_notify, then goes on to read
            # the peer's and fails on application data it meets on the way. So decrypt what has
            # arrived first (it finds nothing left to read and stops, wanting more) and serve
            # that plaintext from `stash`: reading goes on after the half-close.
            while True:
                try:
                    data = self.obj.read(_READ_SIZE)
                except (_ssl.SSLWantReadError, _ssl.SSLZeroReturnError, _ssl.SSLEOFError):
                    break
                if not data:
                    break
                self.stash += data
            try:
                self.obj.unwrap()
            except _ssl.SSLWantReadError:
                pass

    def alpn(self) -> str | None:
        with self.lock:
            return self.obj.selected_alpn_protocol()

    def session_reused(self) -> bool:
        with self.lock:
            return self.obj.session_reused


def _check_context(ssl_context: Any, server_side: bool, server_hostname: str | None) -> None:
    """Raises if ``ssl_context`` cannot serve that side (nothing is built)."""
    if isinstance(ssl_context, _ssl.SSLContext):
        return
    if isinstance(ssl_context, ClientConfig):
        if server_side:
            raise ValueError("a ClientConfig is for the client side; use a ServerConfig")
        if not server_hostname:
            raise ValueError("a TLS client needs server_hostname (the name to verify)")
        return
    if isinstance(ssl_context, ServerConfig):
        if not server_side:
            raise ValueError("a ServerConfig is for the server side (server_side=True)")
        return
    raise TypeError(
        "ssl_context must be a tonio.net.tls.ClientConfig, ServerConfig or ssl.SSLContext, "
        f"not {type(ssl_context).__name__}"
    )


def _engine(
    ssl_context: Any, server_side: bool, server_hostname: str | None
) -> _RustlsEngine | _StdlibEngine:
    _check_context(ssl_context, server_side, server_hostname)
    if isinstance(ssl_context, _ssl.SSLContext):
        return _StdlibEngine(ssl_context, server_side, server_hostname)
    if isinstance(ssl_context, ClientConfig):
        return _RustlsEngine(_tonio.TLSSession.client(ssl_context, server_hostname))
    return _RustlsEngine(_tonio.TLSSession.server(ssl_context))


class TLSStream:
    """A TLS connection over ``transport`` (see the module docs)."""

    __slots__ = (
        "transport",
        "_engine",
        "_https_compatible",
        "_handshaken",
        "_handshake_started",
        "_handshake_finished",
        "_sending",
        "_broken",
        "_unread",
        "_eof_sent",
        "_closed",
    )

    def __init__(
        self,
        transport: SocketStream,
        ssl_context: Any,
        *,
        server_hostname: str | None = None,
        server_side: bool = False,
        https_compatible: bool = False,
    ) -> None:
        self.transport = transport
        self._engine = _engine(ssl_context, server_side, server_hostname)
        self._https_compatible = bool(https_compatible)
        self._handshaken = False
        # One task performs the handshake; another that needs it meanwhile waits for this
        # event.
        self._handshake_started = False
        self._handshake_finished = _tonio.Event()
        # Only one task sends at a time (and only a sender or the handshake flushes), so the
        # ciphertext the engine hands out leaves in order.
        self._sending = False
        self._broken: str | None = None
        # Plaintext a refused receive gave back (see `receive_some`): served first.
        self._unread = b""
        self._eof_sent = False
        self._closed = False

    # -- plumbing -------------------------------------------------------------------------

    def _check(self) -> None:
        if self._broken is not None:
            raise ResourceBroken(f"this TLS stream is broken: {self._broken}")

    def _fail(self, reason: str, cause: BaseException | None) -> ResourceBroken:
        """Breaks the stream (the transport is closed) and returns the error to raise."""
        self._broken = reason
        self.transport.close()
        error = ResourceBroken(reason)
        error.__cause__ = cause
        return error

    @types.coroutine
    def _flush(self):
        data = self._engine.pending()
        if data:
            yield self.transport.send_all(data)

    @types.coroutine
    def _fail_after_alert(self, reason: str, cause: BaseException):
        """Sends the alert the engine queued for the peer (best effort), then breaks."""
        try:
            yield from self._flush()
        except OSError:
            pass
        raise self._fail(reason, cause)

    @types.coroutine
    def handshake(self) -> Generator[Any, Any]:
        """Performs the TLS handshake (done at most once; later calls return at once, and a
        call while another task performs it waits for that one)."""
        self._check()
        if self._handshaken:
            return
        if self._handshake_started:
            yield self._handshake_finished.wait()
            self._check()
            return
        self._handshake_started = True
        done = False
        try:
            while True:
                try:
                    if self._engine.handshake_step():
                        break
                    yield from self._flush()
                    data = yield self.transport.receive_some(_READ_SIZE)
                    if not data:
                        raise self._fail(
                            "TLS handshake failed: the peer closed the connection", None
                        )
                    self._engine.feed(data)
                except _TLS_ERRORS as exc:
                    yield from self._fail_after_alert(f"TLS handshake failed: {exc}", exc)
                except OSError as exc:
                    raise self._fail(f"TLS handshake failed: {exc}", exc) from exc
            yield from self._flush()
            done = True
            self._handshaken = True
        finally:
            if not done and self._broken is None:
                self._fail("TLS handshake interrupted", None)
            self._handshake_finished.set()

    # -- the stream -----------------------------------------------------------------------

    @types.coroutine
    def send_all(self, data: bytes | bytearray | memoryview | str) -> Generator[Any, Any]:
        """Encrypts and sends every byte of ``data`` (``str`` is sent UTF-8 encoded). One task
        sends at a time: a second concurrent ``send_all`` raises ``RuntimeError``."""
        if isinstance(data, str):
            data = data.encode()
        view = memoryview(data).cast("B")
        if not self._handshaken:
            yield from self.handshake()
        self._check()
        if self._sending:
            raise RuntimeError("another task is already sending on this TLS stream")
        if self._eof_sent:
            raise RuntimeError("cannot send on this TLS stream after send_eof()")
        self._sending = True
        done = False
        try:
            while view:
                try:
                    taken, out = self._engine.seal(view[:_WRITE_CHUNK])
                except _TLS_ERRORS as exc:
                    raise self._fail(f"TLS send failed: {exc}", exc) from exc
                view = view[taken:]
                if out:
                    yield self.transport.send_all(out)
            done = True
        finally:
            self._sending = False
            if not done and self._broken is None:
                # part of a record may have left: the stream cannot go on
                self._fail("a TLS send was interrupted", None)

    def receive_some(self, max_bytes: int = _READ_SIZE) -> _tonio.Suspension[bytes]:
        """Awaitable: up to ``max_bytes`` decrypted bytes; ``b''`` at the end of the TLS stream.

        One operation: passed to ``select`` or ``timeout`` as it is, it returns data or takes
        none (data it decrypted too late stays in the stream for the next receive)."""
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
            raise ValueError(f"max_bytes must be a positive int, got {max_bytes!r}")
        return _tonio.operation(self._receive(max_bytes))

    @types.coroutine
    def _receive(self, max_bytes: int):
        if not self._handshaken:
            yield from self.handshake()
        self._check()
        engine, truncation_is_eof = self._engine, self._https_compatible
        try:
            if self._unread:
                plain, self._unread = self._unread[:max_bytes], self._unread[max_bytes:]
            else:
                plain = engine.read(max_bytes, truncation_is_eof)
            while plain is None:
                # Nothing to decrypt yet. A cancellation while waiting here loses nothing: the
                # ciphertext read so far stays in the engine. (Receiving never sends: what the
                # engine may owe the peer, such as the answer to a key update, leaves with the
                # next send. A receive that waited to send could deadlock two peers that both
                # send more than the network buffers.)
                data = yield self.transport.receive_some(_READ_SIZE)
                plain = engine.feed_read(data, max_bytes, truncation_is_eof)
        except _TLS_ERRORS as exc:
            yield from self._fail_after_alert(f"TLS receive failed: {exc}", exc)
        except OSError as exc:
            raise self._fail(f"TLS receive failed: {exc}", exc) from exc
        try:
            # The one instant this operation takes: refused if it lost a select or a deadline.
            yield _tonio.operation_completes()
        except CancelledError:
            self._unread = plain + self._unread
            raise
        return plain

    @types.coroutine
    def send_eof(self) -> Generator[Any, Any]:
        """Sends the TLS close_notify: the peer then reads ``b''``, and this end can go on
        reading (a half-close). Later sends raise ``RuntimeError``; a second call does
        nothing."""
        self._check()
        if not self._handshaken:
            yield from self.handshake()
        if self._sending:
            raise RuntimeError("another task is sending on this TLS stream")
        if self._eof_sent:
            return
        self._eof_sent = True
        try:
            self._engine.close_notify()
        except _TLS_ERRORS as exc:
            raise self._fail(f"TLS send_eof failed: {exc}", exc) from exc
        yield from self._flush()

    def selected_alpn_protocol(self) -> str | None:
        """The ALPN protocol agreed during the handshake, or ``None``."""
        return self._engine.alpn()

    @property
    def session_reused(self) -> bool:
        """Whether the handshake resumed an earlier session (a client resumes the sessions of
        the servers its configuration met before)."""
        return self._engine.session_reused()

    # -- closing ----------------------------------------------------------------------------
    #
    # A clean close sends close_notify, so the peer reads everything sent before it and then
    # b'' (not a truncation). And it never makes the peer lose data: a record the peer sends
    # that this end never reads must not meet a closed socket, or the kernel answers with a
    # reset and the peer discards whatever it has not read yet. TLS 1.3 servers send such
    # records unasked (session tickets, once they have processed the handshake, which a busy
    # server may do after the client sent everything). So closing takes in what has arrived
    # (`_absorb`), sends close_notify, half-closes the transport and keeps reading until the
    # peer closes too (`_linger`, in the background, at most `_CLOSE_GRACE` seconds), as Go's
    # HTTP server does to avoid the same resets.

    def _absorb(self) -> None:
        """Feeds the engine what the transport already holds, without waiting."""
        socket = self.transport.socket
        while data := socket._recv_now(_READ_SIZE):
            self._engine.feed(data)

    def _queue_close_notify(self) -> bool:
        """Takes in what has arrived and queues close_notify; False when the stream cannot
        close cleanly (never handshaken, broken, a send in progress)."""
        if not self._handshaken or self._broken is not None or self._sending:
            return False
        try:
            self._absorb()
            if not self._eof_sent:
                self._eof_sent = True
                self._engine.close_notify()
        except (*_TLS_ERRORS, OSError):
            return False
        return True

    def close(self) -> None:
        """Closes the stream cleanly without waiting (idempotent): what ``aclose()`` does, in a
        background task of the running runtime (close_notify is sent, the transport closed
        once the peer closed too, at most 5 seconds later). Leaving ``with`` and dropping the
        stream do the same. Outside a running runtime the transport is closed at once."""
        if self._closed:
            return
        self._closed = True
        if not self._queue_close_notify():
            self.transport.close()
            return
        try:
            out = self._engine.pending()
            sent = self.transport.socket._send_now(out) if out else 0
            _tonio.spawn_without_tracking(self._linger(out[sent:]))
        except (OSError, RuntimeError):  # no runtime running here: nothing can wait
            self.transport.close()

    @types.coroutine
    def aclose(self) -> Generator[Any, Any]:
        """Closes the stream cleanly and waits until it is closed: close_notify is sent (the
        peer reads everything sent before it, then ``b''``) and the transport is closed once
        the peer closed too, at most 5 seconds later. Cancelled, it closes the transport at
        once."""
        if self._closed:
            return
        self._closed = True
        if self._queue_close_notify():
            yield from self._linger(self._engine.pending())
        else:
            self.transport.close()

    @types.coroutine
    def _linger(self, rest: bytes):
        """Sends `rest` (what is left of close_notify), half-closes the transport and reads
        until the peer closes too, then closes it; `_CLOSE_GRACE` bounds the whole."""
        try:
            yield _tonio.timeout(self._closing(rest), _CLOSE_GRACE)
        except OSError:
            pass
        finally:
            self.transport.close()

    @types.coroutine
    def _closing(self, rest: bytes):
        if rest:
            yield self.transport.send_all(rest)
        self.transport.socket.shutdown(_socket.SHUT_WR)
        while data := (yield self.transport.receive_some(_READ_SIZE)):
            try:
                self._engine.feed(data)  # session tickets, kept for resumption
            except _TLS_ERRORS:
                pass

    def __del__(self) -> None:
        if not getattr(self, "_closed", True):
            try:
                self.close()
            except Exception:  # noqa: BLE001 - a finalizer must not raise
                pass

    def __enter__(self) -> TLSStream:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __aenter__(self) -> Any:
        return _tonio.ready(self)

    def __aexit__(self, *exc: Any) -> Any:
        return self.aclose()


class TLSListener(SocketListener):
    """A listener whose ``accept()`` evaluates to a server-side :class:`TLSStream` (the
    handshake happens on its first I/O, inside the handler)."""

    __slots__ = ("transport", "ssl_context", "https_compatible")

    def __init__(
        self, listener: SocketListener, ssl_context: Any, *, https_compatible: bool = False
    ) -> None:
        super().__init__(listener.socket)
        #: The TCP listener underneath (tonio 0.6.0's attribute name).
        self.transport = listener
        _check_context(ssl_context, True, None)  # now, not at the first accept
        self.ssl_context = ssl_context
        self.https_compatible = https_compatible

    def accept(self) -> _tonio.Suspension[TLSStream]:  # type: ignore[override]
        """Awaitable: the next connection, as a :class:`TLSStream` (not handshaken yet)."""
        return self.socket._accept_as(self._wrap)

    def _wrap(self, socket: _tonio.socket) -> TLSStream:
        return TLSStream(
            SocketStream(socket),
            self.ssl_context,
            server_side=True,
            https_compatible=self.https_compatible,
        )


@types.coroutine
def open_tls_over_tcp_stream(
    host: str,
    port: int,
    *,
    https_compatible: bool = False,
    ssl_context: Any = None,
    happy_eyeballs_delay: float | None = None,
) -> Generator[Any, Any, TLSStream]:
    """Connects to ``host:port`` and performs the TLS handshake (verifying ``host``); evaluates
    to the :class:`TLSStream`. ``ssl_context`` defaults to ``ClientConfig()`` (the system trust
    store)."""
    if ssl_context is None:
        ssl_context = ClientConfig()
    kwargs = {} if happy_eyeballs_delay is None else {"happy_eyeballs_delay": happy_eyeballs_delay}
    transport = yield from open_tcp_stream(host, port, **kwargs)
    try:
        stream = TLSStream(
            transport, ssl_context, server_hostname=host, https_compatible=https_compatible
        )
        yield from stream.handshake()
    except BaseException:
        transport.close()
        raise
    return stream


@types.coroutine
def open_tls_over_tcp_listeners(
    port: int,
    ssl_context: Any = None,
    *,
    host: str | None = None,
    https_compatible: bool = False,
    backlog: int | None = None,
) -> Generator[Any, Any, list[TLSListener]]:
    """TCP listeners on ``port`` (see ``open_tcp_listeners``) wrapped as :class:`TLSListener`."""
    if ssl_context is None:
        raise ValueError("a TLS listener needs ssl_context (a ServerConfig or ssl.SSLContext)")
    _check_context(ssl_context, True, None)
    listeners = yield from open_tcp_listeners(port, host=host, backlog=backlog)
    return [
        TLSListener(listener, ssl_context, https_compatible=https_compatible)
        for listener in listeners
    ]


@types.coroutine
def serve_tls_over_tcp(
    handler: Callable[[TLSStream], Any],
    port: int,
    ssl_context: Any,
    *,
    host: str | None = None,
    https_compatible: bool = False,
    backlog: int | None = None,
) -> Generator[Any, Any]:
    """Serves TLS connections on ``port`` with ``handler(stream)`` until cancelled (see
    ``serve_listeners``)."""
    listeners = yield from open_tls_over_tcp_listeners(
        port, ssl_context, host=host, https_compatible=https_compatible, backlog=backlog
    )
    yield from serve_listeners(handler, listeners)
