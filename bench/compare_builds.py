"""Compares two builds of tonio on the per-runtime benchmark scripts, run side by side.

    python bench/compare_builds.py --old OLD_PYTHON --new NEW_PYTHON [--rounds R]
                                   [--only GROUP ...]

OLD_PYTHON and NEW_PYTHON are interpreters that each import one build of tonio (e.g. the
``.venv/bin/python`` of two worktrees); this prints which tonio each one imports and refuses to
go on if it is the same. The scripts run are this tree's (bench/coroutines.py and
bench/channels.py for the ``yield`` and ``colored`` flavours, bench/sim.py and bench/sim_net.py
with --json, and bench/serve_once.py, which starts the interpreter's own echo or HTTP server
and loads it once with the native echo client or wrk), so both builds run exactly the same
benchmark code.

Every measurement is a fresh process. The rounds interleave the builds (old, new, then new,
old in the next round, and so on: each build goes first in half of the rounds), so a change of
the host's load spreads over both. Per round and case this takes the number a script reports
for its process (coroutines: median total time of its ``--repeat`` runs and peak RSS; channels:
median time of its ``--repeat`` runs per scenario; simulator: runs/s per scenario; network:
requests/s of one load run); the tables give the median over rounds of each build, the ratio
new/old of the medians, the range over rounds, how many rounds the new build was the slower
one of the pair, and how busy other processes kept the host during the runs (from /proc/stat,
in cores).

GROUP: coroutines, channels, sim, simnet, echo, http (default: all). Prints one markdown table
per group; the raw numbers go to bench/results/compare_builds.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
CHANNEL_SCENARIOS = ["spsc", "mpsc", "mpmc", "tight", "unbounded", "lock"]
TICK = os.sysconf("SC_CLK_TCK")


def busy_seconds() -> float:
    """CPU time (all cores, all processes) spent busy since boot, from /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / TICK


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(python: str, args: list[str]) -> tuple[str, float]:
    """Runs one benchmark process; returns its stdout and how many cores other processes kept
    busy meanwhile (the host's busy time minus this child's own CPU time, over the wall time)."""
    busy0, cpu0, t0 = busy_seconds(), children_cpu(), time.perf_counter()
    out = subprocess.run(
        [python, *args], capture_output=True, text=True, cwd=BENCH, timeout=1800, check=False
    )
    wall = time.perf_counter() - t0
    others = max(0.0, (busy_seconds() - busy0) - (children_cpu() - cpu0)) / wall
    if out.returncode != 0:
        sys.exit(f"{python} {' '.join(args)} failed ({out.returncode}):\n{out.stderr}")
    return out.stdout, others


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


class Case:
    """One number compared between the builds; higher_is_better decides the direction."""

    def __init__(self, group: str, name: str, unit: str, scale: float, higher_is_better: bool):
        self.group, self.name, self.unit = group, name, unit
        self.scale, self.higher_is_better = scale, higher_is_better


