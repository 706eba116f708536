"""CPU-bound request work (the advice, the result page) off the event loop, one job per
process at a time.

Matching and rendering are pure Python: threads do not run them in parallel (the GIL), they
only take turns and thrash. Measured at 100 000 initiatives with one worker and wrk (issue
10): an advice cost 1.6-1.7 ms of CPU with one connection and 2.5-2.8 ms with eight, as
eight threads fought over the interpreter. One job at a time per process keeps each at its
single-connection cost; the waiting requests queue in the event loop (which stays free for
/healthz and the rest), and more throughput comes from more worker processes.

The lane is one thread of a plain executor, reached through the event loop's
run_in_executor: anyio's to_thread with a capacity limiter did the same with some 65 µs
more CPU per job (a limiter, a cancel scope and a worker-thread queue per call). A job still
queued when its request is cancelled (the client went away) is dropped, not run.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

CPU_JOBS = 1

_lock = threading.Lock()
_lane: tuple[int, ThreadPoolExecutor] | None = None


def _executor() -> ThreadPoolExecutor:
    """This process's lane; a forked worker makes its own (a parent's thread is not copied)."""
    global _lane
    lane = _lane
    if lane is not None and lane[0] == os.getpid():
        return lane[1]
    with _lock:
        if _lane is None or _lane[0] != os.getpid():
            _lane = (os.getpid(), ThreadPoolExecutor(CPU_JOBS, thread_name_prefix="cpu-lane"))
        return _lane[1]


async def run_cpu_bound(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`func(*args, **kwargs)` in the process's CPU lane, after its other CPU-bound jobs, with
    the caller's context variables (the request's language)."""
    loop = asyncio.get_running_loop()
    call = functools.partial(contextvars.copy_context().run, func, *args, **kwargs)
    return await loop.run_in_executor(_executor(), call)
