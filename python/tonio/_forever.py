"""The main coroutine of ``Runtime.run_forever``: start the given coroutine, wait for ``stop()``."""

from __future__ import annotations

from typing import Any

from . import _tonio


def forever(stopped: Any, coro: Any = None):
    """Generator: spawns ``coro`` (if any) untracked, then waits until ``stopped`` is set."""
    if coro is not None:
        _tonio.spawn_without_tracking(coro)
    yield stopped.wait()
