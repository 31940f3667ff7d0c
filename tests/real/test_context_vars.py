"""contextvars per task (on by default, as asyncio and trio): each task runs in a copy of the
context current where it was spawned. Tasks that never set a variable share no context anybody
can observe; the first variable a task sets gives it a context of its own
(src/common/base/task_context.rs). Every body runs on the real platform (1 and 2 workers) and on
the simulator."""

import contextvars

import pytest

import tonio
import tonio.colored as ctonio

VAR: contextvars.ContextVar[str] = contextvars.ContextVar("VAR", default="unset")


def test_children_and_siblings_do_not_see_each_others_variables(any_rt):
    def child(name):
        before = VAR.get()
        VAR.set(name)
        yield
        yield tonio.sleep(0.001)
        return before, VAR.get()

    def main():
        values = yield tonio.spawn(child("a"), child("b"), child("c"))
        return values, VAR.get()

    # The parent never set anything: the children start from the empty context (no copy).
    values, parent = any_rt.run_until_complete(main())
    assert values == [("unset", "a"), ("unset", "b"), ("unset", "c")]
    assert parent == "unset"


def test_a_child_starts_from_its_parents_value_at_spawn_time(any_rt):
    def child():
        seen = VAR.get()
        VAR.set("changed by child")
        yield
        return seen

    def grandchild_reader():
        yield
        return VAR.get()

    def parent():
        yield  # a step without variables first (the parent's context is borrowed)
        VAR.set("parent")
        seen = yield tonio.spawn(child())
        VAR.set("parent again")
        later = yield tonio.spawn(grandchild_reader())
        return seen, later, VAR.get()

    def main():
        return (yield tonio.spawn(parent()))

    assert any_rt.run_until_complete(main()) == ("parent", "parent again", "parent again")


def test_a_spawn_inside_a_nested_context_run_copies_that_context(any_rt):
    def reader():
        yield
        return VAR.get()

    def main():
        yield
        inner = contextvars.copy_context()

        def spawn_inside():
            VAR.set("inside Context.run")
            return tonio.spawn(reader())

        join = inner.run(spawn_inside)
        seen = yield join
        return seen, VAR.get()

    assert any_rt.run_until_complete(main()) == ("inside Context.run", "unset")


def test_a_token_outlives_the_step_that_set_the_variable(any_rt):
    def task():
        token = VAR.set("x")
        VAR.reset(token)  # empty again, but the token still refers to this context
        yield
        assert VAR.get() == "unset"
        with pytest.raises(RuntimeError, match="already been used"):
            VAR.reset(token)
        second = VAR.set("y")
        yield tonio.sleep(0.001)
        VAR.reset(second)  # the same context, a step later
        return VAR.get()

    def main():
        return (yield tonio.spawn(task(), task()))

    assert any_rt.run_until_complete(main()) == ["unset", "unset"]


def test_many_tasks_each_keep_their_own_value(any_rt):
    def task(i):
        if i % 2:
            VAR.set(str(i))
        for _ in range(3):
            yield
        return VAR.get()

    def main():
        return (yield tonio.spawn(*[task(i) for i in range(200)]))

    assert any_rt.run_until_complete(main()) == [str(i) if i % 2 else "unset" for i in range(200)]


def test_colored_tasks_and_blocking_calls_get_copies_too(any_rt):
    async def child():
        VAR.set("child")
        await ctonio.yield_now()
        return VAR.get()

    def blocking_read():
        return VAR.get()

    async def main():
        VAR.set("main")
        child_value = await ctonio.spawn(child())
        blocking = await ctonio.spawn_blocking(blocking_read)
        return child_value, blocking, VAR.get()

    assert any_rt.run_until_complete(main()) == ("child", "main", "main")


def test_context_false_keeps_the_shared_behaviour():
    # tonio 0.6.0's default: tasks run in the worker thread's context; with one worker a
    # child's set is visible to its parent afterwards.
    def child():
        VAR.set("child")
        yield

    def main():
        yield tonio.spawn(child())
        return VAR.get()

    # Each in a fresh context: with context=False the child's set lands in the context of the
    # thread that called run (worker 0), which is the point.
    shared = contextvars.Context().run(tonio.run, main(), threads=1, context=False)
    assert shared == "child"
    assert contextvars.Context().run(tonio.run, main(), threads=1) == "unset"
    assert tonio.runtime().context is True
    assert tonio.runtime(context=False).context is False
