"""Smaller corrections: a failing hook, spawn_blocking of coroutine functions, the sim clock."""

import subprocess
import sys
import textwrap

import pytest

import tonio


def run_script(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60
    )


def test_a_raising_hook_prints_both_its_error_and_the_original():
    proc = run_script(
        """
        import tonio

        def hook(exc):
            raise KeyError("the hook itself failed")

        def failing():
            raise ValueError("the original error")
            yield

        def main():
            tonio.spawn.without_tracking(failing())
            yield tonio.sleep(0.01)
            return "done"

        print(tonio.run(main(), threads=1, unhandled_error_hook=hook))
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert "done" in proc.stdout
    assert "the original error" in proc.stderr
    assert "the hook itself failed" in proc.stderr


def gen_function():
    yield 1


async def async_function():
    return 1


def returns_a_coroutine():
    return async_function()


@pytest.mark.parametrize("func", [gen_function, async_function])
def test_spawn_blocking_of_a_coroutine_function_raises_typeerror_at_once(any_rt, func):
    def main():
        with pytest.raises(TypeError, match="spawn_blocking runs plain functions"):
            tonio.spawn_blocking(func)
        return "ok"
        yield

    assert any_rt.run_until_complete(main()) == "ok"


def test_spawn_blocking_of_a_function_returning_a_coroutine_raises_typeerror(any_rt):
    def main():
        with pytest.raises(TypeError, match="returned a coroutine"):
            yield tonio.spawn_blocking(returns_a_coroutine)
        return "ok"

    assert any_rt.run_until_complete(main()) == "ok"


def test_real_platform_treats_a_huge_sleep_as_forever():
    def main():
        value, ok = yield tonio.time.timeout(tonio.sleep(1e300), 0.01)
        return value, ok

    assert tonio.run(main(), threads=1) == (None, False)
