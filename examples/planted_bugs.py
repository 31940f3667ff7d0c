"""Concurrency bugs planted on purpose, for the simulator to find.

Each function returns a fresh coroutine (yield flavour) that fails only under some
interleavings. `tonio.sim.explore(fn)` runs it under many seeded schedules; the first failing
seed replays the failure exactly. The network bugs at the end fail only for some seeds of the
simulated network (how sends are cut, how long each delivery takes): explore them with
`network=NETWORK`. The disk bugs last lose data only when the simulated disk loses power at
the wrong moment: explore them with `disk=DISK`.
"""

import tonio
import tonio.sim
from tonio import fs, sync
from tonio.net import open_tcp_listeners, open_tcp_stream


def lost_update(workers: int = 3):
    """Read, suspend, write back: concurrent increments overwrite each other."""
    counter = {"value": 0}

    def increment():
        value = counter["value"]
        yield
        counter["value"] = value + 1

    def main():
        yield tonio.spawn(*[increment() for _ in range(workers)])
        assert counter["value"] == workers, f"lost update: {counter['value']} != {workers}"

    return main()


def check_then_act():
    """Check a balance, suspend, then withdraw: two withdrawals overdraw the account."""
    account = {"balance": 100}

    def withdraw(amount):
        if account["balance"] >= amount:
            yield tonio.sleep(0)  # e.g. an audit log write
            account["balance"] -= amount

    def main():
        yield tonio.spawn(withdraw(80), withdraw(80))
        assert account["balance"] >= 0, f"overdrawn: {account['balance']}"

    return main()


def lock_order_deadlock():
    """Two tasks take two locks in opposite orders: a deadlock under some interleavings."""
    first, second = sync.Lock(), sync.Lock()

    def forward():
        with (yield first()):
            yield
            with (yield second()):
                pass

    def backward():
        with (yield second()):
            yield
            with (yield first()):
                pass

    def main():
        yield tonio.spawn(forward(), backward())

    return main()


ORDERING_SUSPENSIONS = {"a": 24, "b": 24, "c": 48}


def ordering_bug():
    """Three tasks reach their racy step after dozens of unrelated suspensions each; the bug
    fires only if the racy steps run in the order c, b, a (c has the longest way to go)."""
    order = []

    def worker(name):
        for _ in range(ORDERING_SUSPENSIONS[name]):
            yield
        order.append(name)

    def main():
        yield tonio.spawn(worker("a"), worker("b"), worker("c"))
        assert order != ["c", "b", "a"], "the racy steps ran in the fatal order c, b, a"

    return main()


# --- network bugs (run them with `network=NETWORK`) --------------------------------------------

#: The simulated network the network bugs run on: 1 ms each way, plus up to 2 ms of jitter.
NETWORK = tonio.sim.Network(latency=0.001, jitter=0.002)

RECORD = 16  # bytes per record of the record protocol below


def _serve_once(listeners, handler):
    """Generator: accepts one connection on `listeners[0]` and runs `handler` on it."""
    stream = yield listeners[0].accept()
    with stream:
        yield handler(stream)


def one_recv_one_message():
    """The server assumes one `receive_some` returns one whole record. Over TCP a send may
    arrive in pieces: a split record is read as a short one."""

    def server(stream):
        for _ in range(5):
            record = yield stream.receive_some()
            assert len(record) == RECORD, f"short record: {record!r}"
            yield stream.send_all(b"ok")

    def client():
        stream = yield open_tcp_stream("127.0.0.1", 9000)
        with stream:
            for i in range(5):
                yield stream.send_all(f"record {i:>9}".encode())
                reply = b""
                while len(reply) < 2:  # the client reads correctly: until it has the reply
                    data = yield stream.receive_some()
                    if not data:
                        return  # the server gave up
                    reply += data

    def main():
        listeners = yield open_tcp_listeners(9000, host="127.0.0.1")
        with listeners[0]:
            tonio.spawn(client())
            yield _serve_once(listeners, server)

    return main()


