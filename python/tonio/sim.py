"""Deterministic simulation: run a program under a seeded scheduler and replay any failure.

The simulated platform runs the same runtime core on one thread: at every scheduling point a
*strategy* picks which ready task runs next, drawing only from a random generator seeded by the
run's seed; time is virtual (a one-hour sleep finishes at once); blocking calls run inline with
the simulation paused. A run is a pure function of ``(seed, strategy, program)``, so a failure
replays exactly from its seed and strategy.

Strategies: ``"random"`` (uniform over ready tasks), ``"pct:<d>"`` (probabilistic concurrency
testing with bug depth ``d``; ``"pct:<d>:<k>"`` also fixes the run-length estimate ``k``) and
``"fifo"`` (deterministic baseline).

``TONIO_SEED`` and ``TONIO_STRATEGY`` in the environment override the seed and strategy given in
code, so a failing run can be replayed without editing anything.

Every run also exports its decisions as a schedule string (``Runtime.last_schedule``), which
``run(coro, schedule=...)`` replays exactly; :func:`explore` shrinks a failure to a simpler
failing schedule (``Failure.shrunk``), and :func:`timeline` draws a run as an HTML page.

The network is simulated too (``tonio.net`` runs unchanged over it): see :class:`Network` for
hosts, latency and jitter, and :func:`network` for faults injected from inside a run. With
``disk=Disk()`` so is the disk (``tonio.fs`` runs unchanged over it): :func:`disk` crashes it
and injects errors.
"""

from __future__ import annotations

import gc
import os
import random as _random
import threading
from collections.abc import Callable, Coroutine, Generator
from dataclasses import dataclass
from typing import Any

from ._replay import pastable_name, replay_call
from ._shrink import Shrunk, shrink_failure
from ._sim_world import Disk, Network, disk, network
from ._timeline import timeline
from ._tonio import Deadlock, LimitExceeded, Runtime, SimulationError
from ._tonio import platform_entropy as _platform_entropy
from ._tonio import sim_collect_between_runs as _sim_collect_between_runs
from ._tonio import sim_send_signal as _sim_send_signal

__all__ = [
    "Deadlock",
    "Disk",
    "Failure",
    "LimitExceeded",
    "Network",
    "NondeterminismError",
    "Runtime",
    "Shrunk",
    "SimulationError",
    "Summary",
    "derive_seed",
    "disk",
    "explore",
    "network",
    "random",
    "run",
    "runtime",
    "send_signal",
    "timeline",
]

_SEED_STRIDE = 1_000_003


class NondeterminismError(SimulationError):
    """The same seed produced two different schedules (the program is not deterministic)."""


class Failure(AssertionError):
    """A simulated run failed. ``__cause__`` is the original exception.

    Attributes: ``seed`` and ``strategy`` (exactly what replays it), ``run`` (its index in the
    exploration), ``trace_hash`` (the schedule's fingerprint), ``replay`` (a one-line
    reproduction), ``schedule`` (the run's schedule string: ``run(test(), schedule=...)``
    replays it), ``preemptions`` and ``steps``, and ``shrunk`` (a :class:`Shrunk`, once
    :func:`explore` found a simpler failing schedule; ``None`` before or without shrinking).
    """

    def __init__(
        self,
        message: str,
        *,
        seed: int,
        strategy: str,
        run: int,
        trace_hash: int | None,
        replay: str,
        schedule: str | None = None,
        preemptions: int | None = None,
        steps: int | None = None,
    ) -> None:
        super().__init__(message)
        self.seed = seed
        self.strategy = strategy
        self.run = run
        self.trace_hash = trace_hash
        self.replay = replay
        self.schedule = schedule
        self.preemptions = preemptions
        self.steps = steps
        self.shrunk: Shrunk | None = None
        # What re-runs it (for `timeline`): the test's coroutine factory and its options.
        self.test: Callable[[], Any] | None = None
        self.options: dict[str, Any] = {}


@dataclass(frozen=True)
class Summary:
    """What an exploration that found nothing covered."""

    runs: int
    distinct_schedules: int
    strategy: str
    first_seed: int
    last_seed: int
    #: ``(k, n)`` when the exploration ran shard ``k`` of ``n``.
    shard: tuple[int, int] | None = None


