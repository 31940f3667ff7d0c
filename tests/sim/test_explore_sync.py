"""Sync primitives and channels explored under every strategy, invariants checked every run."""

import pytest

import tonio
import tonio.colored as ctonio
import tonio.sim
from tonio import sync
from tonio.exceptions import CancelledError

STRATEGIES = ["random", "pct:2", "pct:3", "fifo"]
RUNS = 200


def mutual_exclusion(bound=1):
    prim = sync.Lock() if bound == 1 else sync.Semaphore(bound)
    state = {"inside": 0, "max": 0, "done": 0}

    def worker(i):
        for _ in range(3):
            with (yield prim()):
                state["inside"] += 1
                state["max"] = max(state["max"], state["inside"])
                yield tonio.sleep(0.001 * (i % 3))
                state["inside"] -= 1
        state["done"] += 1

    def main():
        yield tonio.spawn(*[worker(i) for i in range(5)])
        assert state["max"] <= bound and state["inside"] == 0 and state["done"] == 5
        if bound > 1:
            assert prim.tokens() == bound and prim.waiters == 0

    return main()


def cancelled_waiters_leave_nothing():
    lock = ctonio.sync.Lock()
    got = []

    async def contender(i, patience):
        try:
            async with lock:
                got.append(i)
                await ctonio.sleep(0.002)
        except CancelledError:
            pass

    async def main():
        await ctonio.spawn(
            *[ctonio.time.timeout(contender(i, 0), 0.001 * (i % 4)) for i in range(6)]
        )
        assert not lock.locked() and lock.waiters == 0
        async with lock:  # still usable
            pass

    return main()


def barrier_indices():
    barrier = sync.Barrier(4)

    def arrive():
        yield
        return (yield barrier.wait())

    def main():
        indices = yield tonio.spawn(*[arrive() for _ in range(4)])
        assert sorted(indices) == [0, 1, 2, 3] and barrier.value() == 4

    return main()


def channel_exactly_once_and_drain():
    sender, receiver = sync.channel.channel(2)
    got = []

    def produce(base):
        for i in range(6):
            yield sender.send(base + i)

    def consume():
        while True:
            try:
                got.append((yield receiver.receive()))
            except BrokenPipeError:
                return

    def main():
        consumers = tonio.spawn(consume(), consume())
        yield tonio.spawn(produce(0), produce(100), produce(200))
        sender.close()
        yield consumers
        assert sorted(got) == [*range(6), *range(100, 106), *range(200, 206)]

    return main()


def channel_cancellation_never_loses():
    sender, receiver = sync.channel.channel(1)
    sent, received = [], []

    def produce():
        for i in range(8):
            _, ok = yield tonio.time.timeout(sender.send(i), 0.001 * (i % 3))
            if ok:
                sent.append(i)

    def consume():
        while True:
            try:
                value, ok = yield tonio.time.timeout(receiver.receive(), 0.002)
            except BrokenPipeError:
                return
            if ok:
                received.append(value)

    def main():
        consumer = tonio.spawn(consume())
        yield tonio.spawn(produce())
        sender.close()
        yield consumer
        assert sorted(received) == sent, (sent, received)

    return main()


BODIES = [
    mutual_exclusion,
    lambda: mutual_exclusion(bound=2),
    cancelled_waiters_leave_nothing,
    barrier_indices,
    channel_exactly_once_and_drain,
    channel_cancellation_never_loses,
]


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize(
    "body", BODIES, ids=["lock", "semaphore", "cancel", "barrier", "channel", "channel-cancel"]
)
def test_invariants_hold_on_every_explored_schedule(body, strategy):
    summary = tonio.sim.explore(body, runs=RUNS if strategy != "fifo" else 3, strategy=strategy)
    if strategy not in ("fifo",):
        assert summary.distinct_schedules > 1
