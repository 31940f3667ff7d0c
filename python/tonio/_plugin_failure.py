"""What the pytest plugin adds to a failing simulated test's report: the failing run shrunk to
fewer preemptions (unless ``--tonio-no-shrink``), the replay lines, and a timeline picture of
the (shrunk) run written next to pytest's cache, its path printed."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from . import _shrink, _timeline, sim
from ._replay import run_schedule


def _timeline_dir(config: pytest.Config) -> Path:
    cache = getattr(config, "cache", None)
    if cache is not None:
        return Path(cache.mkdir("tonio-timelines"))
    return Path(tempfile.mkdtemp(prefix="tonio-timelines-"))


def explain_safely(
    item: pytest.Item,
    make: Callable[[], Any],
    failure: BaseException,
    schedule: str | None,
    options: dict[str, Any],
) -> str:
    """:func:`explain`'s lines (each after a newline), or one line saying why there are none:
    explaining never raises into the report, where the test's own error comes first."""
    try:
        explained = explain(item, make, failure, schedule, options, sim._between_runs)
    except Exception as exc:  # noqa: BLE001 - an explanation is an extra, never an error
        why = f"{type(exc).__name__}: {exc}"
        return f"\n(no shrinking or timeline: re-running the test failed: {why})"
    return "\n" + explained if explained else ""


def explain(
    item: pytest.Item,
    make: Callable[[], Any],
    failure: BaseException,
    schedule: str | None,
    options: dict[str, Any],
    between_runs: Callable[[], None],
) -> str:
    """The report section's extra lines for a failing run whose schedule was ``schedule``."""
    if schedule is None:
        return ""
    config = item.config
    lines = []
    replay_schedule = schedule
    if not config.getoption("tonio_no_shrink"):
        shrunk = _shrink.shrink(
            make, type(failure), schedule, options=options, between_runs=between_runs
        )
        if shrunk.preemptions >= 0:
            replay_schedule = shrunk.schedule
            lines.append(f"shrunk: {shrunk.summary()}")
            lines.append(
                f"replay shrunk: pytest '{item.nodeid}' --tonio-schedule={shrunk.schedule}"
            )
    rt, raised = run_schedule(make, replay_schedule, options, trace=True, between_runs=between_runs)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid)[-120:]
    path = _timeline_dir(config) / f"{name}.html"
    _timeline.write(
        rt,
        raised,
        f"tonio timeline: {item.nodeid}",
        f"pytest '{item.nodeid}' --tonio-schedule={replay_schedule}",
        path,
    )
    lines.append(f"timeline: {path}")
    return "\n".join(lines)
