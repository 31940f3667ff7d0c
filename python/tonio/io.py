"""Readiness of any OS descriptor, on the runtime's reactor (both flavours use these objects).

- ``wait_readable(fd)`` / ``wait_writable(fd)``: awaitables that finish once ``fd`` (an int, or
  an object with ``fileno()``: a pipe, a tty, an eventfd, a socket another library owns) is
  ready; they evaluate to ``True``. Cancelling one leaves nothing behind.
- ``register(fd)`` -> :class:`ScheduledIO`, tonio 0.10's lasting watch for code that does its
  own non-blocking I/O: ``arm_r(timeout=None)`` is ``None`` when a read may succeed (try it),
  else an awaitable evaluating to ``True`` once readable or ``False`` when ``timeout`` seconds
  passed; after a ``BlockingIOError``, ``consume_r()`` makes the next ``arm_r`` wait.
  ``arm_w``/``consume_w`` likewise; ``close()`` (or ``with``) ends the watch, not the
  descriptor.

A descriptor must be pollable (a regular file is not: ``OSError(EPERM)``). Under the simulator
these calls raise ``RuntimeError``: an OS descriptor's readiness comes from the OS, not from the
run's seed.
"""

from __future__ import annotations

from typing import Any

from ._tonio import ScheduledIO, wait_readable, wait_writable

__all__ = ["ScheduledIO", "register", "wait_readable", "wait_writable"]


def register(fd: Any) -> ScheduledIO:
    """Watches ``fd`` (an int or an object with ``fileno()``) until ``close()``."""
    return ScheduledIO(fd)
