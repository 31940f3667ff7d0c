"""A due timer is a scheduling choice: the simulator explores a deadline firing before, between
or after the steps it races with, as the real platform's timer thread can.

On the build before, timers fired only when no task was ready, so `timeout(rx.receive(), 0)`
with a message waiting gave `(1, True)` in every simulated run, while the real platform gives
`(None, False)` in about two runs of three.
"""

import pytest

import tonio
import tonio.sim
from tonio.sync import channel
from tonio.time import timeout


def zero_timeout_with_a_message_waiting():
    tx, rx = channel.channel(1)
    yield tx.send(1)
    result = yield timeout(rx.receive(), 0)
    if result == (None, False):
        assert (yield rx.receive()) == 1  # nothing was taken
    return result


def outcomes(program, strategy, runs=200):
    seen = {}
    for seed in range(runs):
        rt = tonio.sim.runtime(seed=seed, strategy=strategy)
        result = rt.run_until_complete(program())
        seen.setdefault(result, (seed, rt.last_schedule))
    return seen


@pytest.mark.parametrize("strategy", ["random", "pct:3:20"])
def test_a_due_deadline_can_beat_the_bodys_first_step(strategy):
    seen = outcomes(zero_timeout_with_a_message_waiting, strategy)
    assert set(seen) == {(1, True), (None, False)}


def test_fifo_fires_timers_only_when_no_task_is_ready():
    assert set(outcomes(zero_timeout_with_a_message_waiting, "fifo", runs=3)) == {(1, True)}


def test_a_run_where_the_deadline_won_replays_from_its_schedule():
    seed, schedule = outcomes(zero_timeout_with_a_message_waiting, "random")[(None, False)]
    assert tonio.sim.run(zero_timeout_with_a_message_waiting(), schedule=schedule) == (
        None,
        False,
    )
    assert ":0" in schedule  # the pick that fired the timer early
    again = tonio.sim.runtime(seed=seed, strategy="random")
    assert again.run_until_complete(zero_timeout_with_a_message_waiting()) == (None, False)


def deadline_and_message_at_the_same_instant():
    tx, rx = channel.channel(1)

    def sender():
        yield tonio.sleep(1)
        yield tx.send("late")

    sending = tonio.spawn(sender())
    result = yield timeout(rx.receive(), 1)
    if result == (None, False):
        assert (yield rx.receive()) == "late"  # the message stayed in the channel
    yield sending
    return result


def test_a_deadline_racing_a_completion_at_the_same_instant_is_explored():
    seen = outcomes(deadline_and_message_at_the_same_instant, "random")
    assert set(seen) == {("late", True), (None, False)}


def test_sleeps_due_together_wake_in_every_order():
    def program():
        order = []

        def sleeper(name):
            yield tonio.sleep(1)
            order.append(name)

        yield tonio.spawn(sleeper("a"), sleeper("b"))
        return tuple(order)

    assert set(outcomes(program, "random", runs=100)) == {("a", "b"), ("b", "a")}
