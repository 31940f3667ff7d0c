"""A typed tonio program in both flavours; `make test` checks it with `mypy --strict`.

Run it: `.venv/bin/python examples/typed.py`. Annotate a yield-flavour coroutine with
``tonio.Coroutine[T]`` (a generator returning ``T``); an ``async def`` needs nothing more. Results
then keep their types through ``run``, ``spawn``, ``timeout``, ``select``, channels and
``@tonio.main``; so do streams, TLS, files and the simulator (the last section).
"""

from __future__ import annotations

import tonio
import tonio.colored as ctonio
from tonio import sim
from tonio.colored import fs as cfs
from tonio.net.tls import TLSListener, open_tls_over_tcp_listeners, open_tls_over_tcp_stream
from tonio.sync import Lock
from tonio.sync.channel import Receiver, Sender, channel
from tonio.testing import CA
from tonio.time import timeout


# --- yield flavour -----------------------------------------------------------------------------
def double(x: int) -> tonio.Coroutine[int]:
    yield tonio.sleep(0.001)
    return 2 * x


def greet(name: str) -> tonio.Coroutine[str]:
    yield
    return f"hello {name}"


def produce(tx: Sender[int], count: int) -> tonio.Coroutine[None]:
    for i in range(count):
        yield tx.send(i)
    tx.close()


def consume(rx: Receiver[int]) -> tonio.Coroutine[int]:
    total = 0
    while True:
        try:
            message: int = yield rx.receive()
        except BrokenPipeError:
            return total
        total += message


def guarded(lock: Lock) -> int:
    with lock.or_raise():  # never swallows: no "missing return" after this block
        return 1


def yield_main() -> tonio.Coroutine[tuple[int, str, int, int | None]]:
    # The yield expression itself is untyped (a generator's send type), so annotate the target.
    pair: tuple[int, str] = yield tonio.spawn(double(21), greet("tonio"))
    number, text = pair
    tx, rx = channel[int](4)
    _, total = yield tonio.spawn(produce(tx, 10), consume(rx))
    guarded_value = guarded(Lock())
    late: tuple[int | None, bool] = yield timeout(double(1), 5.0)
    return number + guarded_value, text, total, late[0]


# --- colored flavour ---------------------------------------------------------------------------
async def cdouble(x: int) -> int:
    await ctonio.sleep(0.001)
    return 2 * x


async def cgreet(name: str) -> str:
    await ctonio.yield_now()
    return f"hello {name}"


async def colored_main(base: int) -> tuple[int, str, int | None, int]:
    number, text = await ctonio.spawn(cdouble(base), cgreet("colored"))
    value, in_time = await ctonio.time.timeout(cdouble(2), 5.0)
    winner = await ctonio.select(cdouble(3), cdouble(4))
    assert in_time
    squares = await ctonio.map(cdouble, range(3))
    return number, text, value, winner + sum(squares)


@ctonio.main(threads=2)
async def entry(base: int) -> int:
    number, _, _, _ = await colored_main(base)
    return number


# --- streams, TLS, files and the simulator (colored) ---------------------------------------------
async def serve_one(listener: TLSListener, notes: cfs.Path) -> None:
    stream = await listener.accept()
    request: bytes = await stream.receive_some()
    await notes.write_bytes(request)
    await stream.send_all(b"saved " + request)
    await stream.aclose()


async def simulated_service() -> tuple[str, bytes]:
    """A TLS server that saves what it receives to a file, and its client, on the simulated
    network and disk."""
    ca = CA()
    notes = cfs.Path("/srv/notes.txt")
    await notes.parent.mkdir(parents=True)
    listeners = await open_tls_over_tcp_listeners(4433, ca.issue_cert("127.0.0.1").server_config())
    async with ctonio.scope() as scope:
        scope.spawn(serve_one(listeners[0], notes))
        stream = await open_tls_over_tcp_stream("127.0.0.1", 4433, ssl_context=ca.client_config())
        await stream.send_all(b"hello")
        reply = await stream.receive_some()
        await stream.aclose()
    return await notes.read_text(), reply


def main() -> None:
    saved, reply = sim.run(simulated_service(), seed=1, disk=sim.Disk())
    summary: sim.Summary = sim.explore(simulated_service, runs=3, disk=sim.Disk())
    print(f"simulated TLS service: {saved!r}, {reply!r}, {summary.runs} seeds")
    result = tonio.run(yield_main())
    print("yield flavour:", result)
    print("colored flavour:", ctonio.run(colored_main(21)))
    doubled: int = entry(5)
    print("@tonio.main keeps the function's type:", doubled)


if __name__ == "__main__":
    main()
