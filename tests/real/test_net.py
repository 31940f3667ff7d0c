"""Networking: sockets and streams, TCP and Unix, both flavours.

Tests taking `net_rt` run on the real platform (1 and 2 workers) and on the simulator's
in-memory network. The others are about the OS itself and say why they stay real-only.
"""

import errno
import os
import socket as stdlib_socket
import struct
import threading

import pytest

import tonio
import tonio.colored as ctonio
from tonio.net import (
    SocketStream,
    open_tcp_listeners,
    open_tcp_stream,
    open_unix_listener,
    open_unix_socket,
    serve_listeners,
    serve_tcp,
)
from tonio.net import socket as tsocket

MIB = bytes(range(256)) * 4096  # 1 MiB, not all the same byte


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def echo_handler(stream):
    with stream:
        while True:
            data = yield stream.receive_some()
            if not data:
                yield stream.send_eof()
                return
            yield stream.send_all(data)


async def cecho_handler(stream):
    async with stream:
        while True:
            data = await stream.receive_some()
            if not data:
                await stream.send_eof()
                return
            await stream.send_all(data)


def round_trip(stream, payload):
    """Sends `payload`, half-closes, reads until EOF (yield flavour)."""

    def send():
        yield stream.send_all(payload)
        yield stream.send_eof()

    join = tonio.spawn(send())
    got = bytearray()
    while True:
        data = yield stream.receive_some()
        if not data:
            break
        got += data
    yield join
    return bytes(got)


async def cround_trip(stream, payload):
    async def send():
        await stream.send_all(payload)
        await stream.send_eof()

    join = ctonio.spawn(send())
    got = bytearray()
    while data := await stream.receive_some():
        got += data
    await join
    return bytes(got)


@pytest.mark.parametrize("kind", ["tcp", "unix"])
def test_mib_round_trip_streams_yield(net_rt, kind, tmp_path):
    path = str(tmp_path / "echo.sock")

    def main():
        if kind == "tcp":
            listeners = yield open_tcp_listeners(0, host="127.0.0.1")
            port = listeners[0].socket.getsockname()[1]
        else:
            listeners = [(yield open_unix_listener(path))]
        with tonio.scope() as scope:
            scope.spawn(serve_listeners(echo_handler, listeners))
            if kind == "tcp":
                stream = yield open_tcp_stream("127.0.0.1", port)
            else:
                stream = yield open_unix_socket(path)
            with stream:
                echoed = yield round_trip(stream, MIB)
            scope.cancel()
        yield scope()
        return echoed

    assert net_rt.run_until_complete(main()) == MIB


@pytest.mark.parametrize("kind", ["tcp", "unix"])
def test_mib_round_trip_streams_colored(net_rt, kind, tmp_path):
    path = str(tmp_path / "echo.sock")

    async def main():
        async with ctonio.scope() as scope:
            if kind == "tcp":
                listeners = await ctonio.net.open_tcp_listeners(0, host="127.0.0.1")
                port = listeners[0].socket.getsockname()[1]
                scope.spawn(ctonio.net.serve_listeners(cecho_handler, listeners))
                stream = await ctonio.net.open_tcp_stream("127.0.0.1", port)
            else:
                # Listening before serving: the connect cannot come before the bind (and the
                # simulated network has no file to wait for).
                listener = await ctonio.net.open_unix_listener(path)
                scope.spawn(ctonio.net.serve_listeners(cecho_handler, [listener]))
                stream = await ctonio.net.open_unix_socket(path)
            async with stream:
                echoed = await cround_trip(stream, MIB)
            scope.cancel()
        return echoed

    assert net_rt.run_until_complete(main()) == MIB


@pytest.mark.parametrize("family", ["inet", "unix"])
def test_mib_each_direction_low_level_sockets(net_rt, family, tmp_path):
    path = str(tmp_path / "raw.sock")

    async def server(listener, received):
        conn, _ = await listener.accept()
        with conn:
            while data := await conn.recv(65536):
                received.extend(data)
            await conn.sendall(MIB)
            conn.shutdown(tsocket.SHUT_WR)

    async def main():
        af = tsocket.AF_INET if family == "inet" else tsocket.AF_UNIX
        address = ("127.0.0.1", 0) if family == "inet" else path
        listener = tsocket.socket(af, tsocket.SOCK_STREAM)
        await listener.bind(address)
        listener.listen()
        received = bytearray()
        join = ctonio.spawn(server(listener, received))
        client = tsocket.socket(af, tsocket.SOCK_STREAM)
        await client.connect(listener.getsockname())
        await client.sendall(MIB)
        client.shutdown(tsocket.SHUT_WR)
        back = bytearray()
        buffer = bytearray(32768)
        while n := await client.recv_into(buffer):
            back += buffer[:n]
        await join
        client.close()
        listener.close()
        return bytes(received), bytes(back)

    sent, back = net_rt.run_until_complete(main())
    assert sent == MIB and back == MIB


