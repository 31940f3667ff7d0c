"""A simulated run is a pure function of (seed, strategy, program)."""

import time
from pathlib import Path

import planted_bugs as bugs
import pytest
from in_processes import outputs_in_processes

import tonio
import tonio.sim

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def chatty():
    log = []

    def talker(name):
        for i in range(5):
            yield tonio.sleep(0.001 * (i % 2))
            log.append(name)

    def main():
        yield tonio.spawn(*[talker(n) for n in "abcd"])
        return "".join(log)

    return main()


@pytest.mark.parametrize("strategy", ["random", "pct:3", "fifo"])
def test_same_seed_same_trace_and_result(strategy):
    results = set()
    for _ in range(3):
        rt = tonio.sim.runtime(seed=42, strategy=strategy)
        results.add((rt.run_until_complete(chatty()), rt.last_trace_hash))
    assert len(results) == 1


def test_same_seed_same_trace_across_processes():
    code = (
        f"import sys; sys.path.insert(0, {str(EXAMPLES)!r}); import tonio.sim, planted_bugs; "
        "rt = tonio.sim.runtime(seed=7, strategy='random')\n"
        "try:\n    rt.run_until_complete(planted_bugs.ordering_bug())\nexcept AssertionError:\n"
        "    pass\nprint(rt.last_trace_hash)"
    )
    hashes = {output.strip() for output in outputs_in_processes(code, count=2)}
    rt = tonio.sim.runtime(seed=7, strategy="random")
    try:
        rt.run_until_complete(bugs.ordering_bug())
    except AssertionError:
        pass
    assert hashes == {str(rt.last_trace_hash)}


def test_different_seeds_give_different_schedules():
    summary = tonio.sim.explore(chatty, runs=50)
    assert summary.distinct_schedules >= 45


def test_check_determinism_passes_for_a_deterministic_program():
    assert tonio.sim.explore(chatty, runs=20, check_determinism=True).runs == 20


def test_check_determinism_reports_the_first_differing_step():
    calls = {"n": 0}

    def flaky():
        calls["n"] += 1
        odd = calls["n"] % 2

        def main():
            if odd:
                yield tonio.sleep(1)
            yield tonio.spawn(*[tonio.sleep(0.5) for _ in range(2)])

        return main()

    with pytest.raises(tonio.sim.NondeterminismError, match="first difference at step"):
        tonio.sim.explore(flaky, runs=3, check_determinism=True)


def test_virtual_time_never_consults_the_wall_clock():
    def main():
        stamps = [tonio.time.time()]
        yield tonio.sleep(3600)
        stamps.append(tonio.time.time())
        interval = tonio.time.interval(0.25)
        for _ in range(4):
            yield interval.tick()
            stamps.append(tonio.time.time())
        return stamps

    start = time.monotonic()
    stamps = tonio.sim.run(main(), seed=3)
    assert time.monotonic() - start < 1
    assert stamps == [0.0, 3600.0, 3600.0, 3600.25, 3600.5, 3600.75]


def test_trace_records_every_step_with_location():
    rt = tonio.sim.runtime(seed=1, trace=True)
    rt.run_until_complete(chatty())
    trace = rt.last_trace
    assert len(trace) == rt.last_steps
    step, when, task, resumed_from, location, name = trace[-1]
    assert step == len(trace) and task >= 1
    assert resumed_from in {"start", "yield", "sleep", "spawn join"}
    assert "test_determinism.py:" in " ".join(entry[4] for entry in trace)
    assert "chatty" in {entry[5].split(".")[0] for entry in trace}  # tasks are named


def test_limits_end_a_livelock_naming_the_seed():
    def spinner():
        while True:
            yield

    with pytest.raises(tonio.sim.LimitExceeded, match="seed=5"):
        tonio.sim.run(spinner(), seed=5, max_steps=1000)

    def sleeper():
        while True:
            yield tonio.sleep(60)

    with pytest.raises(tonio.sim.LimitExceeded, match="max_time"):
        tonio.sim.run(sleeper(), seed=5, max_time=3600)


def test_blocking_calls_and_block_on_are_deterministic():
    def child(v):
        yield tonio.sleep(1)
        return v * 2

    def blocking(v):
        return tonio.block_on(child(v))

    def main():
        return (yield tonio.map_blocking(blocking, [1, 2, 3]))

    outcomes = set()
    for _ in range(3):
        rt = tonio.sim.runtime(seed=9)
        outcomes.add(
            (tuple(rt.run_until_complete(main())), rt.last_trace_hash, rt.last_virtual_time)
        )
    assert len(outcomes) == 1
    ((values, _, virtual_time),) = outcomes
    # each blocking call's block_on drives the loop nested, so the three overlap (as they would
    # on real threads): one virtual second in all
    assert values == (2, 4, 6) and virtual_time == 1.0


def test_bad_sim_arguments():
    with pytest.raises(ValueError, match="strategy"):
        tonio.sim.runtime(seed=1, strategy="lifo")
    with pytest.raises(ValueError, match="seed"):
        tonio.sim.runtime(seed=-1)
    with pytest.raises(TypeError, match="seed"):
        tonio.sim.runtime(seed="1")
    with pytest.raises(ValueError, match="max_steps"):
        tonio.sim.runtime(seed=1, max_steps=0)
    with pytest.raises(ValueError, match="runs"):
        tonio.sim.explore(chatty, runs=0)
