"""The ``tonio`` pytest plugin (registered through the ``pytest11`` entry point).

Real platform:
- ``@pytest.mark.tonio`` (optionally with runtime options, ``@pytest.mark.tonio(threads=2)``)
  runs a generator (yield flavour) or ``async def`` (colored flavour) test on a tonio runtime.
  pytest itself refuses generator test functions; marked ones are collected here.
- ``tonio_runtime`` is that runtime; its options come from the marker or from indirect
  parametrization with a dict:
  ``@pytest.mark.parametrize("tonio_runtime", [{...}], indirect=True)``.
- ``async def`` and async generator fixtures requested by such a test run inside the test's own
  run, before the body (async generators: torn down after it, in reverse order, every one even
  if another's teardown fails), so a background task a fixture starts (a test server) is alive
  during the body; a plain fixture that depends on one runs there too and gets its value.
  Other plain fixtures stay pytest's setup/teardown fixtures (see ``_plugin_fixtures``).

Simulator:
- ``@pytest.mark.tonio(platform="sim", runs=200, strategy="pct:3")`` runs the test body under
  the simulator once per seed; ``platform="both"`` makes one test per platform from one body.
- ``--tonio-platform {real,sim,both}``, ``--tonio-seed``, ``--tonio-runs``, ``--tonio-strategy``
  and ``--tonio-check-determinism`` override the markers.
- ``--tonio-workers N`` runs each test's seeds on N threads (the first failing seed in seed order
  is still the one reported); it combines with pytest-xdist's ``-n``, which spreads tests over
  processes.
- ``network=tonio.sim.Network(...)``, ``disk=tonio.sim.Disk(...)`` and ``signals=[...]`` in the
  marker configure the simulated network, disk and signals. With ``platform="both"``, the
  real run ignores ``network=`` and ``disk=``: it uses the real network and the real disk (so
  such a test works under a directory both have, such as ``tmp_path`` created with
  ``mkdir(parents=True, exist_ok=True)``).
- Every seed of a simulated test gets fresh function-scoped fixtures, built-in (``tmp_path``,
  ``monkeypatch``, ``capsys``, ``caplog``, ...) or the user's (torn down and set up again
  between seeds, as a real re-run would), so a reported seed replays alone. (With
  ``--tonio-workers`` and such fixtures, the seeds of that test run one at a time.) A fixture
  that fails between two seeds is reported once, as a fixture error at the test's teardown,
  with no replay line; the remaining seeds are not run.
- A failing simulated run ends its report with
  ``replay: pytest '<nodeid>' --tonio-seed=<seed> --tonio-strategy=<strategy>``, which fails
  again the same way; failing seeds are remembered in pytest's cache and tried first next time.
  The failing run is then shrunk to fewer preemptions (``--tonio-no-shrink`` skips it), whose
  ``replay shrunk: pytest '<nodeid>' --tonio-schedule=<schedule>`` line follows, and a
  ``timeline:`` line gives the path of an HTML picture of that run (``tonio.sim.timeline``),
  under pytest's cache directory.
"""

from __future__ import annotations

import inspect
import os
import random
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

import tonio
import tonio.sim
from tonio import _plugin_failure, _plugin_fixtures

MARKER = "tonio"
SIM_ONLY = {"max_steps", "max_time", "network", "disk"}
PLUGIN_KEYS = {"platform", "runs", "strategy", "seed"}
SIM_OPTIONS = {
    "context",
    "max_steps",
    "max_time",
    "unhandled_error_hook",
    "network",
    "signals",
    "disk",
}
DEFAULT_RUNS = 50
CACHE_PREFIX = "tonio/failing-seeds/"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tonio", "tonio runtime and simulator")
    group.addoption(
        "--tonio-platform",
        choices=["real", "sim", "both"],
        default=None,
        help="run tonio tests on this platform (overrides the markers)",
    )
    group.addoption(
        "--tonio-seed", type=int, default=None, help="simulator: run exactly this seed (replay)"
    )
    group.addoption(
        "--tonio-runs",
        type=int,
        default=None,
        help="simulator: seeds per test (default: the marker's runs, else 50)",
    )
    group.addoption(
        "--tonio-strategy", default=None, help="simulator: random, fifo, pct:<d> or pct:<d>:<k>"
    )
    group.addoption(
        "--tonio-base-seed",
        default=None,
        help="simulator: derive every test's seeds from this base (an int, or 'random' to pick "
        "one per session, printed in the header); default 0, or $TONIO_BASE_SEED",
    )
    group.addoption(
        "--tonio-workers",
        type=int,
        default=1,
        help="simulator: run each test's seeds on this many threads (default 1)",
    )
    group.addoption(
        "--tonio-shard",
        default=None,
        help="simulator: run shard K of N of every test's seeds, as K/N (0 <= K < N): N jobs "
        "with shards 0/N .. N-1/N together run exactly the unsharded seeds",
    )
    group.addoption(
        "--tonio-schedule",
        default=None,
        help="simulator: replay exactly this schedule string (from a failure's report)",
    )
    group.addoption(
        "--tonio-no-shrink",
        action="store_true",
        default=False,
        help="simulator: report a failing run as found, without shrinking it first",
    )
    group.addoption(
        "--tonio-check-determinism",
        action="store_true",
        default=False,
        help="simulator: run every seed twice and fail if the schedules differ",
    )


