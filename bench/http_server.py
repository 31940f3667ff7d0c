"""An HTTP/1.1 keep-alive server on one runtime, for the HTTP benchmark. Prints ``ready <port>``.

    python bench/http_server.py RUNTIME [--threads N]

RUNTIME: yield | colored (whichever tonio the interpreter imports: ours, or tonio 0.6.0 in its
own venv), asyncio. The protocol work is the same for everyone: :class:`Exchange` wraps an
``h11`` connection (pure Python) and turns received bytes into the bytes to send; only the
receive/send loop around it belongs to the runtime. Two routes:

- ``GET /``: ``Hello, world!`` (13 bytes);
- ``POST /json``: the body is a JSON object ``{"items": [{"id": int, "price": float, "qty":
  int}, ...]}``; the answer is a computed document (totals, the three most expensive lines,
  the ids sorted by value), so that Python work per request dominates.
"""

from __future__ import annotations

import argparse
import json
import socket as stdlib_socket
import sys

import h11

HELLO = b"Hello, world!"


def summarize(order: dict) -> dict:
    """The JSON route's computation."""
    lines = [
        {"id": item["id"], "value": round(item["price"] * item["qty"], 2)}
        for item in order["items"]
    ]
    total = round(sum(line["value"] for line in lines), 2)
    ranked = sorted(lines, key=lambda line: line["value"], reverse=True)
    return {
        "lines": len(lines),
        "total": total,
        "average": round(total / len(lines), 2) if lines else 0.0,
        "top": ranked[:3],
        "ids_by_value": [line["id"] for line in ranked],
    }


class Exchange:
    """One connection's HTTP/1.1 state: bytes in, bytes out (sans-IO, on h11)."""

    __slots__ = ("conn", "target", "body")

    def __init__(self) -> None:
        self.conn = h11.Connection(h11.SERVER)
        self.target = b""
        self.body: list[bytes] = []

    def feed(self, data: bytes) -> tuple[bytes, bool]:
        """Takes received bytes (``b''`` at end of stream); returns what to send and whether
        the connection stays open."""
        conn = self.conn
        conn.receive_data(data)
        out = []
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                return b"".join(out), True
            if isinstance(event, h11.Request):
                self.target = event.target
                self.body = []
            elif isinstance(event, h11.Data):
                self.body.append(event.data)
            elif isinstance(event, h11.EndOfMessage):
                out.append(self.respond())
                if conn.our_state is h11.MUST_CLOSE:
                    return b"".join(out), False
                conn.start_next_cycle()
            elif isinstance(event, h11.ConnectionClosed) or event is h11.PAUSED:
                return b"".join(out), False

    def respond(self) -> bytes:
        if self.target == b"/json":
            body = json.dumps(summarize(json.loads(b"".join(self.body)))).encode()
            content_type = b"application/json"
        else:
            body, content_type = HELLO, b"text/plain"
        headers = [(b"content-type", content_type), (b"content-length", str(len(body)))]
        conn = self.conn
        return (
            conn.send(h11.Response(status_code=200, headers=headers))
            + conn.send(h11.Data(data=body))
            + conn.send(h11.EndOfMessage())
        )


def announce(port: int) -> None:
    print(f"ready {port}", flush=True)


def tonio_yield(threads: int) -> None:
    import tonio
    from tonio.net import open_tcp_listeners, serve_listeners

    def handler(stream):
        exchange = Exchange()
        while True:
            try:
                data = yield stream.receive_some(65536)
            except ConnectionError:  # wrk resets its connections when it stops
                data = b""
            out, keep = exchange.feed(data)
            if out:
                yield stream.send_all(out)
            if not keep or not data:
                stream.close()
                return

    def main():
        listeners = yield open_tcp_listeners(0, host="127.0.0.1", backlog=4096)
        announce(listeners[0].socket.getsockname()[1])
        pending = yield serve_listeners(handler, listeners)
        if pending is not None:  # tonio 0.6.0 returns its accept loops' join un-awaited
            yield pending

    tonio.runtime(threads=threads).run_until_complete(main())


def tonio_colored(threads: int) -> None:
    import tonio.colored as tonio
    from tonio.colored.net import open_tcp_listeners, serve_listeners

    async def handler(stream):
        exchange = Exchange()
        while True:
            try:
                data = await stream.receive_some(65536)
            except ConnectionError:
                data = b""
            out, keep = exchange.feed(data)
            if out:
                await stream.send_all(out)
            if not keep or not data:
                stream.close()
                return

    async def main():
        listeners = await open_tcp_listeners(0, host="127.0.0.1", backlog=4096)
        announce(listeners[0].socket.getsockname()[1])
        pending = await serve_listeners(handler, listeners)
        if pending is not None:
            await pending

    tonio.runtime(threads=threads).run_until_complete(main())


def asyncio_server(threads: int) -> None:
    import asyncio

    async def handle(reader, writer):
        writer.get_extra_info("socket").setsockopt(
            stdlib_socket.IPPROTO_TCP, stdlib_socket.TCP_NODELAY, 1
        )
        exchange = Exchange()
        while True:
            try:
                data = await reader.read(65536)
            except ConnectionError:
                data = b""
            out, keep = exchange.feed(data)
            if out:
                writer.write(out)
                await writer.drain()
            if not keep or not data:
                writer.close()
                return

    async def main():
        server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=4096)
        announce(server.sockets[0].getsockname()[1])
        await server.serve_forever()

    asyncio.run(main())


SERVERS = {"yield": tonio_yield, "colored": tonio_colored, "asyncio": asyncio_server}

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("runtime", choices=sorted(SERVERS))
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    try:
        SERVERS[args.runtime](args.threads)
    except KeyboardInterrupt:
        sys.exit(0)