def test_half_close_peer_reads_eof_then_can_still_send(net_rt):
    def main():
        listeners = yield open_tcp_listeners(0, host="127.0.0.1")
        listener = listeners[0]
        port = listener.socket.getsockname()[1]
        client = yield open_tcp_stream("127.0.0.1", port)
        server = yield listener.accept()
        yield client.send_all(b"ping")
        yield client.send_eof()
        first = yield server.receive_some()
        eof = yield server.receive_some()
        yield server.send_all(b"pong")  # the other direction is still open
        reply = yield client.receive_some()
        for s in (client, server, listener):
            s.close()
        return first, eof, reply

    assert net_rt.run_until_complete(main()) == (b"ping", b"", b"pong")


def test_thousand_concurrent_connections_echo_through_one_server(net_rt):
    count = 1000

    async def client(port, i):
        stream = await ctonio.net.open_tcp_stream("127.0.0.1", port)
        async with stream:
            message = f"hello {i}".encode()
            await stream.send_all(message)
            got = b""
            while len(got) < len(message):
                got += await stream.receive_some()
            return got == message

    async def main():
        async with ctonio.scope() as scope:
            listeners = await ctonio.net.open_tcp_listeners(0, host="127.0.0.1", backlog=1024)
            port = listeners[0].socket.getsockname()[1]
            scope.spawn(ctonio.net.serve_listeners(cecho_handler, listeners))
            results = await ctonio.spawn(*[client(port, i) for i in range(count)])
            scope.cancel()
        return results

    assert net_rt.run_until_complete(main()) == [True] * count


def test_connection_refused_has_the_errno(net_rt):
    async def main():
        probe = stdlib_socket.socket()
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()  # nothing listens there now
        with pytest.raises(ConnectionRefusedError) as info:
            await ctonio.net.open_tcp_stream("127.0.0.1", port)
        return info.value.errno

    assert net_rt.run_until_complete(main()) == errno.ECONNREFUSED


def test_address_in_use(net_rt):
    def main():
        first = tsocket.socket()
        yield first.bind(("127.0.0.1", 0))
        first.listen()
        second = tsocket.socket()
        with pytest.raises(OSError) as info:
            yield second.bind(first.getsockname())
        first.close()
        second.close()
        return info.value.errno

    assert net_rt.run_until_complete(main()) == errno.EADDRINUSE


