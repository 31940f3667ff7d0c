"""Readiness bookkeeping on the real platform: a read or send that stops short lets the next
attempt wait for the next event instead of making a system call that would block (one `recv`
per request instead of two, see bench/README.md), and that must never hide data, a datagram or
an end of stream that is already there: the reactor is edge-triggered and will not report it
again.

Real platform only: the bookkeeping is the reactor's (edge-triggered epoll), and the peers are
OS sockets.
"""

import socket as stdlib_socket

import tonio
from tonio.net import socket as tsocket

TIMEOUT = 10  # seconds, for anything that waits


def bounded(coro):
    """Generator: runs `coro` with the test timeout; fails the test if the deadline passes."""
    value, finished = yield tonio.time.timeout(coro, TIMEOUT)
    assert finished, "timed out"
    return value


def accepted_from_stdlib():
    """Generator: `(peer, server)`: a blocking stdlib client connected to a tonio socket."""
    with tsocket.socket() as listener:
        yield listener.bind(("127.0.0.1", 0))
        listener.listen()
        peer = stdlib_socket.create_connection(listener.getsockname())
        server, _ = yield listener.accept()
    return peer, server


def test_end_of_stream_reported_before_the_last_short_read_is_still_seen():
    def main():
        peer, server = yield from accepted_from_stdlib()
        with peer, server:
            peer.sendall(b"last words")
            peer.shutdown(stdlib_socket.SHUT_WR)
            # Let the reactor take the events (data, then the end of stream) before reading.
            yield tonio.sleep(0.05)
            data = yield bounded(server.recv(1024))  # short: stops before the end of stream
            end = yield bounded(server.recv(1024))
        return data, end

    assert tonio.run(main()) == (b"last words", b"")


def test_a_read_that_fills_the_buffer_leaves_the_rest_readable():
    def main():
        peer, server = yield from accepted_from_stdlib()
        with peer, server:
            peer.sendall(b"0123456789")
            yield tonio.sleep(0.05)
            first = yield bounded(server.recv(4))
            rest = yield bounded(server.recv(1024))
        return first, rest

    assert tonio.run(main()) == (b"0123", b"456789")


def test_datagrams_queued_behind_a_short_one_are_received():
    def main():
        with tsocket.socket(tsocket.AF_INET, tsocket.SOCK_DGRAM) as a:
            with tsocket.socket(tsocket.AF_INET, tsocket.SOCK_DGRAM) as b:
                yield a.bind(("127.0.0.1", 0))
                for word in (b"one", b"two", b"three"):
                    yield b.sendto(word, a.getsockname())
                yield tonio.sleep(0.05)
                got = []
                for _ in range(3):
                    got.append((yield bounded(a.recv(1024))))  # each one is short
        return got

    assert tonio.run(main()) == [b"one", b"two", b"three"]


def test_many_short_exchanges_on_one_connection():
    def main():
        peer, server = yield from accepted_from_stdlib()
        got = []
        with peer, server:
            for i in range(200):
                peer.sendall(b"ping %d" % i)
                got.append((yield bounded(server.recv(1024))))
                yield bounded(server.sendall(b"pong"))
                assert peer.recv(16) == b"pong"
        return got

    assert tonio.run(main()) == [b"ping %d" % i for i in range(200)]
