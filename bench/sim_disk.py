"""Simulated disk benchmarks: file operations per second, and explore runs per second of a small
crash-recovery test.

    python bench/sim_disk.py [--seconds S] [--json]

- *file cycles*: one simulated run doing open / write 1 KB / sync / close again and again
  (four disk operations a cycle, each waiting the default `Disk()` latency in virtual time);
- *crash-recovery test*: `examples/planted_bugs.config_saved_atomically` (write the old config
  and sync it, save the new one through a temporary file while the power fails at a seeded
  moment, read it back), one fresh simulated run per seed, through ``tonio.sim.explore``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))

import planted_bugs  # noqa: E402
import script_cli  # noqa: E402

import tonio.sim  # noqa: E402
from tonio import fs  # noqa: E402

BLOCK = b"x" * 1024
DISK = tonio.sim.Disk()


def file_cycles(count: int):
    def main():
        for i in range(count):
            f = yield fs.open(f"/f{i % 8}", "wb")
            yield f.write(BLOCK)
            yield f.sync()
            yield f.close()

    return main()


def cycles_per_second(seconds: float) -> float:
    count, done = 2000, 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        tonio.sim.run(file_cycles(count), seed=done, disk=DISK)
        done += count
    return done / (time.perf_counter() - start)


def explore_rate(runs: int) -> float:
    start = time.perf_counter()
    tonio.sim.explore(planted_bugs.config_saved_atomically, runs=runs, disk=planted_bugs.DISK)
    return runs / (time.perf_counter() - start)


def measure(seconds: float) -> dict:
    explore_rate(200)  # warm-up
    runs = max(500, int(seconds * 2000))
    return {
        "file_cycles_per_s": cycles_per_second(seconds),
        "explore_runs": runs,
        "crash_recovery_explore_per_s": explore_rate(runs),
    }


def markdown(result: dict) -> str:
    cycles = result["file_cycles_per_s"]
    return "\n".join(
        [
            "| scenario | per second |",
            "|---|---|",
            f"| simulated file cycles (open, write 1 KB, sync, close), 1 run | "
            f"{cycles:,.0f} cycles ({4 * cycles:,.0f} operations) |",
            f"| crash-recovery test (config_saved_atomically), explore, 1 worker | "
            f"{result['crash_recovery_explore_per_s']:,.0f} runs |",
        ]
    )


def main() -> None:
    args = script_cli.parser(__doc__).parse_args()
    script_cli.report(measure(args.seconds), args.json, markdown)


if __name__ == "__main__":
    main()
