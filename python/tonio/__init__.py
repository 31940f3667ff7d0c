"""tonio: a multi-threaded async runtime for free-threaded CPython.

This is the yield flavour: coroutines are plain generator functions that suspend with
``yield <awaitable>`` (or a bare ``yield`` to let other tasks run). The ``async``/``await``
flavour lives in :mod:`tonio.colored` and shares the same runtime.
"""

import atexit as _atexit
from importlib import metadata as _metadata

from . import _tonio, exceptions, fs, io, net, signals, sync, time
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

# Before the interpreter finalizes: tonio's own threads stop attaching to Python (a thread
# attaching while it finalizes would take the process down), after the calls they run finish.
_atexit.register(_tonio.drain_threads_at_exit)

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