def _positive(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{what} must be a positive int, got {value!r}")
    return value


def _base_seed(config: pytest.Config) -> int:
    """The session's base seed: --tonio-base-seed, else $TONIO_BASE_SEED, else 0."""
    chosen = getattr(config, "_tonio_base_seed", None)
    if chosen is not None:
        return chosen
    text = config.getoption("tonio_base_seed") or os.environ.get("TONIO_BASE_SEED") or "0"
    if text == "random":
        chosen = random.SystemRandom().randrange(1 << 32)
    else:
        try:
            chosen = int(text)
        except ValueError:
            raise pytest.UsageError(
                f"--tonio-base-seed must be an int or 'random', got {text!r}"
            ) from None
    config._tonio_base_seed = chosen
    return chosen


def _shard(config: pytest.Config) -> tuple[int, int]:
    """``(k, n)`` of --tonio-shard=k/n; ``(0, 1)`` without it."""
    text = config.getoption("tonio_shard")
    if text is None:
        return 0, 1
    try:
        k, n = (int(part) for part in text.split("/"))
        return tonio.sim.check_shard((k, n))
    except ValueError:
        raise pytest.UsageError(
            f"--tonio-shard must be K/N with 0 <= K < N (shard K of N), got {text!r}"
        ) from None


def pytest_report_header(config: pytest.Config) -> str:
    header = f"tonio: simulator base seed {_base_seed(config)} (--tonio-base-seed)"
    k, n = _shard(config)
    return header + (f", shard {k}/{n} of every test's seeds" if n > 1 else "")


def pytest_configure(config: pytest.Config) -> None:
    for option in ("tonio_runs", "tonio_workers"):
        value = config.getoption(option)
        if value is not None and value < 1:
            flag = "--" + option.replace("_", "-")
            raise pytest.UsageError(f"{flag} must be a positive int, got {value}")
    _base_seed(config)
    _shard(config)
    config.addinivalue_line(
        "markers",
        "tonio(platform='real', runs=None, strategy=None, **options): run this generator or "
        "async def test on a tonio runtime (real, sim or both) with the given runtime options",
    )


def _is_coroutine_test(obj: object) -> bool:
    return inspect.isgeneratorfunction(obj) or inspect.iscoroutinefunction(obj)


def _has_marker(collector: pytest.Collector, obj: object) -> bool:
    own = getattr(obj, "pytestmark", ())
    return collector.get_closest_marker(MARKER) is not None or any(m.name == MARKER for m in own)


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector: Any, name: str, obj: object) -> Any:
    if not collector.istestfunction(obj, name) or not _has_marker(collector, obj):
        return None
    if not _is_coroutine_test(obj):
        _plain_function_with_marker(collector, name, obj)
        return None
    pytest.mark.usefixtures("tonio_runtime", "tonio_platform")(obj)
    if inspect.isgeneratorfunction(obj):
        # pytest fails on generator test functions; collect them as ordinary functions.
        return list(collector._genfunctions(name, obj))
    return None


def _plain_function_with_marker(collector: Any, name: str, obj: Any) -> None:
    """A plain ``def`` test has nothing to run on a runtime: under the simulator that would
    pass without exploring anything, so it fails; on the real platform it only warns."""
    marker = collector.get_closest_marker(MARKER) or next(
        m for m in getattr(obj, "pytestmark", ()) if m.name == MARKER
    )
    platform = marker.kwargs.get("platform", "real")
    message = (
        f"{name} is marked tonio but is a plain function (not a generator or async def): "
        "it runs once as an ordinary test"
    )
    if platform in ("sim", "both"):
        pytest.mark.usefixtures("_tonio_plain_function_error")(obj)
        obj._tonio_error = message + ", so the simulator would explore nothing"
    else:
        warnings.warn(pytest.PytestWarning(message), stacklevel=1)


