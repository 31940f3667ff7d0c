"""The parallel speed-up scenario for one runtime and one thread count, in this process.

Runs 8 CPU-bound tasks (pure Python arithmetic, no suspension, the same work each) to
completion and reports the wall time and the process CPU time (user + system) of each run, and
their medians; also how many cores the rest of the machine kept busy meanwhile (from
/proc/stat): on a shared 2-core host another process's load takes what a second worker thread
could give. With ``--threads 1`` and ``--threads 2`` this gives the speed-up a runtime gets from
a second core. Prints one JSON line.

    python bench/parallel.py RUNTIME --threads T [--tasks 8] [--work N] [--repeat R]

RUNTIME: yield | colored (tonio; whichever tonio the interpreter imports; one runtime with
``threads=T`` for every run, as tonio 0.6.0 allows only one per process), ``threads`` (one plain
``threading.Thread`` per task: T is ignored, every task gets its own thread), ``pool`` (a
``concurrent.futures.ThreadPoolExecutor`` with ``max_workers=T``), ``serial`` (the tasks one
after another in the main thread: the cost of the work alone).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

WORK = 3_000_000  # loop iterations per task: about 0.3 s of pure Python on these machines


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent busy since boot (Linux /proc/stat: all but idle and iowait)."""
    with open("/proc/stat") as stat:
        fields = [int(v) for v in stat.readline().split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def work(n: int) -> int:
    """CPU-bound pure Python: only locals, so parallel threads share no object but the code."""
    acc = 0
    for i in range(n):
        acc = (acc + i * i) % 1_000_003
    return acc


def tonio_yield(threads: int) -> Callable[[int, int], list[int]]:
    import tonio

    runtime = tonio.runtime(threads=threads)

    def task(n):
        yield
        return work(n)

    def main(tasks, n):
        return (yield tonio.spawn(*[task(n) for _ in range(tasks)]))

    return lambda tasks, n: runtime.run_until_complete(main(tasks, n))


def tonio_colored(threads: int) -> Callable[[int, int], list[int]]:
    import tonio.colored as tonio

    runtime = tonio.runtime(threads=threads)

    async def task(n):
        await tonio.yield_now()
        return work(n)

    async def main(tasks, n):
        return await tonio.spawn(*[task(n) for _ in range(tasks)])

    return lambda tasks, n: runtime.run_until_complete(main(tasks, n))


def plain_threads(_threads: int) -> Callable[[int, int], list[int]]:
    def run(tasks: int, n: int) -> list[int]:
        results = [0] * tasks

        def target(i: int) -> None:
            results[i] = work(n)

        pool = [threading.Thread(target=target, args=(i,)) for i in range(tasks)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
        return results

    return run


def thread_pool(threads: int) -> Callable[[int, int], list[int]]:
    executor = ThreadPoolExecutor(max_workers=threads)
    return lambda tasks, n: list(executor.map(work, [n] * tasks))


def serial(_threads: int) -> Callable[[int, int], list[int]]:
    return lambda tasks, n: [work(n) for _ in range(tasks)]


RUNNERS = {
    "yield": tonio_yield,
    "colored": tonio_colored,
    "threads": plain_threads,
    "pool": thread_pool,
    "serial": serial,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("runtime", choices=sorted(RUNNERS))
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--tasks", type=int, default=8)
    parser.add_argument("--work", type=int, default=WORK)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    run = RUNNERS[args.runtime](args.threads)
    expected = [work(args.work)] * args.tasks
    walls, cpus, others = [], [], []
    for _ in range(args.repeat):
        busy0, cpu0, wall0 = machine_busy_seconds(), time.process_time(), time.perf_counter()
        results = run(args.tasks, args.work)
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        busy = machine_busy_seconds() - busy0
        if results != expected:
            raise SystemExit(f"{args.runtime}: wrong results {results!r}")
        walls.append(wall)
        cpus.append(cpu)
        others.append(max(0.0, busy - cpu) / wall)  # cores kept busy by other processes
    print(
        json.dumps(
            {
                "runtime": args.runtime,
                "threads": args.threads,
                "tasks": args.tasks,
                "work": args.work,
                "walls": walls,
                "cpus": cpus,
                "others": others,
                "median_wall": statistics.median(walls),
                "median_cpu": statistics.median(cpus),
                "python": sys.version.split()[0],
                "gil": sys._is_gil_enabled(),
            }
        )
    )


if __name__ == "__main__":
    main()
