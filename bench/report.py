"""Runs each benchmark scenario for every runtime in its own process and prints a table.

Our flavours (and the plain ``threading`` baselines) run in ``.venv``; ``tonio==0.6.0`` in
``bench/.venvs/tonio060``; asyncio and trio in ``bench/.venvs/peers``. All venvs are made from
the same interpreter. Ratios are to tonio 0.6.0 of the same flavour (asyncio and trio: to tonio
0.6.0's yield flavour).
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import statistics
import subprocess
import sys
from pathlib import Path

from interpreters import OURS, PEERS, ROOT, TONIO060

# (label, interpreter, runtime argument, repeats, flavour used for the ratio)
COROUTINE_RUNS = [
    ("tonio (ours) yield", OURS, "yield", 5, "yield"),
    ("tonio (ours) colored", OURS, "colored", 5, "colored"),
    ("tonio 0.6.0 yield", TONIO060, "yield", 5, "yield"),
    ("tonio 0.6.0 colored", TONIO060, "colored", 5, "colored"),
    ("asyncio", PEERS, "asyncio", 2, "yield"),
    ("trio", PEERS, "trio", 2, "yield"),
]


def run_one(python: Path, runtime: str, repeats: int, n: int) -> dict:
    cmd = [str(python), str(ROOT / "bench/coroutines.py"), runtime, "--n", str(n)]
    cmd += ["--repeat", str(repeats)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=1800)
    return json.loads(out.stdout.strip().splitlines()[-1])


def coroutine_table(n: int) -> str:
    results = {}
    for label, python, runtime, repeats, _ in COROUTINE_RUNS:
        print(f"running {label} ...", file=sys.stderr)
        results[label] = run_one(python, runtime, repeats, n)
    lines = [
        f"1M coroutines (n={n:,}), threads=1, best of runs; ratio = total / tonio 0.6.0 "
        "of the same flavour",
        "",
        "| runtime | runs | create (s) | execute (s) | total (s) | median total (s) "
        "| peak RSS (MiB) | ratio (best) | ratio (median) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for label, _, _, _, flavour in COROUTINE_RUNS:
        r = results[label]
        base = results[f"tonio 0.6.0 {flavour}"]
        lines.append(
            f"| {label} | {r['runs']} | {r['create']:.3f} | {r['exec']:.3f} | {r['total']:.3f} "
            f"| {r['median_total']:.3f} | {r['peak_mib']:.0f} | {r['total'] / base['total']:.2f}x "
            f"| {r['median_total'] / base['median_total']:.2f}x |"
        )
    return "\n".join(lines)


CHANNEL_RUNS = [
    ("tonio (ours) yield", OURS, "yield", "yield"),
    ("tonio (ours) colored", OURS, "colored", "colored"),
    ("tonio 0.6.0 yield", TONIO060, "yield", "yield"),
    ("tonio 0.6.0 colored", TONIO060, "colored", "colored"),
    ("asyncio", PEERS, "asyncio", "yield"),
]
CHANNEL_SCENARIOS = ["spsc", "mpsc", "mpmc", "tight", "unbounded", "lock"]


def channel_table(repeats: int) -> str:
    results: dict[str, dict[str, dict]] = {}
    for label, python, runtime, _ in CHANNEL_RUNS:
        print(f"running channels: {label} ...", file=sys.stderr)
        cmd = [str(python), str(ROOT / "bench/channels.py"), runtime, "--repeat", str(repeats)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=1800)
        rows = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
        results[label] = {row["scenario"]: row for row in rows}
    lines = [
        f"Channels and lock, threads=1, median of {repeats} runs; throughput ratio = ours (or "
        "peer) / tonio 0.6.0 of the same flavour; lost = messages sent but never received",
        "",
        "| runtime | " + " | ".join(CHANNEL_SCENARIOS) + " |",
        "|---|" + "---|" * len(CHANNEL_SCENARIOS),
    ]
    for label, _, _, flavour in CHANNEL_RUNS:
        cells = []
        for scenario in CHANNEL_SCENARIOS:
            row = results[label][scenario]
            base = results[f"tonio 0.6.0 {flavour}"][scenario]
            ratio = row["ops_per_s"] / base["ops_per_s"]
            cells.append(
                f"{row['median_s'] * 1000:.1f} ms, {row['ops_per_s'] / 1e6:.2f} M/s, "
                f"{ratio:.2f}x, lost {row['lost']}"
            )
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def script_output(script: str, what: str, timeout: int = 1800) -> str:
    """The printed tables of one of this directory's benchmark scripts, run with our build."""
    print(f"running {what} ...", file=sys.stderr)
    out = subprocess.run(
        [str(OURS), str(ROOT / "bench" / script)],
        capture_output=True,
        text=True,
        check=True,
        timeout=timeout,
    )
    return out.stdout.strip()


