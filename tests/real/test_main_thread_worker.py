"""Worker 0 is the thread that called run_until_complete (the main thread, usually)."""

import subprocess
import sys
import textwrap
import threading

import tonio


def test_with_one_worker_tasks_run_on_the_calling_thread():
    def main():
        yield
        return threading.get_ident()

    assert tonio.run(main(), threads=1) == threading.get_ident()


def test_calling_from_another_thread_runs_there():
    result = {}

    def main():
        yield
        return threading.get_ident()

    def caller():
        result["ran"] = tonio.run(main(), threads=1)
        result["caller"] = threading.get_ident()

    thread = threading.Thread(target=caller)
    thread.start()
    thread.join(30)
    assert result["ran"] == result["caller"]


def test_ctrl_c_during_a_busy_task_interrupts_the_whole_run():
    """SIGINT while a task runs Python code on the main thread (worker 0): the run is
    interrupted as a whole (every task is cancelled at its next suspension and unwinds) and
    run_until_complete raises a plain KeyboardInterrupt, not one inside that task."""
    code = textwrap.dedent(
        """
        import os, signal, threading, time, tonio
        unwound = []

        def sleeper():
            try:
                yield tonio.sleep(100)
            finally:
                unwound.append("sleeper")

        def busy(started):
            started.set()
            end = time.monotonic() + 30
            try:
                while time.monotonic() < end:
                    step = time.monotonic() + 0.01
                    while time.monotonic() < step:
                        pass
                    yield
            finally:
                unwound.append("busy")

        def main():
            started = threading.Event()
            tonio.spawn.without_tracking(sleeper())
            join = tonio.spawn(busy(started))
            threading.Thread(
                target=lambda: (started.wait(10), os.kill(os.getpid(), signal.SIGINT))
            ).start()
            yield join

        start = time.monotonic()
        try:
            tonio.run(main(), threads=1)
        except KeyboardInterrupt as exc:
            print("interrupted", type(exc).__name__, sorted(unwound), time.monotonic() - start < 20)
        print("handler restored", signal.getsignal(signal.SIGINT) is signal.default_int_handler)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "interrupted KeyboardInterrupt ['busy', 'sleeper'] True" in out.stdout, (
        out.stdout + out.stderr
    )
    assert "handler restored True" in out.stdout