def jobs(args: argparse.Namespace) -> list[tuple[str, list[str], list[tuple[Case, object]]]]:
    """(group, script arguments, [(case, how to read its number from the script's output)])."""
    out = []
    for flavour in ["yield", "colored"]:
        script = [str(BENCH / "coroutines.py"), flavour, "--n", str(args.n)]
        script += ["--repeat", str(args.coroutine_repeat)]
        total = Case("coroutines", f"{flavour}: total time", "s", 1.0, False)
        peak = Case("coroutines", f"{flavour}: peak RSS", "MiB", 1.0, False)
        out.append(
            (
                "coroutines",
                script,
                [
                    (total, lambda rows: rows[-1]["median_total"]),
                    (peak, lambda rows: rows[-1]["peak_mib"]),
                ],
            )
        )
    for flavour in ["yield", "colored"]:
        script = [str(BENCH / "channels.py"), flavour, "--repeat", str(args.channel_repeat)]
        cases = []
        for scenario in CHANNEL_SCENARIOS:
            case = Case("channels", f"{flavour}: {scenario}", "ms", 1000.0, False)

            def read(rows, scenario=scenario):
                (row,) = [r for r in rows if r["scenario"] == scenario]
                if row["lost"]:
                    print(f"warning: {scenario} lost {row['lost']} messages", file=sys.stderr)
                return row["median_s"]

            cases.append((case, read))
        out.append(("channels", script, cases))
    script = [str(BENCH / "sim.py"), "--json", "--seconds", str(args.sim_seconds)]
    cases = []
    for scenario in [
        "small",
        "lock",
        "semaphore",
        "cancel",
        "barrier",
        "channel",
        "channel-cancel",
    ]:
        label = "small test" if scenario == "small" else f"invariant suite: {scenario}"
        case = Case("sim", label, "runs/s", 1.0, True)

        def read(rows, scenario=scenario):
            (row,) = [r for r in rows[-1]["throughput"] if r["scenario"] == scenario]
            return row["runs_per_s"]

        cases.append((case, read))
    out.append(("sim", script, cases))
    script = [str(BENCH / "sim_net.py"), "--json", "--seconds", str(args.sim_seconds)]
    trips = Case("simnet", "simulated round trips, 1 KB echo", "runs/s", 1.0, True)
    explore1 = Case("simnet", "small client/server test, explore, 1 worker", "runs/s", 1.0, True)
    out.append(
        (
            "simnet",
            script,
            [
                (trips, lambda rows: rows[-1]["round_trips_per_s"]),
                (explore1, lambda rows: rows[-1]["explore_per_s"]["1"]),
            ],
        )
    )
    # The network groups: one server process per measurement (bench/serve_once.py).
    net = [
        ("echo", ["yield", "socket", "--connections", "4"], "yield socket, 4 conns 1 KB"),
        ("echo", ["colored", "stream", "--connections", "4"], "colored stream, 4 conns 1 KB"),
        (
            "echo",
            ["yield", "socket", "--connections", "64", "--threads", "2"],
            "yield socket, 64 conns 1 KB, 2 threads",
        ),
        ("http", ["yield", "--connections", "32"], "yield, GET /, 32 conns"),
        ("http", ["colored", "--connections", "32"], "colored, GET /, 32 conns"),
    ]
    for group, options, label in net:
        script = [str(BENCH / "serve_once.py"), group, *options]
        script += ["--seconds", str(args.net_seconds)]
        case = Case(group, label, "req/s", 1.0, True)
        out.append((group, script, [(case, lambda rows: rows[-1]["rps"])]))
    return [job for job in out if args.only is None or job[0] in args.only]


def tonio_of(python: str) -> str:
    """The tonio an interpreter imports, from the directory the benchmark scripts run in."""
    out = subprocess.run(
        [python, "-c", "import tonio; print(tonio.__file__)"],
        capture_output=True,
        text=True,
        cwd=BENCH,
        check=True,
    )
    return out.stdout.strip()


def commit_of(tonio_file: str) -> str:
    tree = Path(tonio_file).resolve().parent
    out = subprocess.run(
        ["git", "-C", str(tree), "log", "-1", "--format=%h, %cs"],
        capture_output=True,
        text=True,
        check=False,
    )
    return out.stdout.strip() or "?"


def fmt(value: float, unit: str) -> str:
    if unit in ("runs/s", "req/s"):
        return f"{value:,.0f}"
    if unit == "MiB":
        return f"{value:.0f}"
    if unit == "ms":
        return f"{value:.1f}"
    return f"{value:.3f}"


