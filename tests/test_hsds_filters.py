"""Issue 11: /hsds/services `modified_after` sees every change of a record's data (a
curator's verification too), and `search` ignores case and accents on both databases.

Run on SQLite and, when a server answers, on PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from app.auth.models import Role
from app.auth.service import create_user
from app.catalogue import hsds
from app.catalogue.csvio import import_initiatives
from app.catalogue.edits import archive, record_fingerprint, restore, save_edit, stored_values
from app.catalogue.freshness import today_in_belgium
from app.catalogue.models import Initiative
from app.catalogue.search import fold
from app.main import create_app
from tests.test_curators import (
    CURATOR,
    cheap_hashing,  # noqa: F401  (fixture)
    db_url,  # noqa: F401  (fixture: SQLite, and PostgreSQL when a server answers)
    logged_in,
    make_settings,
    token_of,
)

SERVICES = "/hsds/services"
RECORDS = [
    (
        "Eén tegen eenzaamheid",
        "Gent",
        "Wekelijkse reünie voor ouderen in het café.",
        "Naïeve vragen mogen.",
    ),
    (
        "Coördinatie buurtwerk",
        "Brugge",
        "De coördinator brengt buren samen.",
        "Elkaar één keer per week zien.",
    ),
    ("Praatcafé Zoë", "Leuven", "Gezellig koffie drinken en praten.", "Ontmoeten in België."),
    ("Crème de la crème", "Antwerpen", "Kookatelier voor alleenstaanden.", "Samen praten."),
    ("Zeeën van tijd", "Oostende", "Wandelen aan zee met een gids.", "Beweging en contact."),
    ("Gewone naam", "Aalst", "Geen tekens hier.", "Een gewoon doel."),
]
# Words of the searched fields (name, description, goal; not the municipality).
WORDS = sorted({w for n, _, d, g in RECORDS for w in re.findall(r"\w{3,}", f"{n} {d} {g}")})
ACCENTS = {"a": "àáâäå", "e": "èéêë", "i": "ìíîï", "o": "òóôö", "u": "ùúûü", "c": "ç", "n": "ñ"}


def catalogue_csv() -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["name", "municipality", "description", "goal", "elements", "age_groups"])
    for name, town, description, goal in RECORDS:
        writer.writerow([name, town, description, goal, "meeting", "older"])
    return out.getvalue()


@dataclass
class Api:
    client: TestClient
    curator: TestClient

    def session(self) -> Session:
        return Session(self.client.app.state.engine)  # type: ignore[attr-defined]

    def page(self, **params: Any) -> dict[str, Any]:
        r = self.client.get(SERVICES, params={"per_page": 100, **params})
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    def names(self, **params: Any) -> list[str]:
        return [s["name"] for s in self.page(**params)["contents"]]

    def row(self, name: str) -> Initiative:
        with self.session() as session:
            return session.exec(select(Initiative).where(Initiative.name == name)).one()


@pytest.fixture
def api(db_url: str, tmp_path: Path, cheap_hashing: None) -> Iterator[Api]:  # noqa: F811
    app = create_app(make_settings(db_url, tmp_path, seed_catalogue=False))
    with TestClient(app, raise_server_exceptions=False) as client:
        with Session(app.state.engine) as session:
            create_user(session, email=CURATOR[0], password=CURATOR[1], role=Role.CURATOR)
            import_initiatives(session, catalogue_csv())
        curator = logged_in(TestClient(app, raise_server_exceptions=False), CURATOR)
        yield Api(client, curator)
    app.state.engine.dispose()


def _moment() -> str:
    """Now, as a client would send it; the database's clock moves on after it."""
    time.sleep(0.01)
    at = datetime.now(UTC).isoformat()
    time.sleep(0.01)
    return at


# --- modified_after ---------------------------------------------------------------------


def test_a_verification_is_a_modification(api: Api) -> None:
    since = _moment()
    assert api.page(modified_after=since)["total_items"] == 0
    row = api.row("Zeeën van tijd")
    token = token_of(api.curator, "/beheer/nagekeken")
    r = api.curator.post(f"/beheer/nagekeken/{row.id}", data={"csrf": token})
    assert r.status_code == 200
    (service,) = api.page(modified_after=since)["contents"]
    assert service["name"] == "Zeeën van tijd"
    assert service["assured_date"] == today_in_belgium().isoformat()
    assert service["last_modified"] >= since.replace("+00:00", "Z")[:19]
    # Confirmed together with an edit form that changed nothing: a modification as well.
    since = _moment()
    other = api.row("Gewone naam")
    assert other.id is not None
    with api.session() as session:
        saved = save_edit(
            session,
            other.id,
            stored_values(other),
            expected=record_fingerprint(other),
            by=1,
            verified_on=today_in_belgium(),
        )
    assert saved is not None and saved.verified and not saved.changes
    assert api.names(modified_after=since) == ["Gewone naam"]


