"""Channels: exactly-once delivery, cancellation safety, close semantics, both flavours."""

import random
import threading
from collections import Counter

import pytest

import tonio
import tonio.colored as ctonio
from tonio.exceptions import CancelledError
from tonio.sync import channel


def test_many_producers_and_consumers_exactly_once_yield(any_rt):
    producers, per_producer = 4, 25_000
    sender, receiver = channel.channel(128)
    received = []

    def produce(base):
        for i in range(per_producer):
            yield sender.send(base + i)

    def consume():
        got = []
        while True:
            try:
                got.append((yield receiver.receive()))
            except BrokenPipeError:
                received.extend(got)
                return

    def close_after(join):
        yield join
        sender.close()

    def main():
        join = tonio.spawn(*[produce(p * per_producer) for p in range(producers)])
        yield tonio.spawn(close_after(join), *[consume() for _ in range(4)])

    any_rt.run_until_complete(main())
    assert len(received) == producers * per_producer
    assert sorted(received) == list(range(producers * per_producer))


def test_many_producers_and_consumers_exactly_once_colored(any_rt):
    sender, receiver = ctonio.sync.channel.channel(16)
    received = []

    async def produce(base):
        for i in range(2000):
            await sender.send(base + i)

    async def consume():
        while True:
            try:
                received.append(await receiver.receive())
            except BrokenPipeError:
                return

    async def main():
        consumers = ctonio.spawn(*[consume() for _ in range(3)])
        await ctonio.spawn(*[produce(p * 2000) for p in range(3)])
        sender.close()
        await consumers

    any_rt.run_until_complete(main())
    assert sorted(received) == list(range(6000))


def test_per_sender_fifo_order(any_rt):
    sender, receiver = channel.channel(3)

    def produce():
        for i in range(200):
            yield sender.send(i)
        sender.close()

    def main():
        tonio.spawn(produce())
        got = []
        while True:
            try:
                got.append((yield receiver.receive()))
            except BrokenPipeError:
                return got

    assert any_rt.run_until_complete(main()) == list(range(200))


def test_cancelled_send_did_not_enqueue(any_rt):
    sender, receiver = channel.channel(1)

    def main():
        yield sender.send("kept")
        result = yield tonio.time.timeout(sender.send("cancelled"), 0.01)
        assert result == (None, False)
        sender.close()
        first = yield receiver.receive()
        with pytest.raises(BrokenPipeError):
            yield receiver.receive()
        return first

    assert any_rt.run_until_complete(main()) == "kept"


def test_cancelled_receive_never_consumes(any_rt):
    sender, receiver = ctonio.sync.channel.channel(4)

    async def main():
        assert await ctonio.time.timeout(receiver.receive(), 0.01) == (None, False)
        await sender.send("only")
        value = await receiver.receive()
        sender.close()
        return value

    assert any_rt.run_until_complete(main()) == "only"


def test_cancelled_waiting_sender_in_a_scope_leaves_no_message(any_rt):
    sender, receiver = channel.channel(1)
    log = []
    started = tonio.Event()

    def blocked_send():
        # set() does not suspend: under the simulator and on one worker this task is waiting in
        # send when main cancels; on two workers the cancel may reach it just before it waits
        started.set()
        try:
            yield sender.send("never")
        except CancelledError:
            log.append("send cancelled")
            raise

    def main():
        yield sender.send("first")
        with tonio.scope() as scope:
            scope.spawn(blocked_send())
            yield started.wait()
            scope.cancel()
        yield scope()
        sender.close()
        got = [(yield receiver.receive())]
        with pytest.raises(BrokenPipeError):
            yield receiver.receive()
        return got

    assert any_rt.run_until_complete(main()) == ["first"]
    assert log == ["send cancelled"]


def test_receivers_drain_before_broken_pipe_and_send_after_close_raises(any_rt):
    sender, receiver = channel.channel(5)

    def main():
        for i in range(3):
            yield sender.send(i)
        sender.close()
        sender.close()  # idempotent
        with pytest.raises(BrokenPipeError):
            yield sender.send(99)
        got = []
        for _ in range(3):
            got.append((yield receiver.receive()))
        with pytest.raises(BrokenPipeError):
            yield receiver.receive()
        return got

    assert any_rt.run_until_complete(main()) == [0, 1, 2]


