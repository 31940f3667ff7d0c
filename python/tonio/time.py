"""Time: the runtime clock, sleeping, timeouts and intervals."""

from ._tonio import Interval, interval, sleep, timeout
from ._tonio import time as _time

__all__ = ["Interval", "interval", "sleep", "time", "timeout"]


def time() -> float:
    """The runtime clock in seconds (microsecond resolution; virtual under the simulator)."""
    return _time()
