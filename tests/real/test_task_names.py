"""Task names and ids: `tonio.current_task()`, `spawn(..., name=)`, `Runtime.dump_tasks()`."""

import time

import pytest

import tonio
import tonio.colored as ctonio


def test_current_task_names_and_ids(any_rt):
    def worker():
        yield
        task = tonio.current_task()
        return task.id, task.name

    async def colored_worker():
        await ctonio.yield_now()
        return ctonio.current_task().name

    def main():
        me = tonio.current_task()
        default, named = yield tonio.spawn(worker(), worker())
        (_, single) = yield tonio.spawn(worker(), name="fetcher")
        pair = yield tonio.spawn(worker(), worker(), name="pool")
        colored = yield tonio.spawn(colored_worker(), name="colored one")
        with tonio.scope() as scope:
            scope.spawn(worker(), name="scoped")
        yield scope()
        return me, default, named, single, pair, colored

    me, default, named, single, pair, colored = any_rt.run_until_complete(main())
    assert me.name.endswith("main") and "<tonio task" in repr(me)
    assert default[1].endswith("test_current_task_names_and_ids.<locals>.worker")
    assert len({me.id, default[0], named[0]}) == 3
    assert single == "fetcher"
    assert [name for _, name in pair] == ["pool[0]", "pool[1]"]
    assert colored == "colored one"


def test_no_current_task_outside_tasks(any_rt):
    def main():
        in_blocking = yield tonio.spawn_blocking(tonio.current_task)
        return in_blocking

    assert tonio.current_task() is None
    assert any_rt.run_until_complete(main()) is None


@pytest.mark.filterwarnings("ignore:tonio awaitable sleep was never")  # the refused one
def test_naming_what_cannot_be_named_says_so(any_rt):
    def main():
        with pytest.raises(TypeError, match=r"spawn\(name=\.\.\.\) names generator"):
            tonio.spawn(tonio.sleep(0), name="x")
        yield

    any_rt.run_until_complete(main())


def test_dump_tasks_shows_every_live_task_from_another_thread():
    rt = tonio.runtime(threads=2)
    event = tonio.Event()

    def waiter():
        yield event.wait()

    def dump_when_all_wait():
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            text = rt.dump_tasks()
            # Until all four are parked (the main task may still be finishing the step that
            # submitted this call: a task in a step shows as running).
            if text.count("waiting on Event.wait") == 3 and "waiting on spawn_blocking" in text:
                return text
            time.sleep(0.01)
        return text

    def main():
        tonio.spawn(waiter(), waiter(), waiter(), name="waiter")
        text = yield tonio.spawn_blocking(dump_when_all_wait)
        event.set()
        return text

    assert rt.dump_tasks() == ""
    text = rt.run_until_complete(main())
    assert text.startswith("4 live tasks:\n"), text  # main and the 3 waiters
    for index in range(3):
        assert f"(waiter[{index}]) waiting on Event.wait at {__file__}:" in text
    assert "(test_dump_tasks_shows_every_live_task_from_another_thread.<locals>.main)" in text
    assert rt.dump_tasks() == ""


def test_dump_tasks_from_inside_a_task_marks_itself_running(sim_rt):
    def sleeper():
        yield tonio.sleep(5)

    def main():
        tonio.spawn(sleeper(), name="sleeper")
        yield tonio.sleep(1)
        return tonio.current_task().id, sim_rt.dump_tasks()

    me, text = sim_rt.run_until_complete(main())
    lines = text.splitlines()
    assert lines[0] == "2 live tasks:"
    assert f"  task {me} running" in lines
    assert any("(sleeper) waiting on sleep" in line and __file__ in line for line in lines)
