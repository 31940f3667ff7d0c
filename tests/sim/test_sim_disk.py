"""The simulated disk (``disk=tonio.sim.Disk()``): ``tonio.fs`` gives the same results as on
the real disk, and the simulator adds what only it can: seeded delays, power losses that keep
synced bytes and a seeded prefix of the rest, and injected errors, each part of the seed."""

import errno
import os

import pytest
from in_processes import outputs_in_processes

import tonio
import tonio.sim as sim
from tonio import fs
from tonio.colored import fs as cfs
from tonio.fs import _disk_paths, _path
from tonio.time import sleep, timeout
from tonio.time import time as now

DISK = sim.Disk()


def error(call):
    """A generator step: the errno ``call``'s awaitable raised (None if it did not)."""
    try:
        yield call()
    except OSError as exc:
        return type(exc).__name__, exc.errno
    return None


def tour(root):
    """The same tonio.fs calls on any disk, under ``root``; what they gave."""
    base = fs.Path(root)
    got = []
    yield (base / "d" / "e").mkdir(parents=True)
    got.append((yield (base / "d" / "e").is_dir()))
    yield (base / "d" / "a.txt").write_text("line 1\nline 2\n")
    got.append((yield (base / "d" / "a.txt").read_text()))
    f = yield fs.open(os.path.join(root, "d", "a.txt"), "a")
    yield f.write("line 3\n")
    yield f.close()
    f = yield (base / "d" / "a.txt").open("r")
    lines = []
    while line := (yield f.readline()):
        lines.append(line)
    got.append(lines)
    got.append((yield f.tell()))
    yield f.close()
    f = yield fs.open(os.path.join(root, "d", "b.bin"), "w+b")
    yield f.write(b"0123456789")
    yield f.seek(2)
    got.append((yield f.read(3)))
    yield f.truncate(4)
    yield f.seek(0)
    got.append((yield f.read()))
    yield f.sync()
    yield f.close()
    got.append((yield (base / "d" / "b.bin").stat()).st_size)
    got.append(sorted(p.name for p in (yield (base / "d").iterdir())))
    got.append(sorted(str(p.relative_to(base)) for p in (yield base.glob("**/*.txt"))))
    yield (base / "d" / "b.bin").rename(base / "d" / "c.bin")
    yield (base / "d" / "a.txt").replace(base / "d" / "c.bin")  # over an existing file
    old_name_exists = yield (base / "d" / "b.bin").exists()
    got.append((old_name_exists, (yield (base / "d" / "c.bin").read_bytes())))
    got.append((yield from error(lambda: (base / "d").rmdir())))
    got.append((yield from error(lambda: (base / "d").mkdir())))
    got.append((yield from error(lambda: (base / "missing" / "x").write_text(""))))
    got.append((yield from error(lambda: fs.open(os.path.join(root, "d"), "r"))))
    got.append((yield from error(lambda: fs.open(os.path.join(root, "d", "c.bin"), "x"))))
    got.append((yield from error(lambda: (base / "d").unlink())))
    got.append((yield from error(lambda: (base / "d" / "c.bin" / "x").stat())))
    got.append((yield from error(lambda: (base / "d" / "e").rename(base / "d" / "c.bin"))))
    yield (base / "d" / "c.bin").unlink()
    yield (base / "d" / "c.bin").unlink(missing_ok=True)
    yield (base / "d" / "e").rmdir()
    got.append(((yield (base / "d").is_dir()), (yield (base / "d").is_file())))
    got.append([name for _, _, name in (yield base.walk())])
    return got


def test_the_same_calls_give_the_same_results_on_both_disks(tmp_path):
    real = tonio.run(tour(str(tmp_path)))
    simulated = sim.run(tour("/data"), seed=1, disk=DISK)
    assert simulated == real
    assert real[0] is True and real[1] == "line 1\nline 2\n"
    assert real[9][1] == b"line 1\nline 2\nline 3\n"
    assert real[10] == ("OSError", errno.ENOTEMPTY)
    assert not os.path.exists("/data/d"), "the simulated run touched the real disk"


async def colored_tour():
    path = cfs.Path("/notes.txt")
    async with await cfs.open(path, "w") as f:
        await f.write("a\nb\n")
    lines = [line async for line in await cfs.open(path)]
    return lines, await path.read_text(), await cfs.Path.cwd()


def test_both_flavours_work_on_the_simulated_disk():
    lines, text, cwd = sim.run(colored_tour(), seed=0, disk=DISK)
    assert (lines, text, str(cwd)) == (["a\n", "b\n"], "a\nb\n", "/")


def test_each_run_gets_a_fresh_disk_and_the_real_one_is_untouched(tmp_path):
    target = str(tmp_path / "written-by-sim")

    def write_then_look():
        found = yield fs.Path(target).exists()
        yield fs.Path(tmp_path).mkdir(parents=True, exist_ok=True)
        yield fs.Path(target).write_bytes(b"x")
        return found

    assert [sim.run(write_then_look(), seed=s, disk=DISK) for s in range(3)] == [False] * 3
    assert not os.path.exists(target)