def random() -> _random.Random:
    """A ``random.Random`` for the program under test. Inside a simulated run it is seeded from
    the run's seed (so a program that draws from it replays exactly); on the real platform, or
    outside any run, it is an ordinary one. Call it where the randomness is needed (each call
    draws a new seed from the run), not at import time."""
    entropy = _platform_entropy()
    return _random.Random(entropy) if entropy is not None else _random.Random()


def send_signal(signum: int) -> None:
    """Delivers signal ``signum`` to the running simulated run's signal receivers, at the step
    of the calling task (so it replays with the run). ``signum`` must be one of the run's
    ``signals=[...]``; no OS signal is involved."""
    _sim_send_signal(signum)


def check_shard(shard: Any) -> tuple[int, int]:
    """``(k, n)`` of a ``shard=`` argument (``None``: the whole sweep, ``(0, 1)``)."""
    if shard is None:
        return 0, 1
    if (
        not isinstance(shard, tuple)
        or len(shard) != 2
        or any(isinstance(x, bool) or not isinstance(x, int) for x in shard)
        or not 0 <= shard[0] < shard[1]
    ):
        raise ValueError(
            f"shard must be (k, n) with ints 0 <= k < n (shard k of n shards), got {shard!r}"
        )
    return shard


def derive_seed(base: int, index: int) -> int:
    """The seed of run ``index`` of an exploration starting at ``base``."""
    return (base * _SEED_STRIDE + index) % (1 << 63)


def _env_overrides(seed: int, strategy: str) -> tuple[int, str, bool]:
    env_seed = os.environ.get("TONIO_SEED")
    env_strategy = os.environ.get("TONIO_STRATEGY")
    if env_seed is not None:
        try:
            seed = int(env_seed)
        except ValueError:
            raise ValueError(f"TONIO_SEED must be an integer, got {env_seed!r}") from None
    if env_strategy:
        strategy = env_strategy
    return seed, strategy, env_seed is not None


def runtime(
    *,
    seed: int,
    strategy: str = "random",
    context: bool = True,
    max_steps: int | None = None,
    max_time: float | None = None,
    trace: bool = False,
    unhandled_error_hook: Callable[[BaseException], Any] | None = None,
    network: Network | None = None,
    signals: list[int] | None = None,
    schedule: str | None = None,
    disk: Disk | None = None,
) -> Runtime:
    """A runtime on the simulated platform (``TONIO_SEED``/``TONIO_STRATEGY`` override).

    ``schedule``: a schedule string (``Runtime.last_schedule``, ``Failure.schedule``): the run
    makes exactly those decisions, whatever ``seed`` and ``strategy`` say.

    ``max_steps`` and ``max_time`` (virtual seconds) end a run that does not finish with
    ``LimitExceeded``. ``trace=True`` records every scheduling decision in ``last_trace``; the
    ``last_trace_hash`` fingerprint is always kept. ``network``: the simulated network's
    settings (default: ``Network()``). ``signals``: the signals the run's receivers may get,
    delivered with :func:`send_signal`. ``disk``: a :class:`Disk` makes ``tonio.fs`` work on
    a simulated disk, fresh per run (default: the real disk, inline).
    """
    seed, strategy, _ = _env_overrides(seed, strategy)
    if schedule is not None:
        strategy = f"replay:{schedule}"
    return Runtime(
        platform="sim",
        seed=seed,
        strategy=strategy,
        context=context,
        max_steps=max_steps,
        max_time=max_time,
        trace=trace,
        unhandled_error_hook=unhandled_error_hook,
        network=network,
        signals=signals,
        disk=disk,
    )