def sim_table() -> str:
    return script_output("sim.py", "simulator benchmarks")


def tls_table() -> str:
    return script_output("tls_bench.py", "the TLS benchmark")


def simnet_table() -> str:
    return script_output("sim_net.py", "the simulated network benchmark")


def simdisk_table() -> str:
    return script_output("sim_disk.py", "the simulated disk benchmark")


def echo_tables() -> str:
    return script_output("echo.py", "the echo benchmark", timeout=3600)


def http_tables() -> str:
    print("running the HTTP benchmark ...", file=sys.stderr)
    out = subprocess.run(
        [str(OURS), str(ROOT / "bench/http_bench.py"), "--rounds", "3", "--seconds", "4"],
        capture_output=True,
        text=True,
        check=True,
        timeout=3600,
    )
    return out.stdout.strip()


# (label, interpreter, runner of bench/parallel.py); each is run with threads=1 and threads=2
PARALLEL_RUNS = [
    ("tonio (ours) yield", OURS, "yield"),
    ("tonio (ours) colored", OURS, "colored"),
    ("tonio 0.6.0 yield", TONIO060, "yield"),
    ("tonio 0.6.0 colored", TONIO060, "colored"),
    ("threading: ThreadPoolExecutor(max_workers=threads)", OURS, "pool"),
]


def run_parallel(python: Path, runtime: str, threads: int) -> dict:
    cmd = [str(python), str(ROOT / "bench/parallel.py"), runtime, "--threads", str(threads)]
    cmd += ["--repeat", "1"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=1800)
    return json.loads(out.stdout.strip().splitlines()[-1])


QUIET = 0.25  # a parallel run counts only if other processes kept less than this many cores busy


def parallel_table(rounds: int) -> str:
    """Every configuration once per round, in its own process, rounds interleaved so that a
    change of the host's load spreads over all of them. A run during which other processes kept
    QUIET or more of a core busy (another build on this shared 2-core host) is not counted: it
    measures the neighbour, not the runtime. Rounds go on, for the configurations that still
    need them, until each has `rounds` counted runs or has made three times that many."""
    configs = [
        (label, python, runtime, t) for label, python, runtime in PARALLEL_RUNS for t in (1, 2)
    ]
    configs += [("serial", OURS, "serial", 1), ("8 threads", OURS, "threads", 8)]
    made: dict[tuple[str, int], list[dict]] = {(c[0], c[3]): [] for c in configs}

    def kept(key: tuple[str, int]) -> list[dict]:
        return [r for r in made[key] if r["others"][0] < QUIET]

    round_ = 0
    while True:
        todo = [c for c in configs if len(kept((c[0], c[3]))) < rounds]
        todo = [c for c in todo if len(made[c[0], c[3]]) < 3 * rounds]
        if not todo:
            break
        round_ += 1
        print(f"running parallel: round {round_}, {len(todo)} configurations ...", file=sys.stderr)
        for label, python, runtime, threads in todo:
            made[label, threads].append(run_parallel(python, runtime, threads))
    any_row = made["serial", 1][0]
    raw = ROOT / "bench/results/parallel.json"
    raw.parent.mkdir(exist_ok=True)
    raw.write_text(json.dumps([{"config": list(k), "runs": v} for k, v in made.items()], indent=1))

    def counted(key: tuple[str, int]) -> list[dict]:
        return kept(key) or made[key]  # all runs if none was quiet (marked in the table)

    def wall(key: tuple[str, int]) -> tuple[float, float]:
        walls = [r["walls"][0] for r in counted(key)]
        return statistics.median(walls), min(walls)

    def cells(one: tuple[str, int], two: tuple[str, int]) -> str:
        (m1, b1), (m2, b2) = wall(one), wall(two)
        load = statistics.median(r["cpus"][0] / r["walls"][0] for r in counted(two))
        runs = " / ".join(
            f"{len(kept(k))} of {len(made[k])}" + ("" if kept(k) else " (none quiet: all)")
            for k in (one, two)
        )
        return (
            f"{m1:.2f} ({b1:.2f}) | {m2:.2f} ({b2:.2f}) | {m1 / m2:.2f}x ({b1 / b2:.2f}x) "
            f"| {load:.2f} | {runs} |"
        )

    lines = [
        f"{any_row['tasks']} CPU-bound tasks (pure Python, {any_row['work']:,} loop iterations "
        f"each, no suspension); median (best) wall time over the counted runs, a run counting "
        f"only if other processes kept less than {QUIET} of a core busy meanwhile; speed-up = "
        "time at threads=1 / time at threads=2, of the medians (of the bests); CPU/wall = the "
        "process's CPU time over its wall time at threads=2 (2.00: both cores busy for it "
        "throughout)",
        "",
        "| runtime | threads=1 (s) | threads=2 (s) | speed-up | CPU/wall | runs counted "
        "(threads=1 / threads=2) |",
        "|---|---|---|---|---|---|",
    ]
    for label, _, _ in PARALLEL_RUNS:
        lines.append(f"| {label} | " + cells((label, 1), (label, 2)))
    lines.append(
        f"| threading: one thread per task ({any_row['tasks']} threads); threads=1: the tasks "
        "one after another in the main thread | " + cells(("serial", 1), ("8 threads", 8))
    )
    return "\n".join(lines)


