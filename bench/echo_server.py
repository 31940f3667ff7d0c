"""A TCP echo server on one runtime, for the echo benchmark. Prints ``ready <port>``.

    python bench/echo_server.py FLAVOUR MODE [--threads N]

FLAVOUR: yield | colored (whichever tonio the interpreter imports), asyncio, trio.
MODE: socket (the low-level socket API) | stream (SocketStream / asyncio streams / trio streams).
The send loop uses ``send`` rather than ``sendall`` because tonio 0.6.0 has no ``sendall``.
"""

from __future__ import annotations

import argparse
import socket as stdlib_socket
import sys


def announce(port: int) -> None:
    print(f"ready {port}", flush=True)


def tonio_yield(mode: str, threads: int) -> None:
    import tonio
    from tonio.net import open_tcp_listeners, serve_listeners
    from tonio.net import socket as tsocket

    def raw_handler(conn):
        while True:
            data = yield conn.recv(262144)
            if not data:
                conn.close()
                return
            view = memoryview(data)
            while view:
                view = view[(yield conn.send(view)) :]

    def stream_handler(stream):
        while True:
            data = yield stream.receive_some(262144)
            if not data:
                stream.close()
                return
            yield stream.send_all(data)

    def main():
        if mode == "socket":
            sock = tsocket.socket()
            sock.setsockopt(stdlib_socket.SOL_SOCKET, stdlib_socket.SO_REUSEADDR, 1)
            yield sock.bind(("127.0.0.1", 0))
            sock.listen(4096)
            announce(sock.getsockname()[1])
            while True:
                conn, _ = yield sock.accept()
                conn.setsockopt(stdlib_socket.IPPROTO_TCP, stdlib_socket.TCP_NODELAY, 1)
                tonio.spawn(raw_handler(conn))
        else:
            listeners = yield open_tcp_listeners(0, host="127.0.0.1", backlog=4096)
            announce(listeners[0].socket.getsockname()[1])
            yield serve_listeners(stream_handler, listeners)

    tonio.runtime(threads=threads).run_until_complete(main())


def tonio_colored(mode: str, threads: int) -> None:
    import tonio.colored as tonio
    from tonio.colored.net import open_tcp_listeners, serve_listeners
    from tonio.colored.net import socket as tsocket

    async def raw_handler(conn):
        while data := await conn.recv(262144):
            view = memoryview(data)
            while view:
                view = view[await conn.send(view) :]
        conn.close()

    async def stream_handler(stream):
        while data := await stream.receive_some(262144):
            await stream.send_all(data)
        stream.close()

    async def main():
        if mode == "socket":
            sock = tsocket.socket()
            sock.setsockopt(stdlib_socket.SOL_SOCKET, stdlib_socket.SO_REUSEADDR, 1)
            await sock.bind(("127.0.0.1", 0))
            sock.listen(4096)
            announce(sock.getsockname()[1])
            while True:
                conn, _ = await sock.accept()
                conn.setsockopt(stdlib_socket.IPPROTO_TCP, stdlib_socket.TCP_NODELAY, 1)
                tonio.spawn(raw_handler(conn))
        else:
            listeners = await open_tcp_listeners(0, host="127.0.0.1", backlog=4096)
            announce(listeners[0].socket.getsockname()[1])
            pending = await serve_listeners(stream_handler, listeners)
            if pending is not None:  # tonio 0.6.0 returns its accept loops' join un-awaited
                await pending

    tonio.runtime(threads=threads).run_until_complete(main())


def asyncio_server(mode: str, threads: int) -> None:
    import asyncio

    async def handle(reader, writer):
        writer.get_extra_info("socket").setsockopt(
            stdlib_socket.IPPROTO_TCP, stdlib_socket.TCP_NODELAY, 1
        )
        while data := await reader.read(262144):
            writer.write(data)
            await writer.drain()
        writer.close()

    async def main():
        server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=4096)
        announce(server.sockets[0].getsockname()[1])
        await server.serve_forever()

    asyncio.run(main())


def trio_server(mode: str, threads: int) -> None:
    import trio

    async def handle(stream):
        while data := await stream.receive_some(262144):
            await stream.send_all(data)

    async def main():
        listeners = await trio.open_tcp_listeners(0, host="127.0.0.1", backlog=4096)
        announce(listeners[0].socket.getsockname()[1])
        await trio.serve_listeners(handle, listeners)

    trio.run(main)


SERVERS = {
    "yield": tonio_yield,
    "colored": tonio_colored,
    "asyncio": asyncio_server,
    "trio": trio_server,
}

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("flavour", choices=sorted(SERVERS))
    parser.add_argument("mode", choices=["socket", "stream"])
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    try:
        SERVERS[args.flavour](args.mode, args.threads)
    except KeyboardInterrupt:
        sys.exit(0)
