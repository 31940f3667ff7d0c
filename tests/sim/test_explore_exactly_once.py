"""Exactly-once delivery through select, timeout and cancelled scopes, over many schedules."""

import pytest

import tonio
import tonio.colored as ctonio
import tonio.sim
from tonio.exceptions import CancelledError
from tonio.sync import channel

STRATEGIES = ["random", "pct:2", "pct:3"]
RUNS = 150


def drain(rx, tx):
    tx.close()
    left = []
    while True:
        try:
            left.append((yield rx.receive()))
        except BrokenPipeError:
            return left


def select_two_receives(n=6):
    """Two producers feed two small channels while a consumer selects over both."""

    def main():
        tx1, rx1 = channel.channel(1)
        tx2, rx2 = channel.channel(1)

        def produce(tx, base):
            for i in range(n):
                yield tx.send(base + i)
            tx.close()

        producers = tonio.spawn(produce(tx1, 0), produce(tx2, 100))
        got = []
        open_ = 2
        while open_ == 2:
            try:
                got.append((yield tonio.select(rx1.receive(), rx2.receive())))
            except BrokenPipeError:
                open_ = 1
        left1, left2 = yield tonio.spawn(collect(rx1), collect(rx2))
        yield producers
        got.extend(left1 + left2)
        assert sorted(got) == [*range(n), *range(100, 100 + n)], got

    return main()


def collect(rx):
    got = []
    while True:
        try:
            got.append((yield rx.receive()))
        except BrokenPipeError:
            return got


def select_colored(n=5):
    async def main():
        tx1, rx1 = ctonio.sync.channel.unbounded()
        tx2, rx2 = ctonio.sync.channel.unbounded()

        async def produce(tx, base):
            for i in range(n):
                tx.send(base + i)
                await ctonio.yield_now()

        join = ctonio.spawn(produce(tx1, 0), produce(tx2, 100))
        got = [await ctonio.select(rx1.receive(), rx2.receive()) for _ in range(n)]
        await join
        tx1.close()
        tx2.close()
        for rx in (rx1, rx2):
            while True:
                try:
                    got.append(await rx.receive())
                except BrokenPipeError:
                    break
        assert sorted(got) == [*range(n), *range(100, 100 + n)], got

    return main()


def timeout_receives(n=6):
    def main():
        tx, rx = channel.channel(2)
        got = []

        def produce():
            for i in range(n):
                yield tx.send(i)
                yield tonio.sleep(0.001 * (i % 3))

        join = tonio.spawn(produce())
        for _ in range(3 * n):
            value, ok = yield tonio.time.timeout(rx.receive(), 0.001)
            if ok:
                got.append(value)
            else:
                assert value is None
        yield join
        got.extend((yield from drain(rx, tx)))
        assert sorted(got) == list(range(n)), got

    return main()


def nested_select_in_timeout(n=5):
    def main():
        tx1, rx1 = channel.unbounded()
        tx2, rx2 = channel.unbounded()
        got = []

        def produce():
            for i in range(n):
                tx1.send(i)
                yield
                tx2.send(100 + i)
                yield tonio.sleep(0.001)

        join = tonio.spawn(produce())
        for _ in range(3 * n):
            value, ok = yield tonio.time.timeout(tonio.select(rx1.receive(), rx2.receive()), 0.0015)
            if ok:
                got.append(value)
            else:
                assert value is None
        yield join
        got.extend((yield from drain(rx1, tx1)))
        got.extend((yield from drain(rx2, tx2)))
        assert sorted(got) == [*range(n), *range(100, 100 + n)], got

    return main()


def scope_cancel_receivers():
    def main():
        tx, rx = channel.channel(1)
        received = []

        def consumer():
            while True:
                received.append((yield rx.receive()))

        def produce():
            for i in range(8):
                yield tx.send(i)

        with tonio.scope() as scope:
            scope.spawn(consumer())
            scope.spawn(consumer())
            producer = tonio.spawn(produce())
            yield
            yield
            scope.cancel()
        yield scope()
        rest = tonio.spawn(drain(rx, tx))
        try:
            yield producer
        except ExceptionGroup as group:
            assert all(isinstance(e, BrokenPipeError) for e in group.exceptions)
        left = yield rest
        # messages of sends that raised BrokenPipeError were never sent
        assert len(set(received + left)) == len(received + left)
        assert set(received + left) <= set(range(8))

    return main()


def cancelled_select_owner():
    def main():
        tx, rx = channel.unbounded()
        delivered = []

        def waiter():
            try:
                delivered.append((yield tonio.select(rx.receive(), rx.receive())))
            except CancelledError:
                raise

        with tonio.scope() as scope:
            scope.spawn(waiter())
            yield
            tx.send("m")
            scope.cancel()
        try:
            yield scope()
        except ExceptionGroup:
            pass
        left = yield from drain(rx, tx)
        assert sorted(delivered + left) == ["m"], (delivered, left)

    return main()


BODIES = {
    "select": select_two_receives,
    "select-colored": select_colored,
    "timeout": timeout_receives,
    "nested": nested_select_in_timeout,
    "scope-cancel": scope_cancel_receivers,
    "select-owner-cancelled": cancelled_select_owner,
}


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("body", list(BODIES.values()), ids=list(BODIES))
def test_every_message_exactly_once_on_every_schedule(body, strategy):
    summary = tonio.sim.explore(body, runs=RUNS, strategy=strategy)
    assert summary.distinct_schedules > 1
