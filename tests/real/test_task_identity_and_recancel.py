"""Task identity across runtimes, and cancelling a task more than once."""

import threading

import tonio
import tonio.colored as ctonio
from tonio.exceptions import CancelledError, WouldBlock


def test_one_lock_shared_by_two_runtimes_in_two_threads():
    """Each runtime's first task has the same per-run id; lock ownership must still tell them
    apart (the second one waits for the lock instead of being told it already holds it)."""
    lock = tonio.sync.Lock()
    held = threading.Event()
    release = threading.Event()
    results = {}

    def holder():
        with (yield lock()):
            held.set()
            yield tonio.spawn_blocking(release.wait, 10)
        return "released"

    def contender():
        try:
            with lock.or_raise():
                pass
        except WouldBlock:
            busy = True
        else:
            busy = False
        release.set()
        with (yield lock()):
            return ("waited", busy)

    def run(name, coro):
        try:
            results[name] = tonio.run(coro, threads=1)
        except BaseException as exc:  # recorded for the assertion below
            results[name] = exc

    a = threading.Thread(target=run, args=("a", holder()))
    a.start()
    assert held.wait(10)
    b = threading.Thread(target=run, args=("b", contender()))
    b.start()
    a.join(20)
    b.join(20)
    assert results == {"a": "released", "b": ("waited", True)}


def test_a_task_that_caught_cancellation_can_be_cancelled_again(any_rt):
    hits = []

    def stubborn(caught):
        for _ in range(3):
            try:
                yield tonio.sleep(100)
            except CancelledError:
                hits.append(1)
                caught.set()

    def main():
        caught = [tonio.Event(), tonio.Event()]
        with tonio.scope() as scope:
            scope.spawn(stubborn(_Both(caught)))
            yield
            scope.cancel()
            yield caught[0].wait()
            scope.cancel()
            yield caught[1].wait()
            scope.cancel()
        yield scope()
        return len(hits)

    assert any_rt.run_until_complete(main()) == 3


class _Both:
    """Sets the first unset event of the list."""

    def __init__(self, events):
        self.events = events

    def set(self):
        for event in self.events:
            if not event.is_set():
                event.set()
                return


def test_colored_cancel_again_after_catching(any_rt):
    seen = []

    async def worker(ready):
        while True:
            try:
                ready.set()
                await ctonio.sleep(100)
            except CancelledError:
                seen.append("cancelled")
                if len(seen) == 2:
                    return "done"

    async def main():
        async with ctonio.scope() as scope:
            first = ctonio.Event()
            scope.spawn(worker(first))
            await first.wait()
            scope.cancel()
            while not seen:
                await ctonio.yield_now()
            scope.cancel()
        return seen

    assert any_rt.run_until_complete(main()) == ["cancelled", "cancelled"]
