"""TLS: rustls configurations (ours) and stdlib ssl.SSLContext, both flavours, over TCP and Unix
streams, on the real platform and the simulated network (`net_rt`)."""

import subprocess
import sys
import textwrap
import threading

import pytest
from tls_peers import CA, CONFIGS, LEAF, stdlib_client_context, stdlib_server_context

import tonio
import tonio.colored as ctonio
import tonio.sim
import tonio.testing
from tonio.exceptions import ResourceBroken
from tonio.net import open_tcp_listeners, open_tcp_stream, serve_listeners, tls

MIB = bytes(range(256)) * 4096


def echo(stream):
    with stream:
        while True:
            data = yield stream.receive_some()
            if not data:
                return
            yield stream.send_all(data)


async def cecho(stream):
    async with stream:
        while data := await stream.receive_some():
            await stream.send_all(data)


def serving(handler, server_config, body):
    """Generator: serves TLS on 127.0.0.1 with `handler` while `body(port)` runs."""
    listeners = yield tls.open_tls_over_tcp_listeners(0, server_config, host="127.0.0.1")
    port = listeners[0].socket.getsockname()[1]
    with tonio.scope() as scope:
        scope.spawn(serve_listeners(handler, listeners))
        result = yield body(port)
        scope.cancel()
    yield scope()
    return result


def round_trip_yield(client_config, payload):
    def body(port):
        stream = yield tls.open_tls_over_tcp_stream("localhost", port, ssl_context=client_config)
        with stream:
            sender = tonio.spawn(stream.send_all(payload))
            got = bytearray()
            while len(got) < len(payload):
                got += yield stream.receive_some()
            yield sender
        return bytes(got)

    return body


@pytest.mark.parametrize("configs", CONFIGS)
def test_mib_echo_yield_flavour(net_rt, configs):
    server, client = CONFIGS[configs]()
    run = serving(echo, server, round_trip_yield(client, MIB))
    assert net_rt.run_until_complete(run) == MIB


@pytest.mark.parametrize("configs", ["rustls", "stdlib"])
def test_mib_echo_colored_flavour(net_rt, configs):
    server, client = CONFIGS[configs]()

    async def main():
        listeners = await ctonio.net.tls.open_tls_over_tcp_listeners(0, server, host="127.0.0.1")
        port = listeners[0].socket.getsockname()[1]
        async with ctonio.scope() as scope:
            scope.spawn(ctonio.net.serve_listeners(cecho, listeners))
            stream = await ctonio.net.tls.open_tls_over_tcp_stream(
                "localhost", port, ssl_context=client
            )
            async with stream:
                sender = ctonio.spawn(stream.send_all(MIB))
                got = bytearray()
                while len(got) < len(MIB):
                    got += await stream.receive_some()
                await sender
            scope.cancel()
        return bytes(got)

    assert net_rt.run_until_complete(main()) == MIB


def test_tls_over_a_unix_stream(net_rt, tmp_path):
    path = str(tmp_path / "tls.sock")

    def main():
        listener = yield tonio.net.open_unix_listener(path)

        def server():
            raw = yield listener.accept()
            stream = tls.TLSStream(raw, LEAF.server_config(), server_side=True)
            with stream:
                while data := (yield stream.receive_some()):
                    yield stream.send_all(data)
                yield stream.send_eof()  # a clean TLS end: the client reads b""

        join = tonio.spawn(server())
        raw = yield tonio.net.open_unix_socket(path)
        stream = tls.TLSStream(raw, CA.client_config(), server_hostname="localhost")
        yield stream.send_all(b"over unix")
        got = yield stream.receive_some()
        yield stream.send_eof()
        assert (yield stream.receive_some()) == b""  # the server closed after our EOF
        stream.close()
        yield join
        listener.close()
        return got

    assert net_rt.run_until_complete(main()) == b"over unix"


