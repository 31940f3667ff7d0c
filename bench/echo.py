"""TCP echo benchmark: every server driven by the native load client, in interleaved rounds.

    python bench/echo.py [--rounds R] [--seconds S]

Prints three markdown tables: 4 connections at 1 KB / 10 KB / 100 KB (requests/s, p50/p99,
ratio to tonio 0.6.0 of the same flavour and mode, ratio to the native mio ceiling); 64
connections at 1 KB with threads=1 and threads=2; and 10,000 idle connections (server RSS per
connection). Medians over the rounds; every server is measured once per round, so the ratios
compare runs made minutes apart at most.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from interpreters import NATIVE, OURS, PEERS, ROOT, TONIO060
from server_process import ServerProcess

SIZES = [1024, 10240, 102400]

# label, interpreter (None: native), flavour, mode, baseline label
SERVERS = [
    ("native mio (ceiling)", None, "", "", None),
    ("tonio (ours) yield socket", OURS, "yield", "socket", "tonio 0.6.0 yield socket"),
    ("tonio (ours) yield stream", OURS, "yield", "stream", "tonio 0.6.0 yield stream"),
    ("tonio (ours) colored socket", OURS, "colored", "socket", "tonio 0.6.0 colored socket"),
    ("tonio (ours) colored stream", OURS, "colored", "stream", "tonio 0.6.0 colored stream"),
    ("tonio 0.6.0 yield socket", TONIO060, "yield", "socket", None),
    ("tonio 0.6.0 yield stream", TONIO060, "yield", "stream", None),
    ("tonio 0.6.0 colored socket", TONIO060, "colored", "socket", None),
    ("tonio 0.6.0 colored stream", TONIO060, "colored", "stream", None),
    ("asyncio streams", PEERS, "asyncio", "stream", None),
    ("trio streams", PEERS, "trio", "stream", None),
]


def Server(python: Path | None, flavour: str, mode: str, threads: int = 1) -> ServerProcess:
    """An echo server: the native one (``python`` None) or bench/echo_server.py."""
    if python is None:
        return ServerProcess([str(NATIVE / "echo_server"), "0"])
    script = str(ROOT / "bench/echo_server.py")
    return ServerProcess([str(python), script, flavour, mode, "--threads", str(threads)])


def load(port: int, connections: int, size: int, seconds: float) -> dict:
    out = subprocess.run(
        [
            str(NATIVE / "loadgen"),
            "echo",
            f"127.0.0.1:{port}",
            str(connections),
            str(size),
            str(seconds),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    )
    return json.loads(out.stdout)


def median_of(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def four_connections(rounds: int, seconds: float) -> str:
    results: dict[tuple[str, int], list[dict]] = {}
    for round_ in range(rounds):
        for label, python, flavour, mode, _ in SERVERS:
            print(f"round {round_ + 1}: {label}", file=sys.stderr)
            server = Server(python, flavour, mode)
            try:
                for size in SIZES:
                    results.setdefault((label, size), []).append(
                        load(server.port, 4, size, seconds)
                    )
            finally:
                server.stop()
    lines = [
        "| server | 1 KB req/s | 10 KB req/s | 100 KB req/s | p50 / p99 at 1 KB (µs) "
        "| vs tonio 0.6.0 (1 / 10 / 100 KB) | vs native (1 / 10 / 100 KB) | errors |",
        "|---|---|---|---|---|---|---|---|",
    ]
    native = "native mio (ceiling)"
    for label, _, _, _, baseline in SERVERS:
        rps = [median_of(results[(label, s)], "rps") for s in SIZES]
        p50 = median_of(results[(label, 1024)], "p50_us")
        p99 = median_of(results[(label, 1024)], "p99_us")
        errors = sum(r["errors"] + r["mismatched"] for s in SIZES for r in results[(label, s)])
        vs_base = "—"
        if baseline:
            base = [median_of(results[(baseline, s)], "rps") for s in SIZES]
            vs_base = " / ".join(f"{a / b:.2f}x" for a, b in zip(rps, base, strict=True))
        ceiling = [median_of(results[(native, s)], "rps") for s in SIZES]
        vs_native = " / ".join(f"{a / b:.2f}x" for a, b in zip(rps, ceiling, strict=True))
        lines.append(
            f"| {label} | {rps[0]:,.0f} | {rps[1]:,.0f} | {rps[2]:,.0f} | {p50:.0f} / {p99:.0f} "
            f"| {vs_base} | {vs_native} | {errors} |"
        )
    return "\n".join(lines)


def scaling(rounds: int, seconds: float) -> str:
    configs = [
        ("native mio (ceiling)", None, "", "", 1),
        ("tonio (ours) yield socket", OURS, "yield", "socket", 1),
        ("tonio (ours) yield socket", OURS, "yield", "socket", 2),
        ("tonio (ours) colored stream", OURS, "colored", "stream", 1),
        ("tonio (ours) colored stream", OURS, "colored", "stream", 2),
        ("tonio 0.6.0 yield socket", TONIO060, "yield", "socket", 1),
        ("tonio 0.6.0 yield socket", TONIO060, "yield", "socket", 2),
    ]
    results: dict[tuple[str, int], list[dict]] = {}
    for _ in range(rounds):
        for label, python, flavour, mode, threads in configs:
            server = Server(python, flavour, mode, threads)
            try:
                results.setdefault((label, threads), []).append(
                    load(server.port, 64, 1024, seconds)
                )
            finally:
                server.stop()
    lines = ["| server | threads | req/s | p50 / p99 (µs) | errors |", "|---|---|---|---|---|"]
    for label, _, _, _, threads in configs:
        runs = results[(label, threads)]
        errors = sum(r["errors"] + r["mismatched"] for r in runs)
        shown_threads = "—" if label.startswith("native") else str(threads)
        lines.append(
            f"| {label} | {shown_threads} | {median_of(runs, 'rps'):,.0f} "
            f"| {median_of(runs, 'p50_us'):.0f} / {median_of(runs, 'p99_us'):.0f} | {errors} |"
        )
    return "\n".join(lines)


def idle_connections(count: int = 10_000) -> str:
    configs = [
        ("native mio (ceiling)", None, "", ""),
        ("tonio (ours) yield stream", OURS, "yield", "stream"),
        ("tonio (ours) colored stream", OURS, "colored", "stream"),
        ("tonio 0.6.0 yield stream", TONIO060, "yield", "stream"),
        ("asyncio streams", PEERS, "asyncio", "stream"),
    ]
    lines = [
        "| server | connections held | RSS before (MiB) | RSS holding (MiB) "
        "| per connection (KiB) |",
        "|---|---|---|---|---|",
    ]
    for label, python, flavour, mode in configs:
        server = Server(python, flavour, mode)
        try:
            time.sleep(0.3)
            before = server.rss_kib()
            client = subprocess.Popen(
                [str(NATIVE / "loadgen"), "idle", f"127.0.0.1:{server.port}", str(count), "4"],
                stdout=subprocess.PIPE,
                text=True,
            )
            established = json.loads(client.stdout.readline())["established"]
            time.sleep(2)
            holding = server.rss_kib()
            client.wait(timeout=30)
        finally:
            server.stop()
        per = (holding - before) / max(established, 1)
        lines.append(
            f"| {label} | {established:,} | {before / 1024:.1f} | {holding / 1024:.1f} "
            f"| {per:.2f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()
    print("4 connections, threads=1 (median of rounds):\n")
    print(four_connections(args.rounds, args.seconds))
    print("\n64 connections, 1 KB messages, by worker threads (median of rounds):\n")
    print(scaling(args.rounds, args.seconds))
    print("\n10,000 idle connections held open, threads=1:\n")
    print(idle_connections())


if __name__ == "__main__":
    main()
