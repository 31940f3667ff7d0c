"""Spawning and combining tasks (shared by both flavours)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Never, Protocol, cast, overload

from . import _tonio
from ._tonio import Scope, Suspension
from ._types import Runnable

__all__ = [
    "as_completed",
    "current_task",
    "block_on",
    "map",
    "map_blocking",
    "scope",
    "select",
    "spawn",
    "spawn_blocking",
]


class _Spawn(Protocol):
    """The type of :func:`spawn`: a call with typed results, and its two variants."""

    @overload
    def __call__(self, *, name: str | None = None) -> Suspension[list[Never]]: ...
    @overload
    def __call__[A](self, a: Runnable[A], /, *, name: str | None = None) -> Suspension[A]: ...
    @overload
    def __call__[A, B](
        self, a: Runnable[A], b: Runnable[B], /, *, name: str | None = None
    ) -> Suspension[tuple[A, B]]: ...
    @overload
    def __call__[A, B, C](
        self, a: Runnable[A], b: Runnable[B], c: Runnable[C], /, *, name: str | None = None
    ) -> Suspension[tuple[A, B, C]]: ...
    @overload
    def __call__[A, B, C, D](
        self,
        a: Runnable[A],
        b: Runnable[B],
        c: Runnable[C],
        d: Runnable[D],
        /,
        *,
        name: str | None = None,
    ) -> Suspension[tuple[A, B, C, D]]: ...
    @overload
    def __call__[T](self, *coros: Runnable[T], name: str | None = None) -> Suspension[list[T]]: ...

    def without_results(
        self, *coros: Runnable[Any], name: str | None = None
    ) -> Suspension[None]: ...
    def without_tracking(self, *coros: Runnable[Any], name: str | None = None) -> None: ...


def _spawn(*coros: Any, name: str | None = None) -> Suspension[Any]:
    """Schedule every coroutine now and return an awaitable join.

    Yielding/awaiting the join waits for all of them and evaluates to their results in argument
    order: ``[]`` for none, the bare value for one, a list for two or more (typed as a tuple, as
    ``asyncio.gather``, so that ``a, b = yield spawn(f(), g())`` keeps each result's type). If
    any task raised, the join raises ``ExceptionGroup('SpawnExceptionGroup', [...])`` once every
    task finished; siblings are not cancelled. ``name=`` names the task (several: ``name[0]``,
    ``name[1]``, ...) in ``current_task()``, ``Runtime.dump_tasks()`` and simulator reports;
    the default is the coroutine's qualified name.

    ``spawn.without_results(*coros)`` is the same but evaluates to ``None``.
    ``spawn.without_tracking(*coros)`` starts them and returns nothing; an exception escaping such
    a task goes to the runtime's unhandled-error hook.
    """
    return _tonio.spawn(*coros, name=name)


_spawn.without_results = _tonio.spawn_without_results  # type: ignore[attr-defined]
_spawn.without_tracking = _tonio.spawn_without_tracking  # type: ignore[attr-defined]
_spawn.__name__ = _spawn.__qualname__ = "spawn"
spawn = cast(_Spawn, _spawn)

spawn_blocking = _tonio.spawn_blocking
current_task = _tonio.current_task
block_on = _tonio.block_on
select = _tonio.select
as_completed = _tonio.as_completed


def map[T, R](fn: Callable[[T], Runnable[R]], iterable: Iterable[T]) -> Suspension[list[R]]:  # noqa: A001
    """``spawn(*[fn(x) for x in iterable])``, but the join always evaluates to a list."""
    return _tonio.spawn_list([fn(item) for item in iterable])


def _blocking_call[T, R](fn: Callable[[T], R], item: T) -> Runnable[R]:
    return (yield _tonio.spawn_blocking(fn, item))


def map_blocking[T, R](fn: Callable[[T], R], iterable: Iterable[T]) -> Suspension[list[R]]:
    """Run ``fn(x)`` on the blocking pool for every item; the join evaluates to a list."""
    if not callable(fn):
        raise TypeError(f"map_blocking: fn must be callable, got {type(fn).__name__}")
    return _tonio.spawn_list([_blocking_call(fn, item) for item in iterable])


def scope(*, report_errors: bool = False) -> Scope:
    """A cancellation scope: ``with tonio.scope() as s: s.spawn(...)`` then ``yield s()``.

    In the colored flavour: ``async with tonio.scope() as s:``; leaving the block waits for the
    scope's tasks. ``s.cancel()`` cancels them. If the ``with`` body raises, they are cancelled.
    A task that fails does not cancel its siblings (see docs/cancellation.md for a fail-fast
    group). ``report_errors=True``: a task's exception goes to the runtime's
    ``unhandled_error_hook`` at once and is released, instead of being kept for the scope's
    wait (for servers, whose scopes see many tasks over a long life).
    """
    return Scope(report_errors=report_errors)