def test_peer_reset_raises_connection_reset():
    """Real platform only: the reset comes from a stdlib socket closed with SO_LINGER 0 (the
    simulator's resets are in tests/sim/test_sim_network.py)."""

    def main():
        listener = tsocket.socket()
        yield listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]

        def abort_connection():
            raw = stdlib_socket.create_connection(("127.0.0.1", port))
            raw.setsockopt(
                stdlib_socket.SOL_SOCKET, stdlib_socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
            raw.sendall(b"x")
            raw.close()  # RST instead of FIN

        thread = threading.Thread(target=abort_connection)
        thread.start()
        conn, _ = yield listener.accept()
        yield tonio.spawn_blocking(thread.join)
        with pytest.raises(ConnectionResetError):
            while True:
                if not (yield conn.recv(1024)):
                    yield tonio.sleep(0.01)
        conn.close()
        listener.close()
        return True

    assert tonio.run(main())


def test_interop_with_a_blocking_stdlib_client_in_a_thread():
    """Real platform only: the peer is an OS socket in another thread."""
    result = {}

    def stdlib_client(port):
        with stdlib_socket.create_connection(("127.0.0.1", port)) as raw:
            raw.sendall(b"from stdlib")
            raw.shutdown(stdlib_socket.SHUT_WR)
            chunks = []
            while chunk := raw.recv(1024):
                chunks.append(chunk)
            result["reply"] = b"".join(chunks)

    def main():
        listeners = yield open_tcp_listeners(0, host="127.0.0.1")
        port = listeners[0].socket.getsockname()[1]
        thread = threading.Thread(target=stdlib_client, args=(port,))
        thread.start()
        stream = yield listeners[0].accept()
        yield echo_handler(stream)
        yield tonio.spawn_blocking(thread.join)
        listeners[0].close()

    tonio.run(main())
    assert result["reply"] == b"from stdlib"


def fill_accept_queue(address, count=8):
    """Loopback connections nobody accepts: with the listener's queue full, further connects
    stay in progress (the kernel drops their SYNs)."""
    fillers = []
    for _ in range(count):
        raw = stdlib_socket.socket()
        raw.setblocking(False)
        raw.connect_ex(address)
        fillers.append(raw)
    return fillers


@pytest.mark.parametrize("blocked_in", ["accept", "recv", "send", "connect"])
def test_cancelling_blocked_io_leaks_no_descriptor(blocked_in):
    """Real platform only: counts OS descriptors, and blocks a connect by filling a kernel
    accept queue (tests/sim/test_sim_network.py blocks one with a partition)."""

    def main():
        listener = tsocket.socket()
        yield listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        address = listener.getsockname()
        fillers = []
        if blocked_in == "connect":
            fillers = fill_accept_queue(address)
            yield tonio.sleep(0.05)
        before = open_fds()
        if blocked_in == "accept":
            outcome = yield tonio.time.timeout(listener.accept(), 0.05)
        elif blocked_in == "connect":
            sock = tsocket.socket()
            outcome = yield tonio.time.timeout(sock.connect(address), 0.1)
            sock.close()
        else:
            client = tsocket.socket()
            yield client.connect(address)
            server, _ = yield listener.accept()
            if blocked_in == "recv":
                outcome = yield tonio.time.timeout(server.recv(1024), 0.05)
                yield client.sendall(b"usable")
                # the socket still works after the cancelled wait
                assert (yield server.recv(1024)) == b"usable"
            else:
                outcome = yield tonio.time.timeout(client.sendall(b"x" * (64 << 20)), 0.05)
            client.close()
            server.close()
        after = open_fds()
        listener.close()
        for raw in fillers:
            raw.close()
        return outcome, before, after

    outcome, before, after = tonio.run(main())
    assert outcome == (None, False)
    assert after == before


def test_operations_on_a_closed_socket_raise_oserror(net_rt):
    def main():
        sock = tsocket.socket()
        sock.close()
        sock.close()  # idempotent
        assert sock.fileno() == -1
        for call in (lambda: sock.recv(10), lambda: sock.getsockname(), lambda: sock.listen()):
            with pytest.raises(OSError) as info:
                call()
            assert info.value.errno == errno.EBADF
        yield

    net_rt.run_until_complete(main())


def test_waiter_on_a_socket_closed_by_another_task_gets_oserror(net_rt):
    def main():
        listener = tsocket.socket()
        yield listener.bind(("127.0.0.1", 0))
        listener.listen()

        def closer():
            yield tonio.sleep(0.02)
            listener.close()

        tonio.spawn(closer())
        with pytest.raises(OSError):
            yield listener.accept()
        return True

    assert net_rt.run_until_complete(main())


@pytest.mark.parametrize(
    "call,error",
    [
        (lambda s: s.recv("10"), TypeError),
        (lambda s: s.recv(-1), ValueError),
        (lambda s: s.send(12), TypeError),
        (lambda s: s.connect("not a tuple"), TypeError),
        (lambda s: s.connect(("127.0.0.1", 70000)), ValueError),
        (lambda s: s.shutdown(17), ValueError),
    ],
)
def test_bad_arguments_name_the_problem(call, error, net_rt):
    def main():
        with tsocket.socket() as sock:
            with pytest.raises(error):
                call(sock)
        with pytest.raises(ValueError, match="family"):
            tsocket.socket(12345)
        with pytest.raises(TypeError):
            yield open_tcp_stream(123, 80)
        with pytest.raises(ValueError):
            yield open_tcp_stream("127.0.0.1", -1)

    net_rt.run_until_complete(main())


def test_socket_outside_a_runtime():
    from tonio.exceptions import RuntimeNotInitializedError

    with pytest.raises(RuntimeNotInitializedError):
        tsocket.socket()


def test_stream_sets_tcp_nodelay(net_rt):
    def main():
        listeners = yield open_tcp_listeners(0, host="127.0.0.1")
        port = listeners[0].socket.getsockname()[1]
        stream = yield open_tcp_stream("127.0.0.1", port)
        nodelay = stream.socket.getsockopt(tsocket.IPPROTO_TCP, tsocket.TCP_NODELAY)
        stream.close()
        listeners[0].close()
        return nodelay

    assert net_rt.run_until_complete(main()) != 0


def test_seed_socket_example_with_str_payload(net_rt):
    async def main():
        got = []

        async def server_handle(connection):
            with connection:
                got.append(await connection.recv(4096))

        sock = ctonio.net.socket.socket()
        with sock:
            await sock.bind(("127.0.0.1", 0))
            sock.listen()
            client = ctonio.net.socket.socket()
            with client:
                await client.connect(sock.getsockname())
                conn, _ = await sock.accept()
                join = ctonio.spawn(server_handle(conn))
                await client.send("message")
                await join
        return got

    assert net_rt.run_until_complete(main()) == [b"message"]


def test_serve_tcp_runs_until_cancelled(net_rt):
    async def main():
        probe = stdlib_socket.socket()
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        async with ctonio.scope() as scope:
            scope.spawn(serve_tcp(cecho_handler, port, host="127.0.0.1"))
            for _ in range(100):
                try:
                    stream = await open_tcp_stream("127.0.0.1", port)
                    break
                except ConnectionRefusedError:
                    await ctonio.sleep(0.005)
            async with stream:
                await stream.send_all(b"hi")
                reply = await stream.receive_some()
            scope.cancel()
        return reply

    assert net_rt.run_until_complete(main()) == b"hi"


def test_socketstream_rejects_non_sockets():
    with pytest.raises(TypeError):
        SocketStream(object())
