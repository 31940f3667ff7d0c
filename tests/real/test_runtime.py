"""Runtime options, entry points, misuse and exception propagation."""

import contextvars
import os
import subprocess
import sys
import textwrap
import threading
import time

import pytest

import tonio
import tonio.colored as ctonio
from tonio.exceptions import (
    CancelledError,
    RuntimeAlreadyInitializedError,
    RuntimeNotInitializedError,
)


@pytest.mark.parametrize(
    "options,error,match",
    [
        ({"threads": -1}, ValueError, "threads"),
        ({"threads": "2"}, TypeError, "threads"),
        ({"threads": True}, TypeError, "threads"),
        ({"threads": 1.5}, TypeError, "threads"),
        ({"context": "yes"}, TypeError, "context"),
        ({"blocking_threadpool_size": 0}, ValueError, "blocking_threadpool_size"),
        ({"blocking_threadpool_size": "8"}, TypeError, "blocking_threadpool_size"),
        ({"blocking_threadpool_idle_ttl": -1}, ValueError, "blocking_threadpool_idle_ttl"),
        ({"blocking_threadpool_idle_ttl": "30"}, TypeError, "blocking_threadpool_idle_ttl"),
        ({"signals": 5}, TypeError, "signals"),
        ({"signals": ["HUP"]}, TypeError, "signals"),
        ({"signals": [0]}, ValueError, "signal"),
        ({"unhandled_error_hook": 3}, TypeError, "unhandled_error_hook"),
    ],
)
def test_invalid_options_raise_at_the_call(options, error, match):
    with pytest.raises(error, match=match):
        tonio.runtime(**options)


def test_unknown_option_is_a_type_error():
    with pytest.raises(TypeError):
        tonio.runtime(thread=2)


def test_threads_zero_or_none_means_cpu_count():
    assert tonio.runtime(threads=0).threads == os.cpu_count()
    assert tonio.runtime().threads == os.cpu_count()
    assert tonio.runtime(threads=3).threads == 3


def test_run_until_complete_rejects_non_coroutines():
    with pytest.raises(TypeError, match="run_until_complete"):
        tonio.runtime().run_until_complete(42)


def test_main_decorator_forwards_arguments_both_forms():
    @tonio.main
    def add(a, b=0):
        yield
        return a + b

    @ctonio.main(threads=1)
    async def mul(a, b):
        await ctonio.yield_now()
        return a * b

    assert add(1, b=2) == 3
    assert mul(3, 4) == 12
    assert add.__name__ == "add"


def test_runtime_can_run_many_times_and_several_runtimes_coexist():
    first, second = tonio.runtime(threads=1), tonio.runtime(threads=2)

    def job(v):
        yield
        return v

    assert [first.run_until_complete(job(i)) for i in range(3)] == [0, 1, 2]
    assert second.run_until_complete(job("x")) == "x"
    assert tonio.run(job(1)) == 1 and tonio.run(job(2)) == 2


def test_nested_run_raises_already_initialized():
    def inner():
        yield

    def outer():
        with pytest.raises(RuntimeAlreadyInitializedError):
            tonio.run(inner())
        yield
        return "ok"

    assert tonio.run(outer()) == "ok"


def test_apis_outside_a_runtime_raise_not_initialized():
    def child():
        yield

    with pytest.raises(RuntimeNotInitializedError):
        tonio.spawn(child())
    with pytest.raises(RuntimeNotInitializedError):
        tonio.time.time()
    with pytest.raises(RuntimeNotInitializedError):
        tonio.scope().__enter__()
    with pytest.raises(RuntimeNotInitializedError):
        tonio.spawn_blocking(print)
    with pytest.raises(RuntimeNotInitializedError):
        tonio.time.interval(1)


@pytest.mark.parametrize("exc", [KeyboardInterrupt, SystemExit, CancelledError, ValueError])
def test_main_exceptions_propagate_including_base_exceptions(exc):
    def main():
        yield
        raise exc("from main")

    with pytest.raises(exc, match="from main"):
        tonio.run(main())


