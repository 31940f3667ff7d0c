"""Synchronisation primitives for the colored flavour (the same classes as :mod:`tonio.sync`):
``async with lock:``, ``async with semaphore:``, ``await barrier.wait()``."""

from ...sync import Barrier, Lock, Semaphore
from . import channel

__all__ = ["Barrier", "Lock", "Semaphore", "channel"]
