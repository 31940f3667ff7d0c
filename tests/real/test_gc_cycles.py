"""Objects in reference cycles through tonio objects are collected, and nothing they held is
lost: an unjoined task's error is reported when its join handle is collected.

Before, a join handle or a channel was invisible to the cyclic collector: an object that stored
its own task's join handle (`self.task = spawn(self.run())`) and an actor whose mailbox held a
message referring to it were never freed, and the task's error never reported.
"""

import gc
import weakref

import tonio
from tonio.sync import channel

N = 500


class Worker:
    """Stores the join handle of its own failing task and never joins it."""

    def __init__(self) -> None:
        self.task = tonio.spawn(self.run())

    def run(self):
        yield
        raise ValueError(f"worker {id(self)} failed")


class Actor:
    """Its own mailbox holds a message that refers back to it."""

    def __init__(self) -> None:
        self.tx, self.rx = channel.unbounded()
        self.tx.send(("hello", self))


def collected_and_reported(make, threads):
    reported = []

    def main():
        refs = [weakref.ref(make()) for _ in range(N)]
        for _ in range(3):
            yield tonio.sleep(0.01)  # every task finishes
        gc.collect()
        return sum(ref() is not None for ref in refs)

    alive = tonio.run(main(), threads=threads, unhandled_error_hook=reported.append)
    return alive, reported


def test_a_join_handle_in_a_cycle_is_collected_and_its_error_reported():
    for threads in (1, 2):
        alive, reported = collected_and_reported(Worker, threads)
        assert alive == 0
        assert len(reported) == N
        assert all(isinstance(exc, ValueError) for exc in reported)


def test_an_actor_whose_mailbox_refers_to_it_is_collected():
    alive, reported = collected_and_reported(Actor, 2)
    assert alive == 0
    assert reported == []


def test_a_stored_select_or_timeout_awaitable_in_a_cycle_is_collected():
    class Holder:
        def __init__(self) -> None:
            self.pending = [
                tonio.select(self.branch(), self.branch()),
                tonio.time.timeout(self.branch(), 1),
            ]

        def branch(self):
            yield

    def main():
        refs = [weakref.ref(Holder()) for _ in range(N)]
        gc.collect()
        return sum(ref() is not None for ref in refs)
        yield

    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # never awaited, on purpose
        assert tonio.run(main()) == 0


def test_a_join_handle_that_is_awaited_after_a_collection_still_has_its_results():
    """Collecting is only for garbage: a live handle keeps its task's results."""

    def child(i):
        yield
        return i

    def main():
        handles = [tonio.spawn(child(i)) for i in range(50)]
        for _ in range(3):
            yield tonio.sleep(0.01)
        gc.collect()
        results = []
        for handle in handles:
            results.append((yield handle))
        return results

    assert tonio.run(main()) == list(range(50))
