"""Networking under hostile sizes, shared buffers, flags, name resolution and resource exhaustion.

Loopback addresses only, temporary directories for Unix paths, and a bounded timeout on
everything that waits, so a regression fails a test instead of hanging or killing pytest (the
cases that used to abort the process run in a subprocess).
"""

import array
import errno
import logging
import os
import select
import socket as stdlib_socket
import subprocess
import sys
import textwrap
import threading
import uuid

import pytest

import tonio
import tonio.colored as ctonio
from tonio.net import socket as tsocket

TIMEOUT = 10  # seconds, for anything that waits
# Long enough for every piece of a send to arrive: on loopback it is there when the send
# returns; the simulated network takes its latency (0.5 ms) and may cut a send in pieces.
ARRIVED = 0.01


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


def test_a_payload_too_big_to_copy_raises_memoryerror():
    result = run_script(
        """
        import resource
        import tonio
        from tonio.net import socket as tsocket

        def vm_size():
            with open("/proc/self/status") as status:
                for line in status:
                    if line.startswith("VmSize:"):
                        return int(line.split()[1]) * 1024

        def main():
            payload = bytearray(256 * 1024 * 1024)
            # room for much less than a second copy of the payload
            resource.setrlimit(resource.RLIMIT_AS, (vm_size() + 64 * 1024 * 1024, -1))
            outcomes = []
            with tsocket.socket() as sock:
                for data in (payload, memoryview(payload), bytes(0)):
                    try:
                        sock.sendall(data)
                        outcomes.append("ok")
                    except MemoryError:
                        outcomes.append("MemoryError")
            return outcomes
            yield

        print(tonio.run(main()))
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['MemoryError', 'MemoryError', 'ok']"


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


# --- recv_into buffers ----------------------------------------------------------------------


def recv_into_after_send(rt, make_target, payload=b"payload", nbytes=None):
    """Sends `payload`, then `recv_into(make_target(), nbytes)` on `rt`: `(count, target)`."""

    def main():
        client, server = yield tcp_pair()
        with client, server:
            target = make_target()
            yield client.sendall(payload)
            yield tonio.sleep(ARRIVED)
            if nbytes is None:
                n = yield bounded(server.recv_into(target))
            else:
                n = yield bounded(server.recv_into(target, nbytes))
            return n, target

    return rt.run_until_complete(main())


def test_recv_into_fills_a_memoryview(net_rt):
    n, view = recv_into_after_send(net_rt, lambda: memoryview(bytearray(16)))
    assert n == 7 and bytes(view[:n]) == b"payload"


def test_recv_into_fills_an_array(net_rt):
    n, target = recv_into_after_send(net_rt, lambda: array.array("B", bytes(16)))
    assert n == 7 and target.tobytes()[:n] == b"payload"


def test_recv_into_a_memoryview_slice_writes_only_the_slice(net_rt):
    backing = bytearray(b"." * 12)
    n, _ = recv_into_after_send(net_rt, lambda: memoryview(backing)[4:8])
    assert n == 4 and backing == b"....payl...."


def test_recv_into_with_nbytes_writes_at_most_nbytes(net_rt):
    backing = bytearray(b"." * 12)
    n, _ = recv_into_after_send(net_rt, lambda: backing, nbytes=3)
    assert n == 3 and backing == b"pay........."


def test_recv_into_refuses_read_only_bytes(net_rt):
    def main():
        with tsocket.socket() as sock, pytest.raises(TypeError, match="writable"):
            sock.recv_into(b"read only")
        yield

    net_rt.run_until_complete(main())


def test_recv_into_refuses_a_non_contiguous_memoryview(net_rt):
    def main():
        with tsocket.socket() as sock, pytest.raises(TypeError, match="contiguous"):
            sock.recv_into(memoryview(bytearray(8))[::2])
        yield

    net_rt.run_until_complete(main())


def test_recv_into_nbytes_larger_than_the_buffer_raises_valueerror(net_rt):
    def main():
        with tsocket.socket() as sock, pytest.raises(ValueError, match="too small"):
            sock.recv_into(bytearray(4), 5)
        yield

    net_rt.run_until_complete(main())


def test_resizing_a_bytearray_while_recv_into_waits_raises_buffererror(net_rt):
    def main():
        client, server = yield tcp_pair()
        target = bytearray(16)
        with client, server:
            join = tonio.spawn(bounded(server.recv_into(target)))
            yield tonio.sleep(0.05)  # the receiver is now waiting for data
            with pytest.raises(BufferError):
                target.extend(b"x" * 4096)
            with pytest.raises(BufferError):
                target.clear()
            yield client.sendall(b"data")
            n = yield join
            target.extend(b"!")  # released once the receive completed
        return n, bytes(target)

    n, target = net_rt.run_until_complete(main())
    assert n == 4 and target == b"data" + bytes(12) + b"!"


@pytest.mark.parametrize("flavour", ["yield", "colored"])
def test_cancelled_recv_into_releases_its_buffer(flavour):
    def receive(server, target):
        yield server.recv_into(target)

    async def areceive(server, target):
        await server.recv_into(target)

    def main():
        client, server = yield tcp_pair()
        target = bytearray(16)
        with client, server, tonio.scope() as scope:
            scope.spawn((receive if flavour == "yield" else areceive)(server, target))
            yield tonio.sleep(0.05)
            scope.cancel()
        yield scope()
        # the cancelled receive let go of the view at once (not when its awaitable is freed)
        target.extend(b"!")
        return len(target)

    assert tonio.run(main()) == 17


# --- flags ----------------------------------------------------------------------------------


def stdlib_errno(family, flags):
    """The errno the stdlib raises for `recv(16, flags)` on a connected stream socket with no
    data (non-blocking, so that the call is made at once, as a blocking socket makes it)."""
    if family == "unix":
        a, b = stdlib_socket.socketpair()
    else:
        with stdlib_socket.create_server(("127.0.0.1", 0)) as listener:
            a = stdlib_socket.create_connection(listener.getsockname(), timeout=TIMEOUT)
            b, _ = listener.accept()
    with a, b:
        b.setblocking(False)
        with pytest.raises(OSError) as info:
            b.recv(16, flags)
        return info.value.errno


def stream_pair(family, directory):
    """Generator: a connected `(client, server)` pair of tonio stream sockets."""
    if family == "tcp":
        return (yield tcp_pair())
    path = str(directory / "pair.sock")
    with tsocket.socket(tsocket.AF_UNIX) as listener:
        yield listener.bind(path)
        listener.listen()
        client = tsocket.socket(tsocket.AF_UNIX)
        yield client.connect(path)
        server, _ = yield listener.accept()
    return client, server


def test_msg_peek_then_recv_returns_the_same_bytes(net_rt):
    def main():
        client, server = yield tcp_pair()
        with client, server:
            yield client.sendall(b"peekaboo")
            yield tonio.sleep(ARRIVED)
            peeked = yield bounded(server.recv(4, stdlib_socket.MSG_PEEK))
            again = yield bounded(server.recv(4, stdlib_socket.MSG_PEEK))
            target = bytearray(8)
            n = yield bounded(server.recv_into(target, 0, stdlib_socket.MSG_PEEK))
            read = yield bounded(server.recv(8))
        return peeked, again, bytes(target[:n]), read

    assert net_rt.run_until_complete(main()) == (b"peek", b"peek", b"peekaboo", b"peekaboo")


def test_msg_peek_on_recvfrom_leaves_the_datagram_queued():
    def main():
        with tsocket.socket(tsocket.AF_INET, tsocket.SOCK_DGRAM) as a:
            with tsocket.socket(tsocket.AF_INET, tsocket.SOCK_DGRAM) as b:
                yield a.bind(("127.0.0.1", 0))
                yield b.sendto(b"datagram", a.getsockname())
                peeked, _ = yield bounded(a.recvfrom(64, stdlib_socket.MSG_PEEK))
                read, _ = yield bounded(a.recvfrom(64))
        return peeked, read

    assert tonio.run(main()) == (b"datagram", b"datagram")


def test_sendto_takes_flags_between_data_and_address():
    def main():
        with tsocket.socket(tsocket.AF_INET, tsocket.SOCK_DGRAM) as a:
            with tsocket.socket(tsocket.AF_INET, tsocket.SOCK_DGRAM) as b:
                yield a.bind(("127.0.0.1", 0))
                sent = yield b.sendto(b"flagged", 0, a.getsockname())
                data, _ = yield bounded(a.recvfrom(64))
        return sent, data

    assert tonio.run(main()) == (7, b"flagged")


@pytest.mark.parametrize("flavour", ["yield", "colored"])
def test_msg_dontwait_on_an_empty_socket_raises_blockingioerror(flavour, net_rt):
    async def colored_recv(sock):
        return await sock.recv(16, stdlib_socket.MSG_DONTWAIT)

    def main():
        client, server = yield tcp_pair()
        with client, server:
            with pytest.raises(BlockingIOError):
                if flavour == "yield":
                    yield bounded(server.recv(16, stdlib_socket.MSG_DONTWAIT))
                else:
                    yield bounded(colored_recv(server))
            with pytest.raises(BlockingIOError):
                yield bounded(server.recv_into(bytearray(4), 0, stdlib_socket.MSG_DONTWAIT))
            yield client.sendall(b"now")
            yield tonio.sleep(ARRIVED)
            return (yield bounded(server.recv(16, stdlib_socket.MSG_DONTWAIT)))

    assert net_rt.run_until_complete(main()) == b"now"


def test_msg_oob_round_trips_urgent_data():
    def main():
        client, server = yield tcp_pair()
        with client, server:
            yield client.sendall(b"in band", 0)
            yield client.send(b"!", stdlib_socket.MSG_OOB)
            yield bounded(server.recv(16, stdlib_socket.MSG_PEEK))  # data has arrived
            for _ in range(500):  # the urgent byte follows the in-band ones
                try:
                    urgent = yield bounded(server.recv(1, stdlib_socket.MSG_OOB))
                    break
                except OSError as exc:
                    assert exc.errno == errno.EINVAL  # not there yet
                    yield tonio.sleep(0.01)
            normal = yield bounded(server.recv(16))
            return urgent, normal

    assert tonio.run(main()) == (b"!", b"in band")


@pytest.mark.parametrize("family", ["tcp", "unix"])
def test_recv_flags_the_os_refuses_give_the_os_error(family, tmp_path):
    flags = stdlib_socket.MSG_OOB  # no urgent data (TCP), not supported (Unix)
    expected = stdlib_errno(family, flags)
    assert expected not in (None, errno.EAGAIN)

    def main():
        client, server = yield stream_pair(family, tmp_path)
        with client, server, pytest.raises(OSError) as info:
            yield bounded(server.recv(16, flags))
        return info.value.errno

    assert tonio.run(main()) == expected


# --- host names -----------------------------------------------------------------------------


def os_thread_name() -> str:
    """The OS name of the calling thread (tonio's threads are not `threading` threads, so
    `threading.current_thread().name` is only `Dummy-N` there)."""
    with open(f"/proc/self/task/{threading.get_native_id()}/comm") as comm:
        return comm.read().strip()


@pytest.fixture
def resolver_threads(monkeypatch):
    """The OS names of the threads that call `socket.getaddrinfo` during the test."""
    names = []
    real = stdlib_socket.getaddrinfo

    def recording(*args, **kwargs):
        names.append(os_thread_name())
        return real(*args, **kwargs)

    monkeypatch.setattr(stdlib_socket, "getaddrinfo", recording)
    return names


def assert_resolved_off_the_workers(names):
    assert names, "getaddrinfo was not called through the socket module"
    assert all(name == "tonio-blocking" for name in names), names


def test_connect_to_a_host_name_resolves_off_the_workers_yield(resolver_threads):
    def main():
        with tsocket.socket() as listener, tsocket.socket() as client:
            yield listener.bind(("127.0.0.1", 0))
            listener.listen()
            yield bounded(client.connect(("localhost", listener.getsockname()[1])))
            conn, _ = yield bounded(listener.accept())
            conn.close()
            return client.getpeername() == listener.getsockname()

    assert tonio.run(main())
    assert_resolved_off_the_workers(resolver_threads)


def test_connect_to_a_host_name_resolves_off_the_workers_colored(resolver_threads):
    async def main():
        with tsocket.socket() as listener, tsocket.socket() as client:
            await listener.bind(("127.0.0.1", 0))
            listener.listen()
            await client.connect(("localhost", listener.getsockname()[1]))
            conn, _ = await listener.accept()
            conn.close()
            return client.getpeername() == listener.getsockname()

    assert ctonio.run(main())
    assert_resolved_off_the_workers(resolver_threads)


def test_bind_and_sendto_with_a_host_name_resolve_off_the_workers(resolver_threads):
    def main():
        with tsocket.socket(tsocket.AF_INET, tsocket.SOCK_DGRAM) as a:
            with tsocket.socket(tsocket.AF_INET, tsocket.SOCK_DGRAM) as b:
                yield bounded(a.bind(("localhost", 0)))
                host, port = a.getsockname()
                yield bounded(b.sendto(b"by name", ("localhost", port)))
                data, _ = yield bounded(a.recvfrom(64))
        return host, data

    assert tonio.run(main()) == ("127.0.0.1", b"by name")
    assert_resolved_off_the_workers(resolver_threads)


def test_connect_to_an_unknown_host_raises_gaierror():
    def main():
        with tsocket.socket() as sock, pytest.raises(stdlib_socket.gaierror):
            yield bounded(sock.connect(("no-such-host.invalid", 80)))

    tonio.run(main())


# --- accept loops ---------------------------------------------------------------------------

EMFILE_SERVER = """
import os, logging, resource, sys
import tonio
from tonio.net import open_tcp_listeners, serve_listeners

logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(name)s %(message)s")

def echo(stream):
    with stream:
        while data := (yield stream.receive_some()):
            yield stream.send_all(data)

def main():
    listeners = yield open_tcp_listeners(0, host="127.0.0.1")
    highest = max(int(fd) for fd in os.listdir("/proc/self/fd"))
    # room for SPARE accepted connections, no more
    resource.setrlimit(resource.RLIMIT_NOFILE, (highest + 1 + {spare}, {spare} + 4096))
    print(listeners[0].socket.getsockname()[1], flush=True)
    yield serve_listeners(echo, listeners)

tonio.run(main())
"""


def test_accept_loop_survives_running_out_of_descriptors():
    spare, clients = 2, 6
    server = subprocess.Popen(
        [sys.executable, "-c", EMFILE_SERVER.format(spare=spare)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        ready, _, _ = select.select([server.stdout], [], [], TIMEOUT)
        assert ready, "the server did not start"
        port = int(server.stdout.readline())
        conns = [
            stdlib_socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
            for _ in range(clients)
        ]
        # Each connection is echoed once the server could accept it; closing an echoed one
        # frees a descriptor for the next. Without the retry only `spare` would ever answer.
        for i, conn in enumerate(conns):
            with conn:
                conn.sendall(b"ping %d" % i)
                assert conn.recv(64) == b"ping %d" % i
    finally:
        server.kill()
        _, stderr = server.communicate(timeout=TIMEOUT)
    assert "tonio.net" in stderr and "Too many open files" in stderr, stderr


class FlakyListener(tonio.net.SocketListener):
    """A listener whose first accepts fail with the given errnos."""

    def __init__(self, sock, errnos):
        super().__init__(sock)
        self.errnos = list(errnos)

    def accept(self):
        if self.errnos:
            code = self.errnos.pop(0)
            raise OSError(code, os.strerror(code))
        return super().accept()


def echo_handler(stream):
    with stream:
        while data := (yield stream.receive_some()):
            yield stream.send_all(data)


@pytest.mark.parametrize(
    "code",
    [errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM, errno.ECONNABORTED],
    ids=errno.errorcode.get,
)
def test_accept_loop_logs_and_retries_after_transient_errors(code, caplog):
    def main():
        sock = tsocket.socket()
        yield sock.bind(("127.0.0.1", 0))
        sock.listen()
        listener = FlakyListener(sock, [code, code])
        with tonio.scope() as scope:
            scope.spawn(tonio.net.serve_listeners(echo_handler, [listener]))
            stream = yield bounded(tonio.net.open_tcp_stream(*sock.getsockname()))
            with stream:
                yield stream.send_all(b"still serving")
                reply = yield bounded(stream.receive_some())
            scope.cancel()
        yield scope()
        return reply

    with caplog.at_level(logging.DEBUG, logger="tonio.net"):
        assert tonio.run(main()) == b"still serving"
    logged = [r for r in caplog.records if r.name == "tonio.net"]
    assert len(logged) == 2 and os.strerror(code) in logged[0].getMessage()


class BrokenListener(tonio.net.SocketListener):
    def accept(self):
        return self.fail()

    def fail(self):
        yield tonio.sleep(0.05)
        raise RuntimeError("accept exploded")


def test_an_accept_loop_failing_otherwise_ends_the_serve_with_its_error():
    events = []

    def waiting_handler(stream):
        with stream:
            try:
                yield stream.receive_some()
            finally:
                events.append("handler unwound")

    def main():
        good = tsocket.socket()
        yield good.bind(("127.0.0.1", 0))
        good.listen()
        broken = BrokenListener(tsocket.socket())
        client = yield tonio.net.open_tcp_stream(*good.getsockname())
        with client, pytest.raises(RuntimeError, match="accept exploded"):
            yield bounded(
                tonio.net.serve_listeners(waiting_handler, [tonio.net.SocketListener(good), broken])
            )
        return good.fileno(), broken.socket.fileno()

    assert tonio.run(main()) == (-1, -1)  # both listeners closed
    assert events == ["handler unwound"]


def test_a_listener_closed_under_the_serve_ends_it_with_ebadf():
    def main():
        sock = tsocket.socket()
        yield sock.bind(("127.0.0.1", 0))
        sock.listen()

        def close_soon():
            yield tonio.sleep(0.05)
            sock.close()

        join = tonio.spawn(close_soon())
        with pytest.raises(OSError) as info:
            yield bounded(tonio.net.serve_listeners(echo_handler, [tonio.net.SocketListener(sock)]))
        yield join
        return info.value.errno

    assert tonio.run(main()) == errno.EBADF


# --- Unix socket names ----------------------------------------------------------------------


def abstract_name(role: str) -> bytes:
    return f"\0tonio-test-{os.getpid()}-{uuid.uuid4().hex}-{role}".encode()


@pytest.mark.skipif(sys.platform != "linux", reason="abstract names are Linux-only")
def test_abstract_unix_names_round_trip_as_bytes():
    server_name, client_name = abstract_name("server"), abstract_name("client")

    def main():
        with tsocket.socket(tsocket.AF_UNIX) as listener:
            yield listener.bind(server_name.decode())  # str names work too
            listener.listen()
            with tsocket.socket(tsocket.AF_UNIX) as client:
                yield client.bind(client_name)
                yield bounded(client.connect(server_name))
                conn, address = yield bounded(listener.accept())
                with conn:
                    return (
                        listener.getsockname(),
                        address,
                        conn.getsockname(),
                        conn.getpeername(),
                        client.getpeername(),
                        client.getsockname(),
                    )

    assert tonio.run(main()) == (
        server_name,
        client_name,
        server_name,
        client_name,
        server_name,
        client_name,
    )


def test_unix_sockets_take_bytes_and_pathlike_paths(tmp_path):
    def main():
        with tsocket.socket(tsocket.AF_UNIX) as listener:
            yield listener.bind(os.fsencode(tmp_path / "bytes.sock"))
            listener.listen()
            with tsocket.socket(tsocket.AF_UNIX) as client:
                yield bounded(client.connect(tmp_path / "bytes.sock"))
                conn, address = yield bounded(listener.accept())
                conn.close()
                return listener.getsockname(), address, client.getpeername()

    path = str(tmp_path / "bytes.sock")
    assert tonio.run(main()) == (path, "", path)


def test_non_utf8_unix_paths_come_back_as_the_stdlib_decodes_them(tmp_path):
    raw = os.fsencode(tmp_path) + b"/caf\xe9.sock"
    with stdlib_socket.socket(stdlib_socket.AF_UNIX) as reference:
        reference.bind(raw)
        expected = reference.getsockname()
    os.unlink(raw)

    def main():
        with tsocket.socket(tsocket.AF_UNIX) as sock:
            yield sock.bind(raw)
            return sock.getsockname()

    assert tonio.run(main()) == expected
