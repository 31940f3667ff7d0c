"""A TCP echo server in both flavours, and a client that talks to it.

    python examples/echo_server.py            # serve on 127.0.0.1:8765 until Ctrl-C
    python examples/echo_server.py --demo     # start it, talk to it, stop it (make demo)

SIGHUP is handled through tonio's signal_receiver: it prints how many connections were served.
"""

import signal
import sys

import tonio
import tonio.colored as ctonio
from tonio.net import open_tcp_listeners, open_tcp_stream, serve_listeners

PORT = 8765
served = {"connections": 0}


def echo(stream):
    """Yield flavour handler: echo until the client closes its side."""
    served["connections"] += 1
    with stream:
        while True:
            data = yield stream.receive_some()
            if not data:
                return
            yield stream.send_all(data)


async def cecho(stream):
    """The same handler in the colored flavour."""
    served["connections"] += 1
    async with stream:
        while data := await stream.receive_some():
            await stream.send_all(data)


def report_on_sighup():
    with tonio.signal_receiver(signal.SIGHUP) as signals:
        for ev in signals:
            yield ev
            print(f"SIGHUP: {served['connections']} connections served so far", flush=True)


def serve(port: int, handler=echo):
    listeners = yield open_tcp_listeners(port, host="127.0.0.1")
    print(f"echo server on 127.0.0.1:{listeners[0].socket.getsockname()[1]}", flush=True)
    tonio.spawn.without_tracking(report_on_sighup())
    yield serve_listeners(handler, listeners)


def demo():
    listeners = yield open_tcp_listeners(0, host="127.0.0.1")
    port = listeners[0].socket.getsockname()[1]
    with tonio.scope() as scope:
        scope.spawn(serve_listeners(echo, listeners))
        for message in (b"hello", b"tonio", b"x" * 100_000):
            stream = yield open_tcp_stream("127.0.0.1", port)
            with stream:
                yield stream.send_all(message)
                yield stream.send_eof()
                reply = b""
                while chunk := (yield stream.receive_some()):
                    reply += chunk
            shown = message if len(message) < 20 else f"<{len(message)} bytes>"
            print(f"sent {shown!r:>16} -> echoed back intact: {reply == message}")
        scope.cancel()
    yield scope()
    print(f"served {served['connections']} connections, then stopped the server")


async def colored_client(port: int) -> bytes:
    stream = await ctonio.net.open_tcp_stream("127.0.0.1", port)
    async with stream:
        await stream.send_all(b"from the colored flavour")
        return await stream.receive_some()


if __name__ == "__main__":
    if "--demo" in sys.argv:
        tonio.run(demo(), signals=[signal.SIGHUP])
    else:
        try:
            tonio.run(serve(PORT), signals=[signal.SIGHUP])
        except KeyboardInterrupt:
            print("stopped")
