"""What the simulator's reports say: a run ended by a limit lists what every task waits on, as
a deadlock does, with the clock stopped at `max_time`; a select's internal branch is named
after the select and its call site. On the build before, `LimitExceeded` named no task, a run
with `max_time=600` ended at 3600 s, and a branch was `task 6 (?) waiting on ... at ?`."""

import pytest

import tonio
import tonio.sim
from tonio.sync import channel


def sleeps_an_hour_while_a_helper_waits():
    tx, rx = channel.channel(1)

    def waiter():
        yield rx.receive()

    tonio.spawn(waiter())
    yield tonio.sleep(3600)


def test_a_time_limit_lists_every_task_and_stops_the_clock_there():
    rt = tonio.sim.runtime(seed=1, max_time=600)
    with pytest.raises(tonio.sim.LimitExceeded) as raised:
        rt.run_until_complete(sleeps_an_hour_while_a_helper_waits())
    message = str(raised.value)
    assert "max_time=600" in message
    assert "2 unfinished task(s)" in message
    assert "(sleeps_an_hour_while_a_helper_waits) waiting on sleep at " in message
    assert "waiting on channel receive at " in message
    assert rt.last_virtual_time == 600


def test_a_step_limit_lists_every_task():
    def spins():
        while True:
            yield tonio.sleep(0.001)

    rt = tonio.sim.runtime(seed=1, max_steps=50)
    with pytest.raises(
        tonio.sim.LimitExceeded, match=r"(?s)max_steps=50.*spins\) waiting on sleep"
    ):
        rt.run_until_complete(spins())


def test_a_select_branch_is_named_after_its_select_and_call_site():
    def main():
        tx, rx = channel.channel(1)
        yield tonio.select(rx.receive(), rx.receive())  # the line named in the report

    rt = tonio.sim.runtime(seed=1)
    with pytest.raises(tonio.sim.Deadlock) as raised:
        rt.run_until_complete(main())
    message = str(raised.value)
    assert "(?)" not in message and " at ?" not in message
    assert message.count(".main) waiting on channel receive at ") == 2
    assert message.count("(select branch of test_a_select_branch") == 2
    select_line = next(
        number
        for number, line in enumerate(open(__file__), 1)
        if "# the line named in the report" in line and "select" in line
    )
    assert f"{__file__}:{select_line}" in message.splitlines()[-1]
