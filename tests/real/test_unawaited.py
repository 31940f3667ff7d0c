"""A tonio awaitable dropped before anyone yielded or awaited it warns, like CPython's
"coroutine ... was never awaited": a RuntimeWarning naming what it was, at the line where the
forgotten statement is (src/common/base/unawaited.rs)."""

import inspect
import sys
import warnings

import tonio
import tonio.colored as ctonio
from tonio.sync import Lock
from tonio.sync.channel import channel


def run_recording(rt, coro):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = rt.run_until_complete(coro)
    return result, [w for w in caught if issubclass(w.category, RuntimeWarning)]


def test_a_forgotten_yield_warns_at_its_line(any_rt):
    def main():
        line = inspect.currentframe().f_lineno + 1
        tonio.sleep(1)  # the mistake: no `yield`
        yield tonio.sleep(0)
        return line

    line, caught = run_recording(any_rt, main())
    assert len(caught) == 1, [str(w.message) for w in caught]
    assert "tonio awaitable sleep was never yielded or awaited" in str(caught[0].message)
    assert (caught[0].filename, caught[0].lineno) == (__file__, line)


def test_a_forgotten_await_warns_in_the_colored_flavour(any_rt):
    async def main():
        event = ctonio.Event()
        line = inspect.currentframe().f_lineno + 1
        event.wait(0.1)  # the mistake: no `await`
        await ctonio.yield_now()
        return line

    line, caught = run_recording(any_rt, main())
    assert [(str(w.message).split(" was")[0], w.lineno) for w in caught] == [
        ("tonio awaitable Event.wait", line)
    ]


def test_awaitables_kept_and_dropped_later_warn_too(any_rt):
    def main():
        pending = [tonio.sleep(1), tonio.spawn_blocking(print, "never printed")]
        yield
        del pending
        return None

    _, caught = run_recording(any_rt, main())
    assert sorted(str(w.message).split(" was")[0] for w in caught) == [
        "tonio awaitable sleep",
        "tonio awaitable spawn_blocking",
    ]


def test_everything_used_normally_stays_silent(any_rt):
    lock = Lock()

    def child():
        yield
        return 1

    async def colored_part():
        tx, rx = channel(1)
        await tx.send("m")  # completes at once (eager path)
        assert await rx.receive() == "m"
        async with lock:
            pass
        await lock.acquire()
        lock.release()

    def main():
        tonio.spawn(child())  # a join nobody awaits: its task runs anyway, no warning
        with (yield lock()):
            pass
        yield tonio.time.timeout(tonio.sleep(0.001), 1)
        yield tonio.select(child(), tonio.sleep(1))
        yield tonio.spawn(colored_part())
        yield tonio.sleep(0.002)

    _, caught = run_recording(any_rt, main())
    assert caught == []


def test_the_warning_as_an_error_goes_to_the_unraisable_hook(any_rt):
    seen = []
    previous, sys.unraisablehook = sys.unraisablehook, seen.append

    def main():
        tonio.sleep(1)
        yield
        return "still running"

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert any_rt.run_until_complete(main()) == "still running"
    finally:
        sys.unraisablehook = previous
    assert [type(s.exc_value) for s in seen] == [RuntimeWarning]
