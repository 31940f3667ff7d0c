"""Descriptor readiness for the colored flavour (the same objects as :mod:`tonio.io`):
``await wait_readable(fd)``, ``if (w := reg.arm_r()) is not None: await w``."""

from ..io import ScheduledIO, register, wait_readable, wait_writable

__all__ = ["ScheduledIO", "register", "wait_readable", "wait_writable"]
