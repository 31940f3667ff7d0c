"""Files and child processes for one runtime, in this process. Prints one JSON line per
scenario with the median and best of the repeats.

    python bench/files_processes.py RUNTIME [--repeat R] [--dir DIR]

RUNTIME: yield | colored (tonio, threads=1) | asyncio | trio | plain (sequential Python, no
runtime: the floor). Scenarios, the same work for each:
- files: 2,000 reads of 4 KiB files, 64 at a time (tonio: ``fs.Path.read_bytes``; asyncio:
  ``asyncio.to_thread(path.read_bytes)``; trio: ``trio.Path.read_bytes``; plain: a loop), each
  on its own path objects made before the timing;
- processes: 120 runs of ``true`` with stdout captured, 12 at a time (tonio: ``run_process``;
  asyncio: ``create_subprocess_exec`` + ``communicate``; trio: ``trio.run_process``; plain:
  ``subprocess.run`` in a loop).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

FILES, FILE_SIZE, FILE_CONCURRENCY = 2_000, 4096, 64
RUNS, RUN_CONCURRENCY = 120, 12


def make_files(folder: Path) -> list[Path]:
    paths = [folder / f"f{i:05}.bin" for i in range(FILES)]
    for path in paths:
        if not path.exists():
            path.write_bytes(b"x" * FILE_SIZE)
    return paths


def tonio_files(paths: list[Path], colored: bool) -> int:
    import tonio.fs

    own = [tonio.fs.Path(path) for path in paths]  # each runtime's own path objects, made
    if colored:  # outside the timed work, as asyncio's pathlib ones are
        import tonio.colored as tonio

        async def reader(queue, sizes):
            for path in queue:
                sizes.append(len(await path.read_bytes()))

        async def main():
            queue, sizes = iter(own), []
            await tonio.spawn(*[reader(queue, sizes) for _ in range(FILE_CONCURRENCY)])
            return sum(sizes)

        return tonio.run(main(), threads=1)
    import tonio

    def reader(queue, sizes):
        for path in queue:
            sizes.append(len((yield path.read_bytes())))

    def main():
        queue, sizes = iter(own), []
        yield tonio.spawn(*[reader(queue, sizes) for _ in range(FILE_CONCURRENCY)])
        return sum(sizes)

    return tonio.run(main(), threads=1)


def tonio_processes(colored: bool) -> int:
    if colored:
        import tonio.colored as tonio

        async def runner(queue, codes):
            for _ in queue:
                result = await tonio.run_process(["true"], capture_stdout=True)
                codes.append(result.returncode)

        async def main():
            queue, codes = iter(range(RUNS)), []
            await tonio.spawn(*[runner(queue, codes) for _ in range(RUN_CONCURRENCY)])
            return len(codes)

        return tonio.run(main(), threads=1)
    import tonio

    def runner(queue, codes):
        for _ in queue:
            result = yield tonio.run_process(["true"], capture_stdout=True)
            codes.append(result.returncode)

    def main():
        queue, codes = iter(range(RUNS)), []
        yield tonio.spawn(*[runner(queue, codes) for _ in range(RUN_CONCURRENCY)])
        return len(codes)

    return tonio.run(main(), threads=1)


def asyncio_files(paths: list[Path]) -> int:
    import asyncio

    async def reader(queue, sizes):
        for path in queue:
            sizes.append(len(await asyncio.to_thread(path.read_bytes)))

    async def main():
        queue, sizes = iter(paths), []
        await asyncio.gather(*[reader(queue, sizes) for _ in range(FILE_CONCURRENCY)])
        return sum(sizes)

    return asyncio.run(main())


def asyncio_processes() -> int:
    import asyncio

    async def runner(queue, codes):
        for _ in queue:
            proc = await asyncio.create_subprocess_exec("true", stdout=asyncio.subprocess.PIPE)
            await proc.communicate()
            codes.append(proc.returncode)

    async def main():
        queue, codes = iter(range(RUNS)), []
        await asyncio.gather(*[runner(queue, codes) for _ in range(RUN_CONCURRENCY)])
        return len(codes)

    return asyncio.run(main())


def trio_files(paths: list[Path]) -> int:
    import trio

    own = [trio.Path(path) for path in paths]

    async def reader(queue, sizes):
        for path in queue:
            sizes.append(len(await path.read_bytes()))

    async def main():
        queue, sizes = iter(own), []
        async with trio.open_nursery() as nursery:
            for _ in range(FILE_CONCURRENCY):
                nursery.start_soon(reader, queue, sizes)
        return sum(sizes)

    return trio.run(main)


def trio_processes() -> int:
    import trio

    async def runner(queue, codes):
        for _ in queue:
            result = await trio.run_process(["true"], capture_stdout=True)
            codes.append(result.returncode)

    async def main():
        queue, codes = iter(range(RUNS)), []
        async with trio.open_nursery() as nursery:
            for _ in range(RUN_CONCURRENCY):
                nursery.start_soon(runner, queue, codes)
        return len(codes)

    return trio.run(main)


def plain_files(paths: list[Path]) -> int:
    return sum(len(path.read_bytes()) for path in paths)


def plain_processes() -> int:
    return sum(1 for _ in range(RUNS) if subprocess.run(["true"], capture_output=True))


def scenario(runtime: str, name: str, paths: list[Path]):
    files = name == "files"
    if runtime in ("yield", "colored"):
        colored = runtime == "colored"
        return (
            (lambda: tonio_files(paths, colored)) if files else (lambda: tonio_processes(colored))
        )
    table = {
        "asyncio": (asyncio_files, asyncio_processes),
        "trio": (trio_files, trio_processes),
        "plain": (plain_files, plain_processes),
    }[runtime]
    return (lambda: table[0](paths)) if files else table[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("runtime", choices=["yield", "colored", "asyncio", "trio", "plain"])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--dir", default=str(Path(tempfile.gettempdir()) / "tonio-bench-files"))
    args = parser.parse_args()
    folder = Path(args.dir)
    folder.mkdir(exist_ok=True)
    paths = make_files(folder)
    for name, expected in (("files", FILES * FILE_SIZE), ("processes", RUNS)):
        run = scenario(args.runtime, name, paths)
        run()  # warm up (imports, the page cache, the blocking pool)
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            done = run()
            times.append(time.perf_counter() - start)
            assert done == expected, (name, done, expected)
        print(
            json.dumps(
                {
                    "scenario": name,
                    "median": statistics.median(times),
                    "best": min(times),
                    "runs": len(times),
                }
            )
        )


if __name__ == "__main__":
    main()
