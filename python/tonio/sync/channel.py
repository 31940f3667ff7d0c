"""Multi-producer multi-consumer channels.

``channel(size)`` returns ``(sender, receiver)`` for a channel holding up to ``size`` messages:
``yield sender.send(msg)`` waits while it is full. ``unbounded()`` returns a sender whose
``send(msg)`` is a plain call that never waits. ``yield receiver.receive()`` evaluates to the
next message. After ``sender.close()``, receivers get every message sent before the close, then
``BrokenPipeError``; sends raise ``BrokenPipeError``. Every message is delivered exactly once,
also when a sender or receiver is cancelled while waiting.

Typed messages: ``tx, rx = channel[int](10)`` (or annotate ``tx: Sender[int]`` and
``rx: Receiver[int]``); the subscript only informs type checkers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import _tonio
from .._tonio import Receiver, Sender, UnboundedSender

__all__ = ["Receiver", "Sender", "UnboundedSender", "channel", "unbounded"]


class _BoundedFactory:
    """``channel(size)`` -> ``(Sender, Receiver)``; ``channel[T](size)`` types the messages."""

    __slots__ = ()

    def __call__(self, size: int) -> tuple[Sender[Any], Receiver[Any]]:
        return _tonio.channel(size)

    def __getitem__[T](
        self, message_type: type[T]
    ) -> Callable[[int], tuple[Sender[T], Receiver[T]]]:
        return _tonio.channel

    def __repr__(self) -> str:
        return "<tonio channel(size) factory>"


class _UnboundedFactory:
    """``unbounded()`` -> ``(UnboundedSender, Receiver)``; ``unbounded[T]()`` types them."""

    __slots__ = ()

    def __call__(self) -> tuple[UnboundedSender[Any], Receiver[Any]]:
        return _tonio.unbounded()

    def __getitem__[T](
        self, message_type: type[T]
    ) -> Callable[[], tuple[UnboundedSender[T], Receiver[T]]]:
        return _tonio.unbounded

    def __repr__(self) -> str:
        return "<tonio unbounded() factory>"


#: A bounded channel: ``sender, receiver = channel(size)`` (typed: ``channel[int](size)``).
channel = _BoundedFactory()
#: An unbounded channel: ``sender, receiver = unbounded()`` (typed: ``unbounded[int]()``).
unbounded = _UnboundedFactory()
