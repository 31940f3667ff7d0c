"""Spawning and combining tasks (shared by both flavours)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from . import _tonio
from ._tonio import AsCompleted, Scope, Suspension

__all__ = [
    "as_completed",
    "block_on",
    "map",
    "map_blocking",
    "scope",
    "select",
    "spawn",
    "spawn_blocking",
]


def spawn(*coros: Any) -> Suspension:
    """Schedule every coroutine now and return an awaitable join.

    Yielding/awaiting the join waits for all of them and evaluates to their results in argument
    order: ``[]`` for none, the bare value for one, a list for two or more. If any task raised,
    the join raises ``ExceptionGroup('SpawnExceptionGroup', [...])`` once every task finished;
    siblings are not cancelled.

    ``spawn.without_results(*coros)`` is the same but evaluates to ``None``.
    ``spawn.without_tracking(*coros)`` starts them and returns nothing; an exception escaping such
    a task goes to the runtime's unhandled-error hook.
    """
    return _tonio.spawn(*coros)


spawn.without_results = _tonio.spawn_without_results  # type: ignore[attr-defined]
spawn.without_tracking = _tonio.spawn_without_tracking  # type: ignore[attr-defined]

spawn_blocking = _tonio.spawn_blocking
block_on = _tonio.block_on
select = _tonio.select
as_completed: Callable[..., AsCompleted] = _tonio.as_completed


def map(fn: Callable[[Any], Any], iterable: Iterable[Any]) -> Suspension:  # noqa: A001
    """``spawn(*[fn(x) for x in iterable])``, but the join always evaluates to a list."""
    return _tonio.spawn_list([fn(item) for item in iterable])


def _blocking_call(fn: Callable[[Any], Any], item: Any) -> Any:
    return (yield _tonio.spawn_blocking(fn, item))


def map_blocking(fn: Callable[[Any], Any], iterable: Iterable[Any]) -> Suspension:
    """Run ``fn(x)`` on the blocking pool for every item; the join evaluates to a list."""
    if not callable(fn):
        raise TypeError(f"map_blocking: fn must be callable, got {type(fn).__name__}")
    return _tonio.spawn_list([_blocking_call(fn, item) for item in iterable])


def scope() -> Scope:
    """A cancellation scope: ``with tonio.scope() as s: s.spawn(...)`` then ``yield s()``.

    In the colored flavour: ``async with tonio.scope() as s:``; leaving the block waits for the
    scope's tasks. ``s.cancel()`` cancels them. If the ``with`` body raises, they are cancelled.
    """
    return Scope()
