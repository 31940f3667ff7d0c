"""The simulated network: streams in virtual time, names, faults, determinism."""

import socket as stdlib_socket
import subprocess
import sys
import textwrap

import pytest

import tonio
import tonio.colored as ctonio
import tonio.sim as sim
from tonio.net import (
    open_tcp_listeners,
    open_tcp_stream,
    open_unix_listener,
    open_unix_socket,
    serve_listeners,
)
from tonio.net import socket as tsocket


def echo(stream):
    with stream:
        while True:
            try:
                data = yield stream.receive_some()
            except ConnectionResetError:
                return
            if not data:
                yield stream.send_eof()
                return
            yield stream.send_all(data)


def read_exactly(stream, n):
    got = b""
    while len(got) < n:
        data = yield stream.receive_some()
        if not data:
            break
        got += data
    return got


def with_echo_server(body, host="127.0.0.1", port=7000):
    """Generator: runs an echo server on host:port while `body(port)` runs."""
    listeners = yield open_tcp_listeners(port, host=host)
    with tonio.scope() as scope:
        scope.spawn(serve_listeners(echo, listeners))
        result = yield body(port)
        scope.cancel()
    yield scope()
    return result


def test_echo_takes_the_links_latency_in_virtual_time():
    def body(port):
        t0 = tonio.time.time()
        stream = yield open_tcp_stream("127.0.0.1", port)
        t1 = tonio.time.time()
        with stream:
            yield stream.send_all(b"ping")
            reply = yield from read_exactly(stream, 4)
        t2 = tonio.time.time()
        return reply, round(t1 - t0, 6), round(t2 - t1, 6)

    network = sim.Network(latency=0.01)
    reply, connect, round_trip = sim.run(with_echo_server(body), seed=3, network=network)
    assert reply == b"ping"
    assert connect == pytest.approx(0.02)  # there and back
    assert round_trip == pytest.approx(0.02)


def test_jitter_stays_within_its_bound_and_keeps_the_stream_in_order():
    payload = bytes(range(256)) * 400

    def body(port):
        stream = yield open_tcp_stream("127.0.0.1", port)
        with stream:
            for i in range(0, len(payload), 1000):
                yield stream.send_all(payload[i : i + 1000])
            yield stream.send_eof()
            got = yield from read_exactly(stream, len(payload) + 1)
        return got

    for seed in range(5):
        network = sim.Network(latency=0.001, jitter=0.004)
        assert sim.run(with_echo_server(body), seed=seed, network=network) == payload


def test_sends_arrive_split_and_merged_for_some_seeds():
    """Three 4-byte sends at once: the receiver reads as soon as bytes arrive, and sees the
    same bytes in order, but not always as three reads of 4."""

    def main():
        listeners = yield open_tcp_listeners(80, host="127.0.0.1")
        client = yield open_tcp_stream("127.0.0.1", 80)
        server = yield listeners[0].accept()
        for word in (b"aaaa", b"bbbb", b"cccc"):
            yield client.send_all(word)
        reads = []
        while sum(map(len, reads)) < 12:
            reads.append((yield server.receive_some()))
        for s in (client, server, listeners[0]):
            s.close()
        return reads

    seen = [sim.run(main(), seed=seed) for seed in range(40)]
    assert all(b"".join(reads) == b"aaaabbbbccccc"[:12] for reads in seen)
    assert [b"aaaabbbbcccc"] in seen  # merged into one read
    assert any(len(reads[0]) < 4 for reads in seen)  # the first send arrived in pieces


def test_names_resolve_through_the_network_and_unknown_names_fail():
    network = sim.Network(hosts={"db": "10.0.0.2"})

    def main():
        listeners = yield open_tcp_listeners(5432, host="10.0.0.2")
        with tonio.scope() as scope:
            scope.spawn(serve_listeners(echo, listeners))
            stream = yield open_tcp_stream("db", 5432)
            with stream:
                peer = stream.socket.getpeername()
                yield stream.send_all(b"select 1")
                reply = yield from read_exactly(stream, 8)
            raw = tsocket.socket()
            with raw:
                yield raw.connect(("db", 5432))  # the raw socket resolves names too
            with pytest.raises(stdlib_socket.gaierror):
                yield open_tcp_stream("nowhere.example", 80)
            scope.cancel()
        yield scope()
        return peer, reply

    assert sim.run(main(), seed=0, network=network) == (("10.0.0.2", 5432), b"select 1")


def test_nothing_listening_is_refused_and_a_taken_port_is_in_use():
    def main():
        with pytest.raises(ConnectionRefusedError):
            yield open_tcp_stream("10.0.0.9", 80)
        first = tsocket.socket()
        yield first.bind(("127.0.0.1", 9000))
        first.listen()
        second = tsocket.socket()
        with pytest.raises(OSError) as info:
            yield second.bind(("0.0.0.0", 9000))
        first.close()
        second.close()
        return info.value.errno

    import errno

    assert sim.run(main(), seed=0) == errno.EADDRINUSE


