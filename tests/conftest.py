"""Shared test helpers."""

import pytest

import tonio

pytest_plugins = ["pytester"]


@pytest.fixture(params=[1, 2], ids=["threads1", "threads2"])
def rt(request: pytest.FixtureRequest) -> tonio.Runtime:
    """A real-platform runtime with one and with two worker threads."""
    return tonio.runtime(threads=request.param)
