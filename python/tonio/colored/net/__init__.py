"""Streams and listeners for the colored flavour (the same objects as :mod:`tonio.net`):
``stream = await open_tcp_stream(host, port)``, ``await stream.send_all(data)``."""

from ...net import *  # noqa: F403
from ...net import __all__  # noqa: F401
from . import socket, tls  # noqa: F401
