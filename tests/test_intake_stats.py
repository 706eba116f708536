"""Statistics of anonymously saved intakes (/landschap/intakes): counts beside the offer,
filtered by municipality and period, and no count from 1 to 4 ever shown, nor one that
a shown total gives away (a property over random record sets)."""

from __future__ import annotations

import csv
import html as html_module
import io
import itertools
import re
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert

from app.advice.knowledge import Knowledge
from app.catalogue.models import SavedIntake
from app.catalogue.saved_intakes import SeenIntake
from app.domain.vocabulary import AgeGroup, Course, Dimension, ElementId, RiskFactor
from app.landscape.intake_stats import (
    HIDDEN,
    OTHER,
    SUPPRESSED,
    THRESHOLD,
    intake_stats,
    suppress_partition,
)
from app.web.intake_stats_pages import specs

PROFILES = [
    f"{n}-{w}-{c}"
    for n, w, c in itertools.product(
        ("situational", "structural"), ("need", "no_need"), ("active", "passive")
    )
]
ELEMENTS = [e.value for e in ElementId]


def _row(**fields: Any) -> dict[str, Any]:
    row = {
        "month": "2026-03",
        "age_group": "older",
        "profile": "structural-no_need-passive",
        "course": "chronic",
        "dimensions": ["emotional"],
        "socially_isolated": None,
        "risk_factors": [],
        "djg6_band": None,
        "municipality": "Geel",
        "advised": ["social_cognitive_training"],
        **fields,
    }
    return row


def _store(client: TestClient, rows: Sequence[dict[str, Any]]) -> None:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    has_code = "code" in SavedIntake.__table__.c  # type: ignore[attr-defined]
    with engine.begin() as conn:
        for k, row in enumerate(rows):
            values = {**row, "code": f"T{k:04d}"} if has_code else row
            conn.execute(insert(SavedIntake.__table__), values)  # type: ignore[attr-defined]


def _seen_cells(html: str, table: str) -> dict[str, str]:
    body = html.split(f'id="table-{table}"')[1].split("</table>")[0]
    return {
        html_module.unescape(label.strip()): html_module.unescape(seen)
        for label, seen in re.findall(r'<th scope="row">(.*?)</th><td class="num">(.*?)</td>', body)
    }


def test_counts_beside_the_offer(client: TestClient) -> None:
    rows = [_row() for _ in range(12)]
    rows += [_row(course="transient", profile="situational-need-active") for _ in range(6)]
    _store(client, rows)
    r = client.get("/landschap/intakes", params={"municipality": "Geel", "jaar": "2026"})
    assert r.status_code == 200
    assert "Bewaarde intakes: 18" in r.text
    course = _seen_cells(r.text, "course")
    assert course == {"Voorbijgaande eenzaamheid": "6", "Chronische eenzaamheid": "12"}
    advised = _seen_cells(r.text, "advised")
    assert advised["Sociaal-cognitieve training (maladaptieve sociale cognitie)"] == "18"
    assert advised["Mindfulness"] == SUPPRESSED
    assert "Initiatieven in Geel" in r.text and "Bereikbaar (ook regio en Vlaanderen)" in r.text
    assert "geen meting van hoeveel inwoners eenzaam zijn" in r.text
    own = re.search(
        r"18 mensen kregen ‘Sociaal-cognitieve training[^’]*’ als advies; (\d) ", r.text
    )
    assert own and int(own.group(1)) <= 1  # the thin offer is said in words


def test_small_counts_are_suppressed_and_totals_do_not_give_them_away(
    client: TestClient,
) -> None:
    rows = [_row() for _ in range(9)] + [_row(course="transient")]  # 9 chronic, 1 transient
    _store(client, rows)
    r = client.get("/landschap/intakes", params={"municipality": "Geel"})
    assert "Bewaarde intakes: 10" in r.text
    course = _seen_cells(r.text, "course")
    # "1" would be shown as <5, and 9 must then be hidden too, or 10 - 9 gives it away.
    assert course == {"Voorbijgaande eenzaamheid": SUPPRESSED, "Chronische eenzaamheid": HIDDEN}
    csv_rows = list(
        csv.DictReader(
            io.StringIO(client.get("/landschap/intakes.csv", params={"municipality": "Geel"}).text)
        )
    )
    shown = {(c["table"], c["id"]): c["seen"] for c in csv_rows}
    assert shown[("total", "intakes")] == "10"
    assert shown[("course", "transient")] == SUPPRESSED and shown[("course", "chronic")] == HIDDEN
    assert all(not re.fullmatch(r"[1-4]", v) for v in shown.values())


def test_fewer_than_five_shows_nothing(client: TestClient) -> None:
    _store(client, [_row() for _ in range(4)])
    r = client.get("/landschap/intakes", params={"municipality": "Geel"})
    assert "Bewaarde intakes: &lt;5" in r.text and 'id="too-few"' in r.text
    assert 'id="table-course"' not in r.text
    text = client.get("/landschap/intakes.csv", params={"municipality": "Geel"}).text
    assert "total,intakes,Bewaarde intakes,<5" in text and "course" not in text


