"""Fixtures of simulated tests: every seed gets fresh ones, built-in or the user's, and a
fixture's own error is reported as a fixture error, not blamed on a seed. Each through
pytester; each failed on the build before (see the issue's items in the test names)."""

from plugin_programs import lost_update

BUILTINS = """
import logging
import os
import warnings

import pytest
import tonio

SEEN = []

@pytest.fixture
def ledger():
    entries = []
    yield entries
    SEEN.append(len(entries))

@pytest.mark.tonio(platform="sim", runs=5)
def test_builtins(tmp_path, tmpdir, monkeypatch, capsys, caplog, recwarn, ledger):
    assert list(tmp_path.iterdir()) == []  # a fresh directory for every seed
    assert tmpdir.listdir() == []
    (tmp_path / "f").write_text("x")
    assert "TONIO_FIXTURE_TEST" not in os.environ
    monkeypatch.setenv("TONIO_FIXTURE_TEST", "1")
    print("hello")
    assert capsys.readouterr().out == "hello\\n"
    caplog.set_level(logging.INFO)
    logging.getLogger("t").info("logged")
    assert [r.getMessage() for r in caplog.records] == ["logged"]
    warnings.warn("careful", UserWarning)
    assert len(recwarn) == 1
    ledger.append(1)
    yield tonio.sleep(0)

def test_each_seed_had_its_own_ledger():
    assert SEEN == [1] * 5
"""


def test_every_builtin_fixture_works_for_every_seed(pytester):
    pytester.makepyfile(test_builtins=BUILTINS)
    result = pytester.runpytest("-p", "tonio", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


FAILING_WITH_TMP_PATH = lost_update(runs=50, args="tmp_path")


def test_a_failing_test_with_tmp_path_reports_its_own_error_first(pytester):
    pytester.makepyfile(test_tmp=FAILING_WITH_TMP_PATH)
    result = pytester.runpytest("-p", "tonio", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "AssertionError" in out
    assert "KeyError" not in out
    assert "NoneType.__format__" not in out
    result.stdout.fnmatch_lines(["*replay: pytest*--tonio-seed=*", "*timeline: *"])


PLAIN_ON_ASYNC = """
import pytest
import tonio.colored as tonio

@pytest.fixture
async def port():
    await tonio.sleep(0)
    return 8080

@pytest.fixture
def url(port):
    return f"http://localhost:{port}/"

@pytest.fixture
def headers(url):
    yield {"Host": url}

@pytest.mark.tonio(platform="both", runs=3)
async def test_url(url, headers):
    assert url == "http://localhost:8080/"
    assert headers == {"Host": url}
"""


def test_a_plain_fixture_on_an_async_fixture_gets_its_value(pytester):
    pytester.makepyfile(test_url=PLAIN_ON_ASYNC)
    result = pytester.runpytest("-p", "tonio", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


TEARDOWNS = """
import pytest
import tonio.colored as tonio

TORN_DOWN = []

@pytest.fixture
async def first():
    yield "first"
    TORN_DOWN.append("first")

@pytest.fixture
async def broken():
    yield "broken"
    raise RuntimeError("broken teardown")

@pytest.fixture
async def last():
    yield "last"
    TORN_DOWN.append("last")

@pytest.mark.tonio(platform="real")
async def test_uses_all(first, broken, last):
    pass

def test_all_were_torn_down():
    assert TORN_DOWN == ["last", "first"]
"""


def test_one_failing_async_teardown_does_not_skip_the_others(pytester):
    pytester.makepyfile(test_teardowns=TEARDOWNS)
    result = pytester.runpytest("-p", "tonio", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*RuntimeError: broken teardown*"])


PLAIN_TEARDOWN_ERROR = """
import pytest
import tonio

@pytest.fixture
def flaky_resource():
    yield 1
    raise RuntimeError("fixture teardown failed")

@pytest.mark.tonio(platform="sim", runs=5)
def test_uses_it(flaky_resource):
    yield tonio.sleep(0)
"""


def test_a_plain_fixture_teardown_error_is_a_fixture_error_not_a_seed(pytester):
    pytester.makepyfile(test_plain=PLAIN_TEARDOWN_ERROR)
    result = pytester.runpytest("-p", "tonio", "-p", "no:cacheprovider")
    out = result.stdout.str()
    result.assert_outcomes(passed=1, errors=1)
    assert out.count("E       RuntimeError: fixture teardown failed") == 1
    assert "--tonio-seed" not in out
    assert "timeline" not in out


def test_a_schedule_replay_reports_the_seed_its_schedule_carries(pytester):
    pytester.makepyfile(test_sched=FAILING_WITH_TMP_PATH)
    first = pytester.runpytest("-p", "tonio", "-p", "no:cacheprovider")
    out = first.stdout.str()
    seed = out.split("failing run: seed=")[1].split()[0]
    schedule = next(
        line.split("--tonio-schedule=")[1].split()[0]
        for line in out.splitlines()
        if "--tonio-schedule=" in line
    )
    again = pytester.runpytest(
        "-p", "tonio", "-p", "no:cacheprovider", "--tonio-no-shrink", f"--tonio-schedule={schedule}"
    )
    again.assert_outcomes(failed=1)
    again.stdout.fnmatch_lines([f"*failing run: seed={seed} *"])
