"""Shrinking failing simulated runs: preemptions and steps before and after, and the time taken.

    python bench/shrink.py [--runs N] [--json]

For each planted bug of examples/planted_bugs.py and each strategy, `tonio.sim.explore` finds a
failing run (seeds from 0, as `make test` does); its schedule is then shrunk as explore does
(bounded at 400 runs and 20 s). Prints a markdown table (--json: the same as one JSON list).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "examples"))

import planted_bugs as bugs  # noqa: E402

import tonio.sim  # noqa: E402

CASES = [
    ("lost_update", "random", {}),
    ("check_then_act", "random", {}),
    ("lock_order_deadlock", "random", {}),
    ("lock_order_deadlock", "pct:2", {}),
    ("ordering_bug", "pct:3", {}),
    ("one_recv_one_message", "random", {"network": bugs.NETWORK}),
    ("no_timeout_under_partition", "random", {"network": bugs.NETWORK}),
    ("retry_double_applies", "random", {"network": bugs.NETWORK}),
]


def measure(runs: int) -> list[dict]:
    rows = []
    for name, strategy, options in CASES:
        try:
            tonio.sim.explore(getattr(bugs, name), runs=runs, strategy=strategy, **options)
        except tonio.sim.Failure as failure:
            shrunk = failure.shrunk
            rows.append(
                {
                    "bug": name,
                    "strategy": failure.strategy,
                    "seed": failure.seed,
                    "preemptions": [shrunk.original_preemptions, shrunk.preemptions],
                    "steps": [shrunk.original_steps, shrunk.steps],
                    "schedule_chars": [len(failure.schedule), len(shrunk.schedule)],
                    "runs": shrunk.runs,
                    "seconds": round(shrunk.seconds, 3),
                    "finished": shrunk.finished,
                }
            )
        else:
            rows.append({"bug": name, "strategy": strategy, "found": False})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = measure(args.runs)
    if args.json:
        print(json.dumps(rows))
        return
    header = ["bug", "strategy", "seed", "preemptions", "steps", "schedule (chars)"]
    print("| " + " | ".join([*header, "shrink runs", "time (s)"]) + " |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        if "preemptions" not in row:
            print(f"| {row['bug']} | {row['strategy']} | not found | | | | | |")
            continue
        p, s, c = row["preemptions"], row["steps"], row["schedule_chars"]
        bound = "" if row["finished"] else " (budget)"
        print(
            f"| {row['bug']} | {row['strategy']} | {row['seed']} | {p[0]} -> {p[1]} | "
            f"{s[0]} -> {s[1]} | {c[0]} -> {c[1]} | {row['runs']}{bound} | {row['seconds']} |"
        )


if __name__ == "__main__":
    main()
