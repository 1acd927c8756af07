"""Workers of the package's process pools die with their parent, also when it is killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

PARENT = textwrap.dedent(
    """
    import sys, time
    from concurrent.futures import ProcessPoolExecutor
    from tarimhm._workers import worker_pool

    pool = worker_pool(2) if sys.argv[1] == "package" else ProcessPoolExecutor(max_workers=2)
    futures = [pool.submit(time.sleep, 60) for _ in range(2)]
    while len(pool._processes) < 2:
        time.sleep(0.05)
    time.sleep(1.0)  # both workers have run their initializer and are busy
    print(" ".join(str(p) for p in pool._processes), flush=True)
    time.sleep(60)
    """
)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as fh:
            state = next(line for line in fh if line.startswith("State:"))
    except (FileNotFoundError, ProcessLookupError):
        return False
    return "Z" not in state.split()[1]  # a zombie has exited; only its parent's reaping is pending


def _kill_parent(kind: str) -> list[int]:
    proc = subprocess.Popen([sys.executable, "-c", PARENT, kind], stdout=subprocess.PIPE, text=True)
    pids = [int(p) for p in proc.stdout.readline().split()]
    assert len(pids) == 2 and all(_alive(p) for p in pids)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    return pids


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux-only")
def test_workers_die_within_five_seconds_of_a_sigkilled_parent():
    pids = _kill_parent("package")
    deadline = time.monotonic() + 5
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(p) for p in pids)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc")
def test_a_plain_pool_leaves_orphans_so_the_test_above_can_fail():
    pids = _kill_parent("plain")
    try:
        time.sleep(2)
        assert all(_alive(p) for p in pids)  # busy in sleep(60): nothing ends them
    finally:
        for p in pids:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass


def test_the_stages_pools_are_the_package_pool():
    import inspect

    from tarimhm.ensemble import stage as ens
    from tarimhm.imagery import surrogate
    from tarimhm.raster import predict

    for mod in (ens, surrogate, predict):
        src = inspect.getsource(mod)
        assert "worker_pool(" in src and "ProcessPoolExecutor(" not in src, mod.__name__
