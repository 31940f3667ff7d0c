"""The explorer finds each planted bug within its budget, and the replay is identical."""

import planted_bugs as bugs
import pytest

import tonio.sim
from tonio.sim import Deadlock, Failure

# (bug, strategy, budget in runs)
CASES = [
    (bugs.lost_update, "random", 20),
    (bugs.check_then_act, "random", 20),
    (bugs.lock_order_deadlock, "random", 20),
    (bugs.lock_order_deadlock, "pct:2", 100),
    (bugs.ordering_bug, "pct:3", 100),
]


@pytest.mark.parametrize("bug,strategy,budget", CASES, ids=lambda v: getattr(v, "__name__", v))
def test_explorer_finds_the_bug_within_budget_and_replays_it(bug, strategy, budget):
    with pytest.raises(Failure) as info:
        tonio.sim.explore(bug, runs=budget, strategy=strategy)
    failure = info.value
    assert failure.run < budget
    assert failure.replay.startswith(f"tonio.sim.run({bug.__name__}(), seed={failure.seed}")
    original = type(failure.__cause__)

    rt = tonio.sim.runtime(seed=failure.seed, strategy=failure.strategy)
    with pytest.raises(original):
        rt.run_until_complete(bug())
    assert rt.last_trace_hash == failure.trace_hash


def test_deadlock_report_names_each_blocked_task_and_where():
    with pytest.raises(Failure) as info:
        tonio.sim.explore(bugs.lock_order_deadlock, runs=20)
    deadlock = info.value.__cause__
    assert isinstance(deadlock, Deadlock)
    text = str(deadlock)
    assert f"seed={info.value.seed}" in text
    assert text.count("waiting on Lock acquire at") == 2
    assert "planted_bugs.py:" in text


def test_the_ordering_bug_is_rare_for_random_scheduling():
    # Same budget pct:3 needs (see above): uniform random scheduling does not get there.
    assert tonio.sim.explore(bugs.ordering_bug, runs=100, strategy="random").runs == 100


def test_replay_through_environment_variables(monkeypatch):
    with pytest.raises(Failure) as info:
        tonio.sim.explore(bugs.lost_update, runs=20)
    monkeypatch.setenv("TONIO_SEED", str(info.value.seed))
    monkeypatch.setenv("TONIO_STRATEGY", info.value.strategy)
    with pytest.raises(Failure) as again:
        tonio.sim.explore(bugs.lost_update, runs=20, seed=12345, strategy="fifo")
    assert (again.value.seed, again.value.trace_hash) == (info.value.seed, info.value.trace_hash)
    assert again.value.run == 0
