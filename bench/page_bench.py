"""Benchmark 4: the HTML result page beside a trivial page, and the weight of each page.

In-process (httpx.ASGITransport), sequential. The result page runs the whole chain:
query string → answers → Intake → engine → matching → template.
"""

from __future__ import annotations

import gc
import gzip
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from app.main import create_app
from bench.asgi_bench import BenchRequestError
from bench.fixtures import app_settings
from bench.scale import scaled
from bench.stats import Accumulator, Summary, ratio, split

BASE_REQUESTS = 600
BLOCKS = 4
TRIVIAL_PATH = "/"
WEIGHT_LIMIT = 60 * 1024
# A few people; the answers travel in the query string as in the browser.
PEOPLE: tuple[dict[str, Any], ...] = (
    {
        "age_group": "older",
        "problem_nature": "structural",
        "wants_contact": "false",
        "coping": "passive",
        "municipality": "Gent",
    },
    {
        "age_group": "youth",
        "problem_nature": "situational",
        "wants_contact": "true",
        "coping": "active",
        "crisis_signs": "suicidal_thoughts",
    },
    {
        "age_group": "adults",
        "problem_nature": "situational",
        "wants_contact": "false",
        "coping": "active",
        "risk_factors": ["caregiver", "poverty"],
        "dimensions": "emotional",
        "djg6_1": "ja",
        "djg6_2": "min_of_meer",
        "djg6_3": "nee",
        "djg6_4": "nee",
        "djg6_5": "nee",
        "djg6_6": "ja",
        "municipality": "Antwerpen",
    },
)
RESULT_URLS = tuple("/advies?" + urlencode(p, doseq=True) for p in PEOPLE)
STEPS = ("context", "questions", "course", "dimensions", "risks", "scale", "review")
ASSETS = ("/static/htmx.min.js", "/static/app.js", "/static/app.css")


@dataclass(frozen=True, slots=True)
class PageResult:
    result_page: Summary
    trivial: Summary
    weights: dict[str, int]  # page → bytes transferred gzip-compressed, assets included

    @property
    def ratio(self) -> float:
        """Time of a result page ÷ time of the trivial page (means)."""
        return ratio(self.result_page.mean_us, self.trivial.mean_us)

    @property
    def heaviest(self) -> int:
        return max(self.weights.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "result_page": self.result_page.as_dict(),
            "trivial_page": self.trivial.as_dict(),
            "ratio_result_to_trivial_time": self.ratio,
            "weights_bytes_gzip": self.weights,
            "weight_limit_bytes": WEIGHT_LIMIT,
        }


async def _get(client: httpx.AsyncClient, url: str) -> httpx.Response:
    response = await client.get(url, headers={"Accept-Encoding": "gzip"})
    if response.status_code != 200:
        raise BenchRequestError(f"GET {url} answered {response.status_code}")
    return response


def _wire_size(response: httpx.Response) -> int:
    # httpx decodes the body; recompress what came gzip-encoded to count wire bytes.
    if response.headers.get("content-encoding") == "gzip":
        return len(gzip.compress(response.content, compresslevel=9))
    return len(response.content)


async def _weights(client: httpx.AsyncClient) -> dict[str, int]:
    assets = 0
    for url in ASSETS:
        assets += _wire_size(await _get(client, url))
    pages = {f"/intake/{s}": f"/intake/{s}?" + urlencode(PEOPLE[2], doseq=True) for s in STEPS}
    pages["/advies"] = RESULT_URLS[2]
    return {name: _wire_size(await _get(client, url)) + assets for name, url in pages.items()}


async def _block(
    acc: Accumulator, client: httpx.AsyncClient, urls: tuple[str, ...], n: int
) -> None:
    gc.collect()
    samples = [0] * n
    clock = time.perf_counter_ns
    begin = clock()
    for j in range(n):
        t0 = clock()
        await _get(client, urls[j % len(urls)])
        samples[j] = clock() - t0
    acc.add_block(samples, clock() - begin)


async def run(scale: float) -> PageResult:
    n = scaled(BASE_REQUESTS, scale, minimum=len(RESULT_URLS))
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as tmp:
        app = create_app(app_settings(Path(tmp) / "bench.db"))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                weights = await _weights(client)
                for url in (*RESULT_URLS, TRIVIAL_PATH) * 5:  # warm-up
                    await _get(client, url)
                result = Accumulator.named("GET /advies (result page)")
                trivial = Accumulator.named(f"GET {TRIVIAL_PATH} (home page)")
                for index, size in enumerate(split(n, BLOCKS)):
                    pairs = ((trivial, (TRIVIAL_PATH,)), (result, RESULT_URLS))
                    for acc, urls in pairs if index % 2 == 0 else reversed(pairs):
                        await _block(acc, client, urls, size)
    return PageResult(result_page=result.summary(), trivial=trivial.summary(), weights=weights)
