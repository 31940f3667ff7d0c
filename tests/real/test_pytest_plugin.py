"""The tonio pytest plugin, exercised through pytester."""

PLUGIN_TESTS = """
import contextvars
import pytest
import tonio
import tonio.colored as ctonio

TEARDOWNS = []

@pytest.mark.tonio
def test_generator_flavour():
    value = yield tonio.spawn(child())
    assert value == 1

def child():
    yield
    return 1

@pytest.mark.tonio(threads=1)
async def test_colored_flavour(tonio_runtime):
    assert tonio_runtime.threads == 1
    await ctonio.sleep(0.001)

@pytest.mark.tonio
@pytest.mark.parametrize("tonio_runtime", [{"threads": 2}], indirect=True)
async def test_indirect_options(tonio_runtime):
    assert tonio_runtime.threads == 2

@pytest.fixture
async def async_value():
    await ctonio.sleep(0)
    return 42

@pytest.fixture
async def async_resource():
    events = []
    await ctonio.yield_now()
    events.append("setup")
    yield events
    await ctonio.yield_now()
    TEARDOWNS.append("teardown")

@pytest.mark.tonio
async def test_async_fixtures(async_value, async_resource):
    assert async_value == 42
    assert async_resource == ["setup"]

def test_async_fixture_teardown_ran():
    assert TEARDOWNS == ["teardown"]

@pytest.mark.tonio
def test_generator_failure_is_reported():
    yield
    assert False, "expected failure"
"""


def test_plugin_runs_both_flavours_and_fixtures(pytester):
    pytester.makepyfile(PLUGIN_TESTS)
    result = pytester.runpytest("-p", "tonio", "-q")
    result.assert_outcomes(passed=5, failed=1)
    result.stdout.fnmatch_lines(["*expected failure*"])


def test_unmarked_generator_test_is_still_a_pytest_error(pytester):
    pytester.makepyfile(
        """
        def test_plain_generator():
            yield
        """
    )
    result = pytester.runpytest("-q")
    result.stdout.fnmatch_lines(["*yield*"])
    assert result.ret != 0
