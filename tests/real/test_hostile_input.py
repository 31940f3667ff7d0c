"""Hostile arguments everywhere: only clear Python exceptions come out, never a crash.

Each public entry point is called with values of the wrong type and out-of-range values; the
exception must be a TypeError, ValueError, OverflowError, OSError (or subclass) or RuntimeError,
and the process must carry on.
"""

import pytest

import tonio
import tonio.sim
from tonio import sync
from tonio.net import socket as tsocket

BAD = [None, -1, 2**70, -(2**70), 1.5, float("nan"), float("inf"), "x", b"x", [], object(), True]
ALLOWED = (TypeError, ValueError, OverflowError, OSError, RuntimeError)

CALLS = {
    "sleep": lambda a: tonio.sleep(a),
    "Event.wait": lambda a: tonio.Event().wait(a),
    "Semaphore": lambda a: sync.Semaphore(a),
    "Barrier": lambda a: sync.Barrier(a),
    "channel": lambda a: sync.channel.channel(a),
    "timeout": lambda a: tonio.time.timeout(a, a),
    "interval": lambda a: tonio.time.interval(a),
    "spawn": lambda a: tonio.spawn(a),
    "select": lambda a: tonio.select(a),
    "as_completed": lambda a: tonio.as_completed(a),
    "spawn_blocking": lambda a: tonio.spawn_blocking(a),
    "block_on": lambda a: tonio.block_on(a),
    "socket": lambda a: tsocket.socket(a),
    "socket type": lambda a: tsocket.socket(tsocket.AF_INET, a),
    "signal_receiver": lambda a: tonio.signal_receiver(a),
}
SOCKET_CALLS = {
    "recv": lambda s, a: s.recv(a),
    "recv flags": lambda s, a: s.recv(10, a),
    "recvfrom": lambda s, a: s.recvfrom(a),
    "recv_into": lambda s, a: s.recv_into(bytearray(4), a),
    "send": lambda s, a: s.send(a),
    "bind": lambda s, a: s.bind(a),
    "bind port": lambda s, a: s.bind(("127.0.0.1", a)),
    "bind host": lambda s, a: s.bind((a, 0)),
    "connect": lambda s, a: s.connect(a),
    "listen": lambda s, a: s.listen(a),
    "setsockopt": lambda s, a: s.setsockopt(a, a, a),
    "getsockopt": lambda s, a: s.getsockopt(a, a),
    "shutdown": lambda s, a: s.shutdown(a),
}


# Awaitables built here are dropped unawaited on purpose.
pytestmark = pytest.mark.filterwarnings("ignore:tonio awaitable .* never yielded")


def check(label, call):
    try:
        call()
    except ALLOWED:
        pass
    except BaseException as exc:  # pragma: no cover - the assertion reports it
        pytest.fail(f"{label}: unexpected {type(exc).__name__}: {exc}")


def test_runtime_level_calls():
    def main():
        for name, fn in CALLS.items():
            for value in BAD:
                check(f"{name}({value!r})", lambda fn=fn, value=value: fn(value))
        for name, fn in SOCKET_CALLS.items():
            for value in BAD:
                with tsocket.socket() as sock:
                    check(
                        f"socket.{name}({value!r})",
                        lambda fn=fn, value=value, sock=sock: fn(sock, value),
                    )
        yield

    tonio.run(main(), signals=[10])


@pytest.mark.parametrize(
    "option",
    [
        "threads",
        "context",
        "blocking_threadpool_size",
        "blocking_threadpool_idle_ttl",
        "signals",
        "unhandled_error_hook",
    ],
)
def test_runtime_options(option):
    for value in BAD:
        check(f"runtime({option}={value!r})", lambda value=value: tonio.runtime(**{option: value}))


@pytest.mark.parametrize("option", ["seed", "strategy", "max_steps", "max_time"])
def test_simulator_options(option):
    for value in BAD:
        check(
            f"sim.runtime({option}={value!r})",
            lambda value=value: tonio.sim.runtime(**{"seed": 1, option: value}),
        )
