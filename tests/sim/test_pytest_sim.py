"""The pytest plugin's simulator mode, exercised through pytester."""

import re

PLANTED = """
import pytest
import tonio
import tonio.colored as ctonio

@pytest.mark.tonio(platform="sim", runs=200)
def test_lost_update():
    counter = {"v": 0}

    def inc():
        v = counter["v"]
        yield
        counter["v"] = v + 1

    yield tonio.spawn(inc(), inc(), inc())
    assert counter["v"] == 3

@pytest.mark.tonio(platform="both")
async def test_passes_on_both():
    await ctonio.sleep(0.02)
    assert ctonio.time.time() >= 0.02
"""


def run_planted(pytester, *args):
    pytester.makepyfile(test_planted=PLANTED)
    return pytester.runpytest("-p", "tonio", *args)


def test_failing_sim_test_ends_with_replay_line_that_fails_the_same_way(pytester):
    first = run_planted(pytester)
    first.assert_outcomes(passed=2, failed=1)
    lines = [line for line in first.outlines if line.strip()]
    replay_index = max(i for i, line in enumerate(lines) if line.startswith("replay: pytest"))
    replay = lines[replay_index]
    failing = re.search(r"seed=(\d+) strategy=(\S+) trace_hash=(\d+)", "\n".join(first.outlines))
    assert replay == (
        f"replay: pytest 'test_planted.py::test_lost_update' --tonio-seed={failing[1]} "
        f"--tonio-strategy={failing[2]}"
    )
    # the report of that test ends with the replay line
    assert "test_lost_update" in "\n".join(lines[replay_index - 12 : replay_index])

    again = pytester.runpytest(
        "-p",
        "tonio",
        "test_planted.py::test_lost_update",
        f"--tonio-seed={failing[1]}",
        f"--tonio-strategy={failing[2]}",
    )
    again.assert_outcomes(failed=1)
    repeat = re.search(r"seed=(\d+) strategy=(\S+) trace_hash=(\d+)", "\n".join(again.outlines))
    assert repeat.groups() == failing.groups()


def test_failing_seed_is_remembered_and_tried_first(pytester):
    first = run_planted(pytester)
    seed = re.search(r"--tonio-seed=(\d+)", "\n".join(first.outlines))[1]
    cached = pytester.runpytest("-p", "tonio", "test_planted.py::test_lost_update", "-q")
    again_seed = re.search(r"--tonio-seed=(\d+)", "\n".join(cached.outlines))[1]
    assert again_seed == seed


def test_platform_both_makes_one_test_per_platform(pytester):
    result = run_planted(pytester, "-v", "-k", "both")
    result.stdout.fnmatch_lines(
        ["*test_passes_on_both?real? PASSED*", "*test_passes_on_both?sim? PASSED*"]
    )


def test_command_line_platform_and_determinism_check(pytester):
    pytester.makepyfile(
        test_cli="""
import pytest
import tonio

@pytest.mark.tonio
def test_counts(tonio_platform):
    yield tonio.sleep(0)
    assert tonio_platform == "sim"
"""
    )
    result = pytester.runpytest(
        "-p", "tonio", "--tonio-platform=sim", "--tonio-runs=5", "--tonio-check-determinism"
    )
    result.assert_outcomes(passed=1)


def test_workers_option_reports_the_same_failing_seed(pytester):
    one = run_planted(pytester, "-p", "no:cacheprovider", "-k", "lost_update")
    two = run_planted(pytester, "-p", "no:cacheprovider", "-k", "lost_update", "--tonio-workers=2")
    pattern = r"seed=(\d+) strategy=(\S+) trace_hash=(\d+)"
    assert (
        re.search(pattern, "\n".join(one.outlines)).groups()
        == re.search(pattern, "\n".join(two.outlines)).groups()
    )
    two.assert_outcomes(failed=1)


def test_marker_configures_the_simulated_network(pytester):
    pytester.makepyfile(
        test_marker_network="""
import pytest
import tonio
import tonio.sim
from tonio.net import open_tcp_listeners, open_tcp_stream

@pytest.mark.tonio(platform="sim", runs=3, network=tonio.sim.Network(latency=0.25))
def test_connect_takes_the_configured_latency():
    listeners = yield open_tcp_listeners(80, host="127.0.0.1")
    stream = yield open_tcp_stream("127.0.0.1", 80)
    assert tonio.time.time() == 0.5
    stream.close()
    listeners[0].close()
"""
    )
    pytester.runpytest("-p", "tonio").assert_outcomes(passed=1)
