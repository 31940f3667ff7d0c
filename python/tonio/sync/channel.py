"""Multi-producer multi-consumer channels.

``channel(size)`` returns ``(sender, receiver)`` for a channel holding up to ``size`` messages:
``yield sender.send(msg)`` waits while it is full. ``unbounded()`` returns a sender whose
``send(msg)`` is a plain call that never waits. ``yield receiver.receive()`` evaluates to the
next message. After ``sender.close()``, receivers get every message sent before the close, then
``BrokenPipeError``; sends raise ``BrokenPipeError``. Every message is delivered exactly once,
also when a sender or receiver is cancelled while waiting.
"""

from .._tonio import Receiver, Sender, UnboundedSender, channel, unbounded

__all__ = ["Receiver", "Sender", "UnboundedSender", "channel", "unbounded"]
