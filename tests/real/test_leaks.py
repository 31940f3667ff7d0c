"""Long-running programs keep descriptors and memory flat."""

import gc
import os

import tonio
import tonio.colored as ctonio
from tonio.net import serve_tcp

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
