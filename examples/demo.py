"""What tonio does, in one run: `make demo`.

1. Many concurrent tasks, yield flavour: 10,000 generator tasks on all worker threads.
2. The same in the colored flavour (async def / await).
3. A scope whose slow tasks are cancelled, and how they unwind.
4. A timeout that expires and one that does not.
5. Blocking work offloaded to the blocking pool while tasks keep running, and a blocking call
   that calls back into the runtime with block_on.
6. The simulator finding a planted race (and a deadlock) in examples/planted_bugs.py, the
   exact replay of the failing run from its seed, the failing run shrunk to fewer preemptions,
   and a timeline page of the deadlock.
7. The echo server of examples/echo_server.py: started, talked to, stopped.
8. The simulated network: a retry that applies a deposit twice after a connection reset, found
   over seeded network timings and replayed exactly.
9. The simulated disk: a config saved in place, found empty and torn by power losses at seeded
   moments, with the timeline of a torn run; the atomic save (temporary file, sync, rename)
   survives every seed.
"""

import sys
import tempfile
import threading
import time
from pathlib import Path

import tonio
import tonio.colored as ctonio
import tonio.sim
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


# 6. the simulator ---------------------------------------------------------------------------
def simulator_demo():
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import planted_bugs

    print("exploring planted_bugs.check_then_act under 100 seeded schedules ...")
    try:
        tonio.sim.explore(planted_bugs.check_then_act, runs=100)
        print("no failure found (unexpected)")
        return
    except tonio.sim.Failure as failure:
        print(f"found after {failure.run + 1} run(s): {failure.__cause__!r}")
        print(f"  seed={failure.seed} strategy={failure.strategy} trace={failure.trace_hash:#x}")
        print(f"  replay: {failure.replay}")
        found = failure
    rt = tonio.sim.runtime(seed=found.seed, strategy=found.strategy)
    try:
        rt.run_until_complete(planted_bugs.check_then_act())
    except AssertionError as exc:
        same = rt.last_trace_hash == found.trace_hash
        print(f"replayed: {exc!r}, identical schedule: {same}")

    if found.shrunk is not None:
        print(f"shrunk: {found.shrunk.summary()}")
        print(
            f"  replay shrunk: tonio.sim.run(check_then_act(), schedule={found.shrunk.schedule!r})"
        )

    print("exploring planted_bugs.lock_order_deadlock ...")
    try:
        tonio.sim.explore(planted_bugs.lock_order_deadlock, runs=100)
    except tonio.sim.Failure as failure:
        print(failure.__cause__)
        page = tonio.sim.timeline(failure, Path(tempfile.mkdtemp()) / "deadlock.html")
        print(f"timeline of the deadlock (open it in a browser): {page}")

    def an_hour():
        yield tonio.sleep(3600)
        return tonio.time.time()

    start = time.perf_counter()
    virtual = tonio.sim.run(an_hour(), seed=1)
    print(f"a task sleeping {virtual:.0f} virtual seconds took {time.perf_counter() - start:.4f} s")


# 8. simulated network ----------------------------------------------------------------------
def simulated_network_demo():
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import planted_bugs

    network = planted_bugs.NETWORK
    print(f"exploring planted_bugs.retry_double_applies on {network!r} ...")
    try:
        tonio.sim.explore(planted_bugs.retry_double_applies, runs=50, network=network)
        print("no failure found (unexpected)")
        return
    except tonio.sim.Failure as failure:
        print(f"found after {failure.run + 1} run(s): {failure.__cause__!r}")
        print(f"  replay: {failure.replay}")
        found = failure
    rt = tonio.sim.runtime(seed=found.seed, strategy=found.strategy, network=network)
    try:
        rt.run_until_complete(planted_bugs.retry_double_applies())
    except AssertionError as exc:
        same = rt.last_trace_hash == found.trace_hash
        print(f"replayed: {exc!r}, identical schedule: {same}")


# 9. simulated disk -------------------------------------------------------------------------
def simulated_disk_demo():
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import planted_bugs

    disk = planted_bugs.DISK
    print(f"exploring planted_bugs.config_saved_in_place on {disk!r} ...")
    torn = None
    for base in range(100):  # each sweep stops at its first failing seed: look for a torn one
        try:
            tonio.sim.explore(planted_bugs.config_saved_in_place, runs=50, seed=base, disk=disk)
        except tonio.sim.Failure as failure:
            if torn is None and base == 0:
                print(f"found after {failure.run + 1} run(s): {failure.__cause__}")
                print(f"  replay: {failure.replay}")
            if "b''" not in str(failure.__cause__):
                torn = failure
                break
    if torn is None:
        print("no torn save found (unexpected)")
        return
    print(f"a torn save (seed {torn.seed}): {torn.__cause__}")
    page = tonio.sim.timeline(torn, Path(tempfile.mkdtemp()) / "torn-save.html")
    print(f"timeline of the torn save (open it in a browser): {page}")
    summary = tonio.sim.explore(planted_bugs.config_saved_atomically, runs=200, disk=disk)
    print(f"config_saved_atomically (temporary file, sync, rename): {summary.runs} seeds, no loss")


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
    section("6. the simulator: find a race, replay it exactly")
    simulator_demo()
    section("7. networking: the echo server of examples/echo_server.py")
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import echo_server

    runtime.run_until_complete(echo_server.demo())
    section("8. the simulated network: a retry racing a reset, found and replayed")
    simulated_network_demo()
    section("9. the simulated disk: a torn config save, found and drawn")
    simulated_disk_demo()


if __name__ == "__main__":
    main()
