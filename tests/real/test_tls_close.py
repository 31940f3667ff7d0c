"""Closing a TLS stream loses nothing and reads as a clean end on the other side.

A client that sends 1 MiB and then closes or drops its stream must not make the server lose
data: records the client never read (TLS 1.3 session tickets) must not be in its kernel buffer
when it closes, or the kernel resets the connection and the server's unread data is discarded.
A clean close sends close_notify, so the peer reads ``b''``, not a truncation error.
"""

import pytest
from tls_peers import CONFIGS

import tonio
import tonio.colored as ctonio
from tonio.exceptions import ResourceBroken
from tonio.net import serve_listeners, tls

MIB = bytes(range(256)) * 4096
ROUNDS = 50


def count_until_eof(results):
    """A handler that reads to the end and records how much it got, or the error."""

    def handler(stream):
        with stream:
            got = 0
            try:
                while data := (yield stream.receive_some()):
                    got += len(data)
            except (ResourceBroken, OSError) as exc:
                results.append(exc)
                return
            results.append(got)

    return handler


def serve_and_run(server_config, client_body, rounds):
    """Serves TLS with the counting handler while `client_body(port)` runs `rounds` times;
    returns what the handler recorded for each connection."""
    results = []

    def main():
        listeners = yield tls.open_tls_over_tcp_listeners(0, server_config, host="127.0.0.1")
        port = listeners[0].socket.getsockname()[1]
        with tonio.scope() as scope:
            scope.spawn(serve_listeners(count_until_eof(results), listeners))
            for _ in range(rounds):
                yield client_body(port)
            while len(results) < rounds:
                yield tonio.sleep(0.001)
            scope.cancel()
        yield scope()
        return results

    return tonio.run(main(), threads=2)


def send_then_drop(client_config):
    def client(port):
        stream = yield tls.open_tls_over_tcp_stream("localhost", port, ssl_context=client_config)
        yield stream.send_all(MIB)
        # returns: the stream is dropped without close

    return client


def send_then_close(client_config):
    def client(port):
        stream = yield tls.open_tls_over_tcp_stream("localhost", port, ssl_context=client_config)
        with stream:
            yield stream.send_all(MIB)

    return client


def send_then_aclose(client_config):
    def client(port):
        stream = yield tls.open_tls_over_tcp_stream("localhost", port, ssl_context=client_config)
        yield stream.send_all(MIB)
        yield stream.aclose()

    return client


ENDINGS = {"drop": send_then_drop, "close": send_then_close, "aclose": send_then_aclose}


@pytest.mark.parametrize("ending", list(ENDINGS))
@pytest.mark.parametrize("config", list(CONFIGS))
def test_a_sender_that_ends_loses_no_data_and_ends_cleanly(config, ending):
    server_config, client_config = CONFIGS[config]()
    results = serve_and_run(server_config, ENDINGS[ending](client_config), ROUNDS)
    assert results == [len(MIB)] * ROUNDS


@pytest.mark.parametrize("config", list(CONFIGS))
def test_colored_async_with_exit_closes_cleanly(config):
    server_config, client_config = CONFIGS[config]()
    results = []

    async def main():
        listeners = await ctonio.net.tls.open_tls_over_tcp_listeners(
            0, server_config, host="127.0.0.1"
        )
        port = listeners[0].socket.getsockname()[1]
        async with ctonio.scope() as scope:
            scope.spawn(ctonio.net.serve_listeners(count_until_eof(results), listeners))
            for _ in range(5):
                stream = await ctonio.net.tls.open_tls_over_tcp_stream(
                    "localhost", port, ssl_context=client_config
                )
                async with stream:
                    await stream.send_all(b"hello")
            while len(results) < 5:
                await ctonio.sleep(0.001)
            scope.cancel()

    ctonio.run(main())
    assert results == [5] * 5


@pytest.mark.parametrize("config", list(CONFIGS))
def test_send_eof_lets_the_peer_answer(config):
    """A half-close: the client sends its request and close_notify, the server reads to the
    end and answers, the client reads the answer (with a stdlib context too)."""
    server_config, client_config = CONFIGS[config]()

    def answer(stream):
        with stream:
            request = b""
            while data := (yield stream.receive_some()):
                request += data
            yield stream.send_all(b"got " + request)

    def main():
        listeners = yield tls.open_tls_over_tcp_listeners(0, server_config, host="127.0.0.1")
        port = listeners[0].socket.getsockname()[1]
        with tonio.scope() as scope:
            scope.spawn(serve_listeners(answer, listeners))
            stream = yield tls.open_tls_over_tcp_stream(
                "localhost", port, ssl_context=client_config
            )
            with stream:
                yield stream.send_all(b"request")
                yield stream.send_eof()
                reply = b""
                while data := (yield stream.receive_some()):
                    reply += data
            scope.cancel()
        yield scope()
        return reply

    assert tonio.run(main()) == b"got request"
