"""``tonio.sim.timeline``: a simulated run as one self-contained HTML page.

A lane per task (its id and name), each step a box in step order (the axis shows the virtual
time of the steps), coloured by what the task resumed from (a timer, a lock, a channel, an
event, a socket...), with its ``file:line`` on hover; a curve from the step whose task woke
another to the step where that task ran; the failing step outlined in red. Runs of steps of one
task fold into a single box (untick "fold" to see them), and the page draws only what is on
screen, so a run of tens of thousands of steps stays readable (zoom with the buttons or
ctrl + wheel, scroll sideways).
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from . import _tonio
from ._replay import pastable_name, replay_call, run_schedule


def _failing_step(trace: list[tuple], exc: BaseException | None) -> int | None:
    """The step in which ``exc`` was raised: the last step of the task that was suspended
    inside the innermost function of the traceback that any task was suspended in (a task's
    steps record where it stood); else the run's last step."""
    if not trace:
        return None
    where: dict[tuple[str, int], list[tuple[int, int]]] = {}
    for row in trace:
        if row[5]:
            place = row[4].split(" (in tonio")[0]
            file, _, line = place.rpartition(":")
            if line.isdigit():
                where.setdefault((file, int(line)), []).append((row[0], row[2]))
    last_step = {row[2]: row[0] for row in trace if row[5]}
    for frame in reversed(_frames(exc)):
        code = frame.f_code
        lines = {line for _, _, line in code.co_lines() if line is not None}
        tasks = {
            task
            for (file, line), hits in where.items()
            if file == code.co_filename and line in lines
            for _, task in hits
        }
        if tasks:
            return max(last_step[task] for task in tasks)
    return trace[-1][0]


def _frames(exc: BaseException | None) -> list[Any]:
    frames = []
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        tb = exc.__traceback__
        while tb is not None:
            frames.append(tb.tb_frame)
            tb = tb.tb_next
        if isinstance(exc, BaseExceptionGroup) and exc.exceptions:
            exc = exc.exceptions[0]
        else:
            exc = exc.__cause__ or exc.__context__
    return frames


def _run_traced(source: Any) -> tuple[Any, BaseException | None, str, str]:
    """(runtime that ran with a trace, its exception, title, replay line) for ``source``."""
    from .sim import Failure

    if isinstance(source, Failure):
        if source.test is None or source.schedule is None:
            raise ValueError(
                "timeline: this Failure cannot be run again (it did not come from "
                "tonio.sim.explore); pass a Runtime that ran with trace=True instead"
            )
        schedule = source.shrunk.schedule if source.shrunk else source.schedule
        rt, error = run_schedule(source.test, schedule, source.options, trace=True)
        name = pastable_name(source.test) or "test"
        kind = "shrunk failing run" if source.shrunk else "failing run"
        replay = replay_call(source.test, source.options, schedule=schedule)
        return rt, error, f"tonio timeline: {name}, {kind}", replay
    if isinstance(source, _tonio.Runtime):
        if source.last_trace is None:
            raise ValueError(
                "timeline: the runtime kept no trace; create it with trace=True "
                "(tonio.sim.runtime(seed=..., trace=True)) and run it first"
            )
        replay = f"schedule={source.last_schedule!r}" if source.last_schedule else ""
        return source, None, "tonio timeline", replay
    raise TypeError(
        f"timeline needs a tonio.sim.Failure or a simulated Runtime, got {type(source).__name__}"
    )


def timeline(source: Any, path: str | Path, *, error: BaseException | None = None) -> Path:
    """Writes the timeline of a simulated run to ``path`` (an HTML file) and returns the path.

    ``source``: a :class:`tonio.sim.Failure` from :func:`tonio.sim.explore` (its shrunk run if
    it was shrunk, else the failing run, is run again with a trace), or a simulated
    ``Runtime`` created with ``trace=True`` after a run (``error``: the exception that run
    raised, if any, to mark the failing step).
    """
    rt, raised, title, replay = _run_traced(source)
    return write(rt, raised or error, title, replay, Path(path))


def write(rt: Any, raised: BaseException | None, title: str, replay: str, path: Path) -> Path:
    """Writes the timeline of ``rt``'s latest run (recorded with ``trace=True``)."""
    trace = rt.last_trace or []
    task_at = {row[0]: row[2] for row in trace if row[5]}
    # A task that yields queues itself again: only wakes by another task are edges.
    wakes = {
        step: waker
        for step, waker in rt.last_wakes or []
        if task_at.get(waker) is not None and task_at.get(waker) != task_at.get(step)
    }
    tasks: dict[int, str] = {}
    for row in trace:
        if row[5]:  # a step (notes of faults and signals carry no name)
            tasks.setdefault(row[2], row[5])
        else:
            tasks.setdefault(row[2], "?")
    ended_at = rt.last_end_step
    if ended_at is not None:  # a deadlock or a limit: its last step, before the unwinding
        failing = max((row[0] for row in trace if row[0] <= ended_at and row[5]), default=None)
    else:
        failing = _failing_step(trace, raised) if raised is not None else None
    failure = f"{type(raised).__name__}: {raised}" if raised is not None else ""
    data = {
        "title": title,
        "failure": failure,
        "replay": replay,
        "summary": (
            f"{rt.last_steps} steps, {len(tasks)} tasks, {rt.last_preemptions} preemptions, "
            f"{rt.last_virtual_time or 0.0:.6f} s of virtual time"
        ),
        "tasks": [{"id": task, "name": name} for task, name in tasks.items()],
        "steps": [
            [row[0], row[1], row[2], row[3], row[4], wakes.get(row[0]), not row[5]] for row in trace
        ],
        "failing_step": failing,
        "ended_at": ended_at,
    }
    template = resources.files("tonio").joinpath("_timeline.html").read_text(encoding="utf-8")
    payload = json.dumps(data).replace("</", "<\\/")
    html = template.replace("/*TONIO_TIMELINE_DATA*/", payload)
    path.write_text(html, encoding="utf-8")
    return path
