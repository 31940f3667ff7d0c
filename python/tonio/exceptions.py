"""Exceptions raised by tonio (shared by both flavours)."""

from ._tonio import (
    CancelledError,
    ResourceBroken,
    RuntimeAlreadyInitializedError,
    RuntimeNotInitializedError,
    TimeoutError,
    WouldBlock,
)

__all__ = [
    "CancelledError",
    "ResourceBroken",
    "RuntimeAlreadyInitializedError",
    "RuntimeNotInitializedError",
    "TimeoutError",
    "WouldBlock",
]
