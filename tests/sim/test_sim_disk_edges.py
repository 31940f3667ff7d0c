"""Edges of the simulated disk found by trying to break it: sizes that must not take the
interpreter down, file objects that outlive their run, arguments checked before a file is
touched, and corners where it must answer as the real disk does (each case runs on both)."""

import array
import errno
import os
import shutil
import time

import pytest

import tonio
import tonio.sim as sim
from tonio.colored import fs

DISK = sim.Disk()


def outcome(exc):
    return ("raised", type(exc).__name__, getattr(exc, "errno", None))


def on_both_disks(case, tmp_path):
    """``case(root)`` (an async function) on a real folder and on the simulated disk: both
    outcomes, with the root replaced by ``<root>`` in strings and paths."""

    async def guarded(root):
        await fs.Path(root).mkdir(parents=True, exist_ok=True)
        try:
            return await case(root)
        except Exception as exc:  # noqa: BLE001 - compared below
            return outcome(exc)

    def plain(value, root):
        if isinstance(value, (list, tuple)):
            return [plain(v, root) for v in value]
        if isinstance(value, (str, os.PathLike)):
            return os.fspath(value).replace(root, "<root>")
        return value

    real_root = str(tmp_path / "real")
    real = plain(tonio.run(guarded(real_root)), real_root)
    simulated = plain(sim.run(guarded("/sim/root"), seed=1, disk=DISK), "/sim/root")
    return real, simulated


# --- sizes ------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["truncate", "seek-write", "seek-end-write", "relative-seek"])
def test_huge_sizes_are_errors_not_aborts(how):
    async def main():
        async with await fs.open("/big", "w+b", buffering=0) as f:
            if how == "truncate":
                await f.truncate(1 << 40)
            elif how == "seek-write":
                await f.seek(1 << 40)
                await f.write(b"x")
            elif how == "seek-end-write":
                await f.seek(2**63 - 1)
                await f.write(b"x")
            else:
                await f.seek(2**63 - 1)
                await f.seek(2**63 - 1, os.SEEK_CUR)

    with pytest.raises(OSError) as info:
        sim.run(main(), seed=0, disk=DISK)
    assert info.value.errno in (errno.EFBIG, errno.EINVAL)


@pytest.mark.parametrize("option", ["latency", "jitter"])
def test_disk_delays_beyond_an_hour_are_refused(option):
    with pytest.raises(ValueError, match=option):
        sim.runtime(seed=0, disk=sim.Disk(**{option: 1e30}))


def test_sync_costs_what_was_written_since_the_last_one_not_the_file_size():
    """Appending a record and syncing 2,000 times to a 16 MB file stays cheap."""

    async def main():
        async with await fs.open("/log", "wb", buffering=0) as f:
            await f.write(b"x" * (16 << 20))
            await f.sync()
            for _ in range(2000):
                await f.write(b"record\n")
                await f.sync()

    start = time.perf_counter()
    sim.run(main(), seed=0, disk=DISK)
    assert time.perf_counter() - start < 2.0  # copying the file per sync took ~3 s


# --- file objects and their runs ---------------------------------------------------------------


def test_a_file_object_of_an_earlier_run_does_not_touch_a_later_runs_files():
    kept = []

    async def first():
        kept.append(await fs.open("/secret", "wb", buffering=0))

    async def second():
        await fs.Path("/secret").write_bytes(b"run 2 data")
        with pytest.raises(OSError) as info:
            await kept[0].write(b"XXXXX")
        assert info.value.errno == errno.EBADF
        return await fs.Path("/secret").read_bytes()

    sim.run(first(), seed=0, disk=DISK)
    assert sim.run(second(), seed=0, disk=DISK) == b"run 2 data"
    kept.clear()  # dropped outside any run: closes quietly


def test_bad_open_arguments_leave_the_file_alone():
    async def main():
        await fs.Path("/keep").write_text("precious")
        for kwargs in (
            {"encoding": 5},
            {"errors": 5},
            {"newline": "x"},
            {"buffering": "8192"},
            {"encoding": "no-such-codec"},
        ):
            with pytest.raises((TypeError, ValueError, LookupError)):
                await fs.open("/keep", "w", **kwargs)
        return await fs.Path("/keep").read_text(), sim.disk().crash()

    assert sim.run(main(), seed=0, disk=DISK) == ("precious", 0)  # nothing left open


