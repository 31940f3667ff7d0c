"""A deadline always bounds time; nothing a branch takes decides a select or a timeout.

Each body runs on the real platform and under the simulator (several seeds). On the build
before this rule a body that had taken a permit or a message could no longer be cancelled, and
cleanup in a loser's `finally` was refused.
"""

import pytest

import tonio
import tonio.colored as ctonio
from tonio.exceptions import CancelledError
from tonio.sync import Lock, channel
from tonio.time import timeout

BOTH = pytest.mark.tonio(platform="both", runs=10, threads=2)


def elapsed_since(start):
    return tonio.time.time() - start


@BOTH
def test_timeout_cancels_a_body_that_took_and_released_a_lock():
    lock = Lock()

    def body():
        with (yield lock()):
            pass
        yield tonio.sleep(10)
        return "finished"

    start = tonio.time.time()
    assert (yield timeout(body(), 0.2)) == (None, False)
    assert elapsed_since(start) < 5


@BOTH
def test_timeout_cancels_a_body_that_received_a_message():
    tx, rx = channel.channel(1)
    yield tx.send("m")
    received = []

    def body():
        received.append((yield rx.receive()))
        yield tonio.sleep(10)

    start = tonio.time.time()
    assert (yield timeout(body(), 0.2)) == (None, False)
    assert elapsed_since(start) < 5
    assert received == ["m"]  # the cancelled body kept what it took


@BOTH
def test_timeout_cancels_a_body_that_took_an_as_completed_result():
    def quick():
        return 1
        yield

    taken = []

    def body():
        for step in tonio.as_completed(quick()):
            taken.append((yield step))
        yield tonio.sleep(10)

    start = tonio.time.time()
    assert (yield timeout(body(), 0.2)) == (None, False)
    assert elapsed_since(start) < 5
    assert taken == [1]


@BOTH
async def test_colored_timeout_cancels_a_body_that_held_a_semaphore():
    sem = ctonio.sync.Semaphore(2)

    async def body():
        async with sem:
            pass
        await ctonio.sleep(10)

    start = ctonio.time.time()
    assert (await ctonio.time.timeout(body(), 0.2)) == (None, False)
    assert ctonio.time.time() - start < 5
    assert sem.tokens() == 2


@BOTH
def test_select_stop_branch_wins_after_the_consumer_received():
    """A consumer loop raced against a stop event: the stop still ends it (a SIGTERM-driven
    shutdown is built this way)."""
    tx, rx = channel.unbounded()
    stopped = tonio.Event()
    got = []

    def consumer():
        while True:
            got.append((yield rx.receive()))

    def producer():
        for i in range(3):
            tx.send(i)
            yield tonio.sleep(0.01)
        stopped.set()
        yield tonio.sleep(1)
        tx.close()  # on failure the consumer ends with BrokenPipeError instead of hanging

    join = tonio.spawn(producer())
    start = tonio.time.time()
    result = yield tonio.select(consumer(), stopped.wait())
    assert result is True
    assert elapsed_since(start) < 0.9
    assert got == [0, 1, 2]
    yield join


@BOTH
def test_select_loser_can_take_a_free_lock_in_finally():
    lock = Lock()
    cleaned = []

    def body():
        try:
            yield tonio.sleep(10)
        finally:
            with (yield lock()):
                cleaned.append("locked")

    assert (yield tonio.select(body(), tonio.sleep(0.05))) is None
    assert cleaned == ["locked"]


@BOTH
def test_timed_out_body_returns_its_connection_to_the_pool():
    """A pool of one connection (a bounded channel) keeps it through a timed-out user."""
    pool_tx, pool_rx = channel.channel(1)
    yield pool_tx.send("connection")

    def use_connection():
        connection = yield pool_rx.receive()
        try:
            yield tonio.sleep(10)
        finally:
            yield pool_tx.send(connection)

    for _ in range(3):
        assert (yield timeout(use_connection(), 0.05)) == (None, False)
    assert (yield timeout(pool_rx.receive(), 1)) == ("connection", True)


@BOTH
def test_cancelled_longer_branch_keeps_what_it_took_and_can_hand_it_back():
    """The hand-back pattern: a branch puts back what it took when it is cancelled."""
    tx, rx = channel.unbounded()
    for i in range(5):
        tx.send(i)

    def take_two():
        first = yield rx.receive()
        try:
            yield tonio.sleep(10)  # (waiting for a second message, say)
        except CancelledError:
            tx.send(first)  # hand it back
            raise
        return first

    assert (yield tonio.select(take_two(), tonio.sleep(0.05))) is None
    tx.close()
    left = []
    while True:
        try:
            left.append((yield rx.receive()))
        except BrokenPipeError:
            break
    assert sorted(left) == [0, 1, 2, 3, 4]
