"""What tonio does, in one run: `make demo`.

1. Many concurrent tasks, yield flavour: 10,000 generator tasks on all worker threads.
2. The same in the colored flavour (async def / await).
3. A scope whose slow tasks are cancelled, and how they unwind.
4. A timeout that expires and one that does not.
5. Blocking work offloaded to the blocking pool while tasks keep running, and a blocking call
   that calls back into the runtime with block_on.
"""

import threading
import time

import tonio
import tonio.colored as ctonio
from tonio.exceptions import CancelledError


def section(title: str) -> None:
    print(f"\n== {title}")


# 1. yield flavour ---------------------------------------------------------------------------
def square(i):
    yield tonio.sleep(0.001 * (i % 10))
    return i * i


def many_yield():
    start = time.perf_counter()
    results = yield tonio.spawn(*[square(i) for i in range(10_000)])
    elapsed = time.perf_counter() - start
    print(f"10,000 generator tasks, sum of squares = {sum(results)} in {elapsed * 1000:.0f} ms")


# 2. colored flavour -------------------------------------------------------------------------
async def csquare(i):
    await ctonio.sleep(0.001 * (i % 10))
    return i * i


async def many_colored():
    start = time.perf_counter()
    results = await ctonio.spawn(*[csquare(i) for i in range(10_000)])
    elapsed = time.perf_counter() - start
    print(f"10,000 async def tasks, sum of squares = {sum(results)} in {elapsed * 1000:.0f} ms")


# 3. scope cancellation ----------------------------------------------------------------------
def worker(name, delay, log):
    try:
        yield tonio.sleep(delay)
        log.append(f"{name} finished after {delay}s")
    except CancelledError:
        log.append(f"{name} cancelled, cleaning up")
        raise


def scope_demo():
    log = []
    with tonio.scope() as scope:
        scope.spawn(worker("fast", 0.05, log))
        scope.spawn(worker("slow-1", 10, log))
        scope.spawn(worker("slow-2", 10, log))
        yield tonio.sleep(0.1)
        scope.cancel()
    yield scope()
    for line in log:
        print(line)


# 4. timeouts ----------------------------------------------------------------------------------
async def answer_after(delay):
    await ctonio.sleep(delay)
    return 42


async def timeout_demo():
    value, ok = await ctonio.time.timeout(answer_after(0.01), 1)
    print(f"timeout(answer_after(0.01), 1)  -> ({value}, {ok})")
    value, ok = await ctonio.time.timeout(answer_after(10), 0.05)
    print(f"timeout(answer_after(10), 0.05) -> ({value}, {ok})")


# 5. blocking work -----------------------------------------------------------------------------
def checksum(n):
    time.sleep(0.1)  # stands in for blocking I/O
    return sum(range(n)) % 9973, threading.current_thread() is not threading.main_thread()


def ticker(stop, ticks):
    while not stop.is_set():
        ticks.append(1)
        yield tonio.sleep(0.01)


def calls_back():
    return tonio.block_on(answer_after(0.01))


def blocking_demo():
    stop, ticks = tonio.Event(), []
    tonio.spawn(ticker(stop, ticks))
    results = yield tonio.map_blocking(checksum, [10_000, 20_000, 30_000, 40_000])
    stop.set()
    off_workers = all(r[1] for r in results)
    print(f"4 blocking calls -> {[r[0] for r in results]} (off the workers: {off_workers})")
    print(f"a task kept ticking meanwhile: {len(ticks)} ticks")
    print(f"block_on from a blocking thread -> {(yield tonio.spawn_blocking(calls_back))}")


def main():
    runtime = tonio.runtime()
    print(f"tonio runtime: {runtime.threads} worker threads (free-threaded CPython)")
    section("1. many concurrent tasks, yield flavour")
    runtime.run_until_complete(many_yield())
    section("2. many concurrent tasks, colored flavour")
    runtime.run_until_complete(many_colored())
    section("3. a scope being cancelled")
    runtime.run_until_complete(scope_demo())
    section("4. timeouts")
    runtime.run_until_complete(timeout_demo())
    section("5. blocking work offloaded")
    runtime.run_until_complete(blocking_demo())


if __name__ == "__main__":
    main()
