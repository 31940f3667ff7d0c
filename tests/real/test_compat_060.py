"""tonio 0.6.0's public surface, name by name (issue 13; more items to come)."""

import signal
from importlib import metadata

import tonio
import tonio.colored as ctonio
import tonio.colored.net.socket as csocket
import tonio.net.socket as tsocket
import tonio.sim as sim


def test_socket_type_is_the_socket_class_in_both_flavours():
    assert tsocket.SocketType is tsocket.socket
    assert csocket.SocketType is tsocket.socket
    assert "SocketType" in tsocket.__all__


def test_the_version_is_the_installed_distributions():
    assert tonio.__version__ == metadata.version("tonio") == ctonio.__version__


def test_the_license_ships_with_the_distribution():
    meta = metadata.metadata("tonio")
    assert meta.get_all("License-File") == ["LICENSE"]
    assert meta["License-Expression"] == "BSD-3-Clause"
    files = [str(f) for f in metadata.files("tonio") or []]
    assert any(f.endswith("licenses/LICENSE") for f in files)


def test_signals_arrive_as_signal_members():
    def main():
        with tonio.signal_receiver(signal.SIGHUP) as sigs:

            def send():
                yield tonio.sleep(0.1)
                sim.send_signal(1)  # a plain number goes in

            tonio.spawn(send())
            for event in sigs:
                return (yield event)

    received = sim.run(main(), seed=0, signals=[signal.SIGHUP])
    assert received is signal.Signals.SIGHUP  # an enum member comes out


def test_lock_and_semaphore_acquire_and_release_as_tonio_060(any_rt):
    from tonio import sync
    from tonio.exceptions import WouldBlock

    def main():
        lock, semaphore = sync.Lock(), sync.Semaphore(2)
        yield lock.acquire()
        assert lock.locked()
        try:
            lock.try_acquire()
        except WouldBlock:
            busy = True
        lock.release()
        lock.try_acquire()  # free again: a plain call takes it
        lock.release()
        semaphore.try_acquire()
        yield semaphore.acquire()
        tokens_then = semaphore.tokens()
        semaphore.release()
        semaphore.release()
        return busy, tokens_then, semaphore.tokens()

    assert any_rt.run_until_complete(main()) == (True, 0, 2)


def test_colored_acquire_and_releasing_what_is_not_held(any_rt):
    import pytest

    from tonio.colored import sync

    async def main():
        lock = sync.Lock()
        await lock.acquire()
        lock.release()
        with pytest.raises(RuntimeError):
            lock.release()
        return lock.locked()

    assert any_rt.run_until_complete(main()) is False


def test_event_waiter_with_and_without_a_timeout(sim_rt):
    def main():
        event = tonio.Event()
        timed_out = yield event.waiter(0.5)
        started = tonio.time.time()

        def setter():
            yield tonio.sleep(1)
            event.set()

        tonio.spawn(setter())
        was_set = yield event.waiter(None)
        return timed_out, was_set, tonio.time.time() - started

    assert sim_rt.run_until_complete(main()) == (False, True, 1.0)


def test_async_for_over_a_receiver_until_the_channel_closes(any_rt):
    from tonio.colored.sync import channel

    async def main():
        sender, receiver = channel.channel(2)

        async def produce():
            for i in range(5):
                await sender.send(i)
            sender.close()

        ctonio.spawn(produce())
        return [message async for message in receiver]

    assert any_rt.run_until_complete(main()) == [0, 1, 2, 3, 4]


def test_socketpair_on_both_platforms(net_rt):
    def main():
        a, b = tsocket.socketpair()
        with a, b:
            yield a.sendall(b"over the pair")
            got = b""
            while len(got) < 13:
                got += yield b.recv(64)
        return got, a.family

    got, family = net_rt.run_until_complete(main())
    assert got == b"over the pair" and family == tsocket.AF_UNIX


def test_adopting_descriptors_on_the_real_platform():
    import os
    import socket as stdlib

    import pytest

    left, right = stdlib.socketpair()

    def main():
        adopted = tsocket.socket(fileno=left.detach())  # takes the descriptor over
        duplicate = tsocket.fromfd(right.fileno(), stdlib.AF_UNIX, stdlib.SOCK_STREAM)
        with adopted, duplicate:
            assert adopted.family == stdlib.AF_UNIX and adopted.type == stdlib.SOCK_STREAM
            yield adopted.sendall(b"adopted")
            got = yield duplicate.recv(64)
        not_a_socket = os.open(os.devnull, os.O_RDONLY)
        with pytest.raises(OSError):  # refused, and left to its owner
            tsocket.socket(fileno=not_a_socket)
        os.close(not_a_socket)
        return got

    assert tonio.run(main()) == b"adopted"
    right.close()  # fromfd took a duplicate: the original is still ours


