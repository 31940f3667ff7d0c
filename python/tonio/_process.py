"""Child processes: ``run_process`` and ``open_process`` (``tonio`` and ``tonio.colored``).

- ``open_process(command, **popen_kwargs)`` -> :class:`Process`. ``subprocess.PIPE`` for
  ``stdin``/``stdout``/``stderr`` gives a :class:`~tonio._pipes.PipeStream` on the reactor.
- ``run_process(command, *, stdin=b'', capture_stdout=False, capture_stderr=False,
  check=True, **popen_kwargs)`` -> ``subprocess.CompletedProcess``; ``CalledProcessError``
  (with the captured output) when ``check`` and the exit code is not 0.

The child is spawned on the blocking pool (a spawn costs about half a millisecond of CPU:
spawns run in parallel there, not on a worker), with ``spawn_blocking_to_completion``: a
cancellation never interrupts a spawn halfway; the spawn finishes and, if its waiter was
cancelled meanwhile, the child is killed and reaped (``_Handoff``). The exit is waited for on a
pidfd (Linux >= 5.3) through the reactor, else by polling. Invariants: a ``run_process`` that
ends for any reason (cancelled included) has killed and reaped its child and closed its pipes;
a :class:`Process` closes its descriptors when it is waited for or freed. Text-mode options
are refused: processes exchange bytes.
Under the simulator both calls are refused: a real child runs on the OS's schedule, not the
seed's.
"""

from __future__ import annotations

import os
import subprocess
import threading
import types
from collections.abc import Generator, Sequence
from typing import TYPE_CHECKING, Any

from . import _tonio
from ._pipes import PipeStream

if TYPE_CHECKING:
    from typing import AwaitableGenerator

    #: What the awaitables of this module are to a type checker: generators that may be
    #: yielded (yield flavour) or awaited (colored), as ``types.coroutine`` makes them.
    type Op[T] = AwaitableGenerator[Any, Any, T, Generator[Any, Any, T]]
from .exceptions import CancelledError, ResourceBroken

__all__ = ["Process", "open_process", "run_process"]

_POLL_START, _POLL_MAX = 0.001, 0.05
_STREAMS = ("stdin", "stdout", "stderr")


def _check_options(call: str, kwargs: dict[str, Any]) -> None:
    if _tonio.running_platform() == "sim":
        raise RuntimeError(
            f"tonio.{call}() is refused in a simulated run: a real child process runs on the "
            "OS's schedule, not the run's seed, so the run could not replay; run this test on "
            "the real platform, or stand in for the process with a task"
        )
    asks_text = {
        "text": bool(kwargs.get("text")),
        "universal_newlines": bool(kwargs.get("universal_newlines")),
        "encoding": kwargs.get("encoding") is not None,
        "errors": kwargs.get("errors") is not None,
        "bufsize": kwargs.get("bufsize", -1) not in (-1, 0),
    }
    for name, asked in asks_text.items():
        if asked:
            raise TypeError(
                f"tonio.{call}(): the {name}= option is not supported: processes exchange "
                "bytes over unbuffered streams (decode what you read yourself)"
            )


def _pidfd(pid: int) -> int | None:
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):  # no pidfd_open (kernel < 5.3, not Linux): poll
        return None


