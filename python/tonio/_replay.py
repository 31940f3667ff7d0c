"""Running a simulated program again from a schedule string, and the line that does it.

Shared by the shrinker, the timeline, ``explore``'s failure messages and the pytest plugin, so
that they replay a schedule, and print how to, the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import _tonio


def run_schedule(
    make: Callable[[], Any],
    schedule: str,
    options: dict[str, Any],
    *,
    trace: bool = False,
    between_runs: Callable[[], None] = lambda: None,
) -> tuple[_tonio.Runtime, BaseException | None]:
    """Runs ``make()`` on exactly ``schedule``'s decisions; the runtime and what it raised
    (``None`` if it finished). Interrupting the process is not a result: it propagates."""
    rt = _tonio.Runtime(platform="sim", strategy="replay:" + schedule, trace=trace, **options)
    try:
        rt.run_until_complete(make())
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - a failing run is a result here
        return rt, exc
    finally:
        between_runs()
    return rt, None


def pastable_name(test: Any) -> str | None:
    """``test``'s name, if a replay line can call it by that name (a lambda's cannot)."""
    name = getattr(test, "__name__", "")
    return name if name.isidentifier() else None


def replay_call(test: Any, options: dict[str, Any], **how: Any) -> str:
    """``tonio.sim.run(<test>(), <how>..., <options>...)``: one line that replays a run."""
    target = f"{pastable_name(test) or 'test'}()"
    arguments = "".join(f", {key}={value!r}" for key, value in {**how, **options}.items())
    return f"tonio.sim.run({target}{arguments})"