def test_the_simulated_network_has_no_descriptors_to_adopt():
    import socket as stdlib

    import pytest

    left, right = stdlib.socketpair()

    def main():
        with pytest.raises(OSError, match="no OS descriptors"):
            tsocket.fromfd(left.fileno(), stdlib.AF_UNIX, stdlib.SOCK_STREAM)
        yield

    sim.run(main(), seed=0)
    left.close()
    right.close()


def test_misused_forms_name_the_right_one():
    import pytest

    from tonio import sync

    def main():
        lock = sync.Lock()
        with pytest.raises(TypeError, match=r"with \(yield lock\(\)\)"):
            with lock:
                pass
        with pytest.raises(TypeError, match=r"call it: `with \(yield lock\(\)\):`"):
            yield lock
        with pytest.raises(TypeError, match="not `yield from`"):
            yield from tonio.sleep(0)
        assert not lock.locked()

    tonio.run(main())

    async def colored():
        lock = ctonio.sync.Lock()
        with pytest.raises(TypeError, match="async with lock:"):
            async with lock():
                pass
        async with lock:  # the right form still works
            return lock.locked()

    assert ctonio.run(colored()) is True


def test_run_forever_until_stop_from_a_task_and_from_another_thread():
    import threading

    runtime = tonio.runtime(threads=2)
    log = []

    def server():
        log.append("serving")
        yield tonio.sleep(0.01)
        runtime.stop()  # from a task
        yield tonio.sleep(3600)  # cancelled when the run stops

    runtime.run_forever(server())
    assert log == ["serving"]

    threading.Timer(0.05, runtime.stop).start()  # from another thread
    runtime.run_forever()

    runtime.stop()  # before it runs: the next run_forever returns at once
    runtime.run_forever()


def test_run_forever_refuses_what_is_not_a_coroutine():
    import pytest

    with pytest.raises(TypeError):
        tonio.runtime(threads=1).run_forever(42)


def test_barrier_ack_arrives_without_waiting_under_every_schedule():
    # tonio 0.6.0's Barrier.ack(): an arrival that does not wait, returning its index; the
    # arrival that completes the barrier (an ack or a wait) releases the waiters.
    def body():
        barrier = tonio.sync.Barrier(3)

        def waiter():
            return (yield barrier.wait())

        def acker():
            yield
            return barrier.ack()

        indices = yield tonio.spawn(waiter(), acker(), waiter())
        assert sorted(indices) == [0, 1, 2], indices
        assert barrier.value() == 3
        assert barrier.ack() == 3  # a tripped barrier keeps counting, nobody waits

    summary = sim.explore(body, runs=200, strategy="random")
    assert summary.runs == 200


def test_barrier_ack_alone_trips_it(any_rt):
    def main():
        barrier = tonio.sync.Barrier(2)
        first = barrier.ack()
        waited = yield tonio.time.timeout(barrier.wait(), 5)
        return first, waited

    assert any_rt.run_until_complete(main()) == (0, (1, True))


def test_mixing_runtimes_or_flavours_says_what_to_do(any_rt):
    import asyncio

    def generator():
        yield
        return 1

    async def awaits_a_generator():
        return await generator()

    async def uses_asyncio():
        await asyncio.sleep(0.01)

    for coro, kind, hint in [
        (awaits_a_generator(), TypeError, "a yield-flavour coroutine (a generator) cannot be"),
        (uses_asyncio(), RuntimeError, "tonio tasks do not run on an asyncio event loop"),
    ]:
        try:
            any_rt.run_until_complete(coro)
        except kind as err:
            assert any(hint in note for note in getattr(err, "__notes__", [])), err
        else:
            raise AssertionError("no error")


def test_a_tonio_awaitable_in_asyncio_says_they_do_not_mix():
    import asyncio

    import pytest

    async def main():
        await ctonio.sleep(0.01)

    with pytest.raises(RuntimeError, match="tonio awaitable sleep awaited in an asyncio task"):
        asyncio.run(main())
