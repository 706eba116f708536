"""CPU-bound request work (the advice, the result page) off the event loop, one job per
process at a time.

Matching and rendering are pure Python: threads do not run them in parallel (the GIL), they
only take turns and thrash. Measured at 100 000 initiatives with one worker and wrk (issue
10): an advice cost 1.6-1.7 ms of CPU with one connection and 2.5-2.8 ms with eight, as
eight threads fought over the interpreter. One job at a time per process keeps each at its
single-connection cost; the waiting requests queue in the event loop (which stays free for
/healthz and the rest), and more throughput comes from more worker processes.
"""

from __future__ import annotations

import asyncio
import functools
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

from anyio import CapacityLimiter
from anyio.to_thread import run_sync

T = TypeVar("T")

CPU_JOBS = 1

# One limiter per event loop (a server has one; tests start several, one after another).
_LIMITERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, CapacityLimiter] = (
    weakref.WeakKeyDictionary()
)


def _limiter() -> CapacityLimiter:
    loop = asyncio.get_running_loop()
    limiter = _LIMITERS.get(loop)
    if limiter is None:
        limiter = _LIMITERS[loop] = CapacityLimiter(CPU_JOBS)
    return limiter


async def run_cpu_bound(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`func(*args, **kwargs)` in a worker thread, after the process's other CPU-bound jobs."""
    return await run_sync(functools.partial(func, *args, **kwargs), limiter=_limiter())
