"""The simulated platform runs the same core: virtual time, FIFO order, deadlock detection.

(The seeded strategies, exploration and replay arrive with the simulator milestone; these tests
pin what the first cut already guarantees.)
"""

import time

import pytest

import tonio
import tonio.colored as ctonio
import tonio.sim
from tonio._tonio import Runtime


def sim(seed: int = 0, strategy: str = "random") -> Runtime:
    return tonio.sim.runtime(seed=seed, strategy=strategy)


def test_an_hour_of_virtual_sleep_finishes_at_once():
    def main():
        start = tonio.time.time()
        yield tonio.sleep(3600)
        return tonio.time.time() - start

    wall = time.monotonic()
    assert sim().run_until_complete(main()) == pytest.approx(3600)
    assert time.monotonic() - wall < 1


def test_same_program_same_order_every_run():
    def task(log, name, delay):
        for _ in range(3):
            yield tonio.sleep(delay)
            log.append(name)

    def main(log):
        yield tonio.spawn(task(log, "a", 0.3), task(log, "b", 0.2), task(log, "c", 0.5))
        return log

    first = sim(strategy="fifo").run_until_complete(main([]))
    assert first == sim(strategy="fifo").run_until_complete(main([]))
    assert first == ["b", "a", "b", "c", "a", "b", "a", "c", "c"]


def test_deadlock_is_reported_and_tasks_unwind():
    unwound = []

    async def stuck(event):
        try:
            await event.wait()
        finally:
            unwound.append(True)

    async def main():
        event = ctonio.Event()
        await ctonio.spawn(stuck(event))

    with pytest.raises(tonio.sim.Deadlock, match="deadlock"):
        sim().run_until_complete(main())
    assert unwound == [True]


def test_blocking_calls_and_timeouts_work_on_sim():
    def main():
        value = yield tonio.spawn_blocking(lambda: 7)
        expired = yield tonio.time.timeout(tonio.sleep(10), 1)
        return value, expired

    assert sim().run_until_complete(main()) == (7, (None, False))


def test_a_cancelled_blocking_call_runs_to_completion_on_sim():
    # The simulator runs a blocking call inline on its one thread. If the waiting task is
    # cancelled while the call runs (here: the call runs the loop nested with block_on, and a
    # task there cancels the waiter), the call is not interrupted: an asynchronous exception
    # would land in whatever Python code that thread runs next (here the waiter's own handler,
    # a second CancelledError). The call finishes, its result is dropped, and the waiter gets
    # its one CancelledError.
    log = []
    scopes = []

    def cancel_waiter():
        scopes[0].cancel()
        yield tonio.sleep(0.1)  # the waiter runs meanwhile and takes its CancelledError
        log.append("nested done")

    def call():
        tonio.block_on(cancel_waiter())
        total = 0
        for i in range(2000):  # bytecode after the cancellation
            total += i
        log.append("call finished")
        return total

    def waiter():
        try:
            yield tonio.spawn_blocking(call)
        except tonio.exceptions.CancelledError:
            log.append("waiter cancelled")
            busy = 0
            for i in range(2000):  # a second, stray CancelledError would land here
                busy += i
            log.append("waiter unwound")
            raise

    def main():
        with tonio.scope() as scope:
            scopes.append(scope)
            scope.spawn(waiter())
        yield scope()
        yield tonio.sleep(1)  # the run goes on while the call finishes

    for seed in range(5):
        log.clear()
        scopes.clear()
        sim(seed).run_until_complete(main())
        assert log == ["waiter cancelled", "waiter unwound", "nested done", "call finished"], seed
