"""CPU-bound request work takes turns per process (app/core/cpu.py)."""

from __future__ import annotations

import threading
import time

import anyio

from app.core.cpu import CPU_JOBS, run_cpu_bound


def test_cpu_bound_jobs_run_one_at_a_time_off_the_event_loop() -> None:
    running: list[int] = []
    most = 0
    lock = threading.Lock()
    loop_thread = threading.get_ident()
    threads: set[int] = set()

    def job() -> None:
        nonlocal most
        with lock:
            running.append(1)
            most = max(most, len(running))
            threads.add(threading.get_ident())
        time.sleep(0.02)
        with lock:
            running.pop()

    async def main() -> float:
        start = time.perf_counter()
        async with anyio.create_task_group() as tg:
            for _ in range(6):
                tg.start_soon(run_cpu_bound, job)
            # The event loop stays free while the jobs queue.
            await anyio.sleep(0)
        return time.perf_counter() - start

    elapsed = anyio.run(main)
    assert most == CPU_JOBS == 1
    assert loop_thread not in threads
    assert elapsed >= 6 * 0.02


def test_cpu_bound_jobs_see_the_callers_context_variables() -> None:
    import contextvars

    lang: contextvars.ContextVar[str] = contextvars.ContextVar("lang", default="nl")

    async def main() -> str:
        lang.set("en")
        return await run_cpu_bound(lang.get)

    assert anyio.run(main) == "en"


def test_a_queued_job_whose_request_is_cancelled_does_not_run() -> None:
    ran: list[str] = []
    release = threading.Event()

    def blocker() -> None:
        release.wait(5)

    def job() -> None:
        ran.append("job")

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            tg.start_soon(run_cpu_bound, blocker)
            await anyio.sleep(0.05)
            with anyio.move_on_after(0.05):
                await run_cpu_bound(job)  # queued behind the blocker, then given up
            release.set()
        await run_cpu_bound(lambda: None)  # the lane has drained

    anyio.run(main)
    assert ran == []
