"""Simulator benchmarks: simulated runs per second, and runs needed to find a planted bug.

    python bench/sim.py [--seconds S] [--budget N]

Prints a markdown table. The small test is 2 tasks x 3 lock acquisitions with a fresh
simulated runtime per run; the invariant suites are the bodies of tests/sim/test_explore_sync.py.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "examples"))
sys.path.insert(0, str(ROOT / "tests" / "sim"))

import planted_bugs  # noqa: E402
import test_explore_sync as suites  # noqa: E402

import tonio  # noqa: E402
import tonio.sim  # noqa: E402
from tonio import sync  # noqa: E402


def small_test():
    lock = sync.Lock()

    def worker():
        for _ in range(3):
            with (yield lock()):
                yield

    def main():
        yield tonio.spawn(worker(), worker())

    return main()


def runs_per_second(make, seconds: float, strategy: str = "random") -> tuple[float, int]:
    """Fresh runtime per run, as explore does; returns (runs/s, median steps per run)."""
    runs, steps = 0, []
    start = time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        for _ in range(100):
            rt = tonio.sim.Runtime(platform="sim", seed=runs, strategy=strategy)
            rt.run_until_complete(make())
            steps.append(rt.last_steps)
            runs += 1
    return runs / (time.perf_counter() - start), int(statistics.median(steps))


def runs_to_find(bug, strategy: str, base: int, budget: int) -> int | None:
    try:
        tonio.sim.explore(bug, runs=budget, seed=base, strategy=strategy)
    except tonio.sim.Failure as failure:
        return failure.run + 1
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=2.0, help="per throughput scenario")
    parser.add_argument("--budget", type=int, default=5000, help="max runs per bug search")
    args = parser.parse_args()

    lines = ["| scenario | runs/s | median steps per run |", "|---|---|---|"]
    rate, steps = runs_per_second(small_test, args.seconds)
    lines.append(f"| small test: 2 tasks x 3 lock acquisitions | {rate:,.0f} | {steps} |")
    for name, body in zip(
        ["lock", "semaphore", "cancel", "barrier", "channel", "channel-cancel"],
        suites.BODIES,
        strict=True,
    ):
        rate, steps = runs_per_second(body, args.seconds / 2)
        lines.append(f"| invariant suite: {name} | {rate:,.0f} | {steps} |")

    lines += [
        "",
        f"Runs needed to find the ordering bug (10 base seeds, budget {args.budget}):",
        "",
        "| strategy | runs per base seed | median |",
        "|---|---|---|",
    ]
    medians = {}
    for strategy in ["pct:3", "random"]:
        found = [
            runs_to_find(planted_bugs.ordering_bug, strategy, base, args.budget)
            for base in range(10)
        ]
        counts = [f if f is not None else args.budget + 1 for f in found]
        medians[strategy] = statistics.median(counts)
        shown = ", ".join(str(f) if f is not None else f">{args.budget}" for f in found)
        median = medians[strategy]
        median_text = f">{args.budget}" if median > args.budget else f"{median:g}"
        lines.append(f"| {strategy} | {shown} | {median_text} |")
    ratio = medians["random"] / medians["pct:3"]
    lines += [
        "",
        f"random needs at least {ratio:.0f}x the runs pct:3 needs (median; a miss "
        f"counts as budget+1).",
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
