"""TLS benchmark: an echo server per TLS path, driven by a native rustls load client.

    python bench/tls_bench.py [--rounds R] [--seconds S] [--json]

Servers (bench/tls_server.py, one thread each): ours with ``ServerConfig`` (rustls), ours with
an ``ssl.SSLContext`` (the stdlib over memory buffers), tonio 0.6.0 with an ``ssl.SSLContext``,
asyncio streams with ``ssl``. The client (bench/native ``tls_loadgen``, rustls) runs 4
connections, each sending a message and waiting for its whole echo, at 1 KB and 64 KB; then
full handshakes per second (4 clients, no session resumption, one byte exchanged). The
certificates come from ``tonio.testing.CA`` (Ed25519). Medians over interleaved rounds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
from pathlib import Path

from interpreters import NATIVE, OURS, PEERS, ROOT, TONIO060
from server_process import ServerProcess

import tonio.testing

LOADGEN = NATIVE / "tls_loadgen"

# label, interpreter, kind
SERVERS = [
    ("tonio (ours), rustls ServerConfig", OURS, "rustls"),
    ("tonio (ours), ssl.SSLContext", OURS, "stdlib"),
    ("tonio 0.6.0, ssl.SSLContext", TONIO060, "stdlib"),
    ("asyncio, ssl", PEERS, "asyncio"),
]
SIZES = [1024, 65536]
BASELINE = "tonio 0.6.0, ssl.SSLContext"


def loadgen(*args: str) -> dict:
    out = subprocess.run(
        [str(LOADGEN), *args], capture_output=True, text=True, check=True, timeout=300
    )
    return json.loads(out.stdout)


def run(rounds: int, seconds: float) -> dict:
    results: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory() as directory:
        ca = tonio.testing.CA()
        leaf = ca.issue_cert("localhost", "127.0.0.1")
        paths = {name: Path(directory) / f"{name}.pem" for name in ("ca", "chain", "key")}
        paths["ca"].write_bytes(ca.cert_pem)
        paths["chain"].write_bytes(leaf.cert_chain_pem)
        paths["key"].write_bytes(leaf.private_key_pem)
        for _ in range(rounds):
            for label, python, kind in SERVERS:
                if not python.exists():
                    continue
                script = str(ROOT / "bench/tls_server.py")
                server = ServerProcess(
                    [str(python), script, kind, str(paths["chain"]), str(paths["key"])]
                )
                address = f"127.0.0.1:{server.port}"
                row = results.setdefault(label, {})
                try:
                    ca_path = str(paths["ca"])
                    for size in SIZES:
                        got = loadgen("echo", address, ca_path, "4", str(size), f"{seconds}")
                        row.setdefault(f"echo_{size}", []).append(got["rps"])
                        bad = got["errors"] + got["mismatched"]
                        row.setdefault(f"errors_{size}", []).append(bad)
                    got = loadgen("handshakes", address, ca_path, "4", f"{seconds}")
                    row.setdefault("handshakes", []).append(got["per_s"])
                finally:
                    server.stop()
    return results


def report(results: dict, rounds: int, seconds: float) -> str:
    def median(label: str, key: str) -> float:
        return statistics.median(results[label][key])

    lines = [
        f"4 connections, threads=1, {seconds:g} s per measurement, {rounds} interleaved rounds, "
        "medians; ratios to tonio 0.6.0 (its stdlib path)",
        "",
        "| server | 1 KB echo req/s | vs 0.6.0 | 64 KB echo req/s | vs 0.6.0 | full handshakes/s "
        "| vs 0.6.0 | errors |",
        "|---|---|---|---|---|---|---|---|",
    ]
    base = results.get(BASELINE)
    for label, _, _ in SERVERS:
        if label not in results:
            continue
        cells = [label]
        for key in ("echo_1024", "echo_65536", "handshakes"):
            value = median(label, key)
            cells.append(f"{value:,.0f}")
            cells.append(f"{value / median(BASELINE, key):.2f}x" if base else "")
        errors = sum(sum(results[label][f"errors_{size}"]) for size in SIZES)
        cells.append(str(int(errors)))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = run(args.rounds, args.seconds)
    if args.json:
        print(json.dumps(results))
    else:
        print(report(results, args.rounds, args.seconds))


if __name__ == "__main__":
    main()