class Process:
    """A running child process (from :func:`open_process`).

    ``args``, ``pid``; ``stdin``, ``stdout``, ``stderr``: the piped streams or ``None``;
    ``stdio``: ``(stdin, stdout)`` when both are piped; ``returncode`` and ``poll()``: the exit
    code, ``None`` while it runs; ``wait()``: awaitable of the exit code; ``send_signal``,
    ``terminate``, ``kill``: plain calls (nothing happens once the child was reaped). Waiting
    is yours to do (after ``kill`` if need be); the object closes its descriptors when it is
    waited for or freed.
    """

    def __init__(
        self,
        popen: subprocess.Popen[bytes],
        stdin: PipeStream | None,
        stdout: PipeStream | None,
        stderr: PipeStream | None,
    ) -> None:
        self._popen = popen
        self.args = popen.args
        self.pid = popen.pid
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self._pidfd = _pidfd(popen.pid)

    @property
    def stdio(self) -> tuple[PipeStream, PipeStream] | None:
        if self.stdin is None or self.stdout is None:
            return None
        return (self.stdin, self.stdout)

    @property
    def returncode(self) -> int | None:
        return self._popen.returncode

    def poll(self) -> int | None:
        """The exit code if the child exited (reaping it), else ``None``."""
        code = self._popen.poll()
        if code is not None:
            self._close_pidfd()
        return code

    def wait(self) -> Op[int]:
        """Awaitable: waits for the child to exit (reaping it) and evaluates to its code."""
        return self._wait()

    @types.coroutine
    def _wait(self) -> Generator[Any, Any, int]:
        delay = _POLL_START
        while self.poll() is None:
            if self._pidfd is not None:
                yield _tonio.wait_readable(self._pidfd)
            else:
                from .time import sleep

                yield sleep(delay)
                delay = min(delay * 2, _POLL_MAX)
        return self._popen.returncode

    def send_signal(self, sig: int) -> None:
        """Sends signal ``sig`` to the child (nothing once it was reaped)."""
        self._popen.send_signal(sig)

    def terminate(self) -> None:
        """Sends ``SIGTERM`` to the child (nothing once it was reaped)."""
        self._popen.terminate()

    def kill(self) -> None:
        """Sends ``SIGKILL`` to the child (nothing once it was reaped)."""
        self._popen.kill()

    def _close_pidfd(self) -> None:
        fd, self._pidfd = self._pidfd, None
        if fd is not None:
            os.close(fd)

    def _close(self) -> None:
        """Closes every descriptor the object holds (pipes, pidfd)."""
        for stream in (self.stdin, self.stdout, self.stderr):
            if stream is not None:
                stream.close()
        self._close_pidfd()

    def _kill_and_reap(self) -> None:
        _kill_and_reap(self._popen)
        self._close()

    def __del__(self) -> None:
        if hasattr(self, "_popen"):
            self._close()

    def __repr__(self) -> str:
        return f"<tonio Process pid={self.pid} returncode={self.returncode}>"


def _spawn(command: Any, kwargs: dict[str, Any]) -> tuple[subprocess.Popen[bytes], dict[str, int]]:
    """Spawns the child (on a pool thread); each ``subprocess.PIPE`` becomes a pipe whose
    parent end is returned by name (the child's end is closed here once it has it)."""
    parent_ends: dict[str, int] = {}
    child_ends: list[int] = []
    try:
        for name in _STREAMS:
            if kwargs.get(name) is subprocess.PIPE or kwargs.get(name) == subprocess.PIPE:
                r, w = os.pipe()
                child, parent = (r, w) if name == "stdin" else (w, r)
                kwargs[name] = child
                parent_ends[name] = parent
                child_ends.append(child)
        popen = subprocess.Popen(command, **kwargs)
    except BaseException:
        for fd in (*parent_ends.values(), *child_ends):
            os.close(fd)
        raise
    for fd in child_ends:
        os.close(fd)
    return popen, parent_ends


def _process(popen: subprocess.Popen[bytes], parent_ends: dict[str, int]) -> Process:
    """The :class:`Process` of a spawned child, made on the task's thread: on free-threaded
    CPython an object is freed by the thread that made it, and an idle pool thread would keep a
    dropped process's descriptors open until it next runs Python."""
    streams = {name: PipeStream(fd) for name, fd in parent_ends.items()}
    return Process(popen, streams.get("stdin"), streams.get("stdout"), streams.get("stderr"))


def open_process(command: str | Sequence[Any], **popen_kwargs: Any) -> Op[Process]:
    """Awaitable: starts ``command`` and evaluates to its :class:`Process` (see the class)."""
    _check_options("open_process", popen_kwargs)
    return _open(command, popen_kwargs)


class _Handoff:
    """A spawn on the pool and the task that waits for it. A task that gives up (cancelled)
    before the spawn starts prevents it; after, it waits for the spawn to end (a fraction of a
    millisecond) and the child is killed and reaped: nothing is left once the cancellation
    goes on."""

    __slots__ = ("lock", "abandoned", "started", "ended", "spawned_child")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.abandoned = False
        self.started = False
        self.ended = threading.Event()
        self.spawned_child: tuple[subprocess.Popen[bytes], dict[str, int]] | None = None

    def spawn(self, command: Any, kwargs: dict[str, Any]) -> Any:
        with self.lock:
            if self.abandoned:
                return None
            self.started = True
        try:
            child = _spawn(command, kwargs)
            with self.lock:
                if not self.abandoned:
                    self.spawned_child = child
                    return child
            _discard(child)  # nobody waits for it any more
            return None
        finally:
            self.ended.set()

    def abandon(self) -> None:
        with self.lock:
            self.abandoned = True
            started = self.started
        if started:
            self.ended.wait()
        with self.lock:
            child, self.spawned_child = self.spawned_child, None
        if child is not None:
            _discard(child)