FILES_RUNS = [
    ("tonio (ours) yield", OURS, "yield"),
    ("tonio (ours) colored", OURS, "colored"),
    ("asyncio", PEERS, "asyncio"),
    ("trio", PEERS, "trio"),
    ("plain Python, sequential (the floor)", OURS, "plain"),
]


def files_table(rounds: int) -> str:
    """Files and processes (bench/files_processes.py): every runtime once per round, rounds
    alternating; medians of the per-round medians."""
    times: dict[tuple[str, str], list[float]] = {}
    for round_ in range(rounds):
        for label, python, runtime in FILES_RUNS:
            print(f"files/processes round {round_ + 1}: {label} ...", file=sys.stderr)
            cmd = [str(python), str(ROOT / "bench/files_processes.py"), runtime, "--repeat", "3"]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=1800)
            for line in out.stdout.splitlines():
                row = json.loads(line)
                times.setdefault((label, row["scenario"]), []).append(row["median"])
    med = {key: statistics.median(values) for key, values in times.items()}
    asyncio_, trio_ = "asyncio", "trio"
    floor = FILES_RUNS[-1][0]
    lines = [
        "2,000 reads of 4 KiB files, 64 at a time; 120 runs of `true` with stdout captured, 12 "
        f"at a time; threads=1; median of {rounds} alternating rounds (each the median of 3)",
        "",
        "| runtime | files (ms) | vs asyncio | vs the floor | processes (ms) | vs asyncio "
        "| vs trio |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, _, _ in FILES_RUNS:
        f, p = med[(label, "files")], med[(label, "processes")]
        lines.append(
            f"| {label} | {f * 1e3:.1f} | {med[(asyncio_, 'files')] / f:.2f}x "
            f"| {f / med[(floor, 'files')]:.2f}x | {p * 1e3:.1f} "
            f"| {med[(asyncio_, 'processes')] / p:.2f}x | {med[(trio_, 'processes')] / p:.2f}x |"
        )
    lines.append("")
    lines.append(
        "vs asyncio / vs trio: how many times faster (above 1: faster); vs the floor: how many "
        "times the sequential time (the processes column of the floor is `subprocess.run` in a "
        "loop)."
    )
    return "\n".join(lines)


def write_readme(section: str, body: str) -> None:
    readme = ROOT / "bench/README.md"
    text = readme.read_text()
    start, end = f"<!-- {section}:start -->", f"<!-- {section}:end -->"
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    text = pattern.sub(f"{start}\n{body}\n{end}", text)
    readme.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="update bench/README.md")
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5, help="runs per channel scenario")
    parser.add_argument(
        "--rounds", type=int, default=5, help="counted runs per parallel configuration"
    )
    parser.add_argument(
        "--only",
        choices=[
            "coroutines",
            "channels",
            "sim",
            "simnet",
            "simdisk",
            "echo",
            "http",
            "tls",
            "parallel",
            "files",
        ],
        help="one group only",
    )
    args = parser.parse_args()
    impl = platform.python_implementation()
    machine = f"{platform.machine()}, {impl} {platform.python_version()}t"
    command = "bench/run.sh --write" + (f" --only {args.only}" if args.only else "")
    groups = {
        "coroutines": lambda: coroutine_table(args.n),
        "channels": lambda: channel_table(args.repeat),
        "sim": sim_table,
        "simnet": simnet_table,
        "simdisk": simdisk_table,
        "echo": echo_tables,
        "http": http_tables,
        "tls": tls_table,
        "parallel": lambda: parallel_table(args.rounds),
        "files": lambda: files_table(args.rounds),
    }
    for name, make_table in groups.items():
        if args.only and args.only != name:
            continue
        body = f"Measured on {machine}, `{command}`.\n\n{make_table()}"
        print(body)
        if args.write:
            write_readme(name, body)


if __name__ == "__main__":
    main()
