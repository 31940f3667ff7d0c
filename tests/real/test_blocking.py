"""spawn_blocking, map_blocking and block_on."""

import threading
import time

import pytest

import tonio
import tonio.colored as ctonio
from tonio.exceptions import CancelledError, RuntimeNotInitializedError


def test_spawn_blocking_value_args_kwargs(rt):
    def work(a, b, *, c):
        return (a + b) * c, threading.current_thread().name

    def main():
        return (yield tonio.spawn_blocking(work, 1, 2, c=3))

    value, thread = rt.run_until_complete(main())
    assert value == 9
    assert thread != threading.main_thread().name


def test_spawn_blocking_exception_propagates_colored(rt):
    def work():
        raise ZeroDivisionError("in pool")

    async def main():
        with pytest.raises(ZeroDivisionError, match="in pool"):
            await ctonio.spawn_blocking(work)
        return "ok"

    assert rt.run_until_complete(main()) == "ok"


def test_blocking_calls_run_in_parallel():
    def work():
        time.sleep(0.2)

    def main():
        start = time.monotonic()
        yield tonio.spawn(*[tonio_blocking(work) for _ in range(8)])
        return time.monotonic() - start

    def tonio_blocking(fn):
        yield tonio.spawn_blocking(fn)

    assert tonio.run(main()) < 1.0


def test_map_blocking_returns_list(rt):
    def main():
        return (yield tonio.map_blocking(lambda x: x * 3, [1, 2, 3]))

    assert rt.run_until_complete(main()) == [3, 6, 9]


def test_cancelling_a_blocking_call_interrupts_it():
    state = {"iterations": 0, "interrupted": False}
    started = threading.Event()

    def busy():
        started.set()
        try:
            while True:
                state["iterations"] += 1
                time.sleep(0.005)
        except CancelledError:
            state["interrupted"] = True
            raise

    def waiter():
        yield tonio.spawn_blocking(busy)

    def main():
        result = yield tonio.time.timeout(waiter(), 0.1)
        yield tonio.spawn_blocking(time.sleep, 0.1)
        return result

    assert tonio.run(main()) == (None, False)
    assert started.is_set()
    assert state["interrupted"]


def test_block_on_from_blocking_thread(rt):
    def child(v):
        yield tonio.sleep(0.01)
        return v + 1

    def sync_work():
        return tonio.block_on(child(41))

    def main():
        return (yield tonio.spawn_blocking(sync_work))

    assert rt.run_until_complete(main()) == 42


def test_block_on_raises_the_coroutine_exception():
    async def child():
        raise ValueError("from block_on")

    def sync_work():
        with pytest.raises(ValueError, match="from block_on"):
            tonio.block_on(child())
        return True

    async def main():
        return await ctonio.spawn_blocking(sync_work)

    assert ctonio.run(main())


def test_block_on_inside_a_task_is_refused():
    def child():
        yield

    def main():
        with pytest.raises(RuntimeError, match="deadlock"):
            tonio.block_on(child())
        yield

    tonio.run(main())


def test_block_on_outside_a_runtime():
    def child():
        yield

    with pytest.raises(RuntimeNotInitializedError):
        tonio.block_on(child())


def test_spawn_blocking_rejects_non_callable():
    def main():
        with pytest.raises(TypeError, match="callable"):
            tonio.spawn_blocking(5)
        yield

    tonio.run(main())


def test_blocking_pool_respects_size_limit():
    running = {"now": 0, "max": 0}
    lock = threading.Lock()

    def work():
        with lock:
            running["now"] += 1
            running["max"] = max(running["max"], running["now"])
        time.sleep(0.02)
        with lock:
            running["now"] -= 1

    def main():
        yield tonio.map_blocking(lambda _: work(), range(12))

    tonio.run(main(), blocking_threadpool_size=3)
    assert running["max"] == 3


def test_idle_blocking_threads_retire():
    rt = tonio.runtime(blocking_threadpool_idle_ttl=0.05)

    def main():
        yield tonio.map_blocking(time.sleep, [0.01] * 4)

    rt.run_until_complete(main())
    assert rt.blocking_threads >= 1
    deadline = time.monotonic() + 2
    while rt.blocking_threads and time.monotonic() < deadline:
        time.sleep(0.02)
    assert rt.blocking_threads == 0


def test_block_on_after_the_run_ended_raises_instead_of_hanging():
    release = threading.Event()
    outcome = []

    def child():
        yield
        return "ran"

    def late():
        try:
            release.wait(5)
            time.sleep(0.01)
        except CancelledError:  # the run cancelled this call when it ended
            pass
        try:
            outcome.append(tonio.block_on(child()))
        except RuntimeNotInitializedError as exc:
            outcome.append(type(exc))

    def main():
        tonio.spawn.without_tracking(waiter())
        yield tonio.sleep(0.02)

    def waiter():
        yield tonio.spawn_blocking(late)

    tonio.run(main())
    release.set()
    deadline = time.monotonic() + 5
    while not outcome and time.monotonic() < deadline:
        time.sleep(0.01)
    assert outcome == [RuntimeNotInitializedError]