def run[T](
    coro: Generator[Any, Any, T] | Coroutine[Any, Any, T],
    *,
    seed: int | None = None,
    strategy: str = "random",
    schedule: str | None = None,
    **options: Any,
) -> T:
    """Run one coroutine (either flavour) under the simulator and return its value.

    Give ``seed`` (and ``strategy``), or a ``schedule`` string, which replays exactly the run
    it came from.
    """
    if seed is None and schedule is None:
        if hasattr(coro, "close"):
            coro.close()
        raise TypeError("tonio.sim.run needs seed=... or schedule=...")
    rt = runtime(seed=seed or 0, strategy=strategy, schedule=schedule, **options)
    return rt.run_until_complete(coro)


def _resolve_strategy(test: Callable[[], Any], strategy: str, options: dict[str, Any]) -> str:
    """``pct:<d>`` needs a run-length estimate: the step count of one ``fifo`` run of the test
    (deterministic, so the resolved ``pct:<d>:<k>`` replays exactly)."""
    parts = strategy.split(":")
    if parts[0] != "pct" or len(parts) != 2:
        return strategy
    probe = runtime(seed=0, strategy="fifo", **options)
    try:
        probe.run_until_complete(test())
    except BaseException:  # noqa: BLE001 - the probe only measures length; failures come later
        pass
    return f"{strategy}:{max(probe.last_steps or 1, 1)}"


def _check_same_schedule(
    make: Callable[[], Any], seed: int, strategy: str, first: Runtime, options: dict[str, Any]
) -> None:
    """Runs ``make()`` again with ``first``'s seed and strategy (``first`` ran with
    ``trace=True``); raises NondeterminismError at the first step where the two differ."""
    again = Runtime(platform="sim", seed=seed, strategy=strategy, trace=True, **options)
    again.run_until_complete(make())
    if again.last_trace_hash != first.last_trace_hash:
        raise NondeterminismError(
            f"seed {seed} ({strategy}) gave two different schedules; "
            + _first_divergence(first.last_trace or [], again.last_trace or [])
        )


def _first_divergence(a: list[tuple], b: list[tuple]) -> str:
    for left, right in zip(a, b, strict=False):
        if left != right:
            return f"first difference at step {left[0]}:\n  run 1: {left}\n  run 2: {right}"
    return f"the runs differ in length: {len(a)} vs {len(b)} steps"


# Cyclic garbage is collected between simulated runs, never during one (see
# `src/bindings/sim_collector.rs`): the automatic collector is paused while any simulated run is
# in progress, and this collection waits until none is (other workers' runs included), once
# enough was allocated since the last one, and once more when an exploration ends.
_COLLECT_AFTER = 20_000


def _between_runs() -> None:
    if gc.get_count()[0] > _COLLECT_AFTER:
        _sim_collect_between_runs()


def _run_seed(
    test: Callable[[], Any],
    index: int,
    run_seed: int,
    strategy: str,
    check_determinism: bool,
    options: dict[str, Any],
) -> int:
    """One run of an exploration: its trace hash, or :class:`Failure`."""
    rt = Runtime(
        platform="sim", seed=run_seed, strategy=strategy, trace=check_determinism, **options
    )
    try:
        try:
            rt.run_until_complete(test())
        finally:
            _between_runs()
    except (KeyboardInterrupt, SystemExit):
        raise  # stopping the exploration is not a failing run
    except BaseException as exc:
        if pastable_name(test):
            replay = replay_call(test, options, seed=run_seed, strategy=strategy)
        else:  # a lambda has no name to paste: the environment replays the same explore call
            replay = (
                f"run the same explore(...) again with TONIO_SEED={run_seed} "
                f"TONIO_STRATEGY={strategy} in the environment"
            )
        raise Failure(
            f"run {index} failed (seed={run_seed}, strategy={strategy}): "
            f"{type(exc).__name__}: {exc}\nreplay: {replay}",
            seed=run_seed,
            strategy=strategy,
            run=index,
            trace_hash=rt.last_trace_hash,
            replay=replay,
            schedule=rt.last_schedule,
            preemptions=rt.last_preemptions,
            steps=rt.last_steps,
        ) from exc
    if check_determinism:
        _check_same_schedule(test, run_seed, strategy, rt, options)
    return rt.last_trace_hash


