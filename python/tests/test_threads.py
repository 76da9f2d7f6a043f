"""Pipeline.run releases the GIL: two Python threads overlap their work."""

import os
import threading
import time

import pytest

import medprep
from conftest import CT_SLICE

# Two threads on two cores should take about half the serial time; anything under this
# fraction proves they ran at the same time (with the GIL held they cannot beat 1.0).
PARALLEL_FRACTION = 0.8
ITEMS = 48


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs two cores")
def test_two_threads_run_faster_than_serial():
    pipeline = medprep.Pipeline("ct-standard")
    items = [CT_SLICE.read_bytes()] * ITEMS
    halves = [items[: ITEMS // 2], items[ITEMS // 2:]]
    pipeline.run(items[:2], jobs=1)  # warm up

    def serial():
        for half in halves:
            pipeline.run(half, jobs=1)

    def threaded():
        threads = [threading.Thread(target=pipeline.run, args=(half, 1)) for half in halves]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    def best_of(f, n=3):
        times = []
        for _ in range(n):
            start = time.perf_counter()
            f()
            times.append(time.perf_counter() - start)
        return min(times)

    serial_time, threaded_time = best_of(serial), best_of(threaded)
    assert threaded_time < PARALLEL_FRACTION * serial_time, (
        f"threads {threaded_time:.3f} s vs serial {serial_time:.3f} s"
    )