def test_half_close_the_peer_reads_eof_and_can_still_answer(net_rt):
    def handler(stream):
        with stream:
            request = b""
            while data := (yield stream.receive_some()):
                request += data
            yield stream.send_all(b"got " + request)  # after our EOF, the answer still goes
            yield stream.send_eof()

    def body(port):
        stream = yield tls.open_tls_over_tcp_stream(
            "localhost", port, ssl_context=CA.client_config()
        )
        with stream:
            yield stream.send_all(b"question")
            yield stream.send_eof()
            answer = b""
            while data := (yield stream.receive_some()):
                answer += data
        return answer

    run = serving(handler, LEAF.server_config(), body)
    assert net_rt.run_until_complete(run) == b"got question"


def test_many_concurrent_connections_through_one_server(net_rt):
    count = 100

    def client(port, i):
        stream = yield tls.open_tls_over_tcp_stream(
            "localhost", port, ssl_context=CA.client_config()
        )
        with stream:
            message = b"hello %d" % i
            yield stream.send_all(message)
            got = b""
            while len(got) < len(message):
                got += yield stream.receive_some()
        return got == message

    def body(port):
        return (yield tonio.spawn(*[client(port, i) for i in range(count)]))

    assert net_rt.run_until_complete(serving(echo, LEAF.server_config(), body)) == [True] * count


def test_alpn_is_agreed(net_rt):
    agreed = {}

    def handler(stream):
        with stream:
            yield stream.handshake()
            agreed["server"] = stream.selected_alpn_protocol()

    def body(port):
        client = CA.client_config(alpn=["h2", "http/1.1"])
        stream = yield tls.open_tls_over_tcp_stream("localhost", port, ssl_context=client)
        agreed["client"] = stream.selected_alpn_protocol()
        stream.close()
        yield tonio.sleep(0.01)

    server = LEAF.server_config(alpn=["http/1.1"])
    net_rt.run_until_complete(serving(handler, server, body))
    assert agreed == {"client": "http/1.1", "server": "http/1.1"}


def failure_recorder(seen):
    """A server handler that records (in `seen["server"]`) the ResourceBroken its first read
    raises (the handshake happens there)."""

    def handler(stream):
        with stream:
            try:
                yield stream.receive_some()
            except ResourceBroken as exc:
                seen["server"] = str(exc)

    return handler


def handshake_failure(net_rt, server_config, client_config, hostname="localhost"):
    """The ResourceBroken a client gets connecting with `client_config`."""
    seen = {}

    def body(port):
        with pytest.raises(ResourceBroken) as info:
            yield tls.open_tls_over_tcp_stream(hostname, port, ssl_context=client_config)
        yield tonio.sleep(0.05)
        return info.value

    error = net_rt.run_until_complete(serving(failure_recorder(seen), server_config, body))
    return error, seen.get("server")


def test_an_unknown_ca_is_refused_with_the_reason(net_rt):
    other = tonio.testing.CA()
    error, _ = handshake_failure(net_rt, LEAF.server_config(), other.client_config())
    assert "unknown CA" in str(error)
    assert isinstance(error.__cause__, tonio._tonio.TLSError)


def test_a_wrong_host_name_is_refused_with_the_reason(net_rt):
    leaf = CA.issue_cert("example.org")
    error, _ = handshake_failure(net_rt, leaf.server_config(), CA.client_config())
    assert "not valid for the requested host name" in str(error)


def test_mutual_tls_accepts_a_client_certificate(net_rt):
    client_leaf = CA.issue_cert("client.example")
    server = LEAF.server_config(client_ca=CA)
    run = serving(echo, server, round_trip_yield(CA.client_config(cert=client_leaf), b"mtls"))
    assert net_rt.run_until_complete(run) == b"mtls"


def test_mutual_tls_refuses_a_client_without_certificate(net_rt):
    seen = {}

    def body(port):
        # In TLS 1.3 the client's side of the handshake ends before the server checks its
        # certificate: the refusal arrives as an alert on the client's first read.
        stream = yield tls.open_tls_over_tcp_stream(
            "localhost", port, ssl_context=CA.client_config()
        )
        with stream, pytest.raises(ResourceBroken) as info:
            yield stream.receive_some()
        yield tonio.sleep(0.05)
        return str(info.value)

    client_error = net_rt.run_until_complete(
        serving(failure_recorder(seen), LEAF.server_config(client_ca=CA), body)
    )
    assert "no certificate" in seen["server"]
    assert "refused" in client_error