def test_bad_yield_values_are_type_errors_the_task_can_catch(rt):
    async def coro():
        return 1

    def main():
        caught = []
        for bad in ([1, 2], 42, "text"):
            try:
                yield bad
            except TypeError as exc:
                caught.append(type(bad).__name__ in str(exc))
        c = coro()
        try:
            yield c
        except TypeError as exc:
            caught.append("async def" in str(exc))
        c.close()
        yield tonio.sleep(0)  # the task keeps working
        return caught

    assert rt.run_until_complete(main()) == [True, True, True, True]


def test_colored_awaiting_foreign_awaitable_is_a_type_error():
    class Foreign:
        def __await__(self):
            yield "not a tonio awaitable"

    async def main():
        with pytest.raises(TypeError, match="not a tonio awaitable"):
            await Foreign()
        return "ok"

    assert ctonio.run(main()) == "ok"


def test_child_generators_return_and_raise_into_parent():
    def child(v):
        yield
        if v < 0:
            raise ValueError(v)
        return v * 10

    def main():
        ok = yield child(2)
        try:
            yield child(-1)
        except ValueError as exc:
            return ok, exc.args[0]

    assert tonio.run(main()) == (20, -1)


VAR = contextvars.ContextVar("VAR", default="unset")


def test_context_true_isolates_tasks_and_blocking_calls():
    def child(i):
        VAR.set(f"child{i}")
        yield tonio.sleep(0.01)
        return VAR.get()

    def read():
        return VAR.get()

    def main():
        VAR.set("main")
        values = yield tonio.spawn(child(1), child(2))
        blocking = yield tonio.spawn_blocking(read)
        return values, blocking, VAR.get()

    assert tonio.run(main(), context=True) == (["child1", "child2"], "main", "main")


def test_gil_enabled_interpreter_is_refused():
    code = textwrap.dedent(
        """
        import tonio
        try:
            tonio.runtime()
        except RuntimeError as exc:
            print("refused:", exc)
        """
    )
    env = dict(os.environ, PYTHON_GIL="1")
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert "refused:" in out.stdout and "GIL" in out.stdout


def test_keyboard_interrupt_during_run_cancels_tasks_and_is_raised():
    code = textwrap.dedent(
        """
        import os, signal, threading, tonio
        unwound = []
        def forever():
            try:
                # interrupt only once this task runs (a task cancelled before it ran has nothing
                # to unwind); any delay then works
                threading.Timer(0.05, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
                yield tonio.sleep(100)
            finally:
                unwound.append(True)
        def main():
            tonio.spawn.without_tracking(forever())
            yield tonio.sleep(100)
        try:
            tonio.run(main())
        except KeyboardInterrupt:
            print("interrupted", unwound)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "interrupted [True]" in out.stdout, out.stderr


@pytest.mark.parametrize("flavour", ["yield", "colored"])
def test_two_workers_run_two_tasks_at_the_same_time(flavour):
    """Two tasks meet while both are running. Each records its thread, raises its flag, then spins
    in pure Python (never suspending, so it keeps its worker thread) until it sees the other's
    flag. They can only both see each other if they run at the same time on two threads; on one
    worker the first to run would spin alone until the bound and report that it met nobody."""
    flags = [False, False]

    def meet(me):
        ident = threading.get_ident()
        flags[me] = True
        deadline = time.monotonic() + 30
        while not flags[1 - me]:
            if time.monotonic() > deadline:
                return ident, False
        return ident, True

    def main():
        return (yield tonio.spawn(gen_meet(0), gen_meet(1)))

    def gen_meet(me):
        yield
        return meet(me)

    async def cmain():
        return await ctonio.spawn(colored_meet(0), colored_meet(1))

    async def colored_meet(me):
        await ctonio.yield_now()
        return meet(me)

    rt = tonio.runtime(threads=2)
    (ident0, met0), (ident1, met1) = rt.run_until_complete(
        main() if flavour == "yield" else cmain()
    )
    assert met0 and met1, "the two tasks never ran at the same time"
    assert ident0 != ident1
