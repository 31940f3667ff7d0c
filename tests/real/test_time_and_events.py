"""Clock, sleep, intervals and events."""

import threading
import time

import pytest

import tonio
import tonio.colored as ctonio


def test_time_is_monotonic_and_sleep_waits(rt):
    def main():
        start = tonio.time.time()
        yield tonio.sleep(0.05)
        return tonio.time.time() - start

    elapsed = rt.run_until_complete(main())
    assert 0.05 <= elapsed < 1.0


def test_negative_and_zero_sleep_return_at_once():
    async def main():
        start = time.monotonic()
        await ctonio.sleep(-5)
        await ctonio.sleep(0)
        return time.monotonic() - start

    assert ctonio.run(main()) < 0.5


def test_sleep_rejects_non_numbers():
    def main():
        with pytest.raises(TypeError, match="seconds"):
            tonio.sleep("1")
        with pytest.raises(ValueError, match="NaN"):
            tonio.sleep(float("nan"))
        yield

    tonio.run(main())


def test_interval_ticks_on_schedule_and_late_ticks_do_not_burst():
    def main():
        interval = tonio.time.interval(0.05)
        start = tonio.time.time()
        stamps = []
        for _ in range(3):
            yield interval.tick()
            stamps.append(tonio.time.time() - start)
        yield tonio.sleep(0.2)  # miss several ticks
        late_start = tonio.time.time()
        yield interval.tick()  # fires at once
        late = tonio.time.time() - late_start
        yield interval.tick()  # then one period later, not a burst
        after = tonio.time.time() - late_start
        return stamps, late, after

    stamps, late, after = tonio.run(main())
    assert stamps[0] < 0.03
    assert 0.05 <= stamps[1] < 0.09 and 0.10 <= stamps[2] < 0.15
    assert late < 0.02
    assert 0.045 <= after < 0.1


def test_interval_validates_period():
    async def main():
        with pytest.raises(ValueError, match="period"):
            ctonio.time.interval(0)
        with pytest.raises(TypeError, match="period"):
            ctonio.time.interval("1")

    ctonio.run(main())


def test_interval_at_delays_first_tick():
    def main():
        interval = tonio.time.interval(1, tonio.time.time() + 0.05)
        start = tonio.time.time()
        yield interval.tick()
        return tonio.time.time() - start

    assert 0.05 <= tonio.run(main()) < 0.5


def test_seed_event_example_both_flavours(rt):
    def main():
        event = tonio.Event()

        def setter():
            yield tonio.sleep(0.01)
            event.set()

        tonio.spawn(setter())
        return (yield event.wait())

    async def cmain():
        event = ctonio.Event()

        async def setter():
            await ctonio.sleep(0.01)
            event.set()

        ctonio.spawn(setter())
        return await event.wait()

    assert rt.run_until_complete(main()) is True
    assert rt.run_until_complete(cmain()) is True


def test_event_wait_timeout_returns_false_and_flag_methods():
    def main():
        event = tonio.Event()
        assert not event.is_set()
        timed_out = yield event.wait(0.02)
        event.set()
        assert event.is_set()
        immediate = yield event.wait()
        event.clear()
        assert not event.is_set()
        return timed_out, immediate

    assert tonio.run(main()) == (False, True)


def test_event_set_wakes_every_waiter(rt):
    def waiter(event):
        return (yield event.wait())

    def main():
        event = tonio.Event()
        join = tonio.spawn(*[waiter(event) for _ in range(50)])
        yield tonio.sleep(0.01)
        event.set()
        return (yield join)

    assert rt.run_until_complete(main()) == [True] * 50


def test_event_set_from_a_foreign_thread():
    async def main():
        event = ctonio.Event()
        threading.Timer(0.02, event.set).start()
        return await event.wait(5)

    assert ctonio.run(main()) is True


def test_event_wait_validates_timeout():
    with pytest.raises(TypeError, match="timeout"):
        tonio.Event().wait("soon")
