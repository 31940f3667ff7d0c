"""Clock, sleep, intervals and events."""

import threading

import pytest

import tonio
import tonio.colored as ctonio

# How late the real platform may wake a sleeper on a loaded machine shared with other builds.
# Real-platform upper bounds use it; a timer never fires early, so lower bounds stay exact. Under
# the simulator the virtual clock is exact and every bound is an equality.
REAL_LATENESS = 2.0


def exactly(expected: float) -> object:
    return pytest.approx(expected, abs=1e-9)


def test_time_is_monotonic_and_sleep_waits(any_rt):
    def main():
        start = tonio.time.time()
        yield tonio.sleep(0.05)
        return tonio.time.time() - start

    elapsed = any_rt.run_until_complete(main())
    if any_rt.platform == "sim":
        assert elapsed == exactly(0.05)
    else:
        assert 0.05 <= elapsed < 0.05 + REAL_LATENESS


def test_negative_and_zero_sleep_return_at_once(any_rt):
    async def main():
        start = ctonio.time.time()
        await ctonio.sleep(-5)
        await ctonio.sleep(0)
        return ctonio.time.time() - start

    elapsed = any_rt.run_until_complete(main())
    if any_rt.platform == "sim":
        assert elapsed == 0
    else:
        assert 0 <= elapsed < REAL_LATENESS


def test_sleep_rejects_non_numbers():
    def main():
        with pytest.raises(TypeError, match="seconds"):
            tonio.sleep("1")
        with pytest.raises(ValueError, match="NaN"):
            tonio.sleep(float("nan"))
        yield

    tonio.run(main())


def test_interval_ticks_on_schedule_and_late_ticks_do_not_burst(any_rt):
    def main():
        start = tonio.time.time()  # read before the interval exists: no tick can precede it
        interval = tonio.time.interval(0.05)
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

    stamps, late, after = any_rt.run_until_complete(main())
    if any_rt.platform == "sim":
        assert stamps == [exactly(0), exactly(0.05), exactly(0.10)]
        assert late == exactly(0)
        assert after == exactly(0.05)
    else:
        assert stamps[0] < REAL_LATENESS
        assert 0.05 <= stamps[1] < 0.05 + REAL_LATENESS
        assert 0.10 <= stamps[2] < 0.10 + REAL_LATENESS
        assert late < REAL_LATENESS
        assert 0.045 <= after < 0.05 + REAL_LATENESS


def test_interval_validates_period():
    async def main():
        with pytest.raises(ValueError, match="period"):
            ctonio.time.interval(0)
        with pytest.raises(TypeError, match="period"):
            ctonio.time.interval("1")

    ctonio.run(main())


def test_interval_at_delays_first_tick(any_rt):
    def main():
        start = tonio.time.time()
        interval = tonio.time.interval(1, start + 0.05)
        yield interval.tick()
        return tonio.time.time() - start

    elapsed = any_rt.run_until_complete(main())
    if any_rt.platform == "sim":
        assert elapsed == exactly(0.05)
    else:
        assert 0.05 <= elapsed < 0.05 + REAL_LATENESS


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


def test_event_set_wakes_every_waiter(any_rt):
    def waiter(event):
        return (yield event.wait())

    def main():
        event = tonio.Event()
        join = tonio.spawn(*[waiter(event) for _ in range(50)])
        yield tonio.sleep(0.01)
        event.set()
        return (yield join)

    # under the simulator all 50 are certainly waiting when the event is set
    assert any_rt.run_until_complete(main()) == [True] * 50


def test_event_set_from_a_foreign_thread():
    async def main():
        event = ctonio.Event()
        threading.Timer(0.02, event.set).start()
        return await event.wait(5)

    assert ctonio.run(main()) is True


def test_event_wait_validates_timeout():
    with pytest.raises(TypeError, match="timeout"):
        tonio.Event().wait("soon")
