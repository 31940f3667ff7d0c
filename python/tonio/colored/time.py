"""Time for the colored flavour (same objects as :mod:`tonio.time`)."""

from ..time import Interval, interval, sleep, time, timeout

__all__ = ["Interval", "interval", "sleep", "time", "timeout"]
