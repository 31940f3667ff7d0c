"""Iterating a channel receiver until the channel is closed (``async for`` in the colored
flavour). Used by ``Receiver.__aiter__``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any


async def messages(receiver: Any) -> AsyncIterator[Any]:
    """Every message of ``receiver``, in order, until the channel is closed and drained."""
    while True:
        try:
            message = await receiver.receive()
        except BrokenPipeError:  # closed and drained: the iteration ends
            return
        yield message
