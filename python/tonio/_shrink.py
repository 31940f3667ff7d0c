"""Shrinking a failing simulated run to a schedule that is easier to follow.

A run's schedule string lists only its *preemptions*: the steps where a task ran ahead of one
that had been ready longer (the default policy is ``fifo``). The shrinker drops preemptions
from the failing schedule, chunks first and then one at a time (as delta debugging does), and
replays each candidate; a candidate is kept when the run fails with the same exception type
and is simpler: fewer preemptions first, then fewer steps. Each kept run's own
recorded schedule becomes the new starting point. The search is bounded by runs and by time,
and says whether it finished.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import _tonio
from ._replay import replay_call, run_schedule


@dataclass(frozen=True)
class Shrunk:
    """What shrinking a failure achieved. ``schedule`` replays the simpler failing run
    (``tonio.sim.run(test(), schedule=...)``)."""

    schedule: str
    preemptions: int
    steps: int
    original_preemptions: int
    original_steps: int
    runs: int
    seconds: float
    finished: bool

    def summary(self) -> str:
        """e.g. ``"12 preemptions -> 2, 340 steps -> 95 (61 runs, 0.84 s)"``."""
        bound = "" if self.finished else ", stopped at its budget"
        return (
            f"{self.original_preemptions} preemptions -> {self.preemptions}, "
            f"{self.original_steps} steps -> {self.steps} "
            f"({self.runs} runs, {self.seconds:.2f} s{bound})"
        )


@dataclass(frozen=True)
class _Run:
    schedule: str
    preemptions: int  # the schedule's picks: each one is a preemption (schedule.rs)
    steps: int

    def key(self) -> tuple[int, int]:
        return (self.preemptions, self.steps)


def shrink(
    make: Callable[[], Any],
    failure_type: type[BaseException],
    schedule: str,
    *,
    options: dict[str, Any],
    max_runs: int = 400,
    max_seconds: float = 20.0,
    between_runs: Callable[[], None] = lambda: None,
) -> Shrunk:
    """Searches for a simpler schedule on which ``make()`` still fails with ``failure_type``.

    ``schedule`` is the failing run's schedule string; ``options`` are the simulator options it
    ran with (``network=``, ``max_steps=``...).
    """
    started = time.monotonic()
    world, picks = _tonio.schedule_picks(schedule)
    runs = 0

    def attempt(candidate: list[tuple[int, int]]) -> _Run | None:
        nonlocal runs
        runs += 1
        text = _tonio.schedule_text(world, candidate)
        rt, error = run_schedule(make, text, options, between_runs=between_runs)
        if type(error) is not failure_type or rt.last_schedule is None:
            return None
        return _Run(rt.last_schedule, rt.last_preemptions or 0, rt.last_steps or 0)

    def within_budget() -> bool:
        return runs < max_runs and time.monotonic() - started < max_seconds

    original = attempt(picks)
    if original is None:  # the schedule does not fail on its own: nothing to shrink
        return Shrunk(schedule, -1, -1, -1, -1, runs, time.monotonic() - started, False)
    best = original
    picks = _tonio.schedule_picks(best.schedule)[1]
    chunk = max(1, len(picks) // 2)
    while picks and within_budget():
        index, improved = 0, False
        while index < len(picks) and within_budget():
            result = attempt(picks[:index] + picks[index + chunk :])
            if result is not None and result.key() < best.key():
                best, improved = result, True
                picks = _tonio.schedule_picks(best.schedule)[1]
            else:
                index += chunk
        if not improved:
            if chunk == 1:
                break
            chunk //= 2
    return Shrunk(
        schedule=best.schedule,
        preemptions=best.preemptions,
        steps=best.steps,
        original_preemptions=original.preemptions,
        original_steps=original.steps,
        runs=runs,
        seconds=time.monotonic() - started,
        finished=within_budget() or not picks,
    )


def shrink_failure(failure: Any, *, between_runs: Callable[[], None]) -> None:
    """Shrinks a :class:`tonio.sim.Failure` from ``explore`` in place: ``failure.shrunk``, and
    the message gains the result and the shrunk run's replay line."""
    cause = failure.__cause__
    if failure.schedule is None or failure.test is None or cause is None:
        return
    shrunk = shrink(
        failure.test,
        type(cause),
        failure.schedule,
        options=failure.options,
        between_runs=between_runs,
    )
    if shrunk.preemptions < 0:  # the schedule did not fail again on its own
        return
    failure.shrunk = shrunk
    line = replay_call(failure.test, failure.options, schedule=shrunk.schedule)
    failure.args = (f"{failure.args[0]}\nshrunk: {shrunk.summary()}\nreplay shrunk: {line}",)
