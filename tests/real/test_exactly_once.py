"""Nothing is lost through select, timeout, as_completed and cancelled scopes.

Every body runs on the real platform (1 and 2 workers) and on the simulator (`any_rt`); the
simulator bodies are also explored over many seeds in tests/sim/test_explore_exactly_once.py.
"""

import pytest

import tonio
import tonio.colored as ctonio
from tonio.exceptions import CancelledError
from tonio.sync import channel

ROUNDS = 200


def drain(receiver, sender):
    """Generator: closes the channel and returns everything left in it."""
    sender.close()
    left = []
    while True:
        try:
            left.append((yield receiver.receive()))
        except BrokenPipeError:
            return left


def make_channel(kind):
    if kind == "unbounded":
        return channel.unbounded()
    return channel.channel(ROUNDS)


def fill(sender, kind, values):
    for value in values:
        if kind == "unbounded":
            sender.send(value)
        else:
            yield sender.send(value)


@pytest.mark.parametrize("kind", ["unbounded", "bounded"])
def test_select_over_two_receives_loses_nothing(any_rt, kind):
    tx1, rx1 = make_channel(kind)
    tx2, rx2 = make_channel(kind)

    def main():
        yield from fill(tx1, kind, range(ROUNDS))
        yield from fill(tx2, kind, range(ROUNDS, 2 * ROUNDS))
        got = []
        for _ in range(ROUNDS):
            got.append((yield tonio.select(rx1.receive(), rx2.receive())))
        left = (yield from drain(rx1, tx1)) + (yield from drain(rx2, tx2))
        return got, left

    got, left = any_rt.run_until_complete(main())
    assert len(got) == ROUNDS
    assert sorted(got + left) == list(range(2 * ROUNDS))


def collect_all(rx):
    got = []
    while True:
        try:
            got.append((yield rx.receive()))
        except BrokenPipeError:
            return got


def test_select_with_waiting_receives_loses_nothing(any_rt):
    """Both branches wait first; two producers then send at once into the two channels."""
    tx1, rx1 = channel.channel(1)
    tx2, rx2 = channel.channel(1)

    def producer(tx, base):
        for i in range(ROUNDS):
            yield tx.send(base + i)

    def main():
        producers = tonio.spawn(producer(tx1, 0), producer(tx2, ROUNDS))
        got = []
        for _ in range(ROUNDS):
            got.append((yield tonio.select(rx1.receive(), rx2.receive())))
        # the producers still hold unsent messages: receive until they finish
        rest = tonio.spawn(collect_all(rx1), collect_all(rx2))
        yield producers
        tx1.close()
        tx2.close()
        left1, left2 = yield rest
        return got, left1 + left2

    got, left = any_rt.run_until_complete(main())
    assert sorted(got + left) == list(range(2 * ROUNDS))


@pytest.mark.parametrize("kind", ["unbounded", "bounded"])
def test_colored_select_over_two_receives_loses_nothing(any_rt, kind):
    tx1, rx1 = make_channel(kind)
    tx2, rx2 = make_channel(kind)

    async def put(tx, values):
        for value in values:
            if kind == "unbounded":
                tx.send(value)
            else:
                await tx.send(value)

    async def drain_async(rx, tx):
        tx.close()
        left = []
        while True:
            try:
                left.append(await rx.receive())
            except BrokenPipeError:
                return left

    async def main():
        await put(tx1, range(ROUNDS))
        await put(tx2, range(ROUNDS, 2 * ROUNDS))
        got = [await ctonio.select(rx1.receive(), rx2.receive()) for _ in range(ROUNDS)]
        return got, (await drain_async(rx1, tx1)) + (await drain_async(rx2, tx2))

    got, left = any_rt.run_until_complete(main())
    assert len(got) == ROUNDS
    assert sorted(got + left) == list(range(2 * ROUNDS))


def test_select_branch_coroutines_keep_what_they_took(any_rt):
    """Branches that are coroutines decide by finishing, not by taking: a loser may have
    received too, and keeps its message like any cancelled task. Recording what each branch
    takes where the caller sees it (the hand-back pattern) loses nothing."""
    tx1, rx1 = channel.unbounded()
    tx2, rx2 = channel.unbounded()
    taken = []

    def branch(rx):
        value = yield rx.receive()
        taken.append(value)
        return value

    def main():
        for i in range(ROUNDS):
            tx1.send(i)
            tx2.send(ROUNDS + i)
        won = []
        for _ in range(ROUNDS):
            won.append((yield tonio.select(branch(rx1), branch(rx2))))
        left = (yield from drain(rx1, tx1)) + (yield from drain(rx2, tx2))
        return won, left

    won, left = any_rt.run_until_complete(main())
    assert set(won) <= set(taken)
    assert sorted(taken + left) == list(range(2 * ROUNDS))


