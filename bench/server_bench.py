"""Optional benchmark: a real uvicorn server on 127.0.0.1, eight concurrent httpx clients.

The server runs in a background thread of this process, so server and clients share one
interpreter (and its GIL): the absolute figures are lower than a separate server's, the
ratio advice/trivial is what to read.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import socket
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn

from app.main import create_app
from bench.asgi_bench import (
    ADVICE_PATH,
    BODIES,
    TRIVIAL_PATH,
    HttpResult,
    advice_request,
    check,
    trivial_request,
)
from bench.fixtures import app_settings
from bench.scale import scaled
from bench.stats import Accumulator, split

CONCURRENCY = 8
BASE_REQUESTS = 2000
BASE_WARMUP = 100
BLOCKS = 2
STARTUP_TIMEOUT_S = 15.0
SHUTDOWN_TIMEOUT_S = 10.0
REQUEST_TIMEOUT_S = 10.0

Send = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


class ServerStartError(RuntimeError):
    """uvicorn did not come up in time."""


@contextmanager
def running_server(database_path: Path) -> Iterator[str]:
    """Serve a fresh app in a daemon thread on a free port; yield its base URL."""
    app = create_app(app_settings(database_path))
    # proto must be IPPROTO_TCP: asyncio only sets TCP_NODELAY on accepted sockets whose
    # proto says TCP, and without it every response waits ~40 ms for a delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="on",
        # Without keep-alive the figures would mostly measure TCP connection set-up.
        timeout_keep_alive=30,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="bench-uvicorn", daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not server.started:
            if not thread.is_alive():
                raise ServerStartError("uvicorn stopped during start-up")
            if time.monotonic() > deadline:
                raise ServerStartError(f"uvicorn did not start within {STARTUP_TIMEOUT_S:.0f} s")
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(SHUTDOWN_TIMEOUT_S)
        sock.close()


async def _concurrent_block(
    acc: Accumulator, clients: list[httpx.AsyncClient], send: Send, start: int, n: int
) -> None:
    """n requests spread over the clients, each client sequential; wall is the batch."""
    samples: list[int] = []
    counter = iter(range(start, start + n))
    clock = time.perf_counter_ns

    async def worker(client: httpx.AsyncClient) -> None:
        for i in counter:
            t0 = clock()
            response = await send(client, i)
            samples.append(clock() - t0)
            check(response)

    gc.collect()
    begin = clock()
    await asyncio.gather(*(worker(c) for c in clients))
    acc.add_block(samples, clock() - begin)


async def _measure(base_url: str, n: int, warmup: int) -> HttpResult:
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    clients = [
        httpx.AsyncClient(base_url=base_url, limits=limits, timeout=REQUEST_TIMEOUT_S)
        for _ in range(CONCURRENCY)
    ]
    try:
        advice = Accumulator.named(f"POST {ADVICE_PATH}")
        trivial = Accumulator.named(f"GET {TRIVIAL_PATH}")
        await _concurrent_block(Accumulator.named("warm-up"), clients, trivial_request, 0, warmup)
        await _concurrent_block(Accumulator.named("warm-up"), clients, advice_request, 0, warmup)
        done = 0
        for index, size in enumerate(split(n, BLOCKS)):
            pairs = [(trivial, trivial_request), (advice, advice_request)]
            if index % 2:
                pairs.reverse()
            for acc, send in pairs:
                await _concurrent_block(acc, clients, send, done, size)
            done += size
    finally:
        for client in clients:
            await client.aclose()
    return HttpResult(advice=advice.summary(), trivial=trivial.summary(), concurrency=CONCURRENCY)


def run(scale: float) -> HttpResult:
    n = scaled(BASE_REQUESTS, scale, minimum=max(CONCURRENCY, len(BODIES)))
    warmup = scaled(BASE_WARMUP, scale, minimum=max(CONCURRENCY, len(BODIES)))
    # uvicorn logs start-up trouble through its own loggers; keep them to warnings.
    logging.getLogger("uvicorn.error").setLevel(logging.WARNING)
    with (
        tempfile.TemporaryDirectory(prefix="bench-server-") as tmp,
        running_server(Path(tmp) / "bench.db") as base_url,
    ):
        return asyncio.run(_measure(base_url, n, warmup))
