"""Simulator rough edges (issue 12): seeded randomness, interrupts, replay lines."""

import pytest

import tonio
import tonio.sim as sim


def draws():
    rng = sim.random()
    yield tonio.sleep(0)
    return [rng.random() for _ in range(3)]


def test_sim_random_replays_with_the_seed_and_differs_between_seeds():
    first = sim.run(draws(), seed=5)
    assert sim.run(draws(), seed=5) == first
    assert sim.run(draws(), seed=6) != first


def test_sim_random_is_an_ordinary_generator_on_the_real_platform_and_outside_runs():
    assert len(tonio.run(draws())) == 3
    assert 0 <= sim.random().random() < 1


def test_an_interrupt_stops_explore_instead_of_being_a_failure():
    def interrupted():
        def main():
            yield
            raise KeyboardInterrupt

        return main()

    with pytest.raises(KeyboardInterrupt):
        sim.explore(interrupted, runs=5)
    with pytest.raises(KeyboardInterrupt):
        sim.explore(interrupted, runs=5, workers=2)


def test_a_lambda_gets_a_replay_line_that_works():
    def failing():
        def main():
            yield
            raise ValueError("boom")

        return main()

    with pytest.raises(sim.Failure) as info:
        sim.explore(lambda: failing(), runs=3, max_steps=50)  # noqa: PLW0108
    assert "<lambda>" not in info.value.replay
    assert f"TONIO_SEED={info.value.seed}" in info.value.replay


def test_a_named_test_replay_line_carries_the_options_and_reproduces(monkeypatch):
    def spins():
        def main():
            while True:
                yield

        return main()

    with pytest.raises(sim.Failure) as info:
        sim.explore(spins, runs=2, max_steps=50)
    replay = info.value.replay
    assert replay.startswith("tonio.sim.run(spins(), ") and "max_steps=50" in replay
    with pytest.raises(sim.LimitExceeded):
        eval(replay, {"tonio": tonio, "spins": spins})  # the printed line, pasted


def test_garbage_of_one_run_is_never_finalized_inside_another():
    finalized_inside_a_run = []

    class Cycle:
        def __init__(self):
            self.me = self

        def __del__(self):
            # a runtime is running on this thread only while a simulated run is in progress
            finalized_inside_a_run.append(tonio._tonio.platform_entropy() is not None)

    def test():
        def main():
            for _ in range(3000):  # enough cyclic garbage to trigger the collector
                Cycle()
                if _ % 500 == 0:
                    yield

        return main()

    sim.explore(test, runs=20)
    assert finalized_inside_a_run and not any(finalized_inside_a_run)


def test_deadlock_reports_name_each_task():
    from tonio import sync

    def main():
        lock = sync.Lock()

        def holder():
            with (yield lock()):
                yield tonio.Event().wait()  # never set

        def waiter():
            with (yield lock()):
                pass

        yield tonio.spawn(holder(), waiter())

    with pytest.raises(sim.Deadlock) as info:
        sim.run(main(), seed=0)
    text = str(info.value)
    assert "(test_deadlock_reports_name_each_task.<locals>.main.<locals>.holder)" in text
    assert "(test_deadlock_reports_name_each_task.<locals>.main.<locals>.waiter)" in text


def test_a_wake_from_another_os_thread_is_refused():
    import threading

    def main():
        event = tonio.Event()
        waiting = threading.Event()
        woken = threading.Event()

        def foreign():
            waiting.wait()  # main waits on the event by now (no sleep deciding the order)
            event.set()  # from an OS thread the simulator does not schedule
            woken.set()

        def busy():
            # It first runs after main's step, which ended waiting on the event.
            waiting.set()
            while not woken.is_set():  # keeps the simulation running meanwhile
                yield

        threading.Thread(target=foreign).start()
        tonio.spawn(busy())
        yield event.wait()

    with pytest.raises(sim.SimulationError, match="another OS thread"):
        sim.run(main(), seed=0, max_steps=10**8)


@pytest.mark.parametrize("kind", ["exception", "deadlock", "limit"])
def test_every_kind_of_failure_prints_a_replay_line_that_fails_again(kind):
    def raising():
        def main():
            yield
            raise ValueError("boom")

        return main()

    def deadlocking():
        def main():
            yield tonio.Event().wait()  # nobody will ever set it

        return main()

    def spinning():
        def main():
            while True:
                yield

        return main()

    test, expected = {
        "exception": (raising, ValueError),
        "deadlock": (deadlocking, sim.Deadlock),
        "limit": (spinning, sim.LimitExceeded),
    }[kind]
    with pytest.raises(sim.Failure) as info:
        sim.explore(test, runs=3, max_steps=200)
    assert isinstance(info.value.__cause__, expected)
    with pytest.raises(expected):
        eval(info.value.replay, {"tonio": tonio, test.__name__: test})


@pytest.mark.filterwarnings("ignore:tonio awaitable sleep was never")  # the refused one
def test_a_task_can_be_named_where_it_is_spawned():
    def stuck():
        yield tonio.Event().wait()

    def main():
        with tonio.scope() as scope:
            scope.spawn(stuck(), name="stuck-worker")
            with pytest.raises(TypeError, match="name"):
                scope.spawn(tonio.sleep(1), name="a bare awaitable")
            yield tonio.sleep(0)
        yield scope()

    with pytest.raises(sim.Deadlock, match=r"\(stuck-worker\) waiting on Event.wait"):
        sim.run(main(), seed=0)
