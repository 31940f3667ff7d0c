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
    # Every call waits at a barrier of 8: it passes only when all 8 calls run at the same time
    # (a pool that ran them one after the other breaks the barrier at its timeout and fails).
    barrier = threading.Barrier(8, timeout=30)

    def work():
        return barrier.wait()

    def main():
        return (yield tonio.spawn(*[tonio_blocking(work) for _ in range(8)]))

    def tonio_blocking(fn):
        return (yield tonio.spawn_blocking(fn))

    assert sorted(tonio.run(main())) == list(range(8))


def test_map_blocking_returns_list(rt):
    def main():
        return (yield tonio.map_blocking(lambda x: x * 3, [1, 2, 3]))

    assert rt.run_until_complete(main()) == [3, 6, 9]


def test_cancelling_a_blocking_call_interrupts_it():
    state = {"iterations": 0}
    started, interrupted = threading.Event(), threading.Event()
    log = []

    def busy():
        started.set()
        try:
            while True:
                state["iterations"] += 1
                time.sleep(0.005)
        except CancelledError:
            interrupted.set()
            raise

    def waiter():
        try:
            yield tonio.spawn_blocking(busy)
        except CancelledError:
            log.append("waiter cancelled")
            raise

    def main():
        with tonio.scope() as scope:
            scope.spawn(waiter())
            # cancel once the call runs in its thread (a call cancelled before it started is
            # never run, and there would be nothing to interrupt)
            assert (yield tonio.spawn_blocking(started.wait, 30)) is True
            scope.cancel()
        yield scope()
        # the CancelledError lands at the thread's next bytecode: wait for it (bounded)
        return (yield tonio.spawn_blocking(interrupted.wait, 30))

    assert tonio.run(main()) is True
    assert log == ["waiter cancelled"]


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
    # three calls at a time must be able to meet here (a pool of fewer threads breaks the barrier
    # at its timeout); the sleep after it gives a pool of more threads the time to exceed three
    barrier = threading.Barrier(3, timeout=30)

    def work():
        with lock:
            running["now"] += 1
            running["max"] = max(running["max"], running["now"])
        barrier.wait()
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
        # counted from inside a blocking call, whose thread certainly exists (counted after the
        # run, a stall longer than the ttl would find them retired already)
        return (yield tonio.spawn_blocking(lambda: rt.blocking_threads))

    assert rt.run_until_complete(main()) >= 1
    deadline = time.monotonic() + 30  # polls: returns as soon as they are gone
    while rt.blocking_threads and time.monotonic() < deadline:
        time.sleep(0.02)
    assert rt.blocking_threads == 0


def test_block_on_after_the_run_ended_raises_instead_of_hanging():
    cond = threading.Condition()
    state = {"waiting": False, "released": False}
    outcome = []

    def child():
        yield
        return "ran"

    def late():
        try:
            with cond:
                state["waiting"] = True
                cond.notify_all()
                cond.wait_for(lambda: state["released"], 5)  # the run ends during this wait
            time.sleep(0.01)
        except CancelledError:  # the run cancelled this call when it ended
            pass
        try:
            outcome.append(tonio.block_on(child()))
        except RuntimeNotInitializedError as exc:
            outcome.append(type(exc))

    def late_is_waiting():
        # true once `late` has released the condition's lock inside wait_for: it is blocked there
        with cond:
            return cond.wait_for(lambda: state["waiting"], 30)

    def main():
        tonio.spawn.without_tracking(waiter())
        # end the run only while `late` waits in its thread (a call cancelled before it started
        # is never run)
        assert (yield tonio.spawn_blocking(late_is_waiting)) is True

    def waiter():
        yield tonio.spawn_blocking(late)

    tonio.run(main())
    with cond:
        state["released"] = True
        cond.notify_all()
    deadline = time.monotonic() + 30
    while not outcome and time.monotonic() < deadline:
        time.sleep(0.01)
    assert outcome == [RuntimeNotInitializedError]


def test_the_interpreter_exits_cleanly_while_a_blocking_call_still_runs():
    """A blocking call still running Python when the program ends: the exit waits for it instead
    of the interpreter ending the pool thread halfway (which aborted the process: "FATAL:
    exception not rethrown", once in CI)."""
    import subprocess
    import sys

    code = (
        "import time, tonio\n"
        "from tonio.exceptions import CancelledError\n"
        "def stubborn():\n"
        "    for _ in range(40):\n"
        "        try:\n"
        "            time.sleep(0.01)  # detaches and attaches again, again and again\n"
        "        except CancelledError:\n"
        "            pass\n"
        "def waiter():\n"
        "    yield tonio.spawn_blocking(stubborn)\n"
        "def main():\n"
        "    tonio.spawn.without_tracking(waiter())\n"
        "    yield tonio.sleep(0.05)\n"
        "tonio.run(main())\n"
        "print('main done', flush=True)\n"
    )
    for _ in range(5):
        run = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
        )
        assert run.returncode == 0, (run.returncode, run.stderr)
        assert "main done" in run.stdout
