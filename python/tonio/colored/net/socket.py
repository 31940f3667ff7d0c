"""Low-level sockets for the colored flavour (the same class as :mod:`tonio.net.socket`)."""

from ...net.socket import *  # noqa: F403
from ...net.socket import __all__  # noqa: F401
