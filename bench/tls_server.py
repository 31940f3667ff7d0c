"""A TLS echo server on one runtime, for the TLS benchmark. Prints ``ready <port>``.

    python bench/tls_server.py KIND CERT_CHAIN KEY

KIND: ``rustls`` (ours, ``tonio.net.tls.ServerConfig``), ``stdlib`` (whichever tonio the
interpreter imports, with an ``ssl.SSLContext``: ours, or tonio 0.6.0 in its own venv),
``asyncio`` (asyncio streams with ``ssl``). Every server runs on one thread (``threads=1``) and
echoes what it receives; a client that goes away (with or without close_notify) ends its
connection quietly.
"""

from __future__ import annotations

import ssl
import sys


def announce(port: int) -> None:
    print(f"ready {port}", flush=True)


def stdlib_context(chain: str, key: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(chain, key)
    return context


def tonio_server(context) -> None:
    import tonio
    from tonio.net import serve_listeners
    from tonio.net.tls import open_tls_over_tcp_listeners

    def handler(stream):
        try:
            while True:
                data = yield stream.receive_some(65536)
                if not data:
                    break
                yield stream.send_all(data)
        except Exception:  # noqa: BLE001 - a client that left (reset, no close_notify)
            pass
        finally:
            stream.close()

    def main():
        listeners = yield open_tls_over_tcp_listeners(0, context, host="127.0.0.1", backlog=4096)
        announce(listeners[0].transport.socket.getsockname()[1])
        pending = yield serve_listeners(handler, listeners)
        if pending is not None:  # tonio 0.6.0 returns its accept loops' join un-awaited
            yield pending

    tonio.runtime(threads=1).run_until_complete(main())


def asyncio_server(context) -> None:
    import asyncio

    async def handle(reader, writer):
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except Exception:  # noqa: BLE001
            pass
        finally:
            writer.close()

    async def main():
        server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=context, backlog=4096)
        announce(server.sockets[0].getsockname()[1])
        await server.serve_forever()

    asyncio.run(main())


def main() -> None:
    kind, chain, key = sys.argv[1:4]
    if kind == "rustls":
        from tonio.net.tls import ServerConfig

        tonio_server(ServerConfig(cert_chain=chain, private_key=key))
    elif kind == "stdlib":
        tonio_server(stdlib_context(chain, key))
    elif kind == "asyncio":
        asyncio_server(stdlib_context(chain, key))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