def test_a_peer_that_is_not_tls_breaks_the_stream(net_rt):
    def plain_server(stream):
        with stream:
            yield stream.receive_some()
            yield stream.send_all(b"HTTP/1.1 400 Bad Request\r\n\r\n")

    def body(port):
        with pytest.raises(ResourceBroken) as info:
            yield tls.open_tls_over_tcp_stream("localhost", port, ssl_context=CA.client_config())
        return str(info.value)

    def main():
        listeners = yield open_tcp_listeners(0, host="127.0.0.1")
        port = listeners[0].socket.getsockname()[1]
        with tonio.scope() as scope:
            scope.spawn(serve_listeners(plain_server, listeners))
            message = yield body(port)
            scope.cancel()
        yield scope()
        return message

    assert "does not speak TLS" in net_rt.run_until_complete(main())


def test_a_handshake_that_never_completes_is_cancelled_by_a_timeout(net_rt):
    def silent(stream):
        with stream:
            yield tonio.sleep(3600)

    def main():
        listeners = yield open_tcp_listeners(0, host="127.0.0.1")
        port = listeners[0].socket.getsockname()[1]
        with tonio.scope() as scope:
            scope.spawn(serve_listeners(silent, listeners))
            outcome = yield tonio.time.timeout(
                tls.open_tls_over_tcp_stream("localhost", port, ssl_context=CA.client_config()),
                0.1,
            )
            scope.cancel()
        yield scope()
        return outcome

    assert net_rt.run_until_complete(main()) == (None, False)


def test_a_broken_stream_stays_broken():
    def main():
        listeners = yield open_tcp_listeners(0, host="127.0.0.1")
        port = listeners[0].socket.getsockname()[1]
        with tonio.scope() as scope:
            scope.spawn(serve_listeners(echo, listeners))  # plain TCP echo: not TLS
            raw = yield open_tcp_stream("127.0.0.1", port)
            stream = tls.TLSStream(raw, CA.client_config(), server_hostname="localhost")
            with pytest.raises(ResourceBroken):
                yield stream.send_all(b"x")
            with pytest.raises(ResourceBroken, match="broken"):
                yield stream.receive_some()
            scope.cancel()
        yield scope()

    tonio.run(main())


@pytest.mark.parametrize(
    "make,error",
    [
        (lambda: tls.ClientConfig(ca_certs=b"not pem"), ValueError),
        (
            lambda: tls.ClientConfig(ca_certs=CA.cert_pem, cert_chain=LEAF.cert_chain_pem),
            ValueError,
        ),
        (lambda: tls.ServerConfig(cert_chain=LEAF.cert_chain_pem, private_key=b"nope"), ValueError),
        (lambda: tls.ServerConfig(cert_chain=123, private_key=LEAF.private_key_pem), TypeError),
        (lambda: tls.ClientConfig(ca_certs="/nonexistent/ca.pem"), FileNotFoundError),
        (lambda: tls.ClientConfig(ca_certs=CA.cert_pem, alpn="h2"), TypeError),
        (lambda: CA.issue_cert(), ValueError),
    ],
)
def test_bad_configuration_names_the_problem(make, error):
    with pytest.raises(error):
        make()


def test_wrong_side_configurations_are_refused():
    def main():
        raw = tonio.net.socket.socket()
        stream = tonio.net.SocketStream(raw)
        with pytest.raises(ValueError, match="server_hostname"):
            tls.TLSStream(stream, CA.client_config())
        with pytest.raises(ValueError, match="ServerConfig"):
            tls.TLSStream(stream, CA.client_config(), server_side=True)
        with pytest.raises(TypeError, match="ssl_context"):
            tls.TLSStream(stream, object(), server_hostname="x")
        raw.close()
        yield

    tonio.run(main())


