"""Benchmark 2: POST /api/v1/advice through the ASGI app, beside GET /healthz.

In-process: httpx.AsyncClient over httpx.ASGITransport, sequential requests, with the
app's lifespan running (database created and seeded in a temporary folder).
"""

from __future__ import annotations

import gc
import json
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from app.main import create_app
from bench.fixtures import INTAKES, app_settings
from bench.scale import scaled
from bench.stats import Accumulator, Summary, ratio, split

GOAL_RATIO = 0.5
BASE_REQUESTS = 2000
BASE_WARMUP = 100
BLOCKS = 4
ADVICE_PATH = "/api/v1/advice"
TRIVIAL_PATH = "/healthz"
BODIES: tuple[bytes, ...] = tuple(json.dumps(intake).encode() for intake in INTAKES)
JSON_HEADERS = {"content-type": "application/json"}


class BenchRequestError(RuntimeError):
    """An endpoint answered with something other than 200: the figures would be void."""


@dataclass(frozen=True, slots=True)
class HttpResult:
    """Requests per second of the advice endpoint beside the trivial one."""

    advice: Summary
    trivial: Summary
    concurrency: int

    @property
    def ratio(self) -> float:
        """advice req/s ÷ trivial req/s."""
        return ratio(self.advice.per_second, self.trivial.per_second)

    @property
    def goal_met(self) -> bool:
        return self.ratio >= GOAL_RATIO

    def as_dict(self) -> dict[str, Any]:
        return {
            "advice": self.advice.as_dict(),
            "trivial": self.trivial.as_dict(),
            "concurrency": self.concurrency,
            "ratio_advice_to_trivial": self.ratio,
            "goal_ratio": GOAL_RATIO,
            "goal_met": self.goal_met,
        }


def check(response: httpx.Response) -> None:
    if response.status_code != 200:
        raise BenchRequestError(
            f"{response.request.method} {response.request.url.path} answered "
            f"{response.status_code}: {response.text[:300]}"
        )


async def advice_request(client: httpx.AsyncClient, i: int) -> httpx.Response:
    return await client.post(ADVICE_PATH, content=BODIES[i % len(BODIES)], headers=JSON_HEADERS)


async def trivial_request(client: httpx.AsyncClient, i: int) -> httpx.Response:
    return await client.get(TRIVIAL_PATH)


async def _sequential_block(
    acc: Accumulator, client: httpx.AsyncClient, advice: bool, start: int, n: int
) -> None:
    send = advice_request if advice else trivial_request
    gc.collect()
    samples = [0] * n
    clock = time.perf_counter_ns
    begin = clock()
    for j in range(n):
        t0 = clock()
        response = await send(client, start + j)
        samples[j] = clock() - t0
        check(response)
    acc.add_block(samples, clock() - begin)


async def _sanity(client: httpx.AsyncClient) -> None:
    """One request of each kind must answer 200 with the expected JSON."""
    response = await trivial_request(client, 0)
    check(response)
    if response.json() != {"status": "ok"}:
        raise BenchRequestError(f"GET {TRIVIAL_PATH} answered {response.text[:300]}")
    for i in range(len(BODIES)):
        response = await advice_request(client, i)
        check(response)
        if not isinstance(response.json(), dict):
            raise BenchRequestError(f"POST {ADVICE_PATH} did not answer a JSON object")


async def run(scale: float) -> HttpResult:
    n = scaled(BASE_REQUESTS, scale, minimum=len(BODIES))
    warmup = scaled(BASE_WARMUP, scale, minimum=len(BODIES))
    with tempfile.TemporaryDirectory(prefix="bench-asgi-") as tmp:
        app = create_app(app_settings(Path(tmp) / "bench.db"))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                await _sanity(client)
                for i in range(warmup):
                    check(await trivial_request(client, i))
                    check(await advice_request(client, i))
                advice = Accumulator.named(f"POST {ADVICE_PATH}")
                trivial = Accumulator.named(f"GET {TRIVIAL_PATH}")
                done = 0
                for index, size in enumerate(split(n, BLOCKS)):
                    order = (False, True) if index % 2 == 0 else (True, False)
                    for is_advice in order:
                        acc = advice if is_advice else trivial
                        await _sequential_block(acc, client, is_advice, done, size)
                    done += size
    return HttpResult(advice=advice.summary(), trivial=trivial.summary(), concurrency=1)
