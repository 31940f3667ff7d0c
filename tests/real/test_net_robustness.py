"""Networking under hostile sizes, shared buffers, flags, name resolution and resource exhaustion.

Loopback addresses only, temporary directories for Unix paths, and a bounded timeout on
everything that waits, so a regression fails a test instead of hanging or killing pytest (the
cases that used to abort the process run in a subprocess).
"""

import subprocess
import sys
import textwrap

import pytest

import tonio
from tonio.net import socket as tsocket

TIMEOUT = 10  # seconds, for anything that waits


def run_script(source: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """Runs `source` in a fresh interpreter; an abort shows up as a negative return code."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(source)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def tcp_pair():
    """Generator: a connected `(client, server)` pair of tonio TCP sockets on 127.0.0.1."""
    with tsocket.socket() as listener:
        yield listener.bind(("127.0.0.1", 0))
        listener.listen()
        client = tsocket.socket()
        yield client.connect(listener.getsockname())
        server, _ = yield listener.accept()
    return client, server


def bounded(coro):
    """Generator: runs `coro` with the test timeout; fails the test if the deadline passes."""
    value, finished = yield tonio.time.timeout(coro, TIMEOUT)
    assert finished, "timed out"
    return value


# --- sizes ----------------------------------------------------------------------------------


def test_huge_recv_sizes_return_what_arrived_instead_of_aborting():
    result = run_script(
        """
        import tonio
        from tonio.net import SocketStream
        from tonio.net import socket as tsocket

        def main():
            with tsocket.socket() as listener:
                yield listener.bind(("127.0.0.1", 0))
                listener.listen()
                client = tsocket.socket()
                yield client.connect(listener.getsockname())
                server, _ = yield listener.accept()
            with client, server:
                yield client.sendall(b"first")
                assert (yield server.recv(2**40)) == b"first"
                yield client.sendall(b"second")
                assert (yield SocketStream(server).receive_some(2**40)) == b"second"
                yield client.sendall(b"third")
                assert (yield server.recv(2**62)) == b"third"
            with tsocket.socket(tsocket.AF_INET, tsocket.SOCK_DGRAM) as a:
                with tsocket.socket(tsocket.AF_INET, tsocket.SOCK_DGRAM) as b:
                    yield a.bind(("127.0.0.1", 0))
                    yield b.sendto(b"datagram", a.getsockname())
                    data, _ = yield a.recvfrom(2**31 - 1)
                    assert data == b"datagram"
                    yield b.sendto(b"again", a.getsockname())
                    data, _ = yield a.recvfrom(2**40)
                    assert data == b"again"
            return "ok"

        print(tonio.run(main()))
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.recv(-1),
        lambda s: s.recvfrom(-1),
        lambda s: s.recv_into(bytearray(4), -1),
    ],
    ids=["recv", "recvfrom", "recv_into"],
)
def test_negative_sizes_raise_valueerror(call):
    def main():
        with tsocket.socket() as sock, pytest.raises(ValueError, match="negative"):
            call(sock)
        yield

    tonio.run(main())


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.recv(2**70),
        lambda s: s.recvfrom(2**70),
        lambda s: s.recv_into(bytearray(4), 2**70),
        lambda s: s.recv(10, 2**40),
        lambda s: s.listen(2**40),
    ],
    ids=["recv", "recvfrom", "recv_into", "flags", "listen"],
)
def test_ints_too_large_for_c_raise_overflowerror(call):
    def main():
        with tsocket.socket() as sock, pytest.raises(OverflowError):
            call(sock)
        yield

    tonio.run(main())
