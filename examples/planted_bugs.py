"""Concurrency bugs planted on purpose, for the simulator to find.

Each function returns a fresh coroutine (yield flavour) that fails only under some
interleavings. `tonio.sim.explore(fn)` runs it under many seeded schedules; the first failing
seed replays the failure exactly.
"""

import tonio
from tonio import sync


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