def no_timeout_under_partition():
    """The client waits for its reply without a timeout; a partition that lasts (here: for
    good) while the request is in flight leaves it waiting forever."""

    def server(stream):
        request = yield stream.receive_some()
        yield stream.send_all(b"reply to " + request)

    def chaos():
        yield tonio.sleep(0.008)  # a fixed moment; the jitter decides where the request is
        tonio.sim.network().partition("127.0.0.1", "10.0.0.2")

    def main():
        listeners = yield open_tcp_listeners(80, host="10.0.0.2")
        join = tonio.spawn(_serve_once(listeners, server))
        tonio.spawn(chaos())
        client = yield open_tcp_stream("10.0.0.2", 80)
        with client:
            yield client.send_all(b"GET")
            reply = yield client.receive_some()  # no timeout: the bug
        assert reply == b"reply to GET"
        yield join
        listeners[0].close()

    return main()


def retry_double_applies():
    """The client retries a deposit when its connection is reset; if the reset came after the
    server applied the first attempt, the deposit is applied twice."""
    account = {"balance": 0}

    def server(stream):
        with stream:
            try:
                request = b""
                while not request.endswith(b"\n"):  # a whole request, however it arrives
                    data = yield stream.receive_some()
                    if not data:
                        return
                    request += data
                account["balance"] += int(request)  # applied before the reply leaves
                yield stream.send_all(b"done")
            except ConnectionResetError:
                pass

    def serve(listeners):
        with tonio.scope() as scope:
            while True:
                stream = yield listeners[0].accept()
                scope.spawn(server(stream))

    def chaos():
        yield tonio.sleep(0.005)
        tonio.sim.network().reset("127.0.0.1", "10.0.0.2")

    def deposit(amount):
        for _attempt in range(3):
            try:
                client = yield open_tcp_stream("10.0.0.2", 80)
                with client:
                    yield client.send_all(b"%d\n" % amount)
                    if (yield client.receive_some()) == b"done":
                        return
            except ConnectionResetError:
                continue  # retry: but was it applied? (the bug: no request id)

    def main():
        listeners = yield open_tcp_listeners(80, host="10.0.0.2")
        with tonio.scope() as scope:
            scope.spawn(serve(listeners))
            tonio.spawn(chaos())
            yield deposit(10)
            scope.cancel()
        assert account["balance"] == 10, f"deposit applied {account['balance'] // 10} times"

    return main()


# --- datagram bugs (run them with `network=UDP_NETWORK`) -----------------------------------------

#: A lossy datagram network: 1 ms each way plus up to 2 ms of jitter; one datagram in ten lost,
#: one in ten delivered twice.
UDP_NETWORK = tonio.sim.Network(latency=0.001, jitter=0.002, loss=0.1, duplicate=0.1)
UDP_SERVER = ("127.0.0.1", 5300)


def _udp_bank(applied, dedup: bool):
    """Generator: a server applying deposit requests `b"<id>:<amount>"` and answering `ok <id>`;
    with `dedup`, a request id seen before is answered again but not applied again."""
    from socket import AF_INET, SOCK_DGRAM

    from tonio.net import socket

    sock = socket.socket(AF_INET, SOCK_DGRAM)
    yield sock.bind(UDP_SERVER)
    seen = set()
    try:
        while True:
            request, sender = yield sock.recvfrom(100)
            request_id, amount = request.split(b":")
            if not (dedup and request_id in seen):
                seen.add(request_id)
                applied.append(int(amount))
            yield sock.sendto(b"ok " + request_id, sender)
    finally:
        sock.close()


def _udp_deposits(retry: bool, dedup: bool, deposits: int = 5):
    from socket import AF_INET, SOCK_DGRAM

    from tonio.net import socket
    from tonio.time import timeout

    applied = []

    def client():
        sock = socket.socket(AF_INET, SOCK_DGRAM)
        yield sock.connect(UDP_SERVER)
        try:
            for request_id in range(deposits):
                request = b"%d:10" % request_id
                while True:
                    yield sock.send(request)
                    if not retry:
                        reply = yield sock.recv(100)  # waits for ever if either datagram is lost
                        break
                    reply, arrived = yield timeout(sock.recv(100), 0.05)
                    if arrived and reply == b"ok %d" % request_id:
                        break
        finally:
            sock.close()

    def main():
        with tonio.scope() as scope:
            scope.spawn(_udp_bank(applied, dedup))
            yield tonio.sleep(0.001)  # the server binds first
            yield client()
            scope.cancel()
        yield scope()
        assert sum(applied) == 10 * deposits, f"deposits applied {applied}: {sum(applied)}"

    return main()


