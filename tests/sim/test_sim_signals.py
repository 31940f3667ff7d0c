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