# --- the same answers as the real disk ----------------------------------------------------------


async def dot_dots(root):
    await fs.Path(root, "b").mkdir()
    await fs.Path(root, "f").write_text("")
    got = [await fs.Path(root, "missing", "..").exists()]
    for call in (
        lambda: fs.Path(root, "b", "missing", "..").rmdir(),
        lambda: fs.open(os.path.join(root, "f", "..", "g"), "w"),
        lambda: fs.open(os.path.join(root, "f", "..")),
        lambda: fs.Path(root, "b", "..", "b", ".", "x").write_text("through"),
    ):
        try:
            result = await call()
            got.append("ok" if not hasattr(result, "close") else "opened")
        except OSError as exc:
            got.append(outcome(exc))
    got.append(sorted(p.name for p in await fs.Path(root).iterdir()))
    return got


async def copies_and_moves(root):
    top = fs.Path(root, "a")
    await (top / "sub").mkdir(parents=True)
    await (top / "sub" / "x.txt").write_text("x")
    await top.copy(top / "inner")  # into itself: the tree as it was, once
    await fs.Path(root, "dir").mkdir()
    await fs.Path(root, "m.txt").write_text("m")
    got = [sorted(str(p.relative_to(root)) for p in await fs.Path(root).rglob("*"))]
    for call in (
        lambda: fs.Path(root, "m.txt").move(fs.Path(root, "dir")),
        lambda: fs.Path(root, "m.txt").copy(fs.Path(root, "m.txt")),
    ):
        try:
            await call()
            got.append("ok")
        except OSError as exc:
            got.append(("raised", isinstance(exc, OSError), exc.errno))
    got.append(await fs.Path(root, "m.txt").samefile(fs.Path(root, "m.txt")))
    return got


async def globs(root):
    base = fs.Path(root)
    await (base / "a" / "b").mkdir(parents=True)
    await (base / "a" / "e.txt").write_text("")
    await (base / "t.txt").write_text("")
    got = []
    for pattern in ("**/", "*/", "**", "a/**", "*.txt", "**/*.txt", "a/*"):
        got.append(sorted(str(p.relative_to(root)) for p in await base.glob(pattern)))
    got.append(sorted(str(p.relative_to(root)) for p in await base.rglob("")))
    return got


async def touches_and_odd_paths(root):
    await fs.Path(root, "d").mkdir()
    await fs.Path(root, "d").touch()
    await fs.Path(root, "t").write_text("")
    before = (await fs.Path(root, "t").stat()).st_mtime
    await tonio.colored.sleep(0.01)
    await fs.Path(root, "t").touch()
    touched = (await fs.Path(root, "t").stat()).st_mtime > before
    odd = [
        await fs.Path(root, "a\0b").exists(),
        await fs.Path(root, "\udcff").is_file(),
    ]
    name = os.fsencode(root) + b"/\xff\xfe"
    async with await fs.open(name, "wb") as f:
        await f.write(b"x")
        bytes_name = f.name == name
    listed = [os.fsencode(p.name) for p in await fs.Path(root).iterdir()]
    try:
        await fs.Path(root, "x" * 200, *(["y" * 200] * 25)).mkdir(parents=True)
        long_path = "ok"
    except OSError as exc:
        long_path = exc.errno
    return [touched, odd, bytes_name, b"\xff\xfe" in listed, long_path]


async def raw_files(root):
    path = os.path.join(root, "raw")
    await fs.Path(path).write_bytes(b"abc")
    got = []
    async with await fs.open(path, "rb", buffering=0) as f:
        for call in (lambda: f.write(b"x"), lambda: f.truncate(0), lambda: f.seek(0, 7)):
            try:
                await call()
            except OSError as exc:
                got.append((type(exc).__name__, exc.errno))
        got.append(await f.read(None))
    async with await fs.open(path, "w+b", buffering=0) as f:
        got.append(f.mode)
        try:
            await f.truncate(-1)
        except OSError as exc:
            got.append(exc.errno)
        got.append(await f.write(array.array("i", [1, 2])))
    return got


@pytest.mark.parametrize(
    "case", [dot_dots, copies_and_moves, globs, touches_and_odd_paths, raw_files]
)
def test_the_simulated_disk_answers_as_the_real_one(case, tmp_path):
    real, simulated = on_both_disks(case, tmp_path)
    assert simulated == real
    shutil.rmtree(tmp_path, ignore_errors=True)
