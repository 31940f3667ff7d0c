"""OS signals through signal_receiver; dispositions outside the runtime are left alone."""

import os
import signal
import subprocess
import sys
import textwrap

import pytest

import tonio
import tonio.colored as ctonio


def run_script(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60
    )


def test_signal_arrives_through_the_receiver_yield():
    subscribed, first = tonio.Event(), tonio.Event()

    def handler(got):
        with tonio.signal_receiver(signal.SIGUSR1) as sigs:
            subscribed.set()
            for ev in sigs:
                got.append((yield ev))
                first.set()
                if len(got) == 2:
                    return

    def main():
        got = []
        join = tonio.spawn(handler(got))
        yield subscribed.wait()  # a signal sent before the subscription is not for it
        os.kill(os.getpid(), signal.SIGUSR1)
        yield first.wait()  # two pending signals of one number may merge: send them one by one
        os.kill(os.getpid(), signal.SIGUSR1)
        yield join
        return got

    assert tonio.run(main(), signals=[signal.SIGUSR1]) == [signal.SIGUSR1] * 2


def test_signal_arrives_through_the_receiver_colored():
    async def main():
        subscribed = ctonio.Event()

        async def handler():
            with ctonio.signal_receiver(signal.SIGUSR2) as sigs:
                subscribed.set()
                async for sig in sigs:
                    return sig

        join = ctonio.spawn(handler())
        await subscribed.wait()  # a signal sent before the subscription is not for it
        os.kill(os.getpid(), signal.SIGUSR2)
        return await join

    assert ctonio.run(main(), signals=[signal.SIGUSR2]) == signal.SIGUSR2


def test_every_run_of_a_runtime_receives_signals():
    rt = tonio.runtime(signals=[signal.SIGUSR1])

    async def main():
        with ctonio.signal_receiver(signal.SIGUSR1) as sigs:
            os.kill(os.getpid(), signal.SIGUSR1)
            return await anext(sigs)

    assert [rt.run_until_complete(main()) for _ in range(3)] == [signal.SIGUSR1] * 3


def test_unconfigured_signal_keeps_its_default_behaviour():
    result = run_script(
        """
        import os, signal, tonio
        def main():
            yield tonio.sleep(0.05)
            os.kill(os.getpid(), signal.SIGUSR2)   # not configured: default action terminates
            yield tonio.sleep(5)
            print("survived")
        tonio.run(main(), signals=[signal.SIGUSR1])
        """
    )
    assert result.returncode == -signal.SIGUSR2
    assert "survived" not in result.stdout


def test_previous_dispositions_are_back_after_the_run():
    result = run_script(
        """
        import os, signal, time, tonio
        seen = []
        signal.signal(signal.SIGHUP, lambda *_: seen.append("python handler"))
        def main():
            with tonio.signal_receiver(signal.SIGHUP, signal.SIGUSR1) as sigs:
                os.kill(os.getpid(), signal.SIGUSR1)
                yield next(sigs)
        for _ in range(2):
            tonio.run(main(), signals=[signal.SIGHUP, signal.SIGUSR1])
        os.kill(os.getpid(), signal.SIGHUP)      # the Python handler is back
        deadline = time.monotonic() + 10         # another thread may take the signal: poll
        while not seen and time.monotonic() < deadline:
            time.sleep(0.01)
        print(seen, flush=True)
        os.kill(os.getpid(), signal.SIGUSR1)     # default disposition is back: terminates
        time.sleep(10)                           # (only a failing run waits this out)
        print("survived", flush=True)
        """
    )
    assert "['python handler']" in result.stdout, result.stderr
    assert "survived" not in result.stdout
    assert result.returncode == -signal.SIGUSR1


def test_signal_receiver_misuse():
    def main():
        with pytest.raises(TypeError):
            tonio.signal_receiver("SIGHUP")
        with pytest.raises(ValueError):
            tonio.signal_receiver(0)
        with pytest.raises(ValueError, match="not one the runtime listens to"):
            tonio.signal_receiver(signal.SIGUSR2)
        with pytest.raises(ValueError):
            tonio.signal_receiver()
        receiver = tonio.signal_receiver(signal.SIGUSR1)
        with pytest.raises(RuntimeError, match="context manager"):
            next(receiver)
        yield

    tonio.run(main(), signals=[signal.SIGUSR1])
    with pytest.raises(ValueError, match="cannot be handled"):
        tonio.runtime(signals=[signal.SIGKILL])


def test_leaving_the_context_ends_the_subscription():
    async def main():
        receiver = ctonio.signal_receiver(signal.SIGUSR1)
        with receiver:
            pass
        with pytest.raises(RuntimeError):
            await anext(receiver)
        return True

    assert ctonio.run(main(), signals=[signal.SIGUSR1])


def test_a_signal_that_arrives_before_the_receiver_opens_is_kept():
    async def main():
        os.kill(os.getpid(), signal.SIGUSR1)  # nobody listens yet
        await ctonio.sleep(0.05)
        with ctonio.signal_receiver(signal.SIGUSR1) as sigs:
            return await ctonio.time.timeout(anext(sigs), 10)

    assert ctonio.run(main(), signals=[signal.SIGUSR1]) == (signal.SIGUSR1, True)


def test_two_runtimes_in_two_threads_share_a_signal():
    """When the first runtime ends, the second still listens: the disposition stays tonio's
    until the last runtime that wanted the signal ends, then the default is back."""
    result = run_script(
        """
        import os, signal, threading, time, tonio

        first_listening, first_done = threading.Event(), threading.Event()

        def first():
            def main():
                with tonio.signal_receiver(signal.SIGUSR1):
                    first_listening.set()
                    yield tonio.sleep(0.05)
            tonio.run(main(), signals=[signal.SIGUSR1])
            first_done.set()

        def second():
            def main():
                with tonio.signal_receiver(signal.SIGUSR1) as sigs:
                    first_listening.wait()
                    yield tonio.spawn_blocking(first_done.wait)
                    os.kill(os.getpid(), signal.SIGUSR1)
                    got, _ = yield tonio.time.timeout(next(sigs), 10)
                    print("second got SIGUSR1:", got == signal.SIGUSR1, flush=True)
            tonio.run(main(), signals=[signal.SIGUSR1])

        threads = [threading.Thread(target=first), threading.Thread(target=second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        os.kill(os.getpid(), signal.SIGUSR1)  # no runtime listens: the default terminates
        time.sleep(10)
        print("survived", flush=True)
        """
    )
    assert "second got SIGUSR1: True" in result.stdout, (result.stdout, result.stderr)
    assert "survived" not in result.stdout
    assert result.returncode == -signal.SIGUSR1
