"""TLS for the colored flavour (the same objects as :mod:`tonio.net.tls`)."""

from ...net.tls import *  # noqa: F403
from ...net.tls import __all__  # noqa: F401
