"""OS signals for the colored flavour (the same objects as :mod:`tonio.signals`):
``with signal_receiver(SIGHUP) as sigs: async for sig in sigs: ...``."""

from ..signals import SignalReceiver, signal_receiver

__all__ = ["SignalReceiver", "signal_receiver"]
