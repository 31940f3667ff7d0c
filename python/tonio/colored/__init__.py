"""tonio, colored flavour: ``async def`` coroutines and ``await``.

Same runtime, same names and semantics as :mod:`tonio`; every awaitable works with ``await``,
scopes are ``async with`` blocks and ``as_completed`` is an ``async for`` iterator.
"""

from .. import __version__, _tonio  # noqa: F401 - the same version
from .._process import Process, open_process, run_process
from .._runtime import Runtime, main, run, runtime
from .._tasks import (
    as_completed,
    block_on,
    current_task,
    map,
    map_blocking,
    scope,
    select,
    spawn,
    spawn_blocking,
)
from .._tonio import Event, Scope
from .._types import Coroutine, Runnable  # Coroutine: for generator helpers
from . import exceptions, fs, io, net, signals, sync, time
from .signals import signal_receiver
from .time import sleep

__all__ = [
    "Coroutine",
    "Event",
    "Process",
    "Runnable",
    "Runtime",
    "Scope",
    "as_completed",
    "block_on",
    "current_task",
    "exceptions",
    "fs",
    "io",
    "main",
    "map",
    "map_blocking",
    "net",
    "open_process",
    "run",
    "run_process",
    "runtime",
    "scope",
    "select",
    "signal_receiver",
    "signals",
    "sleep",
    "spawn",
    "spawn_blocking",
    "sync",
    "time",
    "yield_now",
]

#: ``await yield_now()`` lets other tasks run, then resumes (the twin of a bare ``yield``). The
#: extension's function itself: no Python call in between on this hot path.
yield_now = _tonio.yield_now
