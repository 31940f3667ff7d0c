"""Channel and lock scenarios for one runtime, in this process. Prints one JSON line per scenario.

    python bench/channels.py RUNTIME [--repeat R]

RUNTIME: yield | colored (whichever tonio the interpreter imports, threads=1) | asyncio.
Scenarios (capacity 128 unless stated): spsc (1 producer, 1 consumer, 100,000 messages), mpsc
(4 -> 1), mpmc (4 x 4), tight (capacity 1, 10,000 messages), unbounded (100,000 messages),
lock (100 tasks x 1,000 acquisitions). Producers finish, then the channel is closed and the
consumers drain it until it reports closed; `received` counts what they got.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

SCENARIOS = {
    # name: (producers, consumers, messages, capacity); capacity None = unbounded
    "spsc": (1, 1, 100_000, 128),
    "mpsc": (4, 1, 100_000, 128),
    "mpmc": (4, 4, 100_000, 128),
    "tight": (1, 1, 10_000, 1),
    "unbounded": (1, 1, 100_000, None),
}
LOCK_TASKS, LOCK_ROUNDS = 100, 1_000

_RUNTIME = []


def tonio_runtime():
    import tonio

    if not _RUNTIME:
        _RUNTIME.append(tonio.runtime(threads=1))
    return _RUNTIME[0]


def tonio_yield(scenario: str) -> tuple[float, int, int]:
    import tonio
    from tonio.sync import Lock, channel

    if scenario == "lock":
        lock, counter = Lock(), [0]

        def locker():
            for _ in range(LOCK_ROUNDS):
                with (yield lock()):
                    counter[0] += 1

        def main():
            start = time.perf_counter()
            yield tonio.spawn(*[locker() for _ in range(LOCK_TASKS)])
            return time.perf_counter() - start, counter[0]

        elapsed, done = tonio_runtime().run_until_complete(main())
        return elapsed, LOCK_TASKS * LOCK_ROUNDS, done

    producers, consumers, messages, capacity = SCENARIOS[scenario]
    sender, receiver = channel.unbounded() if capacity is None else channel.channel(capacity)
    per_producer = messages // producers
    received = [0]

    def produce():
        if capacity is None:
            for i in range(per_producer):
                sender.send(i)
            yield
        else:
            for i in range(per_producer):
                yield sender.send(i)

    def consume():
        while True:
            try:
                yield receiver.receive()
            except Exception:
                return
            received[0] += 1

    def main():
        start = time.perf_counter()
        drain = tonio.spawn(*[consume() for _ in range(consumers)])
        yield tonio.spawn(*[produce() for _ in range(producers)])
        sender.close()
        yield drain
        return time.perf_counter() - start

    elapsed = tonio_runtime().run_until_complete(main())
    return elapsed, per_producer * producers, received[0]


def tonio_colored(scenario: str) -> tuple[float, int, int]:
    import tonio.colored as tonio
    from tonio.colored.sync import Lock, channel

    if scenario == "lock":
        lock, counter = Lock(), [0]

        async def locker():
            for _ in range(LOCK_ROUNDS):
                async with lock:
                    counter[0] += 1

        async def main():
            start = time.perf_counter()
            await tonio.spawn(*[locker() for _ in range(LOCK_TASKS)])
            return time.perf_counter() - start, counter[0]

        elapsed, done = tonio_runtime().run_until_complete(main())
        return elapsed, LOCK_TASKS * LOCK_ROUNDS, done

    producers, consumers, messages, capacity = SCENARIOS[scenario]
    sender, receiver = channel.unbounded() if capacity is None else channel.channel(capacity)
    per_producer = messages // producers
    received = [0]

    async def produce():
        if capacity is None:
            for i in range(per_producer):
                sender.send(i)
        else:
            for i in range(per_producer):
                await sender.send(i)

    async def consume():
        while True:
            try:
                await receiver.receive()
            except Exception:
                return
            received[0] += 1

    async def main():
        start = time.perf_counter()
        drain = tonio.spawn(*[consume() for _ in range(consumers)])
        await tonio.spawn(*[produce() for _ in range(producers)])
        sender.close()
        await drain
        return time.perf_counter() - start

    elapsed = tonio_runtime().run_until_complete(main())
    return elapsed, per_producer * producers, received[0]


def asyncio_run(scenario: str) -> tuple[float, int, int]:
    import asyncio

    if scenario == "lock":
        counter = [0]

        async def main():
            lock = asyncio.Lock()

            async def locker():
                for _ in range(LOCK_ROUNDS):
                    async with lock:
                        counter[0] += 1

            start = time.perf_counter()
            await asyncio.gather(*[locker() for _ in range(LOCK_TASKS)])
            return time.perf_counter() - start

        return asyncio.run(main()), LOCK_TASKS * LOCK_ROUNDS, counter[0]

    producers, consumers, messages, capacity = SCENARIOS[scenario]
    per_producer = messages // producers
    received = [0]

    async def main():
        queue = asyncio.Queue(0 if capacity is None else capacity)

        async def produce():
            if capacity is None:
                for i in range(per_producer):
                    queue.put_nowait(i)
            else:
                for i in range(per_producer):
                    await queue.put(i)

        async def consume():
            while True:
                try:
                    await queue.get()
                except asyncio.QueueShutDown:
                    return
                received[0] += 1

        start = time.perf_counter()
        drain = [asyncio.create_task(consume()) for _ in range(consumers)]
        await asyncio.gather(*[produce() for _ in range(producers)])
        queue.shutdown()
        await asyncio.gather(*drain)
        return time.perf_counter() - start

    return asyncio.run(main()), per_producer * producers, received[0]


RUNNERS = {"yield": tonio_yield, "colored": tonio_colored, "asyncio": asyncio_run}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("runtime", choices=sorted(RUNNERS))
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    for scenario in [*SCENARIOS, "lock"]:
        times, lost = [], 0
        for _ in range(args.repeat):
            elapsed, sent, received = RUNNERS[args.runtime](scenario)
            times.append(elapsed)
            lost = max(lost, sent - received)
        median = statistics.median(times)
        print(
            json.dumps(
                {
                    "runtime": args.runtime,
                    "scenario": scenario,
                    "median_s": median,
                    "ops": sent,
                    "ops_per_s": sent / median,
                    "lost": lost,
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
