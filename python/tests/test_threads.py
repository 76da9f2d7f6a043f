"""Threads and processes: Pipeline.run releases the GIL (two Python threads overlap
their work), and a forked child gets a working thread pool."""

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

    # Other load on the machine slows one side at random; measure a few rounds and keep
    # the best, which a held GIL can never bring under the fraction.
    rounds = []
    for _ in range(3):
        serial_time, threaded_time = best_of(serial), best_of(threaded)
        rounds.append((threaded_time / serial_time, threaded_time, serial_time))
        if rounds[-1][0] < PARALLEL_FRACTION:
            break
    ratio, threaded_time, serial_time = min(rounds)
    assert ratio < PARALLEL_FRACTION, (
        f"threads {threaded_time:.3f} s vs serial {serial_time:.3f} s"
    )


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
# Python 3.12+ warns when forking a process that has threads; that is the point here.
@pytest.mark.filterwarnings("ignore:.*multi-threaded.*fork:DeprecationWarning")
def test_forked_child_can_still_work():
    import multiprocessing

    import numpy as np

    pipeline = medprep.Pipeline("ct-standard")
    expected = pipeline.run([CT_SLICE, CT_SLICE]).column("original_mean").to_pylist()
    medprep.ops.gaussian(np.ones((64, 64), np.float32), 1.0)

    context = multiprocessing.get_context("fork")
    results = context.Queue()
    child = context.Process(target=_work_in_child, args=(pipeline, results))
    child.start()
    child.join(60)
    if child.is_alive():
        child.kill()
        pytest.fail("the forked child hung")
    assert child.exitcode == 0
    assert results.get(timeout=5) == expected


def _work_in_child(pipeline, results):
    import numpy as np

    medprep.ops.gaussian(np.ones((64, 64), np.float32), 1.0)
    results.put(pipeline.run([CT_SLICE, CT_SLICE]).column("original_mean").to_pylist())
