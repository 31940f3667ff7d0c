"""Channels for the colored flavour (the same objects as :mod:`tonio.sync.channel`):
``await sender.send(msg)``, ``await receiver.receive()``."""

from ...sync.channel import *  # noqa: F403
from ...sync.channel import __all__  # noqa: F401