def test_every_operation_takes_the_disk_latency_in_virtual_time():
    def timed():
        start = now()
        yield fs.Path("/f").write_bytes(b"x")
        yield fs.Path("/f").read_bytes()
        return now() - start

    assert sim.run(timed(), seed=0, disk=sim.Disk(latency=0.25)) == pytest.approx(0.5)
    spans = {sim.run(timed(), seed=s, disk=sim.Disk(latency=0.1, jitter=0.1)) for s in range(8)}
    assert len(spans) > 1 and all(0.2 <= span <= 0.4 for span in spans)


def test_other_tasks_run_while_the_disk_is_busy():
    def main():
        ticks = []

        def ticker():
            for _ in range(5):
                ticks.append(now())
                yield sleep(0.1)

        handle = tonio.spawn(ticker())
        yield fs.Path("/slow").write_bytes(b"x")
        written_at = now()
        yield handle
        return written_at, len([t for t in ticks if t < written_at])

    written_at, ticks_before = sim.run(main(), seed=3, disk=sim.Disk(latency=0.35))
    assert written_at == pytest.approx(0.35) and ticks_before == 4


def crash_after_unsynced_write():
    f = yield fs.open("/log", "wb")
    yield f.write(b"synced;")
    yield f.sync()
    yield f.write(b"after the sync")
    yield f.flush()  # in the disk's cache, not durable
    created = yield fs.open("/created-not-synced", "wb")
    yield created.write(b"lost?")
    yield created.flush()
    broken = sim.disk().crash()
    failed = yield from error(f.sync)
    yield f.close()  # a file a crash broke closes quietly
    yield created.close()
    after = yield fs.Path("/log").read_bytes()
    exists = yield fs.Path("/created-not-synced").exists()
    return broken, failed, after, exists


def test_a_crash_keeps_synced_bytes_and_a_seeded_prefix_of_the_rest():
    outcomes = [sim.run(crash_after_unsynced_write(), seed=s, disk=DISK) for s in range(60)]
    for broken, failed, after, exists in outcomes:
        assert broken == 2 and exists
        assert failed == ("OSError", errno.EIO)
        assert after.startswith(b"synced;")
        assert b"synced;after the sync".startswith(after)
    kept = {after for _, _, after, _ in outcomes}
    assert b"synced;" in kept and b"synced;after the sync" in kept
    assert any(len(k) not in (7, 21) for k in kept), "no crash tore the write"
    again = [sim.run(crash_after_unsynced_write(), seed=s, disk=DISK) for s in range(60)]
    assert again == outcomes


def test_a_file_opened_after_a_crash_works_and_unflushed_buffers_die_with_the_crash():
    def main():
        f = yield fs.open("/a", "w")
        yield f.write("still in the buffer")
        sim.disk().crash()
        yield f.close()
        g = yield fs.open("/a", "a")
        yield g.write("new")
        yield g.close()
        return (yield fs.Path("/a").read_text())

    assert {sim.run(main(), seed=s, disk=DISK) for s in range(10)} == {"new"}


def test_injected_errors_hit_only_their_prefix_until_healed():
    def main():
        yield fs.Path("/data").mkdir()
        yield fs.Path("/data/x").write_text("ok")
        f = yield fs.open("/data/x", "a")
        sim.disk().fail("/data", errno.ENOSPC)
        got = [(yield from error(lambda: fs.Path("/data/y").write_text("no")))]
        got.append((yield from error(lambda: f.sync())))
        got.append((yield from error(lambda: fs.Path("/database").mkdir())))
        sim.disk().fail("/data/x", errno.EACCES)
        got.append((yield from error(lambda: fs.Path("/data/x").read_text())))
        got.append(sim.disk().heal("/data"))
        got.append((yield from error(lambda: fs.Path("/data/x").read_text())))
        got.append(sim.disk().heal())
        got.append((yield fs.Path("/data/x").read_text()))
        yield f.close()
        return got

    assert sim.run(main(), seed=0, disk=DISK) == [
        ("OSError", errno.ENOSPC),
        ("OSError", errno.ENOSPC),
        None,
        ("PermissionError", errno.EACCES),
        1,
        ("PermissionError", errno.EACCES),
        1,
        "ok",
    ]


def test_faults_are_steps_of_the_trace_and_replay_from_the_schedule():
    def main():
        yield fs.Path("/f").write_bytes(b"x")
        sim.disk().fail("/f", errno.EIO)
        sim.disk().heal()
        sim.disk().crash()

    rt = sim.runtime(seed=4, disk=DISK, trace=True)
    rt.run_until_complete(main())
    notes = [entry for entry in rt.last_trace if "fault: disk" in str(entry)]
    assert len(notes) == 3
    again = sim.runtime(seed=0, disk=DISK, schedule=rt.last_schedule)
    again.run_until_complete(main())
    assert again.last_trace_hash == rt.last_trace_hash


