"""Runtime construction and the ``run``/``main`` entry points."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any, overload

from ._tonio import Runtime
from ._types import Runnable

__all__ = ["Runtime", "main", "run", "runtime"]


def runtime(
    *,
    context: bool = True,
    signals: Iterable[int] | None = None,
    threads: int | None = None,
    blocking_threadpool_size: int = 128,
    blocking_threadpool_idle_ttl: float = 30,
    unhandled_error_hook: Callable[[BaseException], Any] | None = None,
) -> Runtime:
    """Create a runtime on the real (multi-threaded) platform.

    Args:
        context: run each task and blocking call in a copy of the ``contextvars`` context
            current when it was spawned (the default, as asyncio and trio do): a variable a
            task sets is seen by itself and the tasks it spawns, never by its parent or
            siblings. ``False`` runs every task in the context current on its worker thread
            (tonio 0.6.0's default), saving a little per task.
        signals: signal numbers the runtime listens to (see ``signal_receiver``).
        threads: number of worker threads; ``None`` or ``0`` means one per CPU core.
        blocking_threadpool_size: maximum number of threads for ``spawn_blocking``.
        blocking_threadpool_idle_ttl: seconds an idle blocking thread lives.
        unhandled_error_hook: called with each exception that no task can receive (from
            ``spawn.without_tracking`` tasks, or joins nobody awaited). Default: print it with
            its traceback to stderr.

    Invalid values raise ``TypeError``/``ValueError`` here, naming the option.
    """
    return Runtime(
        context=context,
        signals=signals,
        threads=threads,
        blocking_threadpool_size=blocking_threadpool_size,
        blocking_threadpool_idle_ttl=blocking_threadpool_idle_ttl,
        unhandled_error_hook=unhandled_error_hook,
    )


def run[T](coro: Runnable[T], **options: Any) -> T:
    """Run ``coro`` (a generator or a coroutine) on a new runtime and return its value.

    Equivalent to ``runtime(**options).run_until_complete(coro)``.
    """
    return runtime(**options).run_until_complete(coro)


@overload
def main[**P, T](func: Callable[P, Runnable[T]], /) -> Callable[P, T]: ...
@overload
def main[**P, T](
    func: None = None, /, **options: Any
) -> Callable[[Callable[P, Runnable[T]]], Callable[P, T]]: ...
def main(func: Callable[..., Any] | None = None, /, **options: Any) -> Any:
    """Decorate a coroutine function so that calling it runs it on a new runtime.

    Use as ``@tonio.main`` or ``@tonio.main(threads=2, ...)``. The wrapper forwards its
    arguments to the coroutine function and returns the coroutine's result (and is typed so:
    ``@tonio.main`` on ``async def f(x: int) -> str`` gives a ``(x: int) -> str`` function).
    """
    if func is None:
        return functools.partial(main, **options)
    if not callable(func):
        raise TypeError(f"tonio.main decorates a coroutine function, got {type(func).__name__}")

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return run(func(*args, **kwargs), **options)

    return wrapper