def test_a_partition_stalls_traffic_a_timeout_fires_and_healing_delivers_in_order():
    def body(port):
        stream = yield open_tcp_stream("10.0.0.2", port)
        with stream:
            net = sim.network()
            net.partition("127.0.0.1", "10.0.0.2")
            yield stream.send_all(b"one,")
            yield stream.send_all(b"two")
            reply, arrived = yield tonio.time.timeout(read_exactly(stream, 7), 5.0)
            assert not arrived  # nothing gets through a partition
            net.heal()
            late = yield from read_exactly(stream, 7)
        return late

    run = with_echo_server(body, host="10.0.0.2")
    assert sim.run(run, seed=4) == b"one,two"


def test_a_reset_mid_request_reaches_both_ends():
    outcome = {}

    def server(stream):
        with stream:
            try:
                yield stream.receive_some()
                yield stream.receive_some()  # waiting here when the reset comes
            except ConnectionResetError:
                outcome["server"] = "reset"

    def main():
        listeners = yield open_tcp_listeners(80, host="10.0.0.2")
        with tonio.scope() as scope:
            scope.spawn(serve_listeners(server, listeners))
            stream = yield open_tcp_stream("10.0.0.2", 80)
            with stream:
                yield stream.send_all(b"GET /")
                yield tonio.sleep(1)
                ends = sim.network().reset("10.0.0.2", "localhost")
                with pytest.raises(ConnectionResetError):
                    yield stream.receive_some()
            yield tonio.sleep(1)
            scope.cancel()
        yield scope()
        return ends

    assert sim.run(main(), seed=0) == 2
    assert outcome == {"server": "reset"}


def test_a_reset_during_connection_setup_reaches_both_ends():
    """The listener took the connection (10 ms), its answer is still on the way (10 ms more)
    when the reset comes: the server's end is reset and the client's connect fails, as a reset
    in SYN_SENT makes it fail on Linux. Before, the client waited forever."""
    outcome = {}

    def server(listener):
        stream = yield listener.accept()
        try:
            yield stream.receive_some()
        except ConnectionResetError:
            outcome["server"] = "reset"

    def client():
        try:
            yield open_tcp_stream("10.0.0.2", 80)
        except ConnectionRefusedError:
            outcome["client"] = "refused"

    def main():
        listeners = yield open_tcp_listeners(80, host="10.0.0.2")
        sim.network().set_link("localhost", "10.0.0.2", latency=0.01)
        serving = tonio.spawn(server(listeners[0]))
        connecting = tonio.spawn(client())
        yield tonio.sleep(0.015)
        ends = sim.network().reset("10.0.0.2", "localhost")
        yield serving
        yield connecting
        return ends

    for seed in range(5):
        outcome.clear()
        assert sim.run(main(), seed=seed) == 2  # connection ends: the server's and the client's
        assert outcome == {"server": "reset", "client": "refused"}


def test_set_link_changes_the_latency_of_one_link():
    def main():
        listeners = yield open_tcp_listeners(80, host="10.0.0.2")
        with tonio.scope() as scope:
            scope.spawn(serve_listeners(echo, listeners))
            sim.network().set_link("localhost", "10.0.0.2", latency=0.25)
            t0 = tonio.time.time()
            stream = yield open_tcp_stream("10.0.0.2", 80)
            stream.close()
            scope.cancel()
        yield scope()
        return round(tonio.time.time() - t0, 6)

    assert sim.run(main(), seed=0) == pytest.approx(0.5)


def test_unix_sockets_live_in_the_runs_own_namespace():
    async def main():
        listener = await ctonio.net.open_unix_listener("/nonexistent/dir/app.sock")
        async with ctonio.scope() as scope:

            async def handler(stream):
                async with stream:
                    await stream.send_all(b"over unix")

            scope.spawn(ctonio.net.serve_listeners(handler, [listener]))
            stream = await ctonio.net.open_unix_socket("/nonexistent/dir/app.sock")
            async with stream:
                got = await stream.receive_some()
            scope.cancel()
        return got

    assert sim.run(main(), seed=0) == b"over unix"


def test_yield_flavour_unix_listener_and_client():
    def main():
        listener = yield open_unix_listener("/tmp/sim-only.sock")
        client = yield open_unix_socket("/tmp/sim-only.sock")
        server = yield listener.accept()
        yield client.send_all(b"x")
        got = yield server.receive_some()
        for s in (client, server, listener):
            s.close()
        return got

    assert sim.run(main(), seed=0) == b"x"


def test_fault_api_outside_a_simulated_run():
    with pytest.raises(RuntimeError, match="simulated run"):
        sim.network()

    def main():
        with pytest.raises(RuntimeError, match="real platform"):
            sim.network()
        yield

    tonio.run(main())


@pytest.mark.parametrize(
    "network,error",
    [
        (sim.Network(latency=-1), ValueError),
        (sim.Network(jitter="x"), TypeError),
        (sim.Network(hosts={"db": "not an ip"}), ValueError),
        (sim.Network(hosts=["db"]), TypeError),
        (object(), TypeError),
    ],
)
def test_bad_network_settings_name_the_problem(network, error):
    with pytest.raises(error):
        sim.runtime(seed=0, network=network)


