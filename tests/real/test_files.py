"""tonio.fs in both flavours: files, paths mirroring pathlib, errors unchanged, cancellation."""

import os
import pathlib
import threading

import pytest

import tonio
import tonio.colored as ctonio
import tonio.colored.fs as cfs
import tonio.fs as fs
import tonio.sim
from tonio.time import timeout


def descriptors():
    return len(os.listdir("/proc/self/fd"))


def test_tonios_yield_example_runs_unchanged(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)

    def main():
        f = yield fs.open("data.txt", "w")
        yield f.write("hello")
        yield f.close()

        path = fs.Path("data.txt")
        if (yield path.exists()):
            print((yield path.read_text()))

        for entry in (yield fs.Path(".").iterdir()):
            print(entry.name)

    def read_lines(path):
        f = yield fs.open(path, "r")
        try:
            while True:
                line = yield f.readline()
                if not line:
                    break
                print(line, end="")
        finally:
            yield f.close()

    tonio.run(main())
    tonio.run(read_lines("data.txt"))
    assert capsys.readouterr().out == "hello\ndata.txt\nhello"


def test_tonios_colored_example_runs_unchanged(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)

    async def main():
        async with await cfs.open("data.txt", "w") as f:
            await f.write("hello\nworld\n")

        path = cfs.Path("data.txt")
        if await path.exists():
            print(await path.read_text(), end="")

        for entry in await cfs.Path(".").iterdir():
            print(entry.name)

    async def read_lines(path):
        async with await cfs.open(path, "r") as f:
            async for line in f:
                print(line, end="")
        return f.closed

    ctonio.run(main())
    assert ctonio.run(read_lines("data.txt")) is True
    assert capsys.readouterr().out == "hello\nworld\ndata.txt\nhello\nworld\n"


def test_every_disk_method_of_pathlib_is_an_awaitable_and_pure_ones_stay_pure(tmp_path):
    disk = {n for n in dir(pathlib.Path) if not n.startswith("_")} - set(dir(pathlib.PurePosixPath))
    disk |= {"copy", "copy_into", "move", "move_into"}  # 3.14's, on 3.13 too
    disk -= {"from_uri"}  # parses a URI: pure

    def main():
        path = fs.Path(tmp_path)
        for name in sorted(disk):
            assert callable(getattr(fs.Path, name)), name
        awaited = yield path.exists()
        child = path / "a" / "b.txt"
        assert type(child) is fs.Path and type(child.parent) is fs.Path
        assert type(child.with_suffix(".md")) is fs.Path
        check = path.exists()
        assert isinstance(check, tonio._tonio.Suspension)
        return awaited, (yield check)

    assert tonio.run(main()) == (True, True)
    assert fs.PosixPath is fs.Path
    assert fs.Path.from_uri(f"file://{tmp_path}") == fs.Path(tmp_path)


def test_results_that_are_paths_are_tonio_paths_and_listings_are_lists(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "x.py").write_text("x")
    (tmp_path / "y.txt").write_text("y")

    async def main():
        root = cfs.Path(tmp_path)
        listing = await root.iterdir()
        found = await root.rglob("*.py")
        walked = await root.walk()
        resolved = await (root / "d" / ".." / "y.txt").resolve()
        return listing, found, walked, resolved

    listing, found, walked, resolved = ctonio.run(main())
    assert isinstance(listing, list) and {p.name for p in listing} == {"d", "y.txt"}
    assert all(type(p) is fs.Path for p in listing + found)
    assert found == [fs.Path(tmp_path / "d" / "x.py")]
    assert isinstance(walked, list) and type(walked[0][0]) is fs.Path
    assert type(resolved) is fs.Path and resolved == tmp_path / "y.txt"


def test_copy_and_move_work_on_this_python(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "f.txt").write_text("data")
    (tmp_path / "dest").mkdir()

    def main():
        src = fs.Path(tmp_path / "src")
        tree = yield src.copy(tmp_path / "tree")
        one = yield (src / "f.txt").copy_into(tmp_path / "dest")
        moved = yield one.move(tmp_path / "moved.txt")
        into = yield moved.move_into(tmp_path / "tree")
        return tree, one, moved, into

    tree, one, moved, into = tonio.run(main())
    assert (tmp_path / "tree" / "f.txt").read_text() == "data"
    assert one == tmp_path / "dest" / "f.txt"
    assert not (tmp_path / "dest" / "f.txt").exists()
    assert into == tmp_path / "tree" / "moved.txt" and (tmp_path / "tree" / "moved.txt").exists()
    assert all(type(p) is fs.Path for p in (tree, one, moved, into))


