"""Shared test helpers."""

import pytest

import tonio
import tonio.sim

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


@pytest.fixture(params=["real1", "real2", "sim"])
def net_rt(request: pytest.FixtureRequest) -> tonio.Runtime:
    """A network test body on the real platform (1 and 2 workers, OS sockets on loopback) and
    on the simulator (its in-memory network, default latency)."""
    if request.param == "sim":
        return tonio.sim.runtime(seed=0)
    return tonio.runtime(threads=int(request.param[-1]))


# (strategy, seed) pairs: uniform random choices, PCT with a few priority change points, and the
# plain FIFO baseline.
SIM_SCHEDULES = [
    ("random", 0),
    ("random", 1),
    ("random", 2),
    ("pct:3:40", 0),
    ("pct:3:40", 1),
    ("fifo", 0),
]


@pytest.fixture(params=SIM_SCHEDULES, ids=[f"{s}-{seed}" for s, seed in SIM_SCHEDULES])
def sim_rt(request: pytest.FixtureRequest) -> tonio.Runtime:
    """The simulator under several schedules, for tests whose point is an order that only time
    decides (which of two timers fires first, a timeout expiring while a task waits). On the real
    platform such an order is a race on a loaded machine; on the virtual clock it is exact, and
    the several schedules check it does not depend on which ready task runs first."""
    strategy, seed = request.param
    return tonio._tonio.Runtime(platform="sim", seed=seed, strategy=strategy)