def udp_without_retries():
    """A request/response over UDP with no timeout: a lost request or reply hangs the client."""
    return _udp_deposits(retry=False, dedup=False)


def udp_retries_without_dedup():
    """Retries fix the hang, but the server applies a duplicated or retried request twice."""
    return _udp_deposits(retry=True, dedup=False)


def udp_retries_with_dedup():
    """The fix: retries, and the server applies each request id once (passes every seed)."""
    return _udp_deposits(retry=True, dedup=True)


# --- disk bugs (run them with `disk=DISK`) --------------------------------------------------------

#: A simulated disk: each operation takes 0.1 ms plus up to 0.2 ms (seeded).
DISK = tonio.sim.Disk(latency=0.0001, jitter=0.0002)
CONFIG = "/etc/app.json"
OLD_CONFIG = b'{"version": 1, "peers": ["a", "b", "c"]}'
NEW_CONFIG = b'{"version": 2, "peers": ["a", "b", "c", "d"]}'


def _power_fails_during(work):
    """Generator: runs `work` until the power fails at a seeded moment of its first 2 ms (the
    simulated disk crashes and the program doing `work` is gone), or until it ends."""
    with tonio.scope() as scope:
        scope.spawn(work)
        yield tonio.sleep(tonio.sim.random().uniform(0.0, 0.002))
        tonio.sim.disk().crash()
        scope.cancel()
    yield scope()


def _save_in_place(data):
    with (yield fs.open(CONFIG, "wb")) as f:  # "wb" cuts the old config to nothing at once
        yield f.write(data)
        yield f.flush()  # in the disk's cache, not durable yet
        yield f.sync()


def _save_atomically(data):
    temporary = CONFIG + ".tmp"
    with (yield fs.open(temporary, "wb")) as f:
        yield f.write(data)
        yield f.flush()
        yield f.sync()  # the new config is durable under its temporary name...
    yield fs.Path(temporary).replace(CONFIG)  # ...and the rename is durable at once


def _config_survives_power_loss(save):
    yield fs.Path("/etc").mkdir()
    with (yield fs.open(CONFIG, "wb")) as f:
        yield f.write(OLD_CONFIG)
        yield f.sync()
    yield from _power_fails_during(save(NEW_CONFIG))
    after = yield fs.Path(CONFIG).read_bytes()
    assert after in (OLD_CONFIG, NEW_CONFIG), f"the config after a power loss: {after!r}"


def config_saved_in_place():
    """Saving a config by rewriting it in place: a power loss during the save leaves it empty
    or torn (half old size, half new)."""
    return _config_survives_power_loss(_save_in_place)


def config_saved_atomically():
    """The fix: write a temporary file, sync it, rename it over the config. After a power
    loss the config is the old one or the new one, for every seed."""
    return _config_survives_power_loss(_save_atomically)


def _write_ahead_log(sync_before_ack: bool, records: int = 8):
    acknowledged = []

    def log_writer():
        with (yield fs.open("/wal", "ab")) as log:
            for i in range(records):
                yield log.write(b"record %d\n" % i)
                yield log.flush()  # in the disk's cache: gone if the power fails now
                if sync_before_ack:
                    yield log.sync()
                acknowledged.append(i)  # the client is told its record is safe

    def main():
        yield from _power_fails_during(log_writer())
        survived = (yield fs.Path("/wal").read_bytes()).split(b"\n")
        lost = [i for i in acknowledged if b"record %d" % i not in survived]
        assert not lost, f"acknowledged records lost by a power loss: {lost}"

    return main()


def wal_acks_before_sync():
    """A write-ahead log that acknowledges a record once written, before syncing it: a power
    loss takes acknowledged records with it."""
    return _write_ahead_log(sync_before_ack=False)


def wal_syncs_before_ack():
    """The fix: sync, then acknowledge (passes every seed)."""
    return _write_ahead_log(sync_before_ack=True)
