"""Issue 11: the catalogue search (/aanbod) beside a plain pass over the records.

`python -m bench.catalogue_search_bench [--sizes 1000,10000,100000] [--repeat N]`

For synthetic catalogues (bench.synthetic) of each size, in the same run:

- plain: the obvious way, one pass over the records folding name, goal and description
  per query and testing each filter (what tests/test_catalogue_pages.py compares with),
  then sorting; no counts per facet value.
- search: app.catalogue.search (folded columns, the landscape index's bitsets), with the
  counts per facet value that the page shows.
- page: GET /aanbod end to end through TestClient, template included, with the app's
  catalogue snapshot replaced by the records.

Each figure is the median of the timed calls, in ms; the search index is built once per
snapshot (names and order at once, goals and descriptions in a background thread) and
its build times are printed apart. Nothing asserts time.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from urllib.parse import urlencode

from fastapi.testclient import TestClient

from app.catalogue.matching import place_of
from app.catalogue.records import InitiativeRecord
from app.catalogue.search import SearchIndex, SearchQuery, fold, search_index, terms_of
from app.core.config import Settings
from app.domain.places import Places, load_places
from app.landscape.facets import values_of
from app.landscape.index import landscape_index
from app.main import create_app
from bench.synthetic import synthetic_catalogue

CASES: list[tuple[str, list[tuple[str, str]]]] = [
    ("everything, by name", []),
    ("q=buurt", [("q", "buurt")]),
    ("q=e (nearly every record)", [("q", "e")]),
    ("q=cafe ouderen, elements=meeting", [("q", "cafe ouderen"), ("elements", "meeting")]),
    ("municipality=Gent, age_groups=older", [("municipality", "Gent"), ("age_groups", "older")]),
    (
        "province=Limburg, risk_factors=poverty",
        [("province", "Limburg"), ("risk_factors", "poverty")],
    ),
]


class StaticCatalogue:
    """Stands in for CatalogueSnapshot: `get()` returns fixed records."""

    def __init__(self, records: Sequence[InitiativeRecord]) -> None:
        self._records = records

    def get(self) -> Sequence[InitiativeRecord]:
        return self._records


def query_of(pairs: list[tuple[str, str]], places: Places) -> SearchQuery:
    facets: dict[str, frozenset[str]] = {}
    text, place, province = "", None, None
    for name, value in pairs:
        if name == "q":
            text = value
        elif name == "municipality":
            place = places.find(value)
        elif name == "province":
            province = value
        else:
            facets[name] = facets.get(name, frozenset()) | {value}
    return SearchQuery(text, facets, place, province)


def plain(records: Sequence[InitiativeRecord], query: SearchQuery, places: Places) -> list[int]:
    """The search as one pass over the records (the baseline)."""
    terms = terms_of(query.text)
    found: list[tuple[float, str, int]] = []
    for i, r in enumerate(records):
        fields = (fold(r.name), fold(r.goal), fold(r.description))
        if not all(any(t in f for f in fields) for t in terms):
            continue
        if any(values_of(r, f).isdisjoint(v) for f, v in query.facets.items()):
            continue
        if query.place and place_of(r, query.place, places) == "elsewhere":
            continue
        if query.province and r.geographic_level != "flanders":
            where = places.find(r.municipality)
            if where is None or where.province != query.province:
                continue
        score = sum(
            3.0 * (t in fields[0]) + 2.0 * (t in fields[1]) + (t in fields[2]) for t in terms
        )
        found.append((-score, fields[0], i))
    found.sort()
    return [i for _, _, i in found]


def median_ms(call: Callable[[], object], repeat: int) -> float:
    call()  # warm
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def run(sizes: Sequence[int], repeat: int) -> None:
    places = load_places()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings(database_url=f"sqlite:///{Path(tmp) / 'bench.db'}"))
        with TestClient(app) as client:
            for size in sizes:
                records = synthetic_catalogue(size)
                landscape_index(records)
                start = time.perf_counter()
                fresh = SearchIndex(records)
                build = (time.perf_counter() - start) * 1000
                start = time.perf_counter()
                fresh.warm()
                warm = (time.perf_counter() - start) * 1000
                index = search_index(records)
                app.state.catalogue = StaticCatalogue(records)
                print(
                    f"\n{size} initiatives – search index, once per snapshot: {build:.0f} ms, "
                    f"and {warm:.0f} ms in the background for goals and descriptions"
                )
                heads = ("plain", "search", "ratio", "page", "found")
                print(f"{'case':42s} " + " ".join(f"{h:>9s}" for h in heads))
                slow_repeat = max(3, repeat // max(1, size // 10_000))
                for label, pairs in CASES:
                    query = query_of(pairs, places)
                    old = median_ms(partial(plain, records, query, places), slow_repeat)
                    new = median_ms(partial(index.search, query, places), repeat)
                    page = median_ms(partial(client.get, "/aanbod?" + urlencode(pairs)), repeat)
                    found = index.search(query, places).total
                    figures = f"{old:9.1f} {new:9.1f} {old / new:8.0f}× {page:9.1f} {found:9d}"
                    print(f"{label:42s} {figures}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    run([int(s) for s in args.sizes.split(",")], args.repeat)


if __name__ == "__main__":
    main()
