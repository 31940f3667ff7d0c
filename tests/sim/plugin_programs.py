"""Test programs for the pytest plugin's tests (written out with pytester)."""


def lost_update(runs: int = 200, name: str = "test_lost_update", args: str = "") -> str:
    """A simulated test with a lost update: it fails for most seeds."""
    return f"""
import pytest
import tonio

@pytest.mark.tonio(platform="sim", runs={runs})
def {name}({args}):
    counter = {{"v": 0}}

    def inc():
        v = counter["v"]
        yield
        counter["v"] = v + 1

    yield tonio.spawn(inc(), inc(), inc())
    assert counter["v"] == 3
"""