def test_sender_blocked_at_close_gets_broken_pipe(any_rt):
    sender, receiver = channel.channel(1)

    def blocked():
        with pytest.raises(BrokenPipeError):
            yield sender.send("late")
        return "raised"

    def main():
        yield sender.send("first")
        join = tonio.spawn(blocked())
        yield tonio.sleep(0.01)
        sender.close()
        outcome = yield join
        return outcome, (yield receiver.receive())

    assert any_rt.run_until_complete(main()) == ("raised", "first")


def test_receivers_waiting_at_close_get_broken_pipe(any_rt):
    sender, receiver = ctonio.sync.channel.channel(2)

    async def waiting():
        try:
            await receiver.receive()
        except BrokenPipeError:
            return "closed"

    async def main():
        join = ctonio.spawn(waiting(), waiting())
        await ctonio.sleep(0.01)
        sender.close()
        return await join

    assert any_rt.run_until_complete(main()) == ["closed", "closed"]


def test_unbounded_channel_both_flavours(any_rt):
    sender, receiver = channel.unbounded()

    def main():
        for i in range(1000):
            assert sender.send(i) is None
        sender.close()
        with pytest.raises(BrokenPipeError):
            sender.send("after close")
        got = []
        while True:
            try:
                got.append((yield receiver.receive()))
            except BrokenPipeError:
                return got

    async def cmain():
        csender, creceiver = ctonio.sync.channel.unbounded()
        ctonio.spawn.without_tracking(cproduce(csender))
        return [await creceiver.receive() for _ in range(100)]

    async def cproduce(csender):
        for i in range(100):
            csender.send(i)
            await ctonio.yield_now()

    assert any_rt.run_until_complete(main()) == list(range(1000))
    assert any_rt.run_until_complete(cmain()) == list(range(100))


def test_seed_bounded_channel_example():
    results = []
    lock = threading.Lock()

    def producer(sender, barrier, offset):
        for i in range(20):
            yield sender.send(offset + i)
        yield barrier.wait()

    def consumer(receiver):
        while True:
            try:
                message = yield receiver.receive()
                with lock:
                    results.append(message)
            except Exception:
                break

    @tonio.main
    def main():
        def close(sender, barrier):
            yield barrier.wait()
            sender.close()

        sender, receiver = channel.channel(2)
        barrier = tonio.sync.Barrier(3)
        yield tonio.spawn(
            producer(sender, barrier, 100),
            producer(sender, barrier, 200),
            consumer(receiver),
            consumer(receiver),
            consumer(receiver),
            consumer(receiver),
            close(sender, barrier),
        )

    main()
    assert sorted(results) == [*range(100, 120), *range(200, 220)]


@pytest.mark.parametrize("seed", range(3))
def test_random_cancellations_lose_and_duplicate_nothing(any_rt, seed):
    """Senders and receivers wait with random timeouts; every completed send is received
    exactly once and no message whose send failed is ever received."""
    rng = random.Random(seed)
    sender, receiver = channel.channel(4)
    sent, received = [], []

    def produce(base):
        for i in range(300):
            msg = base + i
            ok = yield tonio.time.timeout(sender.send(msg), rng.random() / 2000)
            if ok[1]:
                sent.append(msg)
            if rng.random() < 0.2:
                yield

    def consume(stop):
        while True:
            try:
                value, ok = yield tonio.time.timeout(receiver.receive(), rng.random() / 1000)
            except BrokenPipeError:
                return
            if ok:
                received.append(value)
            elif stop.is_set() and len(receiver) == 0:
                continue

    def main():
        stop = tonio.Event()
        consumers = tonio.spawn(*[consume(stop) for _ in range(3)])
        yield tonio.spawn(*[produce(p * 1000) for p in range(4)])
        stop.set()
        sender.close()
        yield consumers

    any_rt.run_until_complete(main())
    counts = Counter(received)
    assert all(n == 1 for n in counts.values()), "a message was received twice"
    assert sorted(received) == sorted(sent)
