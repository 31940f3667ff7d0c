"""Simulated network benchmarks: round trips per second, and explore runs per second of a small
client/server test with one and two worker threads.

    python bench/sim_net.py [--seconds S] [--json]

- *round trips*: one simulated TCP connection, a client sending 1 KB and reading the 1 KB echo,
  again and again in one run (the default network: 0.5 ms of virtual latency each way);
- *small client/server test*: connect, 3 round trips of 1 KB, close, one fresh simulated run
  per seed, through ``tonio.sim.explore`` with ``workers=1`` and ``workers=2``.
"""

from __future__ import annotations

import time

import script_cli

import tonio
import tonio.sim
from tonio.net import open_tcp_listeners, open_tcp_stream, serve_listeners

MESSAGE = b"x" * 1024


def echo(stream):
    with stream:
        while True:
            data = yield stream.receive_some()
            if not data:
                return
            yield stream.send_all(data)


def round_trips(count: int):
    def main():
        listeners = yield open_tcp_listeners(80, host="127.0.0.1")
        with tonio.scope() as scope:
            scope.spawn(serve_listeners(echo, listeners))
            stream = yield open_tcp_stream("127.0.0.1", 80)
            with stream:
                for _ in range(count):
                    yield stream.send_all(MESSAGE)
                    got = 0
                    while got < len(MESSAGE):
                        got += len((yield stream.receive_some()))
            scope.cancel()
        yield scope()

    return main()


def small_client_server():
    """Connect, 3 round trips of 1 KB, close."""
    return round_trips(3)


def round_trips_per_second(seconds: float) -> float:
    count, done = 2000, 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        tonio.sim.run(round_trips(count), seed=done)
        done += count
    return done / (time.perf_counter() - start)


def explore_rate(workers: int, runs: int) -> float:
    start = time.perf_counter()
    tonio.sim.explore(small_client_server, runs=runs, workers=workers)
    return runs / (time.perf_counter() - start)


def measure(seconds: float) -> dict:
    explore_rate(1, 200)  # warm-up
    runs = max(500, int(seconds * 4000))
    rates = {}
    for workers in (1, 2, 1, 2):  # interleaved: the second pass is kept
        rates[workers] = explore_rate(workers, runs)
    return {
        "round_trips_per_s": round_trips_per_second(seconds),
        "explore_runs": runs,
        "explore_per_s": {str(k): v for k, v in rates.items()},
    }


def markdown(result: dict) -> str:
    one, two = result["explore_per_s"]["1"], result["explore_per_s"]["2"]
    return "\n".join(
        [
            "| scenario | per second |",
            "|---|---|",
            f"| simulated round trips, 1 KB echo, 1 connection | "
            f"{result['round_trips_per_s']:,.0f} |",
            f"| small client/server test (connect, 3 round trips, close), explore, 1 worker | "
            f"{one:,.0f} runs |",
            f"| the same, explore with workers=2 | {two:,.0f} runs ({two / one:.2f}x) |",
        ]
    )


def main() -> None:
    args = script_cli.parser(__doc__).parse_args()
    script_cli.report(measure(args.seconds), args.json, markdown)


if __name__ == "__main__":
    main()
