"""tonio 0.6.0's public surface, name by name (issue 13; more items to come)."""

import signal
from importlib import metadata

import tonio
import tonio.colored as ctonio
import tonio.colored.net.socket as csocket
import tonio.net.socket as tsocket
import tonio.sim as sim


def test_socket_type_is_the_socket_class_in_both_flavours():
    assert tsocket.SocketType is tsocket.socket
    assert csocket.SocketType is tsocket.socket
    assert "SocketType" in tsocket.__all__


def test_the_version_is_the_installed_distributions():
    assert tonio.__version__ == metadata.version("tonio") == ctonio.__version__


def test_the_license_ships_with_the_distribution():
    meta = metadata.metadata("tonio")
    assert meta.get_all("License-File") == ["LICENSE"]
    assert meta["License-Expression"] == "BSD-3-Clause"
    files = [str(f) for f in metadata.files("tonio") or []]
    assert any(f.endswith("licenses/LICENSE") for f in files)


def test_signals_arrive_as_signal_members():
    def main():
        with tonio.signal_receiver(signal.SIGHUP) as sigs:

            def send():
                yield tonio.sleep(0.1)
                sim.send_signal(1)  # a plain number goes in

            tonio.spawn(send())
            for event in sigs:
                return (yield event)

    received = sim.run(main(), seed=0, signals=[signal.SIGHUP])
    assert received is signal.Signals.SIGHUP  # an enum member comes out
