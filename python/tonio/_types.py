"""Type aliases for annotating tonio code (re-exported by :mod:`tonio`).

A yield-flavour coroutine is a generator whose ``yield`` expressions evaluate to whatever the
runtime sends back, so only its return type says something: annotate it ``Coroutine[int]``.
"""

from __future__ import annotations

from collections.abc import Coroutine as _Coroutine
from collections.abc import Generator
from typing import Any

__all__ = ["Coroutine", "Runnable"]

#: A yield-flavour coroutine that returns ``T``: ``def fetch() -> tonio.Coroutine[bytes]:``.
type Coroutine[T] = Generator[Any, Any, T]

#: What ``run``, ``spawn``, ``timeout``... accept: a generator (yield flavour) or a coroutine
#: (colored flavour) returning ``T``.
type Runnable[T] = Generator[Any, Any, T] | _Coroutine[Any, Any, T]
