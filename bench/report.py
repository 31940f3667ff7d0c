"""Runs each benchmark scenario for every runtime in its own process and prints a table.

Our flavours run in ``.venv``; ``tonio==0.6.0`` in ``bench/.venvs/tonio060``; asyncio and
trio in ``bench/.venvs/peers``. All venvs are made from the same interpreter. Ratios are to
tonio 0.6.0 of the same flavour (asyncio and trio: to tonio 0.6.0's yield flavour).
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OURS = ROOT / ".venv/bin/python"
TONIO060 = ROOT / "bench/.venvs/tonio060/bin/python"
PEERS = ROOT / "bench/.venvs/peers/bin/python"

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


def sim_table() -> str:
    print("running simulator benchmarks ...", file=sys.stderr)
    out = subprocess.run(
        [str(OURS), str(ROOT / "bench/sim.py")],
        capture_output=True,
        text=True,
        check=True,
        timeout=1800,
    )
    return out.stdout.strip()


def echo_tables() -> str:
    print("running the echo benchmark ...", file=sys.stderr)
    out = subprocess.run(
        [str(OURS), str(ROOT / "bench/echo.py")],
        capture_output=True,
        text=True,
        check=True,
        timeout=3600,
    )
    return out.stdout.strip()


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
        "--only", choices=["coroutines", "channels", "sim", "echo"], help="one group only"
    )
    args = parser.parse_args()
    impl = platform.python_implementation()
    machine = f"{platform.machine()}, {impl} {platform.python_version()}t"
    command = "bench/run.sh --write" + (f" --only {args.only}" if args.only else "")
    groups = {
        "coroutines": lambda: coroutine_table(args.n),
        "channels": lambda: channel_table(args.repeat),
        "sim": sim_table,
        "echo": echo_tables,
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