def table(group: str, cases: list[Case], values: dict, others: dict, rounds: int) -> str:
    case = cases[0]
    better = "higher" if case.higher_is_better else "lower"
    lines = [
        f"**{group}**: median over {rounds} rounds of each build; new/old = ratio of the "
        f"medians ({'throughput' if case.higher_is_better else 'time or memory'}: {better} is "
        "better); range = min-max over rounds; slower = rounds in which the new build did worse "
        "than the old one run next to it",
        "",
        "| case | unit | old | new | new/old | change | old range | new range | slower |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for case in cases:
        old, new = values[case.name]["old"], values[case.name]["new"]
        mo, mn = statistics.median(old), statistics.median(new)
        ratio = mn / mo
        worse = (ratio < 1) if case.higher_is_better else (ratio > 1)
        pct = abs(ratio - 1) * 100
        change = "same" if pct < 0.05 else f"{pct:.1f}% {'worse' if worse else 'better'}"
        slower = sum(
            (n < o) if case.higher_is_better else (n > o) for o, n in zip(old, new, strict=True)
        )
        s = case.scale
        lines.append(
            f"| {case.name} | {case.unit} | {fmt(mo * s, case.unit)} | {fmt(mn * s, case.unit)} "
            f"| {ratio:.3f} | {change} | {fmt(min(old) * s, case.unit)}-"
            f"{fmt(max(old) * s, case.unit)} | {fmt(min(new) * s, case.unit)}-"
            f"{fmt(max(new) * s, case.unit)} | {slower}/{len(old)} |"
        )
    loads = others[group]["old"] + others[group]["new"]
    lines += [
        "",
        f"Other processes kept {statistics.median(loads):.2f} cores busy during these runs "
        f"(median; max {max(loads):.2f}).",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--old", required=True, help="interpreter importing the old build")
    parser.add_argument("--new", required=True, help="interpreter importing the new build")
    parser.add_argument("--rounds", type=int, default=5)
    groups = ["coroutines", "channels", "sim", "simnet", "echo", "http"]
    parser.add_argument("--only", nargs="+", choices=groups, help="these groups only")
    parser.add_argument("--n", type=int, default=1_000_000, help="coroutines per run")
    parser.add_argument(
        "--coroutine-repeat", type=int, default=3, help="runs per coroutines process"
    )
    parser.add_argument("--channel-repeat", type=int, default=5, help="runs per channel scenario")
    parser.add_argument("--sim-seconds", type=float, default=2.0, help="bench/sim.py --seconds")
    parser.add_argument(
        "--net-seconds", type=float, default=3.0, help="load time per echo/http measurement"
    )
    parser.add_argument(
        "--out", type=Path, default=BENCH / "results/compare_builds.json", help="raw results"
    )
    args = parser.parse_args()

    # Absolute, not resolved: a venv's python is a symlink that must keep its own path.
    builds = {"old": os.path.abspath(args.old), "new": os.path.abspath(args.new)}
    imports = {name: tonio_of(python) for name, python in builds.items()}
    if imports["old"] == imports["new"]:
        sys.exit(f"both interpreters import the same tonio: {imports['old']}")
    header = []
    for name, python in builds.items():
        header.append(
            f"- {name}: `{python}` imports `{imports[name]}` ({commit_of(imports[name])})"
        )
    print("\n".join(header), file=sys.stderr)

    todo = jobs(args)
    values: dict[str, dict[str, list[float]]] = {}
    others: dict[str, dict[str, list[float]]] = {}
    raw: list[dict] = []
    for job_group, _, cases in todo:
        others.setdefault(job_group, {"old": [], "new": []})
        for case, _ in cases:
            values[case.name] = {"old": [], "new": []}
    for round_ in range(args.rounds):
        order = ["old", "new"] if round_ % 2 == 0 else ["new", "old"]
        uptime = Path("/proc/loadavg").read_text().split()[0]
        print(
            f"round {round_ + 1}/{args.rounds} ({order[0]} first; load {uptime})", file=sys.stderr
        )
        for group, script, cases in todo:
            for build in order:
                stdout, busy = run(builds[build], script)
                rows = json_lines(stdout)
                if group == "sim" and rows[-1]["tonio"] != imports[build]:
                    sys.exit(f"{build}: bench/sim.py imported {rows[-1]['tonio']}")
                others[group][build].append(busy)
                raw.append({"round": round_, "build": build, "script": script, "rows": rows})
                raw[-1]["others_cores"] = busy
                for case, read in cases:
                    values[case.name][build].append(read(rows))
                if busy > 0.25:
                    print(
                        f"  warning: other processes kept {busy:.2f} cores busy during "
                        f"{build} {Path(script[0]).name} {script[1]}",
                        file=sys.stderr,
                    )

    args.out.parent.mkdir(exist_ok=True)
    args.out.write_text(json.dumps({"builds": builds, "imports": imports, "runs": raw}, indent=1))
    command = "python bench/compare_builds.py " + " ".join(sys.argv[1:])
    parts = [f"`{command}`", "", *header]
    groups = list(dict.fromkeys(group for group, _, _ in todo))
    for group in groups:
        cases = [case for g, _, cs in todo if g == group for case, _ in cs]
        parts += ["", table(group, cases, values, others, args.rounds)]
    if "sim" in groups:
        searches = {
            build: [
                r["rows"][-1]["search"]
                for r in raw
                if r["build"] == build and r["script"][0].endswith("sim.py")
            ]
            for build in builds
        }
        same = all(s == searches["old"][0] for b in builds for s in searches[b])
        parts += [
            "",
            "Runs needed to find the planted ordering bug (bench/sim.py): "
            + ("identical in both builds and every round." if same else "**differ**: see --out."),
        ]
    print("\n".join(parts))


if __name__ == "__main__":
    main()
