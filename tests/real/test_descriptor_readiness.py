"""`tonio.io`: readiness of any descriptor on the reactor, both flavours; refused under the
simulator."""

import os
import socket
import threading

import pytest

import tonio
import tonio.colored as ctonio
import tonio.colored.io as cio
import tonio.io as tio
import tonio.sim


def test_wait_readable_on_a_pipe_written_from_a_plain_thread():
    r, w = os.pipe()
    try:

        def main():
            threading.Timer(0.05, os.write, (w, b"hi")).start()
            assert (yield tio.wait_readable(r)) is True
            return os.read(r, 10)

        assert tonio.run(main(), threads=2) == b"hi"
    finally:
        os.close(r)
        os.close(w)


def test_colored_waits_take_objects_with_fileno():
    a, b = socket.socketpair()  # a socket owned by the stdlib, not by tonio
    with a, b:

        async def main():
            assert await cio.wait_writable(a) is True
            b.send(b"x")
            assert await cio.wait_readable(a) is True
            return a.recv(10)

        assert ctonio.run(main()) == b"x"


def test_a_wait_on_a_descriptor_already_ready_finishes_at_once():
    r, w = os.pipe()
    os.write(w, b"z")
    try:

        def main():
            for _ in range(2000):  # asks the OS afresh each time: no registration is left
                yield tio.wait_readable(r)
            return "ok"

        assert tonio.run(main()) == "ok"
    finally:
        os.close(r)
        os.close(w)


def test_register_follows_tonios_arm_and_consume_pattern():
    r, w = os.pipe()
    os.set_blocking(r, False)
    try:

        def main():
            with tio.register(r) as watch:
                assert watch.arm_r() is None  # may be ready: try the read
                with pytest.raises(BlockingIOError):
                    os.read(r, 10)
                watch.consume_r()
                waiter = watch.arm_r(timeout=0.02)
                assert (yield waiter) is False  # nothing came
                threading.Timer(0.02, os.write, (w, b"late")).start()
                assert (yield watch.arm_r(timeout=5)) is True
                got = os.read(r, 10)
            assert watch.closed
            with pytest.raises(ValueError, match="closed"):
                watch.arm_r()
            return got

        assert tonio.run(main(), threads=2) == b"late"
    finally:
        os.close(r)
        os.close(w)


def test_a_cancelled_wait_leaves_the_descriptor_usable():
    r, w = os.pipe()
    try:

        def main():
            value, done = yield tonio.time.timeout(tio.wait_readable(r), 0.02)
            assert (value, done) == (None, False)
            os.write(w, b"again")
            assert (yield tio.wait_readable(r)) is True
            return os.read(r, 10)

        assert tonio.run(main()) == b"again"
    finally:
        os.close(r)
        os.close(w)


@pytest.mark.parametrize(
    "bad,error,message",
    [
        ("3", TypeError, "must be an int, or have a fileno"),
        (True, TypeError, "must be an int"),
        (-1, ValueError, "negative"),
        (2**40, OverflowError, "too large"),
    ],
)
def test_bad_descriptors_are_refused_clearly(bad, error, message):
    def main():
        with pytest.raises(error, match=message):
            tio.wait_readable(bad)
        with pytest.raises(error, match=message):
            tio.register(bad)
        return "ok"
        yield

    assert tonio.run(main()) == "ok"


def test_a_closed_descriptor_and_a_regular_file_are_os_errors(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"x")

    def main():
        r, w = os.pipe()  # closed inside the run: the runtime's own descriptors exist already
        os.close(r)
        os.close(w)
        with pytest.raises(OSError) as closed:
            tio.wait_readable(r)
        with open(path, "rb") as f, pytest.raises(PermissionError):
            tio.wait_readable(f)
        return closed.value.errno
        yield

    import errno

    assert tonio.run(main()) == errno.EBADF


def test_the_simulator_refuses_os_descriptors():
    r, w = os.pipe()
    try:

        def main():
            with pytest.raises(RuntimeError, match=r"wait_readable\(\) is refused on the sim"):
                tio.wait_readable(r)
            with pytest.raises(RuntimeError, match=r"register\(\) is refused on the sim"):
                tio.register(r)
            return "ok"
            yield

        assert tonio.sim.run(main(), seed=1) == "ok"
    finally:
        os.close(r)
        os.close(w)


def test_outside_a_runtime_it_says_so():
    with pytest.raises(tonio.exceptions.RuntimeNotInitializedError):
        tio.wait_readable(0)
