"""Datagram (UDP) sockets on the simulated network: the same calls as on the real platform, and
the faults only the simulator can inject (loss, duplication, reordering, partitions), each part
of the seed."""

import errno
import socket as stdlib_socket

import pytest
from in_processes import outputs_in_processes

import tonio
import tonio.sim as sim
from tonio.net import socket
from tonio.time import timeout

UDP = (stdlib_socket.AF_INET, stdlib_socket.SOCK_DGRAM)


def basics():
    server = socket.socket(*UDP)
    yield server.bind(("127.0.0.1", 0))
    address = server.getsockname()
    client = socket.socket(*UDP)
    yield client.sendto(b"ping", address)
    data, sender = yield server.recvfrom(100)
    yield server.sendto(b"pong:" + data, sender)
    reply = yield client.recv(100)
    yield client.connect(address)
    yield client.send(b"connected")
    second = yield server.recv(4)  # shorter than the datagram: the rest is lost
    stranger = socket.socket(*UDP)
    yield stranger.bind(("127.0.0.1", 0))
    yield stranger.sendto(b"not from the peer", client.getsockname())
    yield server.sendto(b"from the peer", client.getsockname())
    filtered = yield client.recv(100)  # a connected socket keeps only its peer's datagrams
    with pytest.raises(OSError) as too_big:
        yield client.send(b"x" * 65_508)
    yield client.sendto(b"to nobody", ("127.0.0.1", 9))  # dropped, no error
    for s in (server, client, stranger):
        s.close()
    return reply, second, filtered, too_big.value.errno, client.type


@pytest.mark.parametrize("platform", ["real", "sim"])
def test_the_same_datagram_calls_give_the_same_results(platform):
    run = tonio.run if platform == "real" else lambda c: sim.run(c, seed=1)
    reply, second, filtered, too_big, kind = run(basics())
    assert (reply, second, filtered) == (b"pong:ping", b"conn", b"from the peer")
    assert too_big == errno.EMSGSIZE
    assert kind == stdlib_socket.SOCK_DGRAM


def burst(count=20, wait=1.0):
    """Sends `count` numbered datagrams and returns what arrived within `wait` seconds."""
    server = socket.socket(*UDP)
    yield server.bind(("127.0.0.1", 7000))
    client = socket.socket(*UDP)
    for i in range(count):
        yield client.sendto(b"%d" % i, ("127.0.0.1", 7000))
    got = []

    def collect():
        while True:
            data, _ = yield server.recvfrom(100)
            got.append(int(data))

    yield timeout(collect(), wait)
    server.close()
    client.close()
    return got


def outcomes(network, runs=10):
    return [sim.run(burst(), seed=seed, network=network) for seed in range(runs)]


def test_jitter_reorders_datagrams_and_the_seed_decides_how():
    runs = outcomes(sim.Network(jitter=0.005))
    assert all(sorted(got) == list(range(20)) for got in runs)  # nothing lost
    assert any(got != sorted(got) for got in runs)  # some reordered
    assert runs == outcomes(sim.Network(jitter=0.005))  # the same seeds, the same fates


def test_loss_and_duplication():
    lossy = outcomes(sim.Network(loss=0.3))
    assert all(0 < len(got) < 20 and len(set(got)) == len(got) for got in lossy)
    assert outcomes(sim.Network(loss=1.0), runs=2) == [[], []]
    doubled = outcomes(sim.Network(duplicate=1.0), runs=2)
    assert all(sorted(got) == sorted(list(range(20)) * 2) for got in doubled)


def test_faults_from_inside_a_run_partition_and_set_link():
    def main():
        sim.network().partition("127.0.0.1", "10.0.0.2")
        server = socket.socket(*UDP)
        yield server.bind(("10.0.0.2", 53))
        client = socket.socket(*UDP)
        yield client.sendto(b"lost", ("10.0.0.2", 53))
        yield tonio.sleep(0.01)
        sim.network().heal()  # a partition dropped it: healing brings nothing back
        _, arrived = yield timeout(server.recvfrom(100), 0.5)
        sim.network().set_link("127.0.0.1", "10.0.0.2", duplicate=1.0)
        yield client.sendto(b"twice", ("10.0.0.2", 53))
        copies = []
        for _ in range(2):
            data, _ = yield server.recvfrom(100)
            copies.append(data)
        return arrived, copies

    assert sim.run(main(), seed=5) == (False, [b"twice", b"twice"])


def test_udp_and_tcp_ports_are_apart_and_unix_datagrams_are_refused_clearly():
    def main():
        udp = socket.socket(*UDP)
        yield udp.bind(("127.0.0.1", 8080))
        tcp = socket.socket()
        yield tcp.bind(("127.0.0.1", 8080))  # another port space
        with pytest.raises(OSError, match="Unix datagram sockets are not simulated"):
            socket.socket(stdlib_socket.AF_UNIX, stdlib_socket.SOCK_DGRAM)
        udp.close()
        tcp.close()
        return "ok"

    assert sim.run(main(), seed=0) == "ok"


@pytest.mark.parametrize("bad", [-0.1, 1.5, "0.1", True])
def test_bad_probabilities_are_refused(bad):
    with pytest.raises((ValueError, TypeError), match="probability"):
        sim.run(burst(), seed=0, network=sim.Network(loss=bad))


def test_datagram_fates_are_the_same_in_three_processes():
    """Loss, duplication and reordering come from the seed alone: three interpreters running
    the same seed see the same datagrams arrive in the same order, with the same trace."""
    from pathlib import Path

    examples = Path(__file__).resolve().parents[2] / "examples"
    code = (
        f"import sys; sys.path.insert(0, {str(examples)!r}); import tonio.sim, planted_bugs\n"
        "rt = tonio.sim.runtime(seed=11, network=planted_bugs.UDP_NETWORK)\n"
        "try:\n    rt.run_until_complete(planted_bugs.udp_retries_without_dedup())\n"
        "except AssertionError as exc:\n    print(exc)\n"
        "print(rt.last_trace_hash)"
    )
    outputs = outputs_in_processes(code)
    assert len(outputs) == 1
    assert outputs.pop().strip().splitlines()[-1].isdigit()