def test_edits_imports_and_restores_are_modifications_and_archived_records_leave(
    api: Api,
) -> None:
    first, second = api.row("Praatcafé Zoë"), api.row("Crème de la crème")
    assert first.id is not None and second.id is not None
    since = _moment()
    with api.session() as session:
        values = {**stored_values(first), "goal": "Ontmoeten in Vlaanderen."}
        save_edit(session, first.id, values, expected=record_fingerprint(first), by=1)
    assert api.names(modified_after=since) == ["Praatcafé Zoë"]
    since = _moment()
    with api.session() as session:
        import_initiatives(
            session, "name,municipality,goal\nCoördinatie buurtwerk,Brugge,Buren kennen.\n"
        )
    assert api.names(modified_after=since) == ["Coördinatie buurtwerk"]
    since = _moment()
    with api.session() as session:
        archive(session, second.id, by=1, reason="Gestopt.")
    assert api.page(modified_after=since)["total_items"] == 0  # gone from the API
    assert "Crème de la crème" not in api.names()
    with api.session() as session:
        restore(session, second.id, by=1)
    assert api.names(modified_after=since) == ["Crème de la crème"]


# --- search -----------------------------------------------------------------------------


def test_search_ignores_case_and_accents(api: Api) -> None:
    everywhere = [name for name, *_ in RECORDS if name != "Praatcafé Zoë"]  # "alleenstaanden"
    assert api.names(search="ÉÉN") == api.names(search="een") == everywhere
    assert api.names(search="één keer") == ["Coördinatie buurtwerk"]
    assert api.names(search="coordinator") == ["Coördinatie buurtwerk"]
    assert api.names(search="ZOE") == ["Praatcafé Zoë"]
    assert api.names(search="naieve") == ["Eén tegen eenzaamheid"]
    assert api.names(search="CAFÉ") == ["Eén tegen eenzaamheid", "Praatcafé Zoë"]
    assert api.names(search="samen praten") == ["Crème de la crème"]  # every word
    assert api.names(search="100%_zeker") == []


def test_search_pages_and_counts_in_the_database(api: Api) -> None:
    found = api.names(search="een")
    assert len(found) == 5
    pages = [api.page(search="een", per_page=3, page=n) for n in (1, 2, 3)]
    assert [p["total_items"] for p in pages] == [5, 5, 5]
    assert [p["total_pages"] for p in pages] == [2, 2, 2]
    assert [s["name"] for p in pages for s in p["contents"]] == found
    assert pages[2]["empty"]
    # An archived record is found no more: the database filters the ids the search found.
    row = api.row(found[0])
    assert row.id is not None
    with api.session() as session:
        archive(session, row.id, by=1, reason="Gestopt.")
    assert api.page(search="een")["total_items"] == 4


def test_many_ids_go_to_the_database_as_one_parameter(api: Api) -> None:
    """More ids than SQLite takes placeholders (32 766)."""
    with api.session() as session:
        page = hsds.services_page(
            session, hsds.mapper(), hsds.ServiceFilter(search_ids=range(1, 40_001)), 1, 2
        )
    assert page.total_items == len(RECORDS) and len(page.contents) == 2


@st.composite
def variants(draw: st.DrawFn) -> tuple[str, str]:
    """A word of a record and the same word in other case and accents."""
    word = draw(st.sampled_from(WORDS))
    letters = []
    for c in word:
        base = fold(c) or c
        options = [base, base.upper(), *ACCENTS.get(base, ""), *ACCENTS.get(base, "").upper()]
        letters.append(draw(st.sampled_from(options)))
    return word, "".join(letters)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(pair=variants())
def test_any_case_or_accent_variant_finds_the_same_services(
    api: Api, pair: tuple[str, str]
) -> None:
    word, variant = pair
    wanted = fold(word)
    expected = [
        name
        for name, _, description, goal in RECORDS
        if any(wanted in fold(text) for text in (name, description, goal))
    ]
    assert expected
    assert api.names(search=variant) == api.names(search=word) == expected, variant
