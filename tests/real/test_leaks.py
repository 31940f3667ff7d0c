"""Long-running programs keep descriptors and memory flat."""

import gc
import os

import tonio
import tonio.colored as ctonio
from tonio.net import open_tcp_stream, serve_tcp

# Descriptors and memory are measured in fresh processes by the benchmark too; here the bounds
# are far below what one leaked runtime (3 descriptors) or one kept exception (~10 KiB) per
# iteration would cost.


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def test_scope_task_holding_its_scope_and_failing_leaks_no_runtime():
    def failing(scope):
        assert scope is not None
        raise ValueError("boom")
        yield

    def main():
        with tonio.scope() as scope:
            scope.spawn(failing(scope))
        try:
            yield scope()
        except ExceptionGroup:
            pass

    for _ in range(5):
        tonio.run(main(), threads=1)
    gc.collect()
    before = open_fds()
    for _ in range(100):
        tonio.run(main(), threads=1)
    gc.collect()
    assert open_fds() - before <= 2


def test_scope_task_holding_its_scope_and_cancelled_leaks_no_runtime():
    async def sleeper(scope):
        assert scope is not None
        await ctonio.sleep(100)

    async def main():
        async with ctonio.scope() as scope:
            scope.spawn(sleeper(scope))
            await ctonio.yield_now()
            scope.cancel()

    for _ in range(5):
        ctonio.run(main(), threads=1)
    gc.collect()
    before = open_fds()
    for _ in range(100):
        ctonio.run(main(), threads=1)
    gc.collect()
    assert open_fds() - before <= 2


def test_cancelled_servers_leak_no_descriptor_and_no_memory():
    def handler(stream):
        yield stream.send_all(b"hi")
        stream.close()

    def main():
        with tonio.scope() as scope:
            scope.spawn(serve_tcp(handler, 0, host="127.0.0.1"))
            yield tonio.sleep(0.001)
            scope.cancel()
        yield scope()

    for _ in range(5):
        tonio.run(main(), threads=1)
    gc.collect()
    fds, rss = open_fds(), rss_kib()
    for _ in range(100):
        tonio.run(main(), threads=1)
    gc.collect()
    assert open_fds() - fds <= 2
    assert rss_kib() - rss < 8 * 1024


def test_server_handler_errors_go_to_the_hook_and_memory_stays_flat():
    reported = []
    connections = 20_000

    def handler(stream):
        data = yield stream.receive_some(16)
        if data == b"fail":
            stream.close()
            raise ValueError("handler failed " + "x" * 1000)
        yield stream.send_all(b"ok")
        stream.close()

    def client(port, payload):
        stream = yield open_tcp_stream("127.0.0.1", port)
        yield stream.send_all(payload)
        reply = yield stream.receive_some(16)
        stream.close()
        return reply

    def main():
        listeners = yield tonio.net.open_tcp_listeners(0, host="127.0.0.1")
        port = listeners[0].socket.getsockname()[1]
        with tonio.scope() as scope:
            scope.spawn(tonio.net.serve_listeners(handler, listeners))
            measured = []
            for i in range(2 * connections):
                if i == 2000:
                    gc.collect()
                    measured.append(rss_kib())
                payload = b"fail" if i % 2 else b"fine"
                reply = yield client(port, payload)
                assert reply == (b"" if i % 2 else b"ok")
            gc.collect()
            measured.append(rss_kib())
            scope.cancel()
        yield scope()
        return measured

    rt = tonio.runtime(threads=1, unhandled_error_hook=reported.append)
    before, after = rt.run_until_complete(main())
    assert len(reported) == connections
    assert all(isinstance(e, ValueError) for e in reported)
    reported.clear()
    # 38,000 connections after the first measurement: a kept exception each would be ~200 MiB
    assert after - before < 16 * 1024, (before, after)