def test_a_cancelled_operation_still_happens_as_on_the_real_disk():
    def main():
        try:
            yield timeout(fs.Path("/f").write_text("written"), 0.01)
        except TimeoutError:
            pass
        return (yield fs.Path("/f").read_text())

    assert sim.run(main(), seed=0, disk=sim.Disk(latency=1.0)) == "written"


def test_clear_errors_for_what_the_simulated_disk_cannot_do():
    def main():
        with pytest.raises(NotImplementedError, match="chmod"):
            fs.Path("/x").chmod(0o600)
        with pytest.raises(TypeError, match="by path"):
            yield fs.open(3)
        with pytest.raises(ValueError, match="opener"):
            yield fs.open("/x", "w", opener=os.open)
        with pytest.raises(ValueError, match="invalid mode"):
            yield fs.open("/x", "rw")
        with pytest.raises(ValueError, match="null"):
            yield fs.Path("/a\0b").read_text()
        with pytest.raises(ValueError, match="errno"):
            sim.disk().fail("/", 0)

    sim.run(main(), seed=0, disk=DISK)
    assert set(_disk_paths.METHODS) | _disk_paths.UNAVAILABLE == set(_path._DISK_METHODS)


def test_disk_is_refused_where_it_cannot_work():
    with pytest.raises(TypeError, match="disk"):
        tonio.Runtime(platform="real", disk=DISK)
    with pytest.raises(TypeError, match="tonio.sim.Disk"):
        sim.runtime(seed=0, disk="memory")
    with pytest.raises(RuntimeError, match="no disk"):
        sim.run(_call(sim.disk), seed=0)
    with pytest.raises(RuntimeError, match="inside a simulated run"):
        sim.disk()


def _call(fn):
    fn()
    yield sleep(0)


def test_disk_contents_after_a_crash_are_the_same_in_three_processes():
    code = (
        "import tonio.sim as sim, hashlib, sys\n"
        f"sys.path.insert(0, {os.path.dirname(__file__)!r})\n"
        "from test_sim_disk import concurrent_writers_then_crash\n"
        "rt = sim.runtime(seed=21, disk=sim.Disk(jitter=0.001))\n"
        "contents = rt.run_until_complete(concurrent_writers_then_crash())\n"
        "print(hashlib.sha256(repr(contents).encode()).hexdigest(), rt.last_trace_hash)\n"
    )
    outputs = outputs_in_processes(code)
    assert len(outputs) == 1, outputs


def concurrent_writers_then_crash():
    """Three writers append to their own files, syncing now and then; a fourth task crashes
    the disk at a seeded moment. The files' contents afterwards."""

    def writer(name):
        with (yield fs.open(f"/{name}", "ab")) as f:
            try:
                for i in range(20):
                    yield f.write(b"%s%d;" % (name.encode(), i))
                    yield f.flush()
                    if i % 5 == 4:
                        yield f.sync()
            except OSError as exc:  # the crash broke the file
                assert exc.errno == errno.EIO

    handles = [tonio.spawn(writer(name)) for name in "abc"]
    yield sleep(sim.random().uniform(0.0005, 0.003))
    sim.disk().crash()
    yield from handles  # joins each writer
    contents = {}
    for name in "abc":
        contents[name] = yield fs.Path(f"/{name}").read_bytes()
    return contents


def test_crash_contents_differ_between_seeds_but_not_between_runs_of_one():
    runs = [sim.run(concurrent_writers_then_crash(), seed=s, disk=DISK) for s in range(20)]
    assert len({repr(r) for r in runs}) > 5
    assert runs == [sim.run(concurrent_writers_then_crash(), seed=s, disk=DISK) for s in range(20)]


def test_a_marker_test_runs_on_both_disks_under_tmp_path(pytester):
    """With platform="both", the simulated runs use the simulated disk and the real run the
    real one: a test working under tmp_path passes on both."""
    pytester.makepyfile(
        test_both="""
import os
import pytest
import tonio.sim
from tonio._tonio import running_platform
from tonio.colored import fs

@pytest.mark.tonio(platform="both", runs=3, disk=tonio.sim.Disk())
async def test_notes(tmp_path):
    folder = fs.Path(tmp_path) / "notes"
    await folder.mkdir(parents=True, exist_ok=True)
    await (folder / "a.txt").write_text("hello")
    assert [p.name for p in await folder.iterdir()] == ["a.txt"]
    assert await (folder / "a.txt").read_text() == "hello"
    # Only the real run wrote to the real disk.
    assert os.path.exists(folder / "a.txt") == (running_platform() == "real")
"""
    )
    result = pytester.runpytest("-p", "tonio", "-v")
    result.assert_outcomes(passed=2)
