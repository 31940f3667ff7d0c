"""The pytest plugin's rough edges (issue 12), each through pytester."""

import re

from plugin_programs import lost_update


def write(pytester, runs="200"):
    pytester.makepyfile(test_edges=lost_update(runs=runs))


def test_without_the_cache_plugin_the_simulator_still_runs(pytester):
    write(pytester)
    result = pytester.runpytest("-p", "tonio", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    assert "AttributeError" not in result.stdout.str()
    result.stdout.fnmatch_lines(["*replay: pytest*--tonio-seed=*"])


def test_runs_that_are_not_positive_fail_the_test(pytester):
    for runs in ("0", "-3"):
        write(pytester, runs)
        result = pytester.runpytest("-p", "tonio")
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines(["*runs must be a positive int*"])


def test_a_non_positive_runs_option_is_a_usage_error(pytester):
    write(pytester)
    result = pytester.runpytest("-p", "tonio", "--tonio-runs=-1")
    assert result.ret == 4  # pytest's usage error
    result.stderr.fnmatch_lines(["*--tonio-runs must be a positive int*"])


def failing_seed(result) -> str:
    return re.search(r"--tonio-seed=(\d+)", result.stdout.str())[1]


def test_the_base_seed_moves_the_explored_seeds_and_is_printed(pytester):
    write(pytester)
    default = pytester.runpytest("-p", "tonio", "-p", "no:cacheprovider")
    default.stdout.fnmatch_lines(["tonio: simulator base seed 0*"])
    moved = pytester.runpytest("-p", "tonio", "-p", "no:cacheprovider", "--tonio-base-seed=7")
    moved.stdout.fnmatch_lines(["tonio: simulator base seed 7*"])
    assert failing_seed(moved) != failing_seed(default)
    picked = pytester.runpytest("-p", "tonio", "-p", "no:cacheprovider", "--tonio-base-seed=random")
    picked.stdout.re_match_lines([r"tonio: simulator base seed \d+"])
    bad = pytester.runpytest("-p", "tonio", "--tonio-base-seed=soon")
    assert bad.ret == 4


def test_the_base_seed_comes_from_the_environment_too(pytester, monkeypatch):
    write(pytester)
    monkeypatch.setenv("TONIO_BASE_SEED", "7")
    result = pytester.runpytest("-p", "tonio", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["tonio: simulator base seed 7*"])


def test_a_plain_function_with_the_marker(pytester):
    pytester.makepyfile(
        test_plain="""
import pytest

@pytest.mark.tonio(platform="sim")
def test_sim_plain():
    pass

@pytest.mark.tonio
def test_real_plain():
    pass
"""
    )
    result = pytester.runpytest("-p", "tonio", "-rA")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*test_sim_plain*plain function*explore nothing*"])
    result.stdout.fnmatch_lines(["*PytestWarning*test_real_plain is marked tonio*"])


def test_a_bad_marker_value_fails_only_that_test(pytester):
    pytester.makepyfile(
        test_bad="""
import pytest
import tonio

@pytest.mark.tonio(platform="moon")
def test_bad():
    yield

@pytest.mark.tonio
def test_good():
    yield
"""
    )
    result = pytester.runpytest("-p", "tonio")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*platform must be real, sim or both, not 'moon'*"])


def test_tonio_seed_in_the_environment_replays_one_run(pytester, monkeypatch):
    write(pytester)
    first = pytester.runpytest("-p", "tonio", "-p", "no:cacheprovider")
    seed = failing_seed(first)
    strategy = re.search(r"--tonio-strategy=(\S+)", first.stdout.str())[1]
    monkeypatch.setenv("TONIO_SEED", seed)
    monkeypatch.setenv("TONIO_STRATEGY", strategy)
    again = pytester.runpytest("-p", "tonio", "-p", "no:cacheprovider")
    again.assert_outcomes(failed=1)
    assert failing_seed(again) == seed


def test_the_replay_line_keeps_the_determinism_check(pytester):
    pytester.makepyfile(
        test_nondet="""
import pytest
import tonio

flips = iter(range(1000))

@pytest.mark.tonio(platform="sim", runs=5)
def test_nondeterministic():
    if next(flips) % 2:
        yield tonio.sleep(0)
    yield
"""
    )
    result = pytester.runpytest("-p", "tonio", "--tonio-check-determinism")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*replay: pytest*--tonio-check-determinism"])


def test_an_async_fixture_background_task_stays_alive_during_the_test(pytester):
    pytester.makepyfile(
        test_server_fixture="""
import pytest
import tonio
import tonio.colored as ctonio
from tonio.net import open_tcp_listeners, open_tcp_stream, serve_listeners

def echo(stream):
    with stream:
        while data := (yield stream.receive_some()):
            yield stream.send_all(data)

@pytest.fixture
async def server_port():
    listeners = await open_tcp_listeners(0, host="127.0.0.1")
    async with ctonio.scope() as scope:
        scope.spawn(serve_listeners(echo, listeners))  # a test server in the background
        yield listeners[0].socket.getsockname()[1]
        scope.cancel()

@pytest.mark.tonio(platform="both", runs=5)
def test_talks_to_the_fixture_server(server_port):
    stream = yield open_tcp_stream("127.0.0.1", server_port)
    with stream:
        yield stream.send_all(b"ping")
        got = b""
        while len(got) < 4:  # a send may arrive in pieces (the simulator cuts some)
            got += yield stream.receive_some()
        assert got == b"ping"
"""
    )
    pytester.runpytest("-p", "tonio").assert_outcomes(passed=2)


def test_every_seed_gets_fresh_async_fixtures(pytester):
    pytester.makepyfile(
        test_fresh="""
import pytest
import tonio
import tonio.colored as ctonio

@pytest.fixture
async def ledger():
    await ctonio.sleep(0)
    return []

@pytest.mark.tonio(platform="sim", runs=30)
async def test_appends_once(ledger):
    async def add():
        await ctonio.yield_now()
        ledger.append(1)

    await ctonio.spawn(add())
    assert ledger == [1]  # a fixture shared across seeds would grow run after run
"""
    )
    pytester.runpytest("-p", "tonio").assert_outcomes(passed=1)


def test_every_seed_gets_fresh_function_fixtures(pytester):
    pytester.makepyfile(
        test_fresh_sync="""
import pytest
import tonio

TEARDOWNS = []

@pytest.fixture
def ledger():
    entries = []
    yield entries
    TEARDOWNS.append(len(entries))

@pytest.mark.tonio(platform="sim", runs=20)
def test_appends_once(ledger):
    def add():
        yield
        ledger.append(1)

    yield tonio.spawn(add())
    assert ledger == [1]  # a fixture shared across seeds would grow run after run

def test_each_seed_tore_its_fixture_down():
    # 20 seeds: one setup and one teardown each
    assert TEARDOWNS == [1] * 20
"""
    )
    pytester.runpytest("-p", "tonio", "-p", "no:randomly").assert_outcomes(passed=2)


def test_a_failing_seed_replays_alone_with_fresh_fixtures(pytester):
    pytester.makepyfile(
        test_replay_alone="""
import pytest
import tonio

@pytest.fixture
def counter():
    return {"v": 0}

@pytest.mark.tonio(platform="sim", runs=100)
def test_lost_update(counter):
    def inc():
        v = counter["v"]
        yield
        counter["v"] = v + 1

    yield tonio.spawn(inc(), inc())
    assert counter["v"] == 2
"""
    )
    first = pytester.runpytest("-p", "tonio", "-p", "no:cacheprovider")
    first.assert_outcomes(failed=1)
    seed = re.search(r"--tonio-seed=(\d+)", first.stdout.str())[1]
    strategy = re.search(r"--tonio-strategy=(\S+)", first.stdout.str())[1]
    alone = pytester.runpytest(
        "-p",
        "tonio",
        "-p",
        "no:cacheprovider",
        f"--tonio-seed={seed}",
        f"--tonio-strategy={strategy}",
    )
    alone.assert_outcomes(failed=1)
