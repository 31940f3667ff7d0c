"""Shared test helpers."""

import pytest

import tonio

pytest_plugins = ["pytester"]


@pytest.fixture(params=[1, 2], ids=["threads1", "threads2"])
def rt(request: pytest.FixtureRequest) -> tonio.Runtime:
    """A real-platform runtime with one and with two worker threads."""
    return tonio.runtime(threads=request.param)


@pytest.fixture(params=["real1", "real2", "sim"])
def any_rt(request: pytest.FixtureRequest) -> tonio.Runtime:
    """The same test body on the real platform (1 and 2 workers) and on the simulator."""
    if request.param == "sim":
        return tonio._tonio.Runtime(platform="sim", seed=0, strategy="random")
    return tonio.runtime(threads=int(request.param[-1]))
