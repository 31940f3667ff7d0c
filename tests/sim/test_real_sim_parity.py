"""Same body, same outcome: each case runs on the real platform (Linux) and under the
simulator (several seeds), and both must give what Linux gives.

On the build before, each row differed: the simulator answered a send after the peer's FIN
with `ConnectionResetError`, a missing Unix path with `ConnectionRefusedError`, refused the
connects beyond a listener's backlog, and raised `OverflowError` for an infinite timeout.
"""

import os
import tempfile

import pytest

import tonio
import tonio.sim
from tonio.net import open_tcp_listeners, open_tcp_stream, open_unix_socket
from tonio.time import timeout


def error_name(exc):
    return type(exc).__name__


def send_after_the_peers_fin():
    """The peer closes; a first send still succeeds (its RST comes back), the next fails."""
    listeners = yield open_tcp_listeners(0, host="127.0.0.1")
    port = listeners[0].socket.getsockname()[1]
    client = yield open_tcp_stream("127.0.0.1", port)
    server = yield listeners[0].accept()
    server.close()
    assert (yield client.receive_some()) == b""  # the FIN arrived
    outcome = None
    for _ in range(200):
        try:
            yield client.send_all(b"x")
        except OSError as exc:
            outcome = error_name(exc)
            break
        yield tonio.sleep(0.01)
    client.close()
    listeners[0].close()
    return outcome


def connect_to_a_missing_unix_path():
    path = os.path.join(tempfile.gettempdir(), f"tonio-missing-{os.getpid()}.sock")
    try:
        yield open_unix_socket(path)
    except OSError as exc:
        return error_name(exc)
    return "connected"


def connect_to_a_closed_port():
    listeners = yield open_tcp_listeners(0, host="127.0.0.1")
    port = listeners[0].socket.getsockname()[1]
    listeners[0].close()
    try:
        yield open_tcp_stream("127.0.0.1", port)
    except OSError as exc:
        return error_name(exc)
    return "connected"


def more_connects_than_the_backlog():
    """10 clients connect at once to a listener with backlog=4 that accepts 50 ms later: the
    kernel keeps the attempts it has no room for (the clients send them again), so all
    succeed."""
    listeners = yield open_tcp_listeners(0, host="127.0.0.1", backlog=4)
    port = listeners[0].socket.getsockname()[1]
    results = []

    def client():
        try:
            stream = yield open_tcp_stream("127.0.0.1", port)
        except OSError as exc:
            results.append(error_name(exc))
            return
        got = b""
        while data := (yield stream.receive_some()):
            got += data
        assert got == b"hi"
        stream.close()
        results.append("ok")

    def server():
        yield tonio.sleep(0.05)
        for _ in range(10):
            stream = yield listeners[0].accept()
            yield stream.send_all(b"hi")
            stream.close()

    yield tonio.spawn(server(), *[client() for _ in range(10)])
    listeners[0].close()
    return sorted(results)


def infinite_timeouts():
    def quick():
        yield tonio.sleep(0.01)
        return "done"

    forever = yield timeout(quick(), float("inf"))
    huge_sleep = yield timeout(tonio.sleep(1e300), 0.01)
    return forever, huge_sleep


CASES = {
    "send after the peer's FIN": (send_after_the_peers_fin, "BrokenPipeError"),
    "missing Unix path": (connect_to_a_missing_unix_path, "FileNotFoundError"),
    "closed port": (connect_to_a_closed_port, "ConnectionRefusedError"),
    "connects beyond the backlog": (more_connects_than_the_backlog, ["ok"] * 10),
    "infinite timeout": (infinite_timeouts, (("done", True), (None, False))),
}


@pytest.mark.parametrize("case", CASES)
def test_real_and_simulated_give_what_linux_gives(case):
    body, linux = CASES[case]
    assert tonio.run(body(), threads=2) == linux
    for seed in range(5):
        assert tonio.sim.run(body(), seed=seed) == linux, f"seed {seed}"
