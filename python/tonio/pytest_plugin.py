"""The ``tonio`` pytest plugin (registered through the ``pytest11`` entry point).

- ``@pytest.mark.tonio`` (optionally ``@pytest.mark.tonio(threads=2, context=True)``) runs a
  generator (yield flavour) or ``async def`` (colored flavour) test on a tonio runtime. pytest
  itself refuses generator test functions; marked ones are collected here.
- ``tonio_runtime`` is the runtime such a test runs on. Its options come from the marker's
  keyword arguments, or from indirect parametrization with a dict of runtime options:
  ``@pytest.mark.parametrize("tonio_runtime", [{"threads": 1}], indirect=True)``.
- ``async def`` fixtures and async generator fixtures requested by such a test run on the same
  runtime (async generator fixtures: setup before the ``yield``, teardown after). Plain generator
  fixtures stay pytest's setup/teardown fixtures.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import pytest

import tonio

MARKER = "tonio"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "tonio(**options): run this generator or async def test on a tonio runtime "
        "created with the given runtime options",
    )


def _is_coroutine_test(obj: object) -> bool:
    return inspect.isgeneratorfunction(obj) or inspect.iscoroutinefunction(obj)


def _has_marker(collector: pytest.Collector, obj: object) -> bool:
    own = getattr(obj, "pytestmark", ())
    return collector.get_closest_marker(MARKER) is not None or any(m.name == MARKER for m in own)


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector: Any, name: str, obj: object) -> Any:
    if not collector.istestfunction(obj, name) or not _is_coroutine_test(obj):
        return None
    if not _has_marker(collector, obj):
        return None
    pytest.mark.usefixtures("tonio_runtime")(obj)
    if inspect.isgeneratorfunction(obj):
        # pytest fails on generator test functions; collect them as ordinary functions.
        return list(collector._genfunctions(name, obj))
    return None


def _runtime_options(request: pytest.FixtureRequest) -> dict[str, Any]:
    param = getattr(request, "param", None)
    if param is not None:
        if not isinstance(param, dict):
            kind = type(param).__name__
            raise TypeError(f"tonio_runtime parameters must be dicts of options, got {kind}")
        return dict(param)
    marker = request.node.get_closest_marker(MARKER)
    return dict(marker.kwargs) if marker is not None else {}


@pytest.fixture
def tonio_runtime(request: pytest.FixtureRequest) -> tonio.Runtime:
    """The runtime a tonio test runs on (options from the marker or indirect parametrization)."""
    return tonio.runtime(**_runtime_options(request))


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    func = pyfuncitem.obj
    if not _is_coroutine_test(func) or "tonio_runtime" not in pyfuncitem.funcargs:
        return None
    runtime = pyfuncitem.funcargs["tonio_runtime"]
    kwargs = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    runtime.run_until_complete(func(**kwargs))
    return True


async def _next_of(agen: Any) -> tuple[bool, Any]:
    try:
        return True, await agen.__anext__()
    except StopAsyncIteration:
        return False, None


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    func = fixturedef.func
    is_async = inspect.iscoroutinefunction(func) or inspect.isasyncgenfunction(func)
    if not is_async or "tonio_runtime" not in request.fixturenames:
        return (yield)

    def run_on_tonio(**kwargs: Any) -> Any:
        runtime = request.getfixturevalue("tonio_runtime")
        if inspect.iscoroutinefunction(func):
            yield runtime.run_until_complete(func(**kwargs))
            return
        agen = func(**kwargs)
        produced, value = runtime.run_until_complete(_next_of(agen))
        if not produced:
            raise RuntimeError(f"async generator fixture {fixturedef.argname!r} did not yield")
        yield value
        more, _ = runtime.run_until_complete(_next_of(agen))
        if more:
            raise RuntimeError(f"async generator fixture {fixturedef.argname!r} yielded twice")

    fixturedef.func = run_on_tonio
    try:
        return (yield)
    finally:
        fixturedef.func = func