@pytest.fixture
def _tonio_plain_function_error(request: pytest.FixtureRequest) -> None:
    pytest.fail(request.function._tonio_error, pytrace=False)


def _marker_kwargs(node: Any) -> dict[str, Any]:
    marker = node.get_closest_marker(MARKER)
    return dict(marker.kwargs) if marker is not None else {}


def _platform(config: pytest.Config, kwargs: dict[str, Any]) -> str:
    platform = config.getoption("tonio_platform") or kwargs.get("platform", "real")
    if platform not in ("real", "sim", "both"):
        return "invalid"
    return platform


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "tonio_platform" not in metafunc.fixturenames:
        return
    if _platform(metafunc.config, _marker_kwargs(metafunc.definition)) == "both":
        metafunc.parametrize("tonio_platform", ["real", "sim"], indirect=True)


@pytest.fixture
def tonio_platform(request: pytest.FixtureRequest) -> str:
    """``"real"`` or ``"sim"``: the platform this tonio test runs on."""
    param = getattr(request, "param", None)
    if param is not None:
        return param
    kwargs = _marker_kwargs(request.node)
    platform = _platform(request.config, kwargs)
    if platform == "invalid":
        pytest.fail(
            f"tonio marker: platform must be real, sim or both, not {kwargs.get('platform')!r}",
            pytrace=False,
        )
    return "real" if platform == "both" else platform


def _runtime_options(request: pytest.FixtureRequest) -> dict[str, Any]:
    param = getattr(request, "param", None)
    if param is not None:
        if not isinstance(param, dict):
            kind = type(param).__name__
            raise TypeError(f"tonio_runtime parameters must be dicts of options, got {kind}")
        return dict(param)
    return {k: v for k, v in _marker_kwargs(request.node).items() if k not in PLUGIN_KEYS}


@pytest.fixture
def tonio_runtime(request: pytest.FixtureRequest, tonio_platform: str) -> tonio.Runtime:
    """The runtime a tonio test (and its async fixtures) runs on."""
    options = _runtime_options(request)
    if tonio_platform == "sim":
        sim_options = {k: v for k, v in options.items() if k in SIM_OPTIONS}
        return tonio.sim.Runtime(platform="sim", seed=0, **sim_options)
    return tonio.runtime(**{k: v for k, v in options.items() if k not in SIM_ONLY})


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    func = pyfuncitem.obj
    if not _is_coroutine_test(func) or "tonio_runtime" not in pyfuncitem.funcargs:
        return None
    if pyfuncitem.funcargs.get("tonio_platform") == "sim":
        _run_simulated(pyfuncitem, func)
    else:
        pyfuncitem.funcargs["tonio_runtime"].run_until_complete(_coroutine(pyfuncitem, func))
    return True


def _coroutine(item: pytest.Function, func: Any) -> Any:
    """The test's coroutine, with its deferred async fixtures set up inside it."""
    kwargs = {name: item.funcargs[name] for name in item._fixtureinfo.argnames}
    if any(isinstance(value, _plugin_fixtures.Deferred) for value in kwargs.values()):
        return _plugin_fixtures.with_fixtures(func, kwargs)
    return func(**kwargs)


class _SeedFailed(Exception):
    """A simulated run of a test failed (``__cause__``: how)."""

    def __init__(self, seed: int, trace_hash: int | None, schedule: str | None) -> None:
        super().__init__(seed)
        self.seed = seed
        self.trace_hash = trace_hash
        self.schedule = schedule