def test_interop_with_a_blocking_stdlib_client_in_a_thread():
    """Real platform only: the client is the stdlib's blocking ssl socket in a thread."""
    result = {}

    def client(port):
        context = stdlib_client_context()
        import socket

        with socket.create_connection(("127.0.0.1", port)) as raw:
            with context.wrap_socket(raw, server_hostname="localhost") as conn:
                conn.sendall(b"from the stdlib")
                result["reply"] = conn.recv(100)

    def body(port):
        thread = threading.Thread(target=client, args=(port,))
        thread.start()
        yield tonio.spawn_blocking(thread.join)

    tonio.run(serving(echo, LEAF.server_config(), body))
    assert result["reply"] == b"from the stdlib"


def test_explore_of_a_tls_test_is_deterministic_across_processes():
    source = textwrap.dedent(
        """
        import tonio, tonio.sim, tonio.testing
        from tonio.net import tls, serve_listeners

        ca = tonio.testing.CA()
        leaf = ca.issue_cert("localhost")

        def echo(stream):
            with stream:
                while data := (yield stream.receive_some()):
                    yield stream.send_all(data)

        def test():
            def main():
                listeners = yield tls.open_tls_over_tcp_listeners(
                    443, leaf.server_config(), host="127.0.0.1")
                with tonio.scope() as scope:
                    scope.spawn(serve_listeners(echo, listeners))
                    stream = yield tls.open_tls_over_tcp_stream(
                        "localhost", 443, ssl_context=ca.client_config())
                    for _ in range(3):
                        yield stream.send_all(b"x" * 3000)
                        got = 0
                        while got < 3000:
                            got += len((yield stream.receive_some()))
                    stream.close()
                    scope.cancel()
                yield scope()
            return main()

        hashes = []
        for seed in range(5):
            rt = tonio.sim.runtime(seed=seed, network=tonio.sim.Network(jitter=0.001))
            rt.run_until_complete(test())
            hashes.append(rt.last_trace_hash)
        print(hashes)
        """
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", source], capture_output=True, text=True, check=True
        ).stdout
        for _ in range(3)
    }
    assert len(outputs) == 1, outputs


def test_a_client_resumes_its_session_with_a_server_it_met(net_rt):
    client = CA.client_config()

    def handler(stream):
        with stream:
            yield stream.send_all(b"hi")
            yield stream.receive_some()

    def body(port):
        reused = []
        for _ in range(2):
            stream = yield tls.open_tls_over_tcp_stream("localhost", port, ssl_context=client)
            with stream:
                yield stream.receive_some()  # TLS 1.3 tickets arrive after the handshake
                reused.append(stream.session_reused)
        return reused

    assert net_rt.run_until_complete(serving(handler, LEAF.server_config(), body)) == [
        False,
        True,
    ]


def open_fds() -> int:
    import os

    return len(os.listdir("/proc/self/fd"))


@pytest.mark.parametrize("where", ["handshake", "read"])
def test_cancelling_a_handshake_or_a_read_leaves_no_descriptor(where):
    """Real platform only: counts OS descriptors."""

    def silent(stream):
        with stream:
            yield tonio.sleep(3600)

    def main():
        before = open_fds()
        server = LEAF.server_config()
        listeners = yield tls.open_tls_over_tcp_listeners(0, server, host="127.0.0.1")
        port = listeners[0].socket.getsockname()[1]
        handler = silent if where == "handshake" else echo
        raw_listeners = listeners if where == "read" else None
        if where == "handshake":  # a plain TCP server that never answers the ClientHello
            raw_listeners = yield open_tcp_listeners(0, host="127.0.0.1")
            port = raw_listeners[0].socket.getsockname()[1]
        with tonio.scope() as scope:
            scope.spawn(serve_listeners(handler, raw_listeners))
            if where == "handshake":
                outcome = yield tonio.time.timeout(
                    tls.open_tls_over_tcp_stream("localhost", port, ssl_context=CA.client_config()),
                    0.05,
                )
            else:
                stream = yield tls.open_tls_over_tcp_stream(
                    "localhost", port, ssl_context=CA.client_config()
                )
                outcome = yield tonio.time.timeout(stream.receive_some(), 0.05)
                yield stream.send_all(b"still usable")  # a cancelled read loses nothing
                assert (yield stream.receive_some()) == b"still usable"
                yield stream.aclose()
            scope.cancel()
        yield scope()
        for listener in listeners:
            listener.close()
        return outcome, open_fds() - before

    outcome, leaked = tonio.run(main())
    assert outcome == (None, False)
    assert leaked <= 0


