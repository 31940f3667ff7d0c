"""tonio: a multi-threaded async runtime for free-threaded CPython.

This is the yield flavour: coroutines are plain generator functions that suspend with
``yield <awaitable>`` (or a bare ``yield`` to let other tasks run). The ``async``/``await``
flavour lives in :mod:`tonio.colored` and shares the same runtime.
"""

from importlib import metadata as _metadata

from . import exceptions, fs, io, net, signals, sync, time
from ._process import Process, open_process, run_process
from ._runtime import Runtime, main, run, runtime
from ._tasks import (
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
from ._tonio import Event, Scope
from ._types import Coroutine, Runnable
from .signals import signal_receiver
from .time import sleep

try:
    __version__: str = _metadata.version("tonio")
except _metadata.PackageNotFoundError:  # an uninstalled source tree
    __version__ = "0.0.0+unknown"

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
]
