"""Misuse gets a clear error at once: never a crash, a hang or a silently wrong result."""

import subprocess
import sys
import textwrap
import time

import pytest

import tonio
import tonio.colored as ctonio


def test_one_coroutine_spawned_twice_is_refused(rt):
    def body():
        yield
        return 1

    def main():
        c = body()
        try:
            yield tonio.spawn(c, c)
        except ExceptionGroup as group:
            return [str(e) for e in group.exceptions]
        return []

    for _ in range(50):
        errors = tonio.runtime(threads=rt.threads).run_until_complete(main())
        assert len(errors) == 1
        assert "was already started" in errors[0]


def test_one_generator_yielded_as_child_by_two_tasks_is_refused(rt):
    def child(gate):
        yield gate.wait()
        return "child"

    def parent(g):
        return (yield g)

    def main():
        gate = tonio.Event()
        g = child(gate)
        join = tonio.spawn(parent(g), parent(g))
        yield tonio.sleep(0.01)
        gate.set()
        try:
            results = yield join
        except ExceptionGroup as group:
            return [type(e).__name__ for e in group.exceptions]
        return results

    assert rt.run_until_complete(main()) == ["RuntimeError"]


def test_spawning_a_finished_coroutine_again_is_refused(any_rt):
    """spawn(c, c) fails the same way whether or not the first task already finished."""

    def body():
        yield
        return 1

    def main():
        c = body()
        first = yield tonio.spawn(c)
        try:
            yield tonio.spawn(c)
        except ExceptionGroup as group:
            return first, [str(e) for e in group.exceptions]

    first, errors = any_rt.run_until_complete(main())
    assert first == 1
    assert len(errors) == 1 and "was already started" in errors[0]


def test_waiting_for_a_scope_inside_its_own_with_block_raises_at_once(any_rt):
    def child():
        yield tonio.sleep(0.001)

    def main():
        with tonio.scope() as scope:
            scope.spawn(child())
            with pytest.raises(RuntimeError, match="with block"):
                yield scope()
        yield scope()
        return "ok"

    start = time.monotonic()
    assert any_rt.run_until_complete(main()) == "ok"
    assert time.monotonic() - start < 5


def test_another_task_may_wait_for_an_open_scope(any_rt):
    def waiter(scope, log):
        yield scope()
        log.append("waited")

    def main():
        log = []
        with tonio.scope() as scope:
            join = tonio.spawn(waiter(scope, log))
            scope.spawn(tonio.sleep(0.001))
        yield scope()
        yield join
        return log

    assert any_rt.run_until_complete(main()) == ["waited"]


def test_one_colored_sleep_awaited_by_two_tasks_does_not_double(any_rt):
    async def sleeper(aw):
        try:
            await aw
        except RuntimeError as exc:
            return str(exc)
        return "slept"

    async def main():
        aw = ctonio.sleep(0.2)
        start = ctonio.time.time()
        results = await ctonio.spawn(sleeper(aw), sleeper(aw))
        return results, ctonio.time.time() - start

    results, elapsed = any_rt.run_until_complete(main())
    assert "slept" in results
    others = [r for r in results if r != "slept"]
    assert others == [] or "already being awaited by another task" in others[0]
    assert elapsed < 0.35


def test_one_colored_awaitable_awaited_again_after_finishing_works(any_rt):
    async def main():
        aw = ctonio.sleep(0.01)
        start = ctonio.time.time()
        await aw
        await aw
        return ctonio.time.time() - start

    assert any_rt.run_until_complete(main()) >= 0.02


def test_one_colored_receive_awaited_by_two_tasks_loses_nothing(any_rt):
    tx, rx = ctonio.sync.channel.unbounded()

    async def taker(aw, got):
        try:
            got.append(await aw)
        except RuntimeError:
            got.append("refused")

    async def main():
        got = []
        aw = rx.receive()
        join = ctonio.spawn(taker(aw, got), taker(aw, got))
        await ctonio.yield_now()
        tx.send("a")
        tx.send("b")
        await join
        tx.close()
        left = []
        while True:
            try:
                left.append(await rx.receive())
            except BrokenPipeError:
                break
        return got, left

    got, left = any_rt.run_until_complete(main())
    messages = sorted(m for m in got if m != "refused") + left
    assert sorted(messages) == ["a", "b"]


def test_guard_dropped_on_another_thread_releases_at_once():
    lock = tonio.sync.Lock()

    def dropper(box):
        box.clear()

    def main():
        box = [(yield lock())]
        yield tonio.spawn_blocking(dropper, box)
        return lock.locked()

    results = [tonio.run(main(), threads=2) for _ in range(40)]
    assert results == [False] * 40


def test_guard_dropped_without_with_releases_before_the_next_suspension_ends(rt):
    lock = tonio.sync.Lock()

    def main():
        g = yield lock()
        del g
        yield
        return lock.locked()

    assert rt.run_until_complete(main()) is False


def run_script(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_objects_alive_at_interpreter_exit_do_not_crash_it():
    proc = run_script(
        """
        import tonio
        lock = tonio.sync.Lock()
        KEEP = []

        def failing():
            raise ValueError("kept in a join nobody awaited")
            yield

        def main():
            KEEP.append((yield lock()))       # a held guard, released at exit
            KEEP.append(tonio.spawn(failing()))  # a join with an unreported error
            yield tonio.sleep(0.001)

        tonio.run(main(), threads=2)
        print("done")
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert "done" in proc.stdout
    assert "panicked" not in proc.stderr