def _explore_in_threads(
    run: Callable[[int, int], int], seeds: list[int], workers: int
) -> list[int]:
    """Runs ``run(index, seed)`` for every seed on ``workers`` threads, handing seeds out in
    order. Raises the failure of the lowest failing index, exactly as a sequential loop would:
    every seed before it was handed out earlier, so it has run to the end too."""
    lock = threading.Lock()
    next_index = [0]
    hashes: dict[int, int] = {}
    failures: dict[int, BaseException] = {}

    def worker() -> None:
        while True:
            with lock:
                index = next_index[0]
                if index >= len(seeds) or (failures and index > min(failures)):
                    return
                next_index[0] += 1
            try:
                result = run(index, seeds[index])
            except BaseException as exc:  # noqa: BLE001 - reported below, in seed order
                with lock:
                    failures[index] = exc
            else:
                with lock:
                    hashes[index] = result

    threads = [
        threading.Thread(target=worker, name=f"tonio-explore-{i}", daemon=True)
        for i in range(workers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[min(failures)]
    return [hashes[i] for i in range(len(seeds))]


def explore(
    test: Callable[[], Any],
    *,
    runs: int = 100,
    seed: int = 0,
    strategy: str = "random",
    check_determinism: bool = False,
    workers: int = 1,
    shrink: bool = True,
    shard: tuple[int, int] | None = None,
    **options: Any,
) -> Summary:
    """Run ``test()`` (a fresh coroutine each call) under ``runs`` seeds derived from ``seed``.

    Raises :class:`Failure` on the first failing run, with the original exception as
    ``__cause__``; returns a :class:`Summary` otherwise. With ``check_determinism=True`` each
    seed runs twice and a divergence raises :class:`NondeterminismError` showing the first
    differing step. ``TONIO_SEED``/``TONIO_STRATEGY`` replay one exact run instead.

    ``workers=N`` runs the seeds on N threads (each run is still one deterministic thread; on
    free-threaded Python they run in parallel). The result is the same as with one worker: the
    failure reported is the one of the first failing seed in seed order. ``test`` is then
    called from several threads at once, so each call must build its own state.

    ``shard=(k, n)`` runs only runs ``k, k + n, k + 2n, ...`` of the sweep, with the seeds they
    have in it: ``n`` machines running shards ``0..n-1`` together run exactly the unsharded
    seeds, and a failure reports the same run index and replay line as unsharded.

    A failure is then shrunk (unless ``shrink=False``): replays of its schedule with
    decisions dropped look for a run that fails the same way with fewer preemptions and steps;
    the failure's message gives both replay lines and ``failure.shrunk`` what was achieved.
    """
    if not callable(test):
        raise TypeError(
            f"explore needs a zero-argument callable returning a coroutine, "
            f"got {type(test).__name__}"
        )
    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 1:
        raise ValueError(f"runs must be a positive int, got {runs!r}")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive int, got {workers!r}")
    k, n = check_shard(shard)
    base, strategy, replaying = _env_overrides(seed, strategy)
    strategy = _resolve_strategy(test, strategy, options)
    # Run i of the sweep has seed derive_seed(base, i) whichever shard runs it, so a failure
    # prints the same run index and replay line sharded or not.
    indices = [0] if replaying else list(range(k, runs, n))
    seeds = [base] if replaying else [derive_seed(base, i) for i in indices]

    def run(position: int, run_seed: int) -> int:
        index = indices[position]
        return _run_seed(test, index, run_seed, strategy, check_determinism, options)

    try:
        if workers == 1 or len(seeds) == 1:
            hashes = [run(index, run_seed) for index, run_seed in enumerate(seeds)]
        else:
            hashes = _explore_in_threads(run, seeds, min(workers, len(seeds)))
    except Failure as failure:
        failure.test, failure.options = test, dict(options)
        if shrink:
            shrink_failure(failure, between_runs=_between_runs)
        raise
    finally:
        _sim_collect_between_runs()  # what the last runs left, before the caller goes on
    return Summary(
        runs=len(seeds),
        distinct_schedules=len(set(hashes)),
        strategy=strategy,
        first_seed=seeds[0] if seeds else base,
        last_seed=seeds[-1] if seeds else base,
        shard=None if shard is None else (k, n),
    )