def test_our_client_against_a_blocking_stdlib_server_in_a_thread():
    """Real platform only: the server is the stdlib's blocking ssl socket in a thread."""
    import socket

    context = stdlib_server_context()
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def server():
        raw, _ = listener.accept()
        with context.wrap_socket(raw, server_side=True) as conn:
            conn.sendall(b"stdlib says " + conn.recv(100))

    thread = threading.Thread(target=server)
    thread.start()

    def main():
        stream = yield tls.open_tls_over_tcp_stream(
            "localhost", port, ssl_context=CA.client_config()
        )
        with stream:
            yield stream.send_all(b"hello")
            reply = b""
            while len(reply) < len(b"stdlib says hello"):
                reply += yield stream.receive_some()
        yield tonio.spawn_blocking(thread.join)
        return reply

    try:
        assert tonio.run(main()) == b"stdlib says hello"
    finally:
        listener.close()


@pytest.mark.parametrize("https_compatible", [False, True])
def test_a_peer_closing_without_close_notify(net_rt, https_compatible):
    def rude(stream):
        yield stream.send_all(b"bye")
        stream.transport.close()  # no close_notify

    def body(port):
        stream = yield tls.open_tls_over_tcp_stream(
            "localhost", port, ssl_context=CA.client_config(), https_compatible=https_compatible
        )
        with stream:
            got = b""
            while len(got) < 3:
                got += yield stream.receive_some()
            try:
                end = yield stream.receive_some()
            except ResourceBroken as exc:
                end = exc
        return got, end

    got, end = net_rt.run_until_complete(serving(rude, LEAF.server_config(), body))
    assert got == b"bye"
    if https_compatible:
        assert end == b""  # as HTTPS clients expect
    else:
        assert isinstance(end, ResourceBroken) and "close_notify" in str(end)


def test_no_alpn_protocol_in_common_is_refused(net_rt):
    server = LEAF.server_config(alpn=["h2"])
    client = CA.client_config(alpn=["http/1.1"])

    seen = {}

    def body(port):
        with pytest.raises(ResourceBroken) as info:
            yield tls.open_tls_over_tcp_stream("localhost", port, ssl_context=client)
        yield tonio.sleep(0.05)
        return str(info.value)

    message = net_rt.run_until_complete(serving(failure_recorder(seen), server, body))
    assert "NoApplicationProtocol" in message
    assert "no ALPN protocol in common" in seen["server"]


@pytest.mark.parametrize("configs", ["rustls", "stdlib"])
def test_mib_each_way_over_a_unix_stream(net_rt, configs, tmp_path):
    server_config, client_config = CONFIGS[configs]()
    path = str(tmp_path / "tls-mib.sock")

    def main():
        listener = yield tonio.net.open_unix_listener(path)

        def server():
            raw = yield listener.accept()
            stream = tls.TLSStream(raw, server_config, server_side=True)
            with stream:
                got = bytearray()
                while len(got) < len(MIB):
                    got += yield stream.receive_some()
                yield stream.send_all(bytes(got))
            return bytes(got)

        join = tonio.spawn(server())
        raw = yield tonio.net.open_unix_socket(path)
        stream = tls.TLSStream(raw, client_config, server_hostname="localhost")
        with stream:
            yield stream.send_all(MIB)
            back = bytearray()
            while len(back) < len(MIB):
                back += yield stream.receive_some()
        received = yield join
        listener.close()
        return received, bytes(back)

    received, back = net_rt.run_until_complete(main())
    assert received == MIB and back == MIB
