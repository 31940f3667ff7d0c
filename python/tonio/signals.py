"""OS signals: ``signal_receiver(*signals)`` (also exported as ``tonio.signal_receiver``).

Configure the runtime with the signals to listen to (``tonio.run(main(), signals=[SIGHUP])``),
then::

    with tonio.signal_receiver(signal.SIGHUP) as sigs:
        for ev in sigs:            # colored: async for sig in sigs
            sig = yield ev

Signals the runtime is not configured for keep their normal behaviour, and the previous
dispositions of the configured ones are restored when the run ends.
"""

from ._tonio import SignalReceiver, signal_receiver

__all__ = ["SignalReceiver", "signal_receiver"]
