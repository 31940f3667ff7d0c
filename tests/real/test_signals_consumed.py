"""A signal the runtime listens to reaches only its receivers while the run lasts."""

import subprocess
import sys
import textwrap


def run_script(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60
    )


def test_consumed_sigint_does_not_raise_keyboardinterrupt_and_shutdown_is_graceful():
    """Graceful shutdown on Ctrl-C: with signals=[SIGINT] and a receiver, SIGINT goes to the
    receiver only (Python's handler, which raises KeyboardInterrupt, is not called during the
    run); after the run Python's handler is back."""
    proc = run_script(
        """
        import os, signal, tonio

        def server(stopped):
            with tonio.signal_receiver(signal.SIGINT) as sigs:
                for ev in sigs:
                    sig = yield ev
                    stopped.append(sig)
                    return "graceful"

        def main():
            stopped = []
            join = tonio.spawn(server(stopped))
            yield tonio.sleep(0.05)   # the receiver is subscribed
            os.kill(os.getpid(), signal.SIGINT)
            result = yield join
            yield tonio.sleep(0.05)   # a KeyboardInterrupt would surface meanwhile
            return result, stopped

        for _ in range(2):        # the second run too (signal-hook stays installed)
            print(tonio.run(main(), signals=[signal.SIGINT]))
        try:
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(100):
                pass
            import time; time.sleep(0.5)
        except KeyboardInterrupt:
            print("KeyboardInterrupt after the run")
        """
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines == [
        "('graceful', [<Signals.SIGINT: 2>])",
        "('graceful', [<Signals.SIGINT: 2>])",
        "KeyboardInterrupt after the run",
    ] or lines == [
        "('graceful', [2])",
        "('graceful', [2])",
        "KeyboardInterrupt after the run",
    ], proc.stdout + proc.stderr


def test_consumed_sigterm_does_not_reach_a_python_handler_during_the_run():
    proc = run_script(
        """
        import os, signal, tonio

        called = []
        signal.signal(signal.SIGTERM, lambda *a: called.append("python"))

        async def main():
            with tonio.colored.signal_receiver(signal.SIGTERM) as sigs:
                os.kill(os.getpid(), signal.SIGTERM)
                async for sig in sigs:
                    break
            await tonio.colored.sleep(0.05)
            return list(called)

        import tonio.colored
        print(tonio.colored.run(main(), signals=[signal.SIGTERM]))
        os.kill(os.getpid(), signal.SIGTERM)
        import time; time.sleep(0.1)
        print(called)
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["[]", "['python']"], proc.stdout + proc.stderr
