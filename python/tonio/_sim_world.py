"""The simulated world a run starts with, and its live fault handles (``tonio.sim`` re-exports
them): :class:`Network` and :func:`network`, :class:`Disk` and :func:`disk`."""

from __future__ import annotations

from dataclasses import dataclass

from ._tonio import SimDisk, SimNetwork
from ._tonio import sim_disk as _sim_disk
from ._tonio import sim_network as _sim_network

__all__ = ["Disk", "Network", "disk", "network"]


@dataclass(frozen=True)
class Network:
    """The simulated network a run starts with; pass it as ``network=`` to :func:`run`,
    :func:`runtime`, :func:`explore` or the pytest marker (each run gets a fresh copy).

    ``latency``: one-way delay of every delivery, in virtual seconds; ``jitter``: up to that
    much more, seeded per delivery; ``hosts``: names to IP addresses (``localhost`` and
    127.0.0.0/8 are the local host). Any IP address is a host: a socket bound to an address
    belongs to that host, an unbound client to the local host. A stream delivers bytes in
    order, but a send may arrive in pieces and sends may arrive merged, as over real TCP.
    Datagrams (``SOCK_DGRAM``) each get their own jitter, so they may reorder; ``loss`` and
    ``duplicate`` are the chances (0 to 1) that a link loses one or delivers it twice, and a
    partition drops them.
    """

    latency: float = 0.0005
    jitter: float = 0.0
    hosts: dict[str, str] | None = None
    loss: float = 0.0
    duplicate: float = 0.0

    def __repr__(self) -> str:  # qualified, so that a replay line can be pasted as it is
        lossy = (
            f", loss={self.loss!r}, duplicate={self.duplicate!r}"
            if self.loss or self.duplicate
            else ""
        )
        return (
            f"tonio.sim.Network(latency={self.latency!r}, jitter={self.jitter!r}, "
            f"hosts={self.hosts!r}{lossy})"
        )


def network() -> SimNetwork:
    """The live network of the running simulated run, for faults: ``partition(a, b)``,
    ``heal(a=None, b=None)`` (no arguments: every partition), ``set_link(a, b, *,
    latency=None, jitter=None, loss=None, duplicate=None)`` and ``reset(a, b)`` (every
    connection between the two hosts, open or being set up, is reset; it returns the number of
    connection ends reset, 2 per connection). ``a``/``b`` are IP addresses or names of the
    network. A fault takes effect at the step of the task that calls it, so it replays with the
    run.
    """
    return _sim_network()


@dataclass(frozen=True, kw_only=True)
class Disk:
    """A simulated disk for ``tonio.fs``; pass it as ``disk=`` to :func:`tonio.sim.run`,
    :func:`~tonio.sim.runtime`, :func:`~tonio.sim.explore` or the pytest marker. Each run gets
    a fresh, empty one (just ``/``); the real disk is never touched.

    Every operation takes ``latency`` plus up to ``jitter`` more (seeded) virtual seconds, and
    then happens at once. Durability: a file's bytes are durable once ``sync()``ed; creating,
    renaming and deleting are durable at once. :func:`disk` crashes it and injects errors.
    """

    latency: float = 0.0001
    jitter: float = 0.0

    def __repr__(self) -> str:  # qualified, so that a replay line can be pasted as it is
        return f"tonio.sim.Disk(latency={self.latency!r}, jitter={self.jitter!r})"


def disk() -> SimDisk:
    """The simulated disk of the running run (it needs ``disk=Disk()``), for faults:

    - ``crash()``: a power loss. Every file keeps its synced bytes plus a seeded prefix of what
      was written after (possibly empty, possibly ending inside a write); files open at that
      moment are broken (their operations raise ``OSError(EIO)``; closing one drops what its
      buffers held). Returns how many open files it broke.
    - ``fail(prefix, errno)``: operations on ``prefix`` and below raise ``OSError(errno)``
      until ``heal(prefix=None)`` (no argument: every injected error ends).

    A fault takes effect at the step of the task that calls it, so it replays with the run.
    """
    return _sim_disk()
