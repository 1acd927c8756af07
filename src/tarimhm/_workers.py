"""Worker processes that die with the process that started them.

A stage killed with SIGKILL cannot shut its pool down; its workers would run on (a tile or an ensemble
member each) as orphans. :func:`worker_pool` starts a ``concurrent.futures.ProcessPoolExecutor`` whose
workers ask the Linux kernel to send them SIGKILL when their parent dies (``prctl(PR_SET_PDEATHSIG)``;
the standard library offers no such option, hence the ``ctypes`` call) and check, once set up, that the
parent is still the one that started them (the parent may die before the request is made). Elsewhere
(macOS), workers end when they next read from the closed call queue.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Callable

__all__ = ["die_with_parent", "worker_pool"]

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent(parent_pid: int, then: Callable | None = None, then_args: tuple = ()) -> None:
    """Pool initializer: SIGKILL on the parent's death (Linux); exit at once if it is already gone."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before prctl: we were re-parented already
        os._exit(1)
    if then is not None:
        then(*then_args)


def worker_pool(max_workers: int, mp_context=None, initializer: Callable | None = None, initargs: tuple = ()):
    """A ``ProcessPoolExecutor`` whose workers die with this process (see the module docstring)."""
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(
        max_workers=max_workers,
        mp_context=mp_context,
        initializer=die_with_parent,
        initargs=(os.getpid(), initializer, tuple(initargs)),
    )
