"""`tonio.sim.timeline`: the HTML picture of a simulated run (python/tonio/_timeline.py).

The page is checked twice: its embedded data, always; and rendered in headless Chromium (DOM
after the scripts ran, and a screenshot), where a browser is installed (`make test` installs
Debian's `chromium` where it can; elsewhere that test is skipped saying so).
"""

import json
import re
import shutil
import struct
import subprocess

import planted_bugs as bugs
import pytest

import tonio
import tonio.sim
from tonio.sim import Failure


def failure_of(bug, **kwargs):
    with pytest.raises(Failure) as info:
        tonio.sim.explore(bug, runs=100, **kwargs)
    return info.value


def embedded(path):
    text = path.read_text()
    match = re.search(r'<script id="data" type="application/json">(.*?)</script>', text, re.S)
    return json.loads(match.group(1))


def test_the_page_holds_lanes_steps_wakes_and_the_failing_step(tmp_path):
    failure = failure_of(bugs.lock_order_deadlock)
    path = tonio.sim.timeline(failure, tmp_path / "deadlock.html")
    data = embedded(path)
    names = {task["name"] for task in data["tasks"]}
    assert any(name.endswith("forward") for name in names)
    assert any(name.endswith("backward") for name in names)
    assert data["failure"].startswith("Deadlock: deadlock at virtual time")
    assert data["replay"] == (
        f"tonio.sim.run(lock_order_deadlock(), schedule={failure.shrunk.schedule!r})"
    )
    steps = data["steps"]
    assert [row[0] for row in steps] == sorted(row[0] for row in steps)
    # A deadlock: the failing step is the last one before the run was ended; the tasks then
    # unwind (cancelled), in steps drawn after it.
    assert data["ended_at"] is not None
    assert data["failing_step"] == max(row[0] for row in steps if row[0] <= data["ended_at"])
    assert steps[-1][0] > data["ended_at"]
    assert any("Lock" in row[3] for row in steps)  # what the tasks waited on
    assert all(":" in row[4] for row in steps)  # file:line
    task_at = {row[0]: row[2] for row in steps}
    woken = [(row[0], row[5]) for row in steps if row[5] is not None]
    assert woken and all(task_at[waker] != task_at[step] for step, waker in woken)


def test_the_failing_step_is_the_raising_tasks_last_step(tmp_path):
    def body():
        def victim():
            yield
            yield
            raise RuntimeError("boom in the victim")

        def bystander():
            for _ in range(5):
                yield

        def main():
            yield tonio.spawn(victim(), bystander(), name="pair")

        return main()

    failure = failure_of(body)
    data = embedded(tonio.sim.timeline(failure, tmp_path / "t.html"))
    victim = next(t["id"] for t in data["tasks"] if t["name"] == "pair[0]")
    assert data["failing_step"] == max(row[0] for row in data["steps"] if row[2] == victim)


def test_a_traced_runtime_can_be_drawn_and_bad_sources_are_refused(tmp_path):
    def fine():
        yield tonio.spawn(tonio.sleep(0.1), tonio.sleep(0.2))

    rt = tonio.sim.runtime(seed=1, trace=True)
    rt.run_until_complete(fine())
    data = embedded(tonio.sim.timeline(rt, tmp_path / "ok.html"))
    assert data["failing_step"] is None and data["steps"]
    with pytest.raises(ValueError, match="trace=True"):
        untraced = tonio.sim.runtime(seed=1)
        untraced.run_until_complete(fine())
        tonio.sim.timeline(untraced, tmp_path / "no.html")
    with pytest.raises(TypeError, match="Failure or a simulated Runtime"):
        tonio.sim.timeline("nope", tmp_path / "no.html")


def long_run():
    """About 10,000 steps: 20 workers, a lock every 50 yields, a failing check at the end."""
    lock = tonio.sync.Lock()
    total = [0]

    def worker():
        for r in range(500):
            if r % 50 == 0:
                with (yield lock()):
                    total[0] += 1
                    yield tonio.sleep(0.001)
            else:
                yield

    def main():
        yield tonio.spawn(*[worker() for _ in range(20)], name="worker")
        assert total[0] == 0, f"total is {total[0]}"

    return main()


BROWSER = next(
    (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)),
    None,
)


def browser(*args, timeout=120):
    command = [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


@pytest.mark.skipif(
    BROWSER is None,
    reason="no chromium on this machine (make test installs Debian's chromium where it can, as "
    "root with apt-get; see scripts/setup-browser.sh)",
)
@pytest.mark.parametrize("case", ["planted bug", "10,000 steps"])
def test_the_page_renders_in_a_real_browser(tmp_path, case):
    if case == "planted bug":
        failure = failure_of(bugs.ordering_bug, strategy="pct:3")
    else:
        failure = failure_of(long_run, shrink=False)
        assert failure.steps > 10_000
    path = tonio.sim.timeline(failure, tmp_path / "timeline.html")
    dom = browser("--dump-dom", path.as_uri()).stdout
    body = re.search(r"<body([^>]*)>", dom).group(1)
    attrs = dict(re.findall(r'data-([\w-]+)="(\d+)"', body))
    assert int(attrs["steps"]) == len(embedded(path)["steps"])
    assert int(attrs["drawn-columns"]) > 0  # the canvas drew what is on screen
    assert int(attrs["columns"]) < int(attrs["steps"])  # quiet stretches folded
    lanes = re.findall(
        r'<div class="lane[^"]*" data-task="\d+"[^>]*><b>task \d+</b> <span>([^<]*)<', dom
    )
    assert len(lanes) == int(attrs["tasks"]) >= 4
    assert any(name.endswith("worker") or name.startswith("worker") for name in lanes)
    assert re.search(r'class="lane failing"', dom)
    assert re.search(r'id="failing-step">failing step \d+: task \d+ \(', dom)

    shot = tmp_path / "timeline.png"
    browser("--window-size=1400,900", f"--screenshot={shot}", path.as_uri())
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (1400, 900)
    assert len(png) > 20_000  # not a blank page
