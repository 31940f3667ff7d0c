"""Schedule strings and shrinking: a run exports its decisions (`last_schedule`), a schedule
replays exactly whatever the seed and strategy, and a failure found by `explore` is shrunk to
one with fewer preemptions that still fails the same way (src/sim/schedule.rs,
tonio/_shrink.py)."""

import planted_bugs as bugs
import pytest

import tonio
import tonio.sim
from tonio.sim import Failure


def busy(workers=4, rounds=6):
    """Tasks that interleave a lot and share a list (an order the schedule decides)."""
    order = []

    def worker(i):
        for r in range(rounds):
            order.append((i, r))
            yield
            if r % 2:
                yield tonio.sleep(0.001 * i)

    def main():
        yield tonio.spawn(*[worker(i) for i in range(workers)])
        return order

    return main()


@pytest.mark.parametrize("strategy", ["random", "pct:3:50", "fifo"])
def test_a_schedule_replays_its_run_exactly_whatever_the_seed(strategy):
    for seed in range(5):
        rt = tonio.sim.runtime(seed=seed, strategy=strategy, trace=True)
        order = rt.run_until_complete(busy())
        schedule, steps, trace = rt.last_schedule, rt.last_steps, rt.last_trace
        assert schedule.startswith("v1.")
        if strategy == "fifo":
            assert rt.last_preemptions == 0 and schedule.count(".") == 1
        other_seed = tonio.sim.runtime(seed=seed + 99, strategy="random", schedule=schedule)
        other_seed_trace = tonio.sim.runtime(seed=7, schedule=schedule, trace=True)
        assert other_seed.run_until_complete(busy()) == order
        assert other_seed_trace.run_until_complete(busy()) == order
        assert other_seed_trace.last_trace == trace
        assert (other_seed.last_steps, other_seed.last_schedule) == (steps, schedule)
        assert tonio.sim.run(busy(), schedule=schedule) == order


def test_the_network_replays_from_the_schedule_alone():
    # The schedule carries the seed of the other randomness (network jitter): a network bug's
    # failing run replays from the string, with any seed given beside it.
    with pytest.raises(Failure) as info:
        tonio.sim.explore(bugs.retry_double_applies, runs=20, network=bugs.NETWORK, shrink=False)
    failure = info.value
    assert failure.shrunk is None and failure.schedule.startswith("v1.")
    original = type(failure.__cause__)
    with pytest.raises(original):
        tonio.sim.run(
            bugs.retry_double_applies(), seed=12345, schedule=failure.schedule, network=bugs.NETWORK
        )


def test_preemptions_count_the_departures_from_fifo():
    rt = tonio.sim.runtime(seed=3, strategy="random")
    rt.run_until_complete(busy())
    world, picks = tonio._tonio.schedule_picks(rt.last_schedule)
    assert world == 3
    assert rt.last_preemptions == len(picks) > 0
    # Dropping every pick leaves the plain fifo run.
    fifo = tonio.sim.runtime(seed=3, strategy="fifo")
    fifo_order = fifo.run_until_complete(busy())
    assert tonio.sim.run(busy(), schedule=tonio._tonio.schedule_text(3, [])) == fifo_order


@pytest.mark.parametrize("text", ["", "v2.1", "v1", "v1.1.3", "v1.1.0:2", "v1.1.x!:2", "nonsense"])
def test_a_bad_schedule_string_is_a_clear_error(text):
    with pytest.raises(ValueError, match="schedule string"):
        tonio.sim.runtime(seed=0, schedule=text)


def test_run_needs_a_seed_or_a_schedule():
    coro = busy()
    with pytest.raises(TypeError, match="seed=... or schedule="):
        tonio.sim.run(coro)


@pytest.mark.parametrize(
    "bug,strategy",
    [
        (bugs.lost_update, "random"),
        (bugs.lock_order_deadlock, "random"),
        (bugs.ordering_bug, "pct:3"),
    ],
    ids=lambda v: getattr(v, "__name__", v),
)
def test_explore_shrinks_a_failure_and_the_shrunk_schedule_fails_the_same_way(bug, strategy):
    with pytest.raises(Failure) as info:
        tonio.sim.explore(bug, runs=200, strategy=strategy)
    failure = info.value
    shrunk = failure.shrunk
    assert shrunk is not None and shrunk.finished
    assert (shrunk.original_preemptions, shrunk.original_steps) == (
        failure.preemptions,
        failure.steps,
    )
    assert (shrunk.preemptions, shrunk.steps) <= (failure.preemptions, failure.steps)
    assert shrunk.preemptions < failure.preemptions or failure.preemptions == 0
    message = str(failure)
    assert f"shrunk: {shrunk.summary()}" in message
    assert f"replay shrunk: tonio.sim.run({bug.__name__}(), schedule={shrunk.schedule!r})" in (
        message
    )
    with pytest.raises(type(failure.__cause__)):
        tonio.sim.run(bug(), schedule=shrunk.schedule)


def test_shrinking_keeps_only_failures_of_the_same_kind():
    # The bug fails with AssertionError only in the order c, b, a; dropping preemptions must
    # never swap it for a different failure (here: none, or a LimitExceeded).
    with pytest.raises(Failure) as info:
        tonio.sim.explore(bugs.ordering_bug, runs=200, strategy="pct:3")
    shrunk = info.value.shrunk
    for _ in range(2):
        with pytest.raises(AssertionError, match="fatal order"):
            tonio.sim.run(bugs.ordering_bug(), schedule=shrunk.schedule)
