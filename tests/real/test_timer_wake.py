"""A due timer is fired by an idle worker even while another worker runs a long CPU step."""

import threading
import time

import tonio


def test_a_short_sleep_does_not_wait_out_another_tasks_cpu_step():
    """Each round a task sleeps 2 ms while another hogs its worker for 50 ms. The other worker is
    idle (searching for work or parked): it must fire the timer on time, not when the hog ends.
    A busy thread stands for the rest of a shared machine (it makes a searching worker's
    yields long). Before the fix about half of the rounds waited out the whole CPU step."""
    stop = threading.Event()

    def burn():
        while not stop.is_set():
            pass

    def sleeper():
        start = time.monotonic()
        yield tonio.sleep(0.002)
        return time.monotonic() - start

    def hog():
        end = time.monotonic() + 0.05
        while time.monotonic() < end:
            pass
        return
        yield

    def main():
        late = []
        for _ in range(30):
            slept, _ = yield tonio.spawn(sleeper(), hog())
            if slept > 0.025:
                late.append(round(slept, 4))
        return late

    burner = threading.Thread(target=burn)
    burner.start()
    try:
        late = tonio.run(main(), threads=2)
    finally:
        stop.set()
        burner.join()
    # a loaded machine may delay one timer now and then; the bug delays every other round
    assert len(late) <= 2, late
