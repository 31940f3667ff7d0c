"""spawn, its variants, map and result shapes, in both flavours."""

import pytest

import tonio
import tonio.colored as ctonio


def double(v):
    yield
    return v * 2


async def cdouble(v):
    await ctonio.yield_now()
    return v * 2


def fail(exc):
    yield
    raise exc


async def cfail(exc):
    await ctonio.yield_now()
    raise exc


@pytest.mark.parametrize("count,expected", [(0, []), (1, 2), (3, [2, 4, 6])])
def test_spawn_result_shapes_yield(rt, count, expected):
    def main():
        return (yield tonio.spawn(*[double(i + 1) for i in range(count)]))

    assert rt.run_until_complete(main()) == expected


@pytest.mark.parametrize("count,expected", [(0, []), (1, 2), (3, [2, 4, 6])])
def test_spawn_result_shapes_colored(rt, count, expected):
    async def main():
        return await ctonio.spawn(*[cdouble(i + 1) for i in range(count)])

    assert rt.run_until_complete(main()) == expected


def test_seed_example_yield_and_colored():
    def wait_and_add(x):
        yield tonio.sleep(0.01)
        return x + 1

    def foo():
        four, five = yield tonio.spawn(wait_and_add(3), wait_and_add(4))
        return four, five

    async def cwait_and_add(x):
        await ctonio.sleep(0.01)
        return x + 1

    async def cfoo():
        four, five = await ctonio.spawn(cwait_and_add(3), cwait_and_add(4))
        return four, five

    assert tonio.run(foo()) == (4, 5)
    assert ctonio.run(cfoo()) == (4, 5)


def test_spawn_errors_are_grouped_after_all_finish_and_siblings_survive(rt):
    finished = []

    def slow(v):
        yield tonio.sleep(0.02)
        finished.append(v)
        return v

    def main():
        try:
            yield tonio.spawn(slow(1), fail(ValueError("a")), slow(2), fail(KeyError("b")))
        except ExceptionGroup as group:
            return group, sorted(finished)

    group, done = rt.run_until_complete(main())
    assert group.message == "SpawnExceptionGroup"
    assert [type(e) for e in group.exceptions] == [ValueError, KeyError]
    assert done == [1, 2]


def test_spawn_base_exception_is_kept_colored(rt):
    async def main():
        try:
            await ctonio.spawn(cfail(KeyboardInterrupt()), cdouble(1))
        except BaseExceptionGroup as group:
            return group

    group = rt.run_until_complete(main())
    assert not isinstance(group, ExceptionGroup)
    assert isinstance(group.exceptions[0], KeyboardInterrupt)


def test_without_results_evaluates_to_none_and_raises_group(rt):
    def main():
        first = yield tonio.spawn.without_results(double(1), double(2))
        with pytest.raises(ExceptionGroup):
            yield tonio.spawn.without_results(fail(RuntimeError("x")))
        return first

    assert rt.run_until_complete(main()) is None


def test_without_tracking_reports_to_hook():
    seen = []
    event = tonio.Event()

    def boom():
        yield
        event.set()  # no suspension between this and the raise
        raise ValueError("untracked")

    def main():
        assert tonio.spawn.without_tracking(boom()) is None
        yield event.wait()
        # the run ends now, while boom raises: its error must still reach the hook

    tonio.run(main(), unhandled_error_hook=seen.append)
    assert len(seen) == 1 and isinstance(seen[0], ValueError)


def test_without_tracking_default_hook_prints_to_stderr(capfd):
    started = ctonio.Event()

    async def boom():
        started.set()  # a task cancelled before it ran would never raise: end the run after this
        raise LookupError("printed-to-stderr")

    async def main():
        ctonio.spawn.without_tracking(boom())
        await started.wait()

    ctonio.run(main())
    out, err = capfd.readouterr()
    assert "printed-to-stderr" in err and "LookupError" in err
    assert "printed-to-stderr" not in out


def test_unawaited_join_errors_are_reported_not_lost():
    seen = []
    raising = tonio.Event()

    def failing():
        yield
        raising.set()  # past its last suspension: the end of the run cannot cancel it now
        raise OSError("nobody waits")

    def main():
        tonio.spawn(failing())
        yield raising.wait()

    tonio.run(main(), unhandled_error_hook=seen.append)
    assert [type(e) for e in seen] == [OSError]


def test_map_always_returns_a_list(rt):
    def main():
        one = yield tonio.map(double, [5])
        many = yield tonio.map(double, range(3))
        none = yield tonio.map(double, [])
        return one, many, none

    assert rt.run_until_complete(main()) == ([10], [0, 2, 4], [])


def test_map_colored(rt):
    async def main():
        return await ctonio.map(cdouble, [1, 2])

    assert rt.run_until_complete(main()) == [2, 4]


def test_seed_spawn_example_mixes_children_and_joins():
    def main():
        parallel = tonio.spawn(double(2), double(3))
        v3 = yield double(4)
        v1, v2 = yield parallel
        return [v1, v2, v3]

    assert tonio.run(main()) == [4, 6, 8]


def test_join_can_be_awaited_twice(rt):
    def main():
        join = tonio.spawn(double(1), double(2))
        first = yield join
        second = yield join
        return first, second

    assert rt.run_until_complete(main()) == ([2, 4], [2, 4])


def test_spawn_rejects_non_coroutines_naming_the_argument():
    def main():
        with pytest.raises(TypeError, match="argument 2"):
            tonio.spawn(double(1), 42)
        with pytest.raises(TypeError, match="forget to call"):
            tonio.spawn(double)
        yield

    tonio.run(main())


def test_many_tasks_threads2():
    def main():
        return (yield tonio.spawn(*[double(i) for i in range(5000)]))

    assert tonio.run(main(), threads=2) == [i * 2 for i in range(5000)]
