"""Sweeps across machines: shard k of n runs runs k, k + n, ... of the unsharded sweep, with
the seeds they have there, so n shards together run exactly the unsharded seeds and a failure
prints the same replay line sharded or not."""

import re

import planted_bugs as bugs
import pytest
from plugin_programs import lost_update

import tonio.sim
from tonio.sim import Failure


def seeds_seen(**options):
    """What each run drew from its seed (a stand-in for the seed itself)."""
    seen = []

    def test():
        def main():
            seen.append(tonio.sim.random().getrandbits(64))
            yield

        return main()

    summary = tonio.sim.explore(test, runs=10, **options)
    return seen, summary


def test_shards_together_run_exactly_the_unsharded_seeds():
    whole, summary = seeds_seen()
    parts = [seeds_seen(shard=(k, 3)) for k in range(3)]
    assert sorted(v for seen, _ in parts for v in seen) == sorted(whole)
    assert [s.runs for _, s in parts] == [4, 3, 3] and summary.shard is None
    assert [s.shard for _, s in parts] == [(0, 3), (1, 3), (2, 3)]
    assert parts[1][1].first_seed == tonio.sim.derive_seed(0, 1)


def first_failure(**options):
    with pytest.raises(Failure) as raised:
        tonio.sim.explore(bugs.ordering_bug, runs=60, strategy="pct:3", shrink=False, **options)
    return raised.value


def test_a_failure_in_a_shard_reports_what_the_unsharded_sweep_reports():
    whole = first_failure()
    sharded = first_failure(shard=(whole.run % 4, 4))
    assert (sharded.run, sharded.seed, sharded.replay, sharded.trace_hash) == (
        whole.run,
        whole.seed,
        whole.replay,
        whole.trace_hash,
    )


@pytest.mark.parametrize("shard", [(3, 3), (-1, 2), (0, 0), (1.0, 2), "0/2", (0, 1, 2), (True, 2)])
def test_bad_shards_are_refused(shard):
    with pytest.raises(ValueError, match="shard must be"):
        tonio.sim.explore(bugs.lost_update, runs=2, shard=shard)


LOST_UPDATE = lost_update(runs=40)


def reported_seed(result):
    return int(re.search(r"--tonio-seed=(\d+)", result.stdout.str())[1])


def test_the_plugin_shards_a_sweep_with_the_same_replay_lines(pytester):
    pytester.makepyfile(test_sharded=LOST_UPDATE)
    args = ("-p", "tonio", "-p", "no:cacheprovider", "--tonio-no-shrink")
    whole = pytester.runpytest(*args)
    shards = [pytester.runpytest(*args, f"--tonio-shard={k}/2") for k in range(2)]
    shards[0].stdout.fnmatch_lines(["tonio: simulator base seed 0*shard 0/2*"])
    sweep = [tonio.sim.derive_seed(0, i) for i in range(40)]
    first = sweep.index(reported_seed(whole))  # the sweep's first failing run
    assert reported_seed(shards[first % 2]) == sweep[first]  # found by its shard, same line
    other = shards[1 - first % 2]
    if other.ret != 0:  # the other shard's first failure is one of its own runs
        assert sweep.index(reported_seed(other)) % 2 == 1 - first % 2


@pytest.mark.parametrize("text", ["2/2", "a/b", "1", "-1/2"])
def test_a_bad_shard_option_is_a_usage_error(pytester, text):
    pytester.makepyfile(test_sharded=LOST_UPDATE)
    result = pytester.runpytest("-p", "tonio", f"--tonio-shard={text}")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*--tonio-shard must be K/N*"])


TWO_FAILING = lost_update(runs=40) + lost_update(runs=40, name="test_lost_update_too")


def test_under_xdist_failing_seeds_are_recorded_and_replay_lines_replay(pytester):
    pytest.importorskip("xdist")
    pytester.makepyfile(test_parallel=TWO_FAILING)
    result = pytester.runpytest("-p", "tonio", "-n", "2", "--tonio-no-shrink")
    result.assert_outcomes(failed=2)
    lines = re.findall(
        r"replay: pytest '([^']+)' (--tonio-seed=\d+) (--tonio-strategy=\S+)", result.stdout.str()
    )
    assert len(lines) == 2
    recorded = pytester.path / ".pytest_cache/v/tonio/failing-seeds"
    cached = {p.name: p.read_text() for p in recorded.iterdir()}  # each worker recorded its own
    assert sorted(cached) == [
        "test_parallel.py::test_lost_update",
        "test_parallel.py::test_lost_update_too",
    ]
    seeds = {nodeid.split("::")[1]: seed.split("=")[1] for nodeid, seed, _ in lines}
    assert all(seeds[name.split("::")[1]] in text for name, text in cached.items())
    for nodeid, seed, strategy in lines:
        replayed = pytester.runpytest("-p", "tonio", nodeid, seed, strategy, "--tonio-no-shrink")
        replayed.assert_outcomes(failed=1)
        assert f"replay: pytest '{nodeid}' {seed} {strategy}" in replayed.stdout.str()
