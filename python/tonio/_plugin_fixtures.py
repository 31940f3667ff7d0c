"""Fixtures of tonio tests, for the pytest plugin.

- *Deferred fixtures.* An ``async def`` or async generator fixture of a tonio test is set up
  inside the test's own run, before the body, and torn down after it (reverse order), so a
  background task it starts is alive during the body. pytest computes it as a
  :class:`Deferred` placeholder; a plain fixture that depends on a deferred one is deferred too
  (it would otherwise see the placeholder), so it gets the real value. :func:`with_fixtures`
  resolves them inside the run.
- *Fresh fixtures per seed.* Each simulated seed starts from fresh function-scoped fixtures
  (:func:`refresh_function_fixtures`), so a reported seed replays alone.

Invariants: every generator fixture that was set up is torn down, even when another one's
teardown fails (all the failures are raised together); an error of a fixture between two seeds
is :class:`FixtureBetweenSeedsFailed`, never the failure of a seed.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest

# The plugin's own fixtures: recreating them per seed is harmless, and they are not the user's.
OWN_FIXTURES = {"tonio_runtime", "tonio_platform", "request", "_tonio_plain_function_error"}


class Deferred:
    """A fixture of a tonio test that is set up inside the test's own run (see the module)."""

    __slots__ = ("func", "kwargs", "argname")

    def __init__(self, func: Any, kwargs: dict[str, Any], argname: str) -> None:
        self.func = func
        self.kwargs = kwargs
        self.argname = argname

    def __repr__(self) -> str:
        return f"<fixture {self.argname!r}, set up inside the tonio test's run>"


class FixtureBetweenSeedsFailed(Exception):
    """Tearing down or setting up a fixture between two simulated seeds failed
    (``__cause__``: how); a fixture error, not a failing seed."""


def deferred_func(fixturedef: Any, request: pytest.FixtureRequest) -> Any:
    """The function that computes ``fixturedef`` for a tonio test: one that returns a
    :class:`Deferred` if the fixture is async or depends on a deferred fixture; ``None`` to
    keep pytest's own."""
    func = fixturedef.func
    is_async = inspect.iscoroutinefunction(func) or inspect.isasyncgenfunction(func)
    if not is_async and not any(
        isinstance(request.getfixturevalue(name), Deferred)
        for name in fixturedef.argnames
        if name != "request"
    ):
        return None

    def defer(**kwargs: Any) -> Deferred:
        return Deferred(func, kwargs, fixturedef.argname)

    return defer


class _AwaitGenerator:
    """Lets an ``async def`` await a yield-flavour generator (its yields go to the driver)."""

    __slots__ = ("gen",)

    def __init__(self, gen: Any) -> None:
        self.gen = gen

    def __await__(self) -> Any:
        return self.gen


class _Teardowns:
    """The generator fixtures set up so far, torn down in reverse order."""

    def __init__(self) -> None:
        self.open: list[tuple[str, Any]] = []

    async def close_all(self) -> None:
        errors: list[BaseException] = []
        for argname, gen in reversed(self.open):
            try:
                if inspect.isasyncgen(gen):
                    await gen.__anext__()
                else:
                    next(gen)
            except (StopAsyncIteration, StopIteration):
                continue
            except Exception as exc:  # noqa: BLE001 - every teardown runs; all are raised
                exc.add_note(f"in the teardown of fixture {argname!r}")
                errors.append(exc)
                continue
            errors.append(RuntimeError(f"generator fixture {argname!r} yielded twice"))
        if len(errors) == 1:
            raise errors[0]
        if errors:
            raise ExceptionGroup("several fixture teardowns failed", errors)


async def _set_up(value: Deferred, args: dict[str, Any], teardowns: _Teardowns) -> Any:
    func = value.func
    if inspect.iscoroutinefunction(func):
        return await func(**args)
    if inspect.isasyncgenfunction(func):
        agen = func(**args)
        try:
            result = await agen.__anext__()
        except StopAsyncIteration:
            raise RuntimeError(f"async generator fixture {value.argname!r} did not yield") from None
        teardowns.open.append((value.argname, agen))
        return result
    if inspect.isgeneratorfunction(func):
        gen = func(**args)
        try:
            result = next(gen)
        except StopIteration:
            raise RuntimeError(f"generator fixture {value.argname!r} did not yield") from None
        teardowns.open.append((value.argname, gen))
        return result
    return func(**args)


async def with_fixtures(func: Any, kwargs: dict[str, Any]) -> Any:
    """Sets up the deferred fixtures in ``kwargs`` (dependencies first), runs the test body,
    then tears the generator fixtures down in reverse order, all in one run."""
    values: dict[int, Any] = {}
    teardowns = _Teardowns()

    async def resolve(value: Any) -> Any:
        if not isinstance(value, Deferred):
            return value
        if id(value) not in values:
            args = {name: await resolve(arg) for name, arg in value.kwargs.items()}
            values[id(value)] = await _set_up(value, args, teardowns)
        return values[id(value)]

    try:
        resolved = {name: await resolve(value) for name, value in kwargs.items()}
        body = func(**resolved)
        if inspect.isgenerator(body):
            return await _AwaitGenerator(body)
        return await body
    finally:
        await teardowns.close_all()


def user_function_fixtures(item: pytest.Function) -> list[Any]:
    """The function-scoped fixture definitions of ``item`` other than the plugin's own."""
    info = item._fixtureinfo
    return [
        fixturedef
        for name in info.names_closure
        if name not in OWN_FIXTURES
        for fixturedef in info.name2fixturedefs.get(name, ())
        if fixturedef.scope == "function"
    ]


def refresh_function_fixtures(item: pytest.Function, stash_at_start: dict[Any, Any]) -> None:
    """Tears down the test's function-scoped fixtures and sets them up again, as a real re-run
    would. ``stash_at_start``: the item's stash as the call began; what a teardown consumed of
    it (``tmp_path`` takes the setup report's entry) is put back first, so every seed's
    teardown finds what the first one did. Raises :class:`FixtureBetweenSeedsFailed`."""
    storage = item.stash._storage
    for key, value in stash_at_start.items():
        storage.setdefault(key, value)
    request = item._request
    try:
        for name in reversed(item._fixtureinfo.names_closure):
            for fixturedef in item._fixtureinfo.name2fixturedefs.get(name, ()):
                if fixturedef.scope == "function":
                    if fixturedef.cached_result is not None:
                        fixturedef.finish(request)
                    request._fixture_defs.pop(name, None)
        item.funcargs.clear()
        request._fillfixtures()
    except Exception as exc:
        raise FixtureBetweenSeedsFailed(
            f"a fixture of {item.nodeid} failed between two simulated runs"
        ) from exc
    caplog = item.funcargs.get("caplog")
    if caplog is not None:
        caplog.clear()  # its records live in the logging plugin's per-phase handler
