"""One server measurement for bench/compare_builds.py's network groups.

    python bench/serve_once.py echo FLAVOUR MODE [--threads T] [--connections C] [--size B]
                                                 [--seconds S]
    python bench/serve_once.py http RUNTIME [--threads T] [--connections C] [--seconds S]

Run by the interpreter whose tonio is measured: it starts that same interpreter's server
(bench/echo_server.py or bench/http_server.py, as bench/echo.py and bench/http_bench.py do),
loads it once (the native echo client; ``wrk`` on ``GET /``) and prints one JSON line with
requests/s and latency percentiles.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import echo
import http_bench


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("kind", choices=["echo", "http"])
    parser.add_argument("flavour", help="echo: yield|colored; http: a bench/http_server.py runtime")
    parser.add_argument("mode", nargs="?", default="socket", help="echo: socket|stream")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--size", type=int, default=1024, help="echo message bytes")
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    python = Path(sys.executable)
    if args.kind == "echo":
        server = echo.Server(python, args.flavour, args.mode, args.threads)
        try:
            result = echo.load(server.port, args.connections, args.size, args.seconds)
        finally:
            server.stop()
        row = {"rps": result["rps"], "p50_us": result["p50_us"], "p99_us": result["p99_us"]}
        row["errors"] = result["errors"] + result["mismatched"]
    else:
        server = http_bench.Server(python, args.flavour, args.threads)
        try:
            with tempfile.TemporaryDirectory() as tmp:
                result = http_bench.measure(
                    server, "hello", args.seconds, args.connections, tmp, perf=False
                )
        finally:
            server.stop()
        row = {"rps": result["rps"], "p50_us": result["p50_ms"] * 1000}
        row["p99_us"] = result["p99_ms"] * 1000
        row["errors"] = result["errors"]
    print(json.dumps(row))


if __name__ == "__main__":
    main()
