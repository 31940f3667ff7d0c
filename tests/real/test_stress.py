"""Free-threaded stress: many tasks on two workers hammering events and scopes."""

import random
import threading

import tonio
import tonio.colored as ctonio
from tonio.exceptions import CancelledError


def test_events_and_scopes_under_parallel_load():
    rounds, width = 100, 50
    counter = {"value": 0}
    lock = threading.Lock()
    cancelled = []

    def worker(start, done, delay):
        yield start.wait()
        yield tonio.sleep(delay)
        with lock:
            counter["value"] += 1
        done.append(1)

    def sleeper(asleep):
        yield asleep.wait()
        try:
            yield tonio.sleep(10)
        except CancelledError:
            cancelled.append(1)
            raise

    def round_(seed):
        rng = random.Random(seed)
        start = tonio.Event()
        asleep = tonio.sync.Barrier(6)  # the 5 sleepers and this round
        done = []
        join = tonio.spawn(*[worker(start, done, rng.random() / 1000) for _ in range(width)])
        with tonio.scope() as scope:
            for _ in range(5):
                scope.spawn(sleeper(asleep))
            start.set()
            yield join
            # every sleeper has started (a task cancelled before it ran never runs): the cancel
            # reaches each of them at the barrier wake-up or in its sleep
            yield asleep.wait()
            scope.cancel()
        yield scope()
        assert len(done) == width
        return len(done)

    def main():
        return (yield tonio.spawn(*[round_(i) for i in range(rounds)]))

    results = tonio.run(main(), threads=2)
    assert results == [width] * rounds
    assert counter["value"] == rounds * width
    assert len(cancelled) == rounds * 5


def test_colored_spawn_storm_every_task_finishes_once():
    finished = []

    async def leaf(i):
        await ctonio.yield_now()
        finished.append(i)
        return i

    async def branch(base):
        return sum(await ctonio.spawn(*[leaf(base + j) for j in range(100)]))

    async def main():
        return await ctonio.spawn(*[branch(i * 100) for i in range(50)])

    totals = ctonio.run(main(), threads=2)
    assert sum(totals) == sum(range(5000))
    assert sorted(finished) == list(range(5000))


def test_event_ping_pong_between_threads_has_no_lost_wakeups():
    async def main():
        pings = [ctonio.Event() for _ in range(2000)]
        pongs = [ctonio.Event() for _ in range(2000)]

        async def ponger():
            for ping, pong in zip(pings, pongs, strict=True):
                await ping.wait()
                pong.set()

        join = ctonio.spawn(ponger())
        for ping, pong in zip(pings, pongs, strict=True):
            ping.set()
            assert await pong.wait(5) is True
        await join
        return True

    assert ctonio.run(main(), threads=2)


def test_lock_and_semaphore_stress_with_random_cancellation():
    """Thousands of tasks on two workers acquire with random timeouts and sleeps; the bounds
    hold, nothing stays queued and every permit comes back."""
    sem = tonio.sync.Semaphore(3)
    lock = tonio.sync.Lock()
    guard = threading.Lock()
    state = {"sem": 0, "sem_max": 0, "lock": 0, "lock_max": 0, "done": 0, "timed_out": 0}

    def inside(key, delta):
        with guard:
            state[key] += delta
            state[f"{key}_max"] = max(state[f"{key}_max"], state[key])

    def use(prim, key, rng):
        with (yield prim()):
            inside(key, 1)
            try:
                if rng.random() < 0.5:
                    yield tonio.sleep(rng.random() / 10000)
            finally:
                inside(key, -1)

    def task(seed):
        rng = random.Random(seed)
        for _ in range(5):
            prim, key = (sem, "sem") if rng.random() < 0.5 else (lock, "lock")
            _, ok = yield tonio.time.timeout(use(prim, key, rng), rng.random() / 2000)
            if not ok:
                with guard:
                    state["timed_out"] += 1
        with guard:
            state["done"] += 1

    def main():
        yield tonio.spawn.without_results(*[task(i) for i in range(2000)])

    tonio.run(main(), threads=2)
    assert state["done"] == 2000
    assert state["timed_out"] > 0, "no acquisition was cancelled: the test exercised nothing"
    assert state["sem_max"] <= 3 and state["lock_max"] == 1
    assert state["sem"] == 0 and state["lock"] == 0
    assert sem.tokens() == 3 and sem.waiters == 0
    assert not lock.locked() and lock.waiters == 0
