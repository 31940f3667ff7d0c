"""Garbage collection is not a step of a simulated run: no collection happens while a run is in
progress, whatever other workers do, and a replay follows the same rule.

The program leaves a client in a reference cycle without closing it, then allocates (as any
program does). If the collector runs mid-run, the client's socket is closed and the server
reads an end of stream the seed never decided. On the build before, `explore(workers=2)`
failed that way on most sweeps (one worker's `gc.collect()` between its runs finalized the
other worker's garbage mid-run), and `tonio.sim.run` ran with the automatic collector on.
"""

import gc

import tonio
import tonio.sim
from tonio.net import open_tcp_listeners, open_tcp_stream


class ForgetfulClient:
    """Never closes its stream, and refers to itself: only the cyclic collector frees it."""

    def __init__(self, stream):
        self.stream = stream
        self.myself = self


def cyclic_garbage(count):
    for _ in range(count):
        node = {}
        node["self"] = node


def program():
    listeners = yield open_tcp_listeners(7000, host="127.0.0.1")
    received = []

    def server():
        stream = yield listeners[0].accept()
        while data := (yield stream.receive_some()):
            received.append(data)
        received.append(b"<end of stream>")

    def client():
        stream = yield open_tcp_stream("127.0.0.1", 7000)
        yield stream.send_all(b"hello")
        ForgetfulClient(stream)

    with tonio.scope() as scope:
        scope.spawn(server())
        yield tonio.spawn(client())
        for _ in range(10):
            cyclic_garbage(20_000)
            yield tonio.sleep(0.1)
        assert b"".join(received) == b"hello"
        scope.cancel()
    yield scope()
    listeners[0].close()


def test_parallel_workers_never_collect_inside_each_others_runs():
    for _ in range(5):
        tonio.sim.explore(program, runs=30, workers=2, shrink=False)


def test_a_replay_runs_without_the_automatic_collector_as_explored_runs_do():
    assert gc.isenabled()
    for seed in range(5):
        tonio.sim.run(program(), seed=seed)
    assert gc.isenabled()  # restored after the run


def test_workers_contending_for_the_collector_gate_run_every_seed():
    """Many short runs on two workers meet at the gate that pauses the collector (a version that
    paused it while detached from the interpreter crashed here)."""

    def tiny():
        def main():
            yield
            cyclic_garbage(50)

        return main()

    for _ in range(20):
        assert tonio.sim.explore(tiny, runs=200, workers=2).runs == 200
    assert gc.isenabled()
