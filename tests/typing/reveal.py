"""Checked by tests/real/test_typing.py with mypy --strict: each `reveal_type` must print the
type in its `# expect:` comment, and the only errors are those on lines marked `# error:`.
Not a test module itself (pytest does not collect it)."""

# fmt: off
# ruff: noqa: E501
from typing import reveal_type

import tonio
import tonio.colored as ctonio
from tonio import fs, sim
from tonio.net import SocketListener, SocketStream, open_tcp_stream
from tonio.net.tls import TLSStream
from tonio.sync import Lock
from tonio.sync.channel import channel, unbounded
from tonio.time import timeout


def gen() -> tonio.Coroutine[int]:
    yield
    return 1


def sgen() -> tonio.Coroutine[str]:
    yield
    return ""


async def coro() -> bytes:
    return b""


reveal_type(tonio.run(gen()))  # expect: builtins.int
reveal_type(ctonio.run(coro()))  # expect: builtins.bytes
reveal_type(tonio.spawn(gen()))  # expect: tonio._tonio.Suspension[builtins.int]
reveal_type(tonio.spawn(gen(), sgen()))  # expect: tonio._tonio.Suspension[tuple[builtins.int, builtins.str]]
reveal_type(tonio.spawn(*[gen() for _ in range(9)]))  # expect: tonio._tonio.Suspension[builtins.list[builtins.int]]
reveal_type(tonio.spawn.without_results(gen()))  # expect: tonio._tonio.Suspension[None]
reveal_type(timeout(gen(), 1))  # expect: tonio._tonio.Suspension[tuple[builtins.int | None, builtins.bool]]
reveal_type(tonio.select(gen(), sgen()))  # expect: tonio._tonio.Suspension[builtins.int | builtins.str]
reveal_type(channel[int](3))  # expect: tuple[tonio._tonio.Sender[builtins.int], tonio._tonio.Receiver[builtins.int]]
reveal_type(unbounded[str]())  # expect: tuple[tonio._tonio.UnboundedSender[builtins.str], tonio._tonio.Receiver[builtins.str]]
reveal_type(tonio.spawn_blocking(len, "abc"))  # expect: tonio._tonio.Suspension[builtins.int]
reveal_type(tonio.map(lambda x: gen(), [1]))  # expect: tonio._tonio.Suspension[builtins.list[builtins.int]]
reveal_type(tonio.as_completed(gen(), sgen()))  # expect: tonio._tonio.AsCompleted[builtins.int | builtins.str]


@tonio.main
def m(x: int) -> tonio.Coroutine[str]:
    yield
    return ""


@ctonio.main(threads=2)
async def cm(x: int) -> float:
    return 1.0


reveal_type(m)  # expect: def (x: builtins.int) -> builtins.str
reveal_type(cm)  # expect: def (x: builtins.int) -> builtins.float


# A context manager that never swallows exceptions: no "missing return statement".
def f(lock: Lock) -> int:
    with lock.or_raise():
        return 1


async def g(lock: Lock) -> int:
    async with lock:
        return 1


def h(lock: Lock) -> tonio.Coroutine[int]:
    with (yield lock()):
        return 1


def bad(lock: Lock) -> None:
    with lock:  # error: attr-defined (no __enter__: `with lock:` is the wrong form)
        pass


# Streams, TLS, files and the simulator keep their types too.
def io_types(stream: SocketStream, listener: SocketListener, tls: TLSStream, event: tonio.Event) -> None:
    reveal_type(open_tcp_stream("h", 1))  # expect: typing.AwaitableGenerator[Any, Any, tonio.net._streams.SocketStream, typing.Generator[Any, Any, tonio.net._streams.SocketStream]]
    reveal_type(stream.receive_some())  # expect: tonio._tonio.Suspension[builtins.bytes]
    reveal_type(listener.accept())  # expect: tonio._tonio.Suspension[tonio.net._streams.SocketStream]
    reveal_type(tls.receive_some())  # expect: tonio._tonio.Suspension[builtins.bytes]
    reveal_type(timeout(event.wait(), 1))  # expect: tonio._tonio.Suspension[tuple[builtins.bool | None, builtins.bool]]
    reveal_type(tonio.select(event.wait(), gen()))  # expect: tonio._tonio.Suspension[builtins.bool | builtins.int]
    reveal_type(fs.open("/x"))  # expect: tonio._tonio.Suspension[tonio.fs._file.IOWrapper]
    reveal_type(fs.Path("/x").read_text())  # expect: tonio._tonio.Suspension[builtins.str]
    reveal_type(fs.Path("/x").iterdir())  # expect: tonio._tonio.Suspension[builtins.list[tonio.fs._path.Path]]
    reveal_type(sim.run(coro(), seed=1))  # expect: builtins.bytes
    reveal_type(sim.network())  # expect: tonio._tonio.SimNetwork
    reveal_type(sim.disk().crash())  # expect: builtins.int


async def process_types() -> None:
    proc = await ctonio.open_process(["true"])
    reveal_type(proc)  # expect: tonio._process.Process
    reveal_type(await proc.wait())  # expect: builtins.int
    reveal_type(await ctonio.run_process(["true"]))  # expect: subprocess.CompletedProcess[builtins.bytes]
