"""Signals under the simulator: `signals=[...]` and `tonio.sim.send_signal`, in virtual time."""

import signal

import pytest

import tonio
import tonio.colored as ctonio
import tonio.sim as sim


def test_a_sent_signal_reaches_the_receiver_at_that_step():
    def main():
        with tonio.signal_receiver(signal.SIGHUP, signal.SIGUSR1) as sigs:

            def sender():
                yield tonio.sleep(1)
                sim.send_signal(signal.SIGUSR1)
                yield tonio.sleep(1)
                sim.send_signal(signal.SIGHUP)

            tonio.spawn(sender())
            got = []
            for sig in sigs:
                got.append(((yield sig), tonio.time.time()))
                if len(got) == 2:
                    break
        return got

    got = sim.run(main(), seed=0, signals=[signal.SIGHUP, signal.SIGUSR1])
    assert got == [(signal.SIGUSR1, 1.0), (signal.SIGHUP, 2.0)]


def test_colored_receivers_get_signals_too():
    async def main():
        with ctonio.signal_receiver(signal.SIGTERM) as sigs:

            async def sender():
                await ctonio.sleep(0.5)
                sim.send_signal(signal.SIGTERM)

            ctonio.spawn(sender())
            async for sig in sigs:
                return sig

    assert sim.run(main(), seed=1, signals=[signal.SIGTERM]) == signal.SIGTERM


def test_a_signal_outside_the_runs_signals_is_refused():
    def main():
        with pytest.raises(ValueError, match="signals="):
            sim.send_signal(signal.SIGUSR2)
        with pytest.raises(TypeError):
            sim.send_signal("SIGHUP")
        yield

    sim.run(main(), seed=0, signals=[signal.SIGHUP])


def test_send_signal_needs_a_simulated_run():
    with pytest.raises(RuntimeError, match="simulated run"):
        sim.send_signal(signal.SIGHUP)


def test_options_of_the_other_platform_are_refused_by_name():
    with pytest.raises(TypeError, match="network= .*platform='sim'"):
        tonio._tonio.Runtime(network=sim.Network())
    with pytest.raises(TypeError, match="seed="):
        tonio._tonio.Runtime(seed=3)
    with pytest.raises(TypeError, match="max_steps="):
        tonio._tonio.Runtime(max_steps=10)
    with pytest.raises(TypeError, match="threads= .*platform='real'"):
        tonio._tonio.Runtime(platform="sim", threads=2)
    with pytest.raises(TypeError, match="blocking_threadpool_size="):
        tonio._tonio.Runtime(platform="sim", blocking_threadpool_size=4)


def receive_one(*signals):
    """Generator: opens a receiver for `signals` and returns the first signal it gets."""
    with tonio.signal_receiver(*signals) as sigs:
        for ev in sigs:
            return (yield ev)


def test_a_signal_sent_before_any_receiver_is_kept_for_the_first():
    def main():
        sim.send_signal(signal.SIGUSR1)  # during start-up: nobody listens yet
        yield tonio.sleep(1)
        return (yield from receive_one(signal.SIGUSR1))

    assert sim.run(main(), seed=0, signals=[signal.SIGUSR1]) == signal.SIGUSR1


def test_a_signal_between_two_receiver_blocks_goes_to_the_next():
    def main():
        first = yield from receive_one_after_sending(signal.SIGHUP)
        sim.send_signal(signal.SIGHUP)  # between the blocks
        yield tonio.sleep(1)
        second = yield from receive_one(signal.SIGHUP)
        return first, second

    def receive_one_after_sending(sig):
        with tonio.signal_receiver(sig) as sigs:
            sim.send_signal(sig)
            for ev in sigs:
                return (yield ev)

    got = sim.run(main(), seed=0, signals=[signal.SIGHUP])
    assert got == (signal.SIGHUP, signal.SIGHUP)


def test_pending_signals_merge_per_number_as_posix_keeps_them():
    def main():
        for sig in (signal.SIGUSR1, signal.SIGUSR1, signal.SIGHUP):
            sim.send_signal(sig)
        with tonio.signal_receiver(signal.SIGHUP, signal.SIGUSR1) as sigs:
            got = [(yield next(sigs)), (yield next(sigs))]
            late, _ = yield tonio.time.timeout(next(sigs), 1)
        return sorted(got), late

    got, late = sim.run(main(), seed=0, signals=[signal.SIGHUP, signal.SIGUSR1])
    assert got == [signal.SIGHUP, signal.SIGUSR1]
    assert late is None


def test_signals_a_receiver_never_took_go_to_the_next_receiver():
    def main():
        with tonio.signal_receiver(signal.SIGTERM):
            sim.send_signal(signal.SIGTERM)
            yield tonio.sleep(1)  # delivered to this receiver, which never reads it
        return (yield from receive_one(signal.SIGTERM))

    assert sim.run(main(), seed=0, signals=[signal.SIGTERM]) == signal.SIGTERM


@pytest.mark.tonio(platform="sim", runs=30, signals=[signal.SIGTERM])
def test_sigterm_stops_a_consumer_loop_raced_against_it():
    """The usual shutdown: a consumer loop in a select with a signal receive. Once the consumer
    received messages, SIGTERM still wins (it used to be unable to), and the consumer is
    cancelled."""
    tx, rx = tonio.sync.channel.unbounded()
    received = []

    def consumer():
        while True:
            received.append((yield rx.receive()))

    def producer():
        for i in range(5):
            tx.send(i)
            yield tonio.sleep(0.01)
        sim.send_signal(signal.SIGTERM)

    join = tonio.spawn(producer())
    with tonio.signal_receiver(signal.SIGTERM) as sigs:
        stopped_by = yield tonio.select(consumer(), next(sigs))
    yield join
    assert stopped_by == signal.SIGTERM
    assert received == [0, 1, 2, 3, 4]