def _discard(child: tuple[subprocess.Popen[bytes], dict[str, int]]) -> None:
    popen, parent_ends = child
    for fd in parent_ends.values():
        os.close(fd)
    _kill_and_reap(popen)


def _kill_and_reap(popen: subprocess.Popen[bytes]) -> None:
    """SIGKILL, then reap: the child exits at once. (`Popen.kill` does nothing once the child
    was reaped, and ignores one that is already gone.)"""
    popen.kill()
    popen.wait()


@types.coroutine
def _open(command: Any, kwargs: dict[str, Any]) -> Generator[Any, Any, Process]:
    """Spawns on the blocking pool (spawns run in parallel there); the spawn is never
    interrupted halfway, and a child whose waiter was cancelled is killed and reaped."""
    handoff = _Handoff()
    try:
        child = yield _tonio.spawn_blocking_to_completion(handoff.spawn, command, kwargs)
        proc = _process(*child)
    except BaseException:
        handoff.abandon()
        raise
    handoff.spawned_child = None  # the Process owns the child now
    return proc


def run_process(
    command: str | Sequence[Any],
    *,
    stdin: bytes | bytearray | memoryview | int | Any = b"",
    capture_stdout: bool = False,
    capture_stderr: bool = False,
    check: bool = True,
    **popen_kwargs: Any,
) -> Op[subprocess.CompletedProcess[bytes]]:
    """Awaitable: runs ``command`` to its end and evaluates to a
    ``subprocess.CompletedProcess`` (see the module docs). ``stdin``: bytes to feed (``b''``:
    none, the child reads end of input at once), or a descriptor / ``subprocess`` constant.
    Cancelled, it kills and reaps the child before the cancellation goes on."""
    _check_options("run_process", popen_kwargs)
    for name, captured in (("stdout", capture_stdout), ("stderr", capture_stderr)):
        if captured and popen_kwargs.get(name) is not None:
            raise TypeError(f"tonio.run_process(): capture_{name}=True and {name}= conflict")
    if "stdin" in popen_kwargs:
        raise TypeError("tonio.run_process(): give stdin as the stdin= argument")
    feed = None
    if isinstance(stdin, (bytes, bytearray, memoryview)):
        feed = bytes(stdin) or None
        popen_kwargs["stdin"] = subprocess.PIPE if feed else subprocess.DEVNULL
    else:
        popen_kwargs["stdin"] = stdin
    if capture_stdout:
        popen_kwargs["stdout"] = subprocess.PIPE
    if capture_stderr:
        popen_kwargs["stderr"] = subprocess.PIPE
    return _run(command, feed, check, popen_kwargs)


@types.coroutine
def _run(
    command: Any, feed: bytes | None, check: bool, kwargs: dict[str, Any]
) -> Generator[Any, Any, subprocess.CompletedProcess[bytes]]:
    from ._tasks import scope

    proc = yield from _open(command, kwargs)
    output: dict[str, bytes] = {}

    @types.coroutine
    def send(stream: PipeStream) -> Any:
        try:
            yield stream.send_all(feed or b"")
        except ResourceBroken:
            pass  # the child exited without reading it all, as subprocess.run tolerates
        finally:
            stream.close()

    @types.coroutine
    def drain(name: str, stream: PipeStream) -> Any:
        chunks = []
        while data := (yield stream.receive_some()):
            chunks.append(data)
        output[name] = b"".join(chunks)

    try:
        with scope() as pipes:
            if proc.stdin is not None:
                pipes.spawn(send(proc.stdin))
            for name, stream in (("stdout", proc.stdout), ("stderr", proc.stderr)):
                if stream is not None:
                    pipes.spawn(drain(name, stream))
        try:
            yield pipes()
            code = yield proc.wait()
        except BaseException as exc:
            # Cancelled (or failed): the child dies first, then the pipe tasks end before
            # their pipes are closed.
            proc.kill()
            pipes.cancel()
            if not isinstance(exc, GeneratorExit):
                try:
                    yield pipes()
                except (Exception, CancelledError):
                    pass
            raise
    finally:
        proc._kill_and_reap()
    out, err = output.get("stdout"), output.get("stderr")
    if check and code:
        raise subprocess.CalledProcessError(code, proc.args, output=out, stderr=err)
    return subprocess.CompletedProcess(proc.args, code, out, err)
