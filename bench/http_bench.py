"""HTTP/1.1 benchmark: an h11 server on each runtime, driven by wrk, in interleaved rounds.

    python bench/http_bench.py [--rounds R] [--seconds S] [--connections C] [--json]

Every server (bench/http_server.py: the same h11 code for everyone) is measured once per round
on each route, ``GET /`` (13 bytes) and ``POST /json`` (a computed document), with
``wrk -t1 -c<C> -d<S>s --latency`` on the same machine. Reported, medians over the rounds:
requests/s, p50/p99 latency, server CPU per request (utime+stime from /proc/<pid>/stat), and
where ``perf`` works, system calls (all of them, and ``sched_yield`` alone) and context
switches per request. Ratios compare with asyncio and with tonio 0.6.0 of the same flavour and
thread count.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from interpreters import OURS, PEERS, ROOT, TONIO060
from server_process import ServerProcess

# label, interpreter, runtime, threads, baseline label
SERVERS = [
    ("tonio (ours) yield t1", OURS, "yield", 1, "tonio 0.6.0 yield t1"),
    ("tonio (ours) colored t1", OURS, "colored", 1, "tonio 0.6.0 colored t1"),
    ("tonio (ours) yield t2", OURS, "yield", 2, "tonio 0.6.0 yield t2"),
    ("tonio (ours) colored t2", OURS, "colored", 2, "tonio 0.6.0 colored t2"),
    ("tonio 0.6.0 yield t1", TONIO060, "yield", 1, None),
    ("tonio 0.6.0 colored t1", TONIO060, "colored", 1, None),
    ("tonio 0.6.0 yield t2", TONIO060, "yield", 2, None),
    ("tonio 0.6.0 colored t2", TONIO060, "colored", 2, None),
    ("asyncio streams", PEERS, "asyncio", 1, None),
]

ORDER = {"items": [{"id": i, "price": 1.5 + i * 0.75, "qty": 1 + i % 4} for i in range(40)]}
ROUTES = {"hello": ("GET", "/", None), "json": ("POST", "/json", json.dumps(ORDER))}


def Server(python: Path, runtime: str, threads: int) -> ServerProcess:
    """bench/http_server.py on ``runtime``."""
    script = str(ROOT / "bench/http_server.py")
    return ServerProcess([str(python), script, runtime, "--threads", str(threads)])


def wrk_script(method: str, body: str | None, directory: str) -> str | None:
    if body is None:
        return None
    path = Path(directory) / f"{method.lower()}.lua"
    escaped = body.replace("\\", "\\\\").replace('"', '\\"')
    path.write_text(
        f'wrk.method = "{method}"\n'
        f'wrk.body = "{escaped}"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
    )
    return str(path)


def parse_wrk(output: str) -> dict:
    def duration_ms(text: str) -> float:
        number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
        return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))}
    requests = re.search(r"(\d+) requests in", output)
    result["requests"] = int(requests.group(1)) if requests else 0
    for pct in ("50", "99"):
        match = re.search(rf"^\s+{pct}%\s+(\S+)", output, re.MULTILINE)
        result[f"p{pct}_ms"] = duration_ms(match.group(1)) if match else float("nan")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)", output)
    result["errors"] = errors.group(0) if errors else ""
    return result


def perf_available() -> bool:
    if not shutil.which("perf"):
        return False
    probe = subprocess.run(
        ["perf", "stat", "-e", "syscalls:sys_enter_sched_yield", "-x,", "--", "true"],
        capture_output=True,
        text=True,
    )
    return probe.returncode == 0


def measure(
    server: ServerProcess, route: str, seconds: float, connections: int, tmp: str, perf: bool
):
    method, path, body = ROUTES[route]
    script = wrk_script(method, body, tmp)
    url = f"http://127.0.0.1:{server.port}{path}"
    base = ["wrk", "-t1", f"-c{connections}", "--latency"] + (["-s", script] if script else [])
    subprocess.run(base + ["-d1s", url], capture_output=True, text=True)  # warm-up
    cpu, switches = server.cpu_seconds(), server.context_switches()
    perf_proc = None
    if perf:
        perf_proc = subprocess.Popen(
            [
                "perf",
                "stat",
                "-e",
                "syscalls:sys_enter_sched_yield,raw_syscalls:sys_enter",
                "-x,",
                "-p",
                str(server.proc.pid),
            ],
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(0.1)
    out = subprocess.run(base + [f"-d{seconds:g}s", url], capture_output=True, text=True).stdout
    result = parse_wrk(out)
    result["cpu_us_per_req"] = (
        (server.cpu_seconds() - cpu) * 1e6 / result["requests"] if result["requests"] else 0
    )
    result["ctx_per_req"] = (
        (server.context_switches() - switches) / result["requests"] if result["requests"] else 0
    )
    if perf_proc is not None:
        perf_proc.send_signal(2)
        _, err = perf_proc.communicate(timeout=10)

        def per_request(event: str) -> float:
            count = next((line.split(",")[0] for line in err.splitlines() if event in line), "")
            if not count.isdigit() or not result["requests"]:
                return 0.0
            return int(count) / result["requests"]

        result["yields_per_req"] = per_request("sched_yield")
        result["syscalls_per_req"] = per_request("raw_syscalls:sys_enter")
    return result


def run(rounds: int, seconds: float, connections: int) -> dict:
    perf = perf_available()
    runs: dict[tuple[str, str], list[dict]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(rounds):
            for label, python, runtime, threads, _ in SERVERS:
                if not python.exists():
                    continue
                server = Server(python, runtime, threads)
                try:
                    for route in ROUTES:
                        runs.setdefault((label, route), []).append(
                            measure(server, route, seconds, connections, tmp, perf)
                        )
                finally:
                    server.stop()
    return {"perf": perf, "runs": {f"{label}|{route}": r for (label, route), r in runs.items()}}


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def table(data: dict, route: str) -> str:
    runs = {key.split("|")[0]: value for key, value in data["runs"].items() if key.endswith(route)}
    rps = {label: median([r["rps"] for r in rs]) for label, rs in runs.items()}
    asyncio_rps = rps.get("asyncio streams")
    asyncio_cpu = median([r["cpu_us_per_req"] for r in runs.get("asyncio streams", [])])
    head = (
        "| server | req/s | p50 (ms) | p99 (ms) | CPU/req (µs) | vs asyncio | vs tonio 0.6.0 |"
        + (
            " syscalls/req | sched_yield/req | ctx switches/req |"
            if data["perf"]
            else " ctx switches/req |"
        )
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for label, _, _, _, baseline in SERVERS:
        if label not in runs:
            continue
        rs = runs[label]
        cpu = median([r["cpu_us_per_req"] for r in rs])
        vs_asyncio = f"{rps[label] / asyncio_rps:.2f}x" if asyncio_rps else ""
        vs_base = f"{rps[label] / rps[baseline]:.2f}x" if baseline in rps else ""
        cells = [
            label,
            f"{rps[label]:,.0f}",
            f"{median([r['p50_ms'] for r in rs]):.2f}",
            f"{median([r['p99_ms'] for r in rs]):.2f}",
            f"{cpu:.0f}" + (f" ({cpu / asyncio_cpu:.2f}x)" if asyncio_cpu == asyncio_cpu else ""),
            vs_asyncio,
            vs_base,
        ]
        if data["perf"]:
            cells.append(f"{median([r.get('syscalls_per_req', 0.0) for r in rs]):.2f}")
            cells.append(f"{median([r.get('yields_per_req', 0.0) for r in rs]):.2f}")
        cells.append(f"{median([r['ctx_per_req'] for r in rs]):.2f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def report(data: dict, rounds: int, seconds: float, connections: int) -> str:
    intro = (
        f"wrk -t1 -c{connections} -d{seconds:g}s, {rounds} interleaved rounds, medians; "
        "CPU/req in parentheses: ratio to asyncio's."
    )
    return "\n\n".join(
        [
            intro,
            "`GET /` (13 bytes)",
            table(data, "hello"),
            "`POST /json` (40-line order in, computed summary out)",
            table(data, "json"),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--json", action="store_true", help="print the raw runs as JSON")
    args = parser.parse_args()
    data = run(args.rounds, args.seconds, args.connections)
    if args.json:
        print(json.dumps(data))
    else:
        print(report(data, args.rounds, args.seconds, args.connections))


if __name__ == "__main__":
    main()
