"""Files for both flavours: ``open``, ``wrap_file`` and ``Path``, on the blocking pool.

- ``open(file, mode='r', buffering=-1, encoding=None, errors=None, newline=None,
  closefd=True, opener=None)``: awaitable of an async file (``IOWrapper``, see
  :mod:`tonio.fs._file`): ``f = yield fs.open(...)``; colored:
  ``async with await fs.open(...) as f``, ``async for line in f``.
- ``wrap_file(f)`` adopts an already open file.
- ``Path`` (and ``PosixPath``): ``pathlib.Path`` whose disk methods are awaitables.

Disk work runs on the blocking pool, so a slow disk never stalls the runtime's workers; under
the simulator it runs inline on the real disk (as ``spawn_blocking`` does), or, with
``disk=tonio.sim.Disk()``, on the run's simulated disk (in memory, fresh per run, with
seeded delays, crashes and injected errors: see ``docs/simulator.md``). OS errors come out
unchanged (``FileNotFoundError`` stays itself). A cancelled file operation runs to its end; its
result is dropped.
"""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any

from .._tasks import spawn_blocking
from . import _platform_disk
from ._file import IOWrapper, wrap_file
from ._path import Path, PosixPath

if TYPE_CHECKING:
    from .._tonio import Suspension

__all__ = ["IOWrapper", "Path", "PosixPath", "open", "wrap_file"]


def _open(args: tuple, kwargs: dict) -> IOWrapper:
    return IOWrapper(builtins.open(*args, **kwargs))


def _open_on_disk(args: tuple, kwargs: dict) -> IOWrapper:
    return IOWrapper(_platform_disk.open_file(*args, **kwargs))


def open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Suspension[IOWrapper]:  # noqa: A001
    """Awaitable: opens ``file`` as the built-in ``open`` does; evaluates to an async file."""
    if _platform_disk.present():
        return _platform_disk.call(_open_on_disk, (file, mode, *args), kwargs)
    return spawn_blocking(_open, (file, mode, *args), kwargs)