@pytest.mark.parametrize("kind", ["unbounded", "bounded"])
def test_timeout_around_receive_loses_nothing(any_rt, kind):
    """Receives racing short timeouts: each message is returned by a timeout or left over."""
    tx, rx = make_channel(kind)

    def producer():
        for i in range(ROUNDS):
            if kind == "unbounded":
                tx.send(i)
            else:
                yield tx.send(i)
            if i % 3 == 0:
                yield tonio.sleep(0.0005)

    def main():
        join = tonio.spawn(producer())
        got = []
        for _ in range(ROUNDS * 2):
            value, ok = yield tonio.time.timeout(rx.receive(), 0.0002)
            if ok:
                got.append(value)
            else:
                assert value is None
        yield join
        return got, (yield from drain(rx, tx))

    got, left = any_rt.run_until_complete(main())
    assert sorted(got + left) == list(range(ROUNDS))


def test_scope_cancel_of_receivers_loses_nothing(any_rt):
    tx, rx = channel.channel(4)
    received = []

    def consumer():
        while True:
            received.append((yield rx.receive()))

    def main():
        for round_ in range(20):
            with tonio.scope() as scope:
                for _ in range(3):
                    scope.spawn(consumer())
                for i in range(10):
                    yield tx.send(round_ * 10 + i)
                scope.cancel()
            yield scope()
        return (yield from drain(rx, tx))

    left = any_rt.run_until_complete(main())
    assert sorted(received + left) == list(range(200))


def test_select_owner_cancelled_after_a_branch_received_loses_nothing(any_rt):
    """The task awaiting a select is cancelled while a branch holds a received message."""
    tx, rx = channel.unbounded()
    delivered = []

    def waiter():
        value = yield tonio.select(rx.receive(), tonio.sleep(100))
        delivered.append(value)

    def main():
        for round_ in range(50):
            with tonio.scope() as scope:
                scope.spawn(waiter())
                yield  # let the waiter queue its receive
                tx.send(round_)
                scope.cancel()
            try:
                yield scope()
            except ExceptionGroup:
                pass
        return (yield from drain(rx, tx))

    left = any_rt.run_until_complete(main())
    assert sorted(delivered + left) == list(range(50))


def test_as_completed_cancelled_wait_consumes_nothing(any_rt):
    def job(i, gate):
        yield gate.wait()
        return i

    def main():
        gate = tonio.Event()
        it = tonio.as_completed(*[job(i, gate) for i in range(5)])
        # a wait that times out takes no result and no step
        value, ok = yield tonio.time.timeout(next(it), 0.01)
        assert (value, ok) == (None, False)
        assert len(it) == 5
        gate.set()
        results = []
        for step in it:
            results.append((yield step))
        return results

    assert sorted(any_rt.run_until_complete(main())) == [0, 1, 2, 3, 4]


def test_as_completed_colored_cancelled_wait_consumes_nothing(any_rt):
    async def job(i, gate):
        await gate.wait()
        return i

    async def main():
        gate = ctonio.Event()
        it = ctonio.as_completed(*[job(i, gate) for i in range(3)])
        value, ok = await ctonio.time.timeout(it.__anext__(), 0.01)
        assert (value, ok) == (None, False)
        gate.set()
        return [value async for value in it]

    assert sorted(any_rt.run_until_complete(main())) == [0, 1, 2]


def test_select_loser_exception_during_unwind_reaches_the_hook():
    seen = []

    def loser():
        try:
            yield tonio.sleep(10)
        except CancelledError:
            raise ValueError("raised while unwinding") from None

    def winner():
        yield tonio.sleep(0.001)
        return "won"

    def main():
        return (yield tonio.select(winner(), loser()))

    for rt in (
        tonio.runtime(threads=1, unhandled_error_hook=seen.append),
        tonio._tonio.Runtime(platform="sim", seed=1, unhandled_error_hook=seen.append),
    ):
        seen.clear()
        assert rt.run_until_complete(main()) == "won"
        assert [type(e) for e in seen] == [ValueError]
        assert str(seen[0]) == "raised while unwinding"


def test_timeout_reports_late_finish_as_not_in_time(any_rt):
    """A coroutine that catches the cancellation and finishes late did not finish in time."""

    def stubborn():
        try:
            yield tonio.sleep(10)
        except CancelledError:
            pass
        return "late"

    def main():
        return (yield tonio.time.timeout(stubborn(), 0.01))

    assert any_rt.run_until_complete(main()) == ("late", False)


def test_timeout_in_time_is_ok(any_rt):
    def quick():
        yield tonio.sleep(0.001)
        return "quick"

    def main():
        return (yield tonio.time.timeout(quick(), 5))

    assert any_rt.run_until_complete(main()) == ("quick", True)