def test_municipality_and_period_filters(client: TestClient) -> None:
    rows = [_row(month="2026-01") for _ in range(5)]
    rows += [_row(month="2026-06") for _ in range(7)]
    rows += [_row(month="2026-06", municipality="Gent") for _ in range(8)]
    rows += [_row(month="2025-12") for _ in range(6)]
    _store(client, rows)

    def total(**params: str) -> str:
        text = client.get("/landschap/intakes", params=params).text
        match = re.search(r"Bewaarde intakes: ([^<]+)</strong>", text)
        assert match
        return match.group(1)

    # One calendar year at a time, the latest with records by default.
    assert total(municipality="Geel") == "12"
    assert total(municipality="Geel", jaar="2026") == "12"
    assert total(municipality="Geel", jaar="2025") == "6"
    assert total(municipality="Gent") == "8"
    assert total() == "20"  # all of Flanders, 2026
    assert total(municipality="2440") == "12"  # a postcode is the municipality
    page = client.get("/landschap/intakes", params={"municipality": "Geel"}).text
    assert re.findall(r'<option value="(\d+)"', page) == ["2026", "2025"]
    # No free period: the old month range is not read, so two overlapping periods cannot
    # be subtracted to reveal a suppressed count.
    assert total(municipality="Geel", van="2026-02", tot="2026-12") == "12"


def test_wrong_filters_are_explained_and_kept(client: TestClient) -> None:
    r = client.get("/landschap/intakes", params={"municipality": "Gheel", "jaar": "26"})
    assert r.status_code == 200
    assert 'id="e-municipality"' in r.text and 'value="Gheel"' in r.text
    assert 'id="e-jaar"' in r.text


def test_linked_from_the_demand_page_and_back(client: TestClient) -> None:
    r = client.get("/landschap/intakes", params={"municipality": "Geel"})
    assert 'href="/landschap/vraag?municipality=Geel"' in r.text


# --- the property -------------------------------------------------------------------

records = st.builds(
    SeenIntake,
    month=st.sampled_from(["2026-01", "2026-02"]),
    municipality=st.just("Geel"),
    age_group=st.sampled_from([a.value for a in AgeGroup]),
    profile=st.sampled_from(PROFILES),
    course=st.sampled_from([c.value for c in Course]),
    dimensions=st.lists(st.sampled_from([d.value for d in Dimension]), max_size=3).map(tuple),
    socially_isolated=st.sampled_from([None, True, False]),
    risk_factors=st.lists(st.sampled_from([r.value for r in RiskFactor]), max_size=3).map(tuple),
    advised=st.lists(st.sampled_from(ELEMENTS[:6]), max_size=4).map(tuple),
)


def _possible_values(
    counts: Sequence[int], shown: Sequence[str], total: int
) -> Iterator[tuple[int, set[int]]]:
    """For each hidden cell, every value consistent with what is shown: the shown cells,
    the total, "<5" meaning 0..4 and "x" meaning at least 5 (a reader who knows the rule)."""
    hidden = [i for i, s in enumerate(shown) if s in (SUPPRESSED, HIDDEN)]
    rest = total - sum(int(s) for s in shown if s not in (SUPPRESSED, HIDDEN))
    ranges = {i: range(0, 5) if shown[i] == SUPPRESSED else range(5, rest + 1) for i in hidden}
    for i in hidden:
        others = [ranges[j] for j in hidden if j != i]
        # Sums the other hidden cells can make (a small subset-sum table).
        reachable = {0}
        for r in others:
            reachable = {s + v for s in reachable for v in r if s + v <= rest}
        yield i, {v for v in ranges[i] if rest - v in reachable}


def _naive(intakes: Sequence[SeenIntake], field: str, id_: str) -> int:
    if field == "socially_isolated":
        return sum(1 for i in intakes if i.socially_isolated)
    value = getattr(intakes[0], field)
    if isinstance(value, tuple):
        return sum(1 for i in intakes if id_ in getattr(i, field))
    return sum(1 for i in intakes if getattr(i, field) == id_)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(records, max_size=40))
def test_no_small_count_is_shown_or_recoverable(
    knowledge: Knowledge, intakes: list[SeenIntake]
) -> None:
    stats = intake_stats(intakes, specs(knowledge), lambda t, i: i, lambda t, i: (None, None))
    n = len(intakes)
    if n < THRESHOLD:
        assert stats.n == SUPPRESSED and stats.empty
        return
    assert stats.n == str(n)
    for (table_id, field, exclusive, _ids), table in zip(
        specs(knowledge), stats.tables, strict=True
    ):
        assert table.id == table_id
        for row in table.rows:
            # Never a count from 1 to 4 (nor 0): "<5", "x" or the true count of 5 or more.
            assert row.seen in (SUPPRESSED, HIDDEN) or int(row.seen) >= THRESHOLD
            if row.seen not in (SUPPRESSED, HIDDEN) and row.id != OTHER:
                assert int(row.seen) == _naive(intakes, field, row.id)
            if row.seen == SUPPRESSED and row.id != OTHER:
                assert _naive(intakes, field, row.id) < THRESHOLD
        if exclusive and not table.withheld:
            counts = [
                _naive(intakes, field, row.id) if row.id != OTHER else 0 for row in table.rows
            ]
            shown = [row.seen for row in table.rows]
            assert sum(counts) == n  # every person in exactly one category
            for i, possible in _possible_values(counts, shown, n):
                assert counts[i] in possible
                assert len(possible) >= 2, (table_id, shown, counts)


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ([9, 1], [HIDDEN, SUPPRESSED]),
        ([5, 5], ["5", "5"]),
        ([4, 4], None),  # both must be 4: withheld
        ([7, 0, 6], ["7", SUPPRESSED, HIDDEN]),  # the smallest other cell is hidden
        ([3, 3, 10], [SUPPRESSED, SUPPRESSED, "10"]),
    ],
)
def test_suppress_partition(counts: list[int], expected: list[str] | None) -> None:
    assert suppress_partition(counts, sum(counts)) == expected
