"""Where the ``sched_yield`` storm of the HTTP benchmark comes from, without any runtime.

    perf stat -e syscalls:sys_enter_sched_yield python bench/h11_threads.py MODE

Runs the benchmark's h11 exchange (``GET /``, bytes in, bytes out, no sockets) 20,000 times in
MODE:

- ``main``: on the main thread, which imported h11;
- ``thread``: on one plain ``threading.Thread`` (the main thread only waits for it);
- ``shared``: the same, after that thread took a reference to every key and value of h11's
  module-level tables, so that they have a shared reference count.

On free-threaded CPython 3.13 ``thread`` costs about 160 ``sched_yield`` calls per exchange and
runs at under half the speed of ``main``; ``shared`` runs as fast as ``main``. See
bench/README.md (HTTP section) for why.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import h11._connection  # noqa: E402
import h11._readers  # noqa: E402
import h11._state  # noqa: E402
import h11._writers  # noqa: E402
from http_server import Exchange  # noqa: E402

REQUEST = b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n"
EXCHANGES = 20_000
kept: list[object] = []


def share_h11_tables() -> None:
    """Holds, from this thread, a reference to every key and value of h11's module tables."""
    modules = (h11._connection, h11._readers, h11._state, h11._writers)
    for table in [vars(m) for m in modules] + [
        value for m in modules for value in vars(m).values() if isinstance(value, dict)
    ]:
        for key, value in table.items():
            kept.extend((key, value))
            if isinstance(key, tuple):
                kept.extend(key)


def exchanges(share: bool) -> None:
    if share:
        share_h11_tables()
    exchange = Exchange()
    for _ in range(EXCHANGES):
        exchange.feed(REQUEST)


def main() -> None:
    mode = sys.argv[1] if len(sys.argv) > 1 else "thread"
    if mode not in ("main", "thread", "shared"):
        sys.exit(__doc__)
    start = time.perf_counter()
    if mode == "main":
        exchanges(share=False)
    else:
        worker = threading.Thread(target=exchanges, args=(mode == "shared",))
        worker.start()
        worker.join()
    elapsed = time.perf_counter() - start
    each = elapsed / EXCHANGES * 1e6
    print(f"{mode}: {EXCHANGES / elapsed:,.0f} exchanges/s ({each:.0f} µs each)")


if __name__ == "__main__":
    main()
