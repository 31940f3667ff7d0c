"""Simulator benchmarks: simulated runs per second, and runs needed to find a planted bug.

    python bench/sim.py [--seconds S] [--budget N] [--json]

Prints markdown tables (with --json: one JSON object with the same numbers and the tonio in
use). The small test is 2 tasks x 3 lock acquisitions with a fresh simulated runtime per run;
the invariant suites are the bodies of tests/sim/test_explore_sync.py.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "examples"))
sys.path.insert(0, str(ROOT / "tests" / "sim"))

import planted_bugs  # noqa: E402
import script_cli  # noqa: E402
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


SUITES = ["lock", "semaphore", "cancel", "barrier", "channel", "channel-cancel"]


def measure(seconds: float, budget: int) -> dict:
    """Every number the tables show: throughput per scenario, runs to find the planted bug."""
    throughput = []
    rate, steps = runs_per_second(small_test, seconds)
    throughput.append(
        {
            "scenario": "small",
            "label": "small test: 2 tasks x 3 lock acquisitions",
            "runs_per_s": rate,
            "median_steps": steps,
        }
    )
    for name, body in zip(SUITES, suites.BODIES, strict=True):
        rate, steps = runs_per_second(body, seconds / 2)
        throughput.append(
            {
                "scenario": name,
                "label": f"invariant suite: {name}",
                "runs_per_s": rate,
                "median_steps": steps,
            }
        )
    search = {}
    for strategy in ["pct:3", "random"]:
        found = [
            runs_to_find(planted_bugs.ordering_bug, strategy, base, budget) for base in range(10)
        ]
        counts = [f if f is not None else budget + 1 for f in found]
        search[strategy] = {"found": found, "median": statistics.median(counts)}
    return {"budget": budget, "throughput": throughput, "search": search}


def markdown(result: dict) -> str:
    budget = result["budget"]
    lines = ["| scenario | runs/s | median steps per run |", "|---|---|---|"]
    for row in result["throughput"]:
        lines.append(f"| {row['label']} | {row['runs_per_s']:,.0f} | {row['median_steps']} |")
    lines += [
        "",
        f"Runs needed to find the ordering bug (10 base seeds, budget {budget}):",
        "",
        "| strategy | runs per base seed | median |",
        "|---|---|---|",
    ]
    for strategy, searched in result["search"].items():
        found, median = searched["found"], searched["median"]
        shown = ", ".join(str(f) if f is not None else f">{budget}" for f in found)
        median_text = f">{budget}" if median > budget else f"{median:g}"
        lines.append(f"| {strategy} | {shown} | {median_text} |")
    ratio = result["search"]["random"]["median"] / result["search"]["pct:3"]["median"]
    lines += [
        "",
        f"random needs at least {ratio:.0f}x the runs pct:3 needs (median; a miss "
        f"counts as budget+1).",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = script_cli.parser(__doc__)
    parser.add_argument("--budget", type=int, default=5000, help="max runs per bug search")
    args = parser.parse_args()
    script_cli.report(measure(args.seconds, args.budget), args.json, markdown)


if __name__ == "__main__":
    main()
