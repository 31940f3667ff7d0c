"""`explore(..., workers=N)`: seeds on N threads, the same result as one worker."""

import planted_bugs as bugs
import pytest

import tonio.sim
from tonio.sim import Failure

CASES = [
    (bugs.lost_update, {}),
    (bugs.ordering_bug, {"strategy": "pct:3"}),  # first fails at run 19
    (bugs.retry_double_applies, {"network": bugs.NETWORK}),
    (bugs.no_timeout_under_partition, {"network": bugs.NETWORK}),
]


def outcome(bug, **options):
    try:
        summary = tonio.sim.explore(bug, runs=60, **options)
    except Failure as failure:
        return ("failed", failure.run, failure.seed, failure.trace_hash, failure.replay)
    return ("passed", summary.runs, summary.distinct_schedules)


@pytest.mark.parametrize("bug,options", CASES, ids=lambda v: getattr(v, "__name__", ""))
@pytest.mark.parametrize("workers", [2, 3])
def test_parallel_exploration_reports_what_one_worker_reports(bug, options, workers):
    assert outcome(bug, workers=workers, **options) == outcome(bug, **options)


def test_a_passing_exploration_counts_the_same_schedules():
    def small():
        return bugs.lost_update(1)  # one worker task: never fails

    one = tonio.sim.explore(small, runs=200)
    four = tonio.sim.explore(small, runs=200, workers=4)
    assert one == four


@pytest.mark.parametrize("workers", [0, -1, 1.5, True, "2"])
def test_bad_worker_counts_name_the_problem(workers):
    with pytest.raises(ValueError, match="workers"):
        tonio.sim.explore(bugs.lost_update, runs=5, workers=workers)
