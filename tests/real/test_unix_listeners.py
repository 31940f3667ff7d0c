"""Unix listeners: permission bits, abstract names, a path in use, stale files, missing folders."""

import errno
import os
import stat

import pytest

import tonio
import tonio.colored as ctonio
from tonio.net import open_unix_listener, open_unix_socket


def test_mode_sets_the_socket_files_permission_bits(tmp_path):
    path = tmp_path / "app.sock"

    async def main():
        listener = await ctonio.net.open_unix_listener(path, mode=0o600)
        bits = stat.S_IMODE(os.stat(path).st_mode)
        listener.close()
        return bits

    assert ctonio.run(main()) == 0o600


def test_an_abstract_name_listens_and_refuses_a_mode():
    name = f"\0tonio-test-{os.getpid()}"

    def main():
        with pytest.raises(ValueError, match="abstract-namespace"):
            yield open_unix_listener(name, mode=0o600)
        listener = yield open_unix_listener(name)
        client = yield open_unix_socket(name)
        server = yield listener.accept()
        yield client.send_all(b"ping")
        got = yield server.receive_some()
        for s in (client, server, listener):
            s.close()
        return got

    assert tonio.run(main()) == b"ping"


def test_a_path_held_by_a_live_listener_is_refused_naming_it_and_left_alone(tmp_path):
    path = str(tmp_path / "busy.sock")

    def main():
        first = yield open_unix_listener(path)
        with pytest.raises(OSError) as raised:
            yield open_unix_listener(path)
        assert raised.value.errno == errno.EADDRINUSE and path in str(raised.value)
        assert stat.S_ISSOCK(os.stat(path).st_mode)
        client = yield open_unix_socket(path)  # the first listener still works
        server = yield first.accept()
        for s in (client, server, first):
            s.close()
        return "ok"

    assert tonio.run(main()) == "ok"


def test_a_stale_socket_file_is_replaced_but_never_a_regular_file(tmp_path):
    path = str(tmp_path / "stale.sock")
    regular = tmp_path / "data.txt"
    regular.write_text("keep me")

    def main():
        old = yield open_unix_listener(path)
        old.close()  # its file stays behind
        assert os.path.exists(path)
        new = yield open_unix_listener(path)
        new.close()
        with pytest.raises(OSError) as raised:
            yield open_unix_listener(regular)
        return raised.value.errno

    assert tonio.run(main()) == errno.EADDRINUSE
    assert regular.read_text() == "keep me"


def test_a_missing_folder_and_bad_modes(tmp_path):
    def main():
        with pytest.raises(FileNotFoundError):
            yield open_unix_listener(tmp_path / "missing" / "app.sock")
        for bad in (True, "0o600", -1, 0o10000):
            with pytest.raises(ValueError, match="mode must be permission bits"):
                yield open_unix_listener(tmp_path / "x.sock", mode=bad)
        return "ok"

    assert tonio.run(main()) == "ok"


def test_serve_unix_takes_a_mode(tmp_path):
    path = tmp_path / "served.sock"

    def handler(stream):
        yield stream.send_all(b"hi")
        stream.close()

    def main():
        with tonio.scope() as scope:
            scope.spawn(tonio.net.serve_unix(handler, path, mode=0o640))
            while True:  # until the serve has bound and listens
                try:
                    client = yield open_unix_socket(path)
                    break
                except (FileNotFoundError, ConnectionRefusedError):
                    yield tonio.sleep(0.001)
            got = yield client.receive_some()
            client.close()
            bits = stat.S_IMODE(os.stat(path).st_mode)
            scope.cancel()
        yield scope()
        return got, bits

    assert tonio.run(main()) == (b"hi", 0o640)