def _run_simulated(item: pytest.Function, func: Any) -> None:
    config = item.config
    marker = _marker_kwargs(item)
    options = {k: v for k, v in marker.items() if k in SIM_OPTIONS}
    strategy = config.getoption("tonio_strategy") or marker.get("strategy", "random")
    runs = config.getoption("tonio_runs") or marker.get("runs", DEFAULT_RUNS)
    try:
        _positive(runs, "tonio marker: runs")
    except ValueError as exc:
        pytest.fail(str(exc), pytrace=False)
    check = config.getoption("tonio_check_determinism")
    replay_seed = config.getoption("tonio_seed")
    # TONIO_SEED / TONIO_STRATEGY replay one run, as they do for tonio.sim.explore.
    env_seed, env_strategy, replaying = tonio.sim._env_overrides(0, strategy)
    if replay_seed is None and replaying:
        replay_seed = env_seed
    strategy = env_strategy

    made = [0]
    stash_at_start = dict(item.stash._storage)

    def make() -> Any:
        if made[0]:
            _plugin_fixtures.refresh_function_fixtures(item, stash_at_start)
        made[0] += 1
        return _coroutine(item, func)

    strategy = tonio.sim._resolve_strategy(make, strategy, options)
    schedule = config.getoption("tonio_schedule")
    if schedule:
        strategy = f"replay:{schedule}"
        try:  # the seed the schedule carries (a bad string is reported by its run)
            replay_seed = tonio.sim.Runtime(platform="sim", seed=0, strategy=strategy).seed
        except ValueError:
            replay_seed = 0
    cache_key = CACHE_PREFIX + item.nodeid
    cache = getattr(config, "cache", None)  # None with -p no:cacheprovider
    remembered = (
        []
        if cache is None
        else [seed for seed, strat in cache.get(cache_key, []) if strat == strategy]
    )
    if replay_seed is not None:
        seeds = [replay_seed]
    else:
        # Shard k of n: runs k, k + n, ... of the sweep, and every n-th remembered seed, so n
        # shards together run the unsharded seeds, each with the seed it has unsharded.
        k, n = _shard(config)
        base = _base_seed(config)
        explored = [tonio.sim.derive_seed(base, i) for i in range(k, runs, n)]
        remembered = remembered[k::n]
        seeds = remembered + [s for s in explored if s not in remembered]

    def run(index: int, seed: int) -> int:
        rt = tonio.sim.Runtime(platform="sim", seed=seed, strategy=strategy, trace=check, **options)
        try:
            try:
                rt.run_until_complete(make())
            finally:
                tonio.sim._between_runs()
            if check:
                tonio.sim._check_same_schedule(make, seed, strategy, rt, options)
        except (KeyboardInterrupt, SystemExit, _plugin_fixtures.FixtureBetweenSeedsFailed):
            raise  # the session is being stopped, or a fixture failed: not a failing seed
        except BaseException as exc:
            raise _SeedFailed(seed, rt.last_trace_hash, rt.last_schedule) from exc
        return rt.last_trace_hash

    workers = max(1, config.getoption("tonio_workers") or 1)
    if workers > 1 and any(
        not inspect.iscoroutinefunction(d.func) and not inspect.isasyncgenfunction(d.func)
        for d in _plugin_fixtures.user_function_fixtures(item)
    ):
        # Fresh fixtures for each seed are set up and torn down one seed at a time.
        workers = 1
    original: BaseException | None = None
    try:
        try:
            if workers == 1 or len(seeds) == 1:
                for index, seed in enumerate(seeds):
                    run(index, seed)
            else:
                tonio.sim._explore_in_threads(run, seeds, min(workers, len(seeds)))
        finally:
            tonio.sim._sim_collect_between_runs()
    except _plugin_fixtures.FixtureBetweenSeedsFailed as failed:
        # Reported once, as the fixture error it is (at the test's teardown), with no replay
        # line: the seeds run so far passed, and the rest are not run.
        fixture_error = failed.__cause__ or failed

        def report_fixture_error() -> None:
            raise fixture_error

        item.addfinalizer(report_fixture_error)
        return
    except _SeedFailed as failed:
        seed = failed.seed
        if schedule:
            replay = f"replay: pytest '{item.nodeid}' --tonio-schedule={schedule}"
        else:
            replay = (
                f"replay: pytest '{item.nodeid}' --tonio-seed={seed} --tonio-strategy={strategy}"
                + (" --tonio-check-determinism" if check else "")
            )
        item._tonio_replay = (
            f"failing run: seed={seed} strategy={strategy} trace_hash={failed.trace_hash}\n"
            + replay
        )
        if failed.__cause__ is not None:
            item._tonio_replay += _plugin_failure.explain_safely(
                item, make, failed.__cause__, failed.schedule, options
            )
        if cache is not None and replay_seed is None and seed not in remembered:
            cache.set(cache_key, [[seed, strategy], *cache.get(cache_key, [])][:20])
        original = failed.__cause__
    if original is not None:
        raise original  # outside the handler: the test's own exception, unchained
    if cache is not None and remembered and replay_seed is None:  # they pass now: forget them
        kept = [e for e in cache.get(cache_key, []) if e[1] != strategy or e[0] not in remembered]
        cache.set(cache_key, kept)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Iterator[Any]:
    report = yield
    replay = getattr(item, "_tonio_replay", None)
    if (
        replay
        and report.when == "call"
        and report.failed
        and hasattr(report.longrepr, "addsection")
    ):
        report.longrepr.addsection("tonio simulator", replay)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    func = fixturedef.func
    defer = None
    if "tonio_runtime" in request.fixturenames:
        defer = _plugin_fixtures.deferred_func(fixturedef, request)
    if defer is None:
        return (yield)
    fixturedef.func = defer
    try:
        return (yield)
    finally:
        fixturedef.func = func
