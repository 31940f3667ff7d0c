"""Exceptions for the colored flavour (the same classes as :mod:`tonio.exceptions`)."""

from ..exceptions import (
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
