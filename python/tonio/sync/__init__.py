"""Synchronisation primitives for tasks (shared by both flavours).

- ``Lock()``: ``with (yield lock()):`` / ``async with lock:``; ``lock.or_raise()``.
- ``Semaphore(value)``: the same shape, plus ``tokens()``.
- ``Barrier(value)``: ``index = yield barrier.wait()``; ``value()`` counts arrivals.
- ``channel``: ``channel.channel(size)`` and ``channel.unbounded()``.

All of them hand over in FIFO order (a release goes to the longest waiter; nobody can barge
ahead), and a waiter cancelled while queued leaves nothing behind.
"""

from .._tonio import Barrier, Lock, Semaphore
from . import channel

__all__ = ["Barrier", "Lock", "Semaphore", "channel"]