def test_unknown_hosts_in_faults_name_the_host():
    def main():
        with pytest.raises(ValueError, match="nowhere"):
            sim.network().partition("localhost", "nowhere")
        yield

    sim.run(main(), seed=0)


def test_a_network_program_has_the_same_trace_in_every_process():
    source = textwrap.dedent(
        """
        import tonio, tonio.sim as sim
        from tonio.net import open_tcp_listeners, open_tcp_stream, serve_listeners

        def echo(stream):
            with stream:
                while data := (yield stream.receive_some()):
                    yield stream.send_all(data)

        def client(port, i):
            stream = yield open_tcp_stream("127.0.0.1", port)
            with stream:
                yield stream.send_all(b"x" * (1000 * i + 1))
                got = 0
                while got < 1000 * i + 1:
                    got += len((yield stream.receive_some()))

        def main():
            listeners = yield open_tcp_listeners(80, host="127.0.0.1")
            with tonio.scope() as scope:
                scope.spawn(serve_listeners(echo, listeners))
                yield tonio.spawn(*[client(80, i) for i in range(5)])
                scope.cancel()
            yield scope()

        rt = sim.runtime(seed=11, network=sim.Network(latency=0.002, jitter=0.003))
        rt.run_until_complete(main())
        print(rt.last_trace_hash, rt.last_steps)
        """
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", source], capture_output=True, text=True, check=True
        ).stdout
        for _ in range(3)
    }
    assert len(outputs) == 1, outputs


def test_faults_and_signals_are_steps_of_the_trace():
    import signal

    def main():
        net = sim.network()
        net.partition("localhost", "10.0.0.2")
        net.heal()
        sim.send_signal(signal.SIGHUP)
        yield tonio.sleep(0)

    rt = sim.runtime(seed=0, trace=True, signals=[signal.SIGHUP])
    rt.run_until_complete(main())
    notes = [row for row in rt.last_trace if row[3].startswith(("fault", "signal"))]
    assert [row[3] for row in notes] == [
        "fault: partition 127.0.0.1 <-> 10.0.0.2",
        "fault: heal every partition",
        f"signal {int(signal.SIGHUP)}",
    ]
    assert all("test_sim_network.py:" in row[4] for row in notes)
    quiet = sim.runtime(seed=0, signals=[signal.SIGHUP])
    quiet.run_until_complete(main())
    assert quiet.last_trace_hash == rt.last_trace_hash  # the same run, recorded or not


def test_a_blocking_call_that_uses_real_sockets_is_reported():
    def real_connect():
        with stdlib_socket.create_connection(("127.0.0.1", 9), timeout=1):
            pass

    def main():
        with pytest.raises(RuntimeError, match="real socket"):
            yield tonio.spawn_blocking(real_connect)
        with pytest.raises(RuntimeError, match="real socket"):
            yield tonio.spawn_blocking(stdlib_socket.getaddrinfo, "localhost", 80)
        # blocking calls that do not touch sockets run as before
        return (yield tonio.spawn_blocking(sum, [1, 2, 3]))

    assert sim.run(main(), seed=0) == 6
    # the guard does not reach outside the simulator's blocking calls
    stdlib_socket.socket().close()


def test_cancelled_waits_leave_the_sockets_usable():
    def main():
        listener = tsocket.socket()
        yield listener.bind(("10.0.0.2", 80))
        listener.listen()
        outcomes = [(yield tonio.time.timeout(listener.accept(), 0.05))]
        client = tsocket.socket()
        yield client.connect(("10.0.0.2", 80))
        server, _ = yield listener.accept()
        outcomes.append((yield tonio.time.timeout(server.recv(1024), 0.05)))
        yield client.sendall(b"usable")
        assert (yield server.recv(1024)) == b"usable"
        # a send that cannot finish (the window fills and nobody reads)
        outcomes.append((yield tonio.time.timeout(client.sendall(b"x" * (1 << 20)), 0.05)))
        # a connect that cannot finish: the link is cut
        sim.network().partition("localhost", "10.0.0.2")
        stuck = tsocket.socket()
        outcomes.append((yield tonio.time.timeout(stuck.connect(("10.0.0.2", 80)), 0.05)))
        for s in (stuck, client, server, listener):
            s.close()
        return outcomes

    assert sim.run(main(), seed=0) == [(None, False)] * 4


def test_closing_with_unread_data_resets_the_peer():
    def main():
        listeners = yield open_tcp_listeners(80, host="127.0.0.1")
        client = yield open_tcp_stream("127.0.0.1", 80)
        server = yield listeners[0].accept()
        yield client.send_all(b"never read")
        yield tonio.sleep(0.01)
        server.close()  # with unread data: a reset, as Linux sends
        with pytest.raises(ConnectionResetError):
            yield read_exactly(client, 1)
        client.close()
        listeners[0].close()

    sim.run(main(), seed=0)
