"""Exceptions for the colored flavour (the same classes as :mod:`tonio.exceptions`)."""

from ..exceptions import *  # noqa: F403
from ..exceptions import __all__  # noqa: F401
