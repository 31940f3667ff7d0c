"""The 1M-coroutines scenario for one runtime, in this process.

Creates N coroutines that each suspend once and return a value, runs them with
``spawn.without_results`` (or the runtime's equivalent), and reports the best creation,
execution and total time over several runs, plus the process's peak RSS. Prints one JSON line.

    python bench/coroutines.py RUNTIME [--n N] [--repeat R]

RUNTIME: yield | colored (tonio; whichever tonio the interpreter imports), asyncio, trio.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import statistics
import sys
import time

_RUNTIME = []


def tonio_runtime():
    """One runtime per process: tonio 0.6.0 allows only one."""
    import tonio

    if not _RUNTIME:
        _RUNTIME.append(tonio.runtime(threads=1))
    return _RUNTIME[0]


def run_tonio_yield(n: int) -> tuple[float, float]:
    import tonio

    runtime = tonio_runtime()
    timings = {}

    def coro(i):
        yield
        return i

    def main():
        t0 = time.perf_counter()
        coros = [coro(i) for i in range(n)]
        t1 = time.perf_counter()
        yield tonio.spawn.without_results(*coros)
        t2 = time.perf_counter()
        timings["create"], timings["exec"] = t1 - t0, t2 - t1

    runtime.run_until_complete(main())
    return timings["create"], timings["exec"]


def run_tonio_colored(n: int) -> tuple[float, float]:
    import tonio.colored as tonio

    runtime = tonio_runtime()
    timings = {}

    async def coro(i):
        await tonio.yield_now()
        return i

    async def main():
        t0 = time.perf_counter()
        coros = [coro(i) for i in range(n)]
        t1 = time.perf_counter()
        await tonio.spawn.without_results(*coros)
        t2 = time.perf_counter()
        timings["create"], timings["exec"] = t1 - t0, t2 - t1

    runtime.run_until_complete(main())
    return timings["create"], timings["exec"]


def run_asyncio(n: int) -> tuple[float, float]:
    import asyncio

    timings = {}

    async def coro(i):
        await asyncio.sleep(0)
        return i

    async def main():
        t0 = time.perf_counter()
        coros = [coro(i) for i in range(n)]
        t1 = time.perf_counter()
        async with asyncio.TaskGroup() as group:
            for c in coros:
                group.create_task(c)
        t2 = time.perf_counter()
        timings["create"], timings["exec"] = t1 - t0, t2 - t1

    asyncio.run(main())
    return timings["create"], timings["exec"]


def run_trio(n: int) -> tuple[float, float]:
    import trio

    timings = {}

    async def coro(i):
        await trio.lowlevel.checkpoint()
        return i

    async def main():
        t0 = time.perf_counter()
        coros = [coro(i) for i in range(n)]
        t1 = time.perf_counter()
        async with trio.open_nursery() as nursery:
            for c in coros:
                nursery.start_soon(lambda c=c: c)
        t2 = time.perf_counter()
        timings["create"], timings["exec"] = t1 - t0, t2 - t1

    trio.run(main)
    return timings["create"], timings["exec"]


RUNNERS = {
    "yield": run_tonio_yield,
    "colored": run_tonio_colored,
    "asyncio": run_asyncio,
    "trio": run_trio,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("runtime", choices=sorted(RUNNERS))
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    runs = []
    for _ in range(args.repeat):
        gc.collect()
        create, execute = RUNNERS[args.runtime](args.n)
        runs.append({"create": create, "exec": execute, "total": create + execute})
    best = min(runs, key=lambda r: r["total"])
    median_total = statistics.median(r["total"] for r in runs)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "runtime": args.runtime,
                "n": args.n,
                "runs": len(runs),
                **best,
                "median_total": median_total,
                "peak_mib": peak_kib / 1024,
                "python": sys.version.split()[0],
            }
        )
    )


if __name__ == "__main__":
    main()