def test_os_errors_come_out_unchanged(tmp_path):
    def main():
        with pytest.raises(FileNotFoundError):
            yield fs.open(tmp_path / "missing")
        with pytest.raises(FileNotFoundError):
            yield fs.Path(tmp_path / "missing").read_bytes()
        with pytest.raises(IsADirectoryError):
            yield fs.open(tmp_path)
        with pytest.raises(FileExistsError):
            yield fs.Path(tmp_path).mkdir()
        return "ok"

    assert tonio.run(main()) == "ok"


def test_file_methods_sync_and_unknown_names(tmp_path):
    path = tmp_path / "f.bin"

    def main():
        f = yield fs.open(path, "wb+")
        assert f.writable() and f.readable() and f.seekable() and f.fileno() >= 0
        assert f.name == str(path) and f.mode == "rb+" and not f.closed
        assert (yield f.write(b"abcdef")) == 6
        yield f.sync()
        yield f.seek(2)
        assert (yield f.read(2)) == b"cd" and (yield f.tell()) == 4
        yield f.truncate(3)
        yield f.seek(0)
        assert (yield f.read()) == b"abc"
        with pytest.raises(AttributeError, match="no attribute 'frobnicate'"):
            f.frobnicate  # noqa: B018
        yield f.close()
        return f.closed

    assert tonio.run(main()) is True


def test_wrap_file_adopts_an_open_file_and_refuses_others(tmp_path):
    path = tmp_path / "f.txt"
    path.write_text("one\ntwo\n")

    def main():
        with open(path) as plain:
            f = fs.wrap_file(plain)
            lines = yield f.readlines()
        closed = open(path)
        closed.close()
        with pytest.raises(ValueError, match="closed"):
            fs.wrap_file(closed)
        with pytest.raises(TypeError, match="open file object"):
            fs.wrap_file(3)
        return lines

    assert tonio.run(main()) == ["one\n", "two\n"]


def test_cancelled_opens_and_reads_leave_nothing_behind(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    writing = threading.Event()
    may_write = threading.Event()

    def writer():
        with open(fifo, "wb", buffering=0) as out:
            writing.set()
            may_write.wait(10)
            out.write(b"late")

    def main():
        before = descriptors()
        # open() of a FIFO blocks until a writer comes: cancelled meanwhile
        value, done = yield timeout(fs.open(fifo, "rb"), 0.05)
        assert (value, done) == (None, False)
        thread = threading.Thread(target=writer)
        thread.start()
        writing.wait(10)
        yield tonio.sleep(0.05)  # the pool's open ends; its file is dropped and closed
        assert descriptors() == before + 1  # only the writer's end
        # a read that waits for data, cancelled; the file stays the caller's
        f = yield fs.open(fifo, "rb", buffering=0)
        value, done = yield timeout(f.read(4), 0.05)
        assert (value, done) == (None, False)
        may_write.set()
        thread.join()
        yield f.close()
        return before, descriptors()

    before, after = tonio.run(main(), threads=2)
    assert after == before


def test_files_under_the_simulator_use_the_real_disk_inline(tmp_path):
    path = tmp_path / "sim.txt"

    def main():
        yield fs.Path(path).write_text("simulated")
        return (yield fs.Path(path).read_text())

    assert tonio.sim.run(main(), seed=3) == "simulated"


def test_read_bytes_reads_as_pathlib_does_with_the_same_errors(tmp_path):
    """`Path.read_bytes` reads with the OS's calls (no file object): same bytes, same errors."""
    target = tmp_path / "f"

    def main():
        for content in (b"", b"x", b"y" * 200_000):
            target.write_bytes(content)
            assert (yield fs.Path(target).read_bytes()) == content
        assert (yield fs.Path("/proc/self/status").read_bytes()).startswith(b"Name:")
        errors = []
        for bad in (tmp_path, tmp_path / "missing"):
            with pytest.raises(OSError) as plain:
                pathlib.Path(bad).read_bytes()
            with pytest.raises(OSError) as ours:
                yield fs.Path(bad).read_bytes()
            errors.append(
                (type(ours.value), str(ours.value)) == (type(plain.value), str(plain.value))
            )
        return errors

    assert tonio.run(main()) == [True, True]
