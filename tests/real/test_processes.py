"""Child processes in both flavours: outputs intact, errors as subprocess gives them, nothing left
behind (no descriptor, no zombie) by a loop of runs or by a cancellation at any await point."""

import os
import subprocess
import sys

import pytest

import tonio
import tonio.colored as ctonio
import tonio.sim
from tonio.time import timeout

TEN_MB = os.urandom(10 * 1024 * 1024)


def open_descriptors():
    return len(os.listdir("/proc/self/fd"))


def no_child_left():
    try:
        pid, _ = os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True  # no child at all: nothing unreaped
    return pid == 0 and not _zombies()


def _zombies():
    me = os.getpid()
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] == "Z" and int(fields[1]) == me:
                found.append(int(entry))
    return found


def test_run_process_both_flavours():
    def main():
        return (yield tonio.run_process(["echo", "hello"], capture_stdout=True))

    async def cmain():
        return await ctonio.run_process(["echo", "hello"], capture_stdout=True)

    for result in (tonio.run(main()), ctonio.run(cmain())):
        assert isinstance(result, subprocess.CompletedProcess)
        assert (result.returncode, result.stdout, result.stderr) == (0, b"hello\n", None)


def test_ten_megabytes_through_a_pipe_each_way():
    def main():
        return (yield tonio.run_process(["cat"], stdin=TEN_MB, capture_stdout=True))

    assert tonio.run(main(), threads=2).stdout == TEN_MB


def test_open_process_streams_both_flavours():
    def main():
        proc = yield tonio.open_process(["cat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert proc.stdio == (proc.stdin, proc.stdout) and proc.stderr is None
        yield proc.stdin.send_all(b"hello")
        proc.stdin.close()
        got = b""
        while data := (yield proc.stdout.receive_some()):
            got += data
        return got, (yield proc.wait()), proc.returncode, proc.poll()

    async def cmain():
        proc = await ctonio.open_process(["cat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)

        async def send():  # concurrently: cat stops reading while its output is not read
            await proc.stdin.send_all(TEN_MB)
            proc.stdin.close()

        sending = ctonio.spawn(send())
        got = bytearray()
        while data := await proc.stdout.receive_some():
            got += data
        await sending
        return bytes(got) == TEN_MB, await proc.wait()

    assert tonio.run(main()) == (b"hello", 0, 0, 0)
    assert ctonio.run(cmain(), threads=2) == (True, 0)


def test_check_raises_called_process_error_with_the_output():
    def main():
        yield tonio.run_process(
            [
                sys.executable,
                "-c",
                "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)",
            ],
            capture_stdout=True,
            capture_stderr=True,
        )

    with pytest.raises(subprocess.CalledProcessError) as raised:
        tonio.run(main())
    assert (raised.value.returncode, raised.value.stdout, raised.value.stderr) == (
        3,
        b"out\n",
        b"err\n",
    )

    def unchecked():
        return (yield tonio.run_process(["false"], check=False)).returncode

    assert tonio.run(unchecked()) == 1


def test_three_hundred_processes_leave_no_descriptor_and_no_zombie():
    def main():
        before = open_descriptors()
        for _ in range(300):
            result = yield tonio.run_process(["true"], capture_stdout=True, capture_stderr=True)
            assert result.returncode == 0
        return before, open_descriptors()

    before, after = tonio.run(main(), threads=2)
    assert after == before
    assert no_child_left()


def test_a_freed_process_object_closes_its_descriptors():
    # One worker: on free-threaded CPython an object dropped by another thread than the one
    # that created it is freed when that thread next runs Python, which an idle worker may not.
    def main():
        before = open_descriptors()
        for _ in range(20):
            proc = yield tonio.open_process(["true"], stdout=subprocess.PIPE)
            yield proc.wait()
            del proc
        yield  # the driver lets go of the last value it resumed this task with
        return before, open_descriptors()

    before, after = tonio.run(main(), threads=1)
    assert after == before
    assert no_child_left()


def pid_file_command(path, *then):
    return ["sh", "-c", f"echo $$ > {path}; exec " + " ".join(then)]


def gone(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z" and False
    except FileNotFoundError:
        return True


@pytest.mark.parametrize(
    "where",
    ["waiting for the exit", "draining the output", "feeding the input"],
)
def test_a_cancelled_run_process_kills_and_reaps_its_child(tmp_path, where):
    pid_file = tmp_path / "pid"
    command = pid_file_command(pid_file, "sleep", "30")
    options = {
        "waiting for the exit": {},
        "draining the output": {"capture_stdout": True},
        "feeding the input": {"stdin": TEN_MB},  # sleep never reads it
    }[where]

    def main():
        before = open_descriptors()
        value, done = yield timeout(tonio.run_process(command, **options), 0.3)
        assert (value, done) == (None, False)
        return before, open_descriptors()

    before, after = tonio.run(main(), threads=2)
    assert after == before
    assert gone(int(pid_file.read_text()))
    assert no_child_left()


def test_cancelling_open_process_reads_and_waits_leaves_the_process_usable():
    def main():
        proc = yield tonio.open_process(["cat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        value, done = yield timeout(proc.stdout.receive_some(), 0.05)
        assert (value, done) == (None, False)
        value, done = yield timeout(proc.wait(), 0.05)
        assert (value, done) == (None, False)
        yield proc.stdin.send_all(b"still here")
        data = yield proc.stdout.receive_some()
        proc.kill()
        return data, (yield proc.wait())

    assert tonio.run(main()) == (b"still here", -9)


@pytest.mark.parametrize(
    "option",
    [
        {"text": True},
        {"universal_newlines": True},
        {"encoding": "utf-8"},
        {"errors": "strict"},
        {"bufsize": 1},
    ],
)
def test_text_mode_options_are_refused_naming_the_option(option):
    name = next(iter(option))

    def main():
        for call in (tonio.run_process, tonio.open_process):
            with pytest.raises(TypeError, match=f"{name}= option is not supported"):
                call(["true"], **option)
        return "ok"
        yield

    assert tonio.run(main()) == "ok"


def test_a_missing_program_is_the_os_error():
    def main():
        before = open_descriptors()
        with pytest.raises(FileNotFoundError):
            yield tonio.run_process(["/nonexistent/program"], capture_stdout=True, stdin=b"x")
        return before, open_descriptors()

    before, after = tonio.run(main())
    assert after == before


def test_the_simulator_refuses_processes_naming_the_call():
    def main():
        for call in ("run_process", "open_process"):
            with pytest.raises(RuntimeError, match=rf"tonio\.{call}\(\) is refused in a simulated"):
                getattr(tonio, call)(["true"])
        return "ok"
        yield

    assert tonio.sim.run(main(), seed=0) == "ok"


def test_a_spawn_cancelled_at_any_moment_leaves_no_child_and_no_descriptor():
    def main():
        before = open_descriptors()
        outcomes = set()
        for delay in [0, 0.0001, 0.0003, 0.0006, 0.001] * 10:
            value, done = yield timeout(
                tonio.open_process(["sleep", "30"], stdout=subprocess.PIPE), delay
            )
            if done:  # spawned before the deadline: ours to end
                value.kill()
                yield value.wait()
                del value
            outcomes.add(done)
        yield
        return before, open_descriptors(), outcomes

    before, after, outcomes = tonio.run(main(), threads=1)
    assert after == before
    assert no_child_left()
    assert False in outcomes  # some spawns were cancelled
