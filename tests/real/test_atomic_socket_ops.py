"""A bare socket receive or accept that races a deadline or another select branch is atomic:
it completes (and is reported as completed) or takes nothing, with several threads racing.

These races need real threads: under the simulator one task step cannot interleave with
another, so the same bodies pass there trivially (they run on `net_rt` for the contract). On
the build before this rule, `select(stream.receive_some(), tick())` lost received bytes and
`select(listener.accept(), ...)` dropped connections in some runs with two threads.
"""

import pytest
from tls_peers import CA, LEAF

import tonio
import tonio.sim
from tonio.net import open_tcp_listeners, open_tcp_stream, serve_listeners, tls

PAYLOAD = bytes(range(256)) * 1024  # 256 KiB
CHUNK = 4096


@pytest.fixture(params=["sim", "real2", "real8"])
def race_rt(request):
    if request.param == "sim":
        return tonio.sim.runtime(seed=0)
    return tonio.runtime(threads=int(request.param[4:]))


def trickle(stream):
    """Sends PAYLOAD in small pieces with pauses, so receives keep racing the ticks."""
    with stream:
        for offset in range(0, len(PAYLOAD), CHUNK):
            yield stream.send_all(PAYLOAD[offset : offset + CHUNK])
            if offset % (8 * CHUNK) == 0:
                yield tonio.sleep(0.0005)


def serving(open_listeners, handler, body):
    """Generator: serves fresh listeners with `handler` while `body(port)` runs."""
    listeners = yield open_listeners
    port = listeners[0].socket.getsockname()[1]
    with tonio.scope() as scope:
        scope.spawn(serve_listeners(handler, listeners))
        result = yield body(port)
        scope.cancel()
    yield scope()
    return result


def tick():
    yield tonio.sleep(0.00005)
    return None


def receive_all_racing(stream, race):
    got = bytearray()
    while True:
        data = yield from race(stream)
        if data is None:
            continue
        if not data:
            return bytes(got)
        got += data


def select_race(stream):
    return (yield tonio.select(stream.receive_some(CHUNK), tick()))


def timeout_race(stream):
    data, in_time = yield tonio.time.timeout(stream.receive_some(CHUNK), 0.00005)
    if not in_time:
        assert data is None, "a receive reported late took data"
    return data


@pytest.mark.parametrize("race", [select_race, timeout_race], ids=["select", "timeout"])
def test_racing_receives_lose_no_byte(race_rt, race):
    def client(port):
        stream = yield open_tcp_stream("127.0.0.1", port)
        with stream:
            return (yield from receive_all_racing(stream, race))

    def main():
        results = []
        for _ in range(4):
            listeners = open_tcp_listeners(0, host="127.0.0.1")
            results.append((yield from serving(listeners, trickle, client)))
        return results

    for got in race_rt.run_until_complete(main()):
        assert len(got) == len(PAYLOAD)
        assert got == PAYLOAD


@pytest.mark.parametrize("race", [select_race, timeout_race], ids=["select", "timeout"])
def test_racing_tls_receives_lose_no_byte(race_rt, race):
    """A TLS receive is one operation too (decrypted data it took too late stays in the
    stream)."""

    def client(port):
        stream = yield tls.open_tls_over_tcp_stream(
            "localhost", port, ssl_context=CA.client_config(), https_compatible=True
        )
        with stream:
            return (yield from receive_all_racing(stream, race))

    def main():
        results = []
        for _ in range(4):
            listeners = tls.open_tls_over_tcp_listeners(0, LEAF.server_config(), host="127.0.0.1")
            results.append((yield from serving(listeners, trickle, client)))
        return results

    for got in race_rt.run_until_complete(main()):
        assert got == PAYLOAD


CONNECTIONS = 200


def read_to_end(stream):
    got = b""
    while data := (yield stream.receive_some()):
        got += data
    return got


def test_racing_accepts_drop_no_connection(race_rt):
    """Four acceptors share one listener, each racing its accept against a short tick."""

    def main():
        listeners = yield open_tcp_listeners(0, host="127.0.0.1", backlog=CONNECTIONS)
        listener = listeners[0]
        port = listener.socket.getsockname()[1]
        accepted = []

        def client(i):
            stream = yield open_tcp_stream("127.0.0.1", port)
            with stream:
                yield stream.send_all(b"%d" % i)
                yield stream.send_eof()
                return (yield from read_to_end(stream))

        def answer(stream):
            with stream:
                request = yield from read_to_end(stream)
                yield stream.send_all(b"ok " + request)

        def acceptor():
            while len(accepted) < CONNECTIONS:
                stream = yield tonio.select(listener.accept(), tick())
                if stream is not None:
                    accepted.append(stream)
                    tonio.spawn(answer(stream))

        with tonio.scope() as scope:
            for _ in range(4):
                scope.spawn(acceptor())
            replies = yield tonio.map(client, range(CONNECTIONS))
            scope.cancel()
        yield scope()
        listener.close()
        return replies

    replies = race_rt.run_until_complete(main())
    assert replies == [b"ok %d" % i for i in range(CONNECTIONS)]
