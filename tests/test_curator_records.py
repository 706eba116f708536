"""Issue 11, item 3: curators edit published records (diff first), edit a claimed
registration before approving it, and archive instead of delete.

Run on SQLite and, when a server answers, on PostgreSQL (db_url of the curator tests).
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.auth.models import AuditEntry, CuratorUser, Role
from app.auth.service import create_user, set_active
from app.catalogue import hsds
from app.catalogue.csvio import export_initiatives, import_initiatives
from app.catalogue.freshness import today_in_belgium
from app.catalogue.models import Initiative
from app.catalogue.submissions import Status, Submission
from app.catalogue.version import read_version
from app.main import create_app
from tests.html_forms import form_data
from tests.test_curators import (
    CURATOR,
    beheer_routes,
    cheap_hashing,  # noqa: F401  (fixture)
    db_url,  # noqa: F401  (fixture: SQLite, and PostgreSQL when a server answers)
    logged_in,
    make_settings,
    token_of,
    visible_text,
)
from tests.test_registration import GOOD, INTAKE, NAME

CATALOGUE = (
    "name,municipality,geographic_level,elements,age_groups,prevention_levels,phone,"
    "last_verified\n"
    "Buurtkoor Zonnebloem,Gent,local,meeting;social_activities,older,secondary,"
    "09 111 22 33,2025-06-01\n"
    "Mindful Leuven,Leuven,local,mindfulness,youth,primary,,\n"
    "Wandelclub Tweede,Gent,local,leisure,older,primary,,\n"
)
CHOIR = "Buurtkoor Zonnebloem"
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
FORM = re.compile(r'name="versie" value="([^"]+)"')


@contextmanager
def running(url: str, tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(make_settings(url, tmp_path, seed_catalogue=False))
    with TestClient(app, raise_server_exceptions=False) as c:
        with Session(app.state.engine) as session:
            create_user(
                session,
                email=CURATOR[0],
                password=CURATOR[1],
                role=Role.CURATOR,
                display_name="Cora Curator",
            )
            import_initiatives(session, CATALOGUE)
        app.state.catalogue.refresh()
        yield c
    app.state.engine.dispose()


@pytest.fixture
def client(db_url: str, tmp_path: Path, cheap_hashing: None) -> Iterator[TestClient]:  # noqa: F811
    """The writes that differ by database (locks, JSON, time stamps): SQLite and PostgreSQL."""
    with running(db_url, tmp_path) as c:
        yield c


@pytest.fixture
def sqlite_client(tmp_path: Path, cheap_hashing: None) -> Iterator[TestClient]:  # noqa: F811
    """Pages and messages, the same on both databases: SQLite only (the suite's time)."""
    with running(f"sqlite:///{tmp_path / 'records.db'}", tmp_path) as c:
        yield c


def engine_of(client: TestClient) -> Engine:
    engine: Engine = client.app.state.engine  # type: ignore[attr-defined]
    return engine


def record(client: TestClient, name: str = CHOIR) -> Initiative:
    with Session(engine_of(client)) as session:
        return session.exec(select(Initiative).where(Initiative.name == name)).one()


def audit(client: TestClient, action: str) -> list[AuditEntry]:
    with Session(engine_of(client)) as session:
        return list(
            session.exec(
                select(AuditEntry).where(AuditEntry.action == action).order_by(col(AuditEntry.id))
            )
        )


def version(client: TestClient) -> int:
    with engine_of(client).connect() as conn:
        return read_version(conn)


def form_fields(page: str) -> dict[str, Any]:
    """What the edit form would post unchanged (tests.html_forms)."""
    return form_data(page, "edit-form")


def open_form(curator: TestClient, ini: Initiative) -> dict[str, Any]:
    r = curator.get(f"/beheer/aanbod/{ini.id}/bewerken")
    assert r.status_code == 200
    return form_fields(r.text)


def preview_data(page: str) -> dict[str, Any]:
    """The preview's hidden fields, as the browser posts them."""
    data: dict[str, Any] = {}
    for name, value in HIDDEN.findall(page):
        value = html.unescape(value)
        if name in data:
            data[name] = [*(data[name] if isinstance(data[name], list) else [data[name]]), value]
        else:
            data[name] = value
    for name in (
        "elements",
        "age_groups",
        "prevention_levels",
        "dimensions",
        "course",
        "risk_factors",
        "approach",
    ):
        if name in data and not isinstance(data[name], list):
            data[name] = [data[name]]
    return data


def edit(curator: TestClient, ini: Initiative, **changes: Any) -> tuple[Response, dict[str, Any]]:
    data = {**open_form(curator, ini), **changes}
    return curator.post(f"/beheer/aanbod/{ini.id}/bewerken", data=data), data


# --- edit with a diff -----------------------------------------------------------------


def test_an_edit_shows_the_diff_then_saves_and_everything_uses_it_at_once(
    client: TestClient,
) -> None:
    choir = record(client)
    before_version = version(client)
    landscape = client.get("/api/v1/landscape").json()["facets"]["elements"]
    assert landscape["mindfulness"]["count"] == 1
    curator = logged_in(client, CURATOR)
    r, _ = edit(
        curator,
        choir,
        phone="09 999 88 77",
        elements=["meeting", "mindfulness"],
        description="Zingen in de buurt.\nElke dinsdag.",
    )
    assert r.status_code == 200
    page = visible_text(r.text)
    assert "Wijzigingen nakijken" in page and "Opslaan wijzigt 3 velden" in page
    assert "Telefoon 09 111 22 33 09 999 88 77" in page
    assert "erbij: Mindfulness" in page and "weg: Sociale activiteiten stimuleren" in page
    assert "Leeftijdsgroepen" not in page  # unchanged fields are not in the diff
    # Nothing is written before Opslaan.
    assert record(client).phone == "09 111 22 33" and not audit(client, "edit")
    saved = curator.post(f"/beheer/aanbod/{choir.id}/opslaan", data=preview_data(r.text))
    assert saved.status_code == 200
    assert "De wijzigingen zijn opgeslagen." in visible_text(saved.text)
    after = record(client)
    assert after.phone == "09 999 88 77"
    assert after.elements == ["meeting", "mindfulness"]
    assert after.description == "Zingen in de buurt.\nElke dinsdag."
    assert after.last_verified == choir.last_verified  # an edit is no confirmation
    (entry,) = audit(client, "edit")
    assert (entry.table_name, entry.record_id) == ("initiative", choir.id)
    assert entry.changes == [
        {"field": "description", "before": None, "after": "Zingen in de buurt.\nElke dinsdag."},
        {
            "field": "elements",
            "before": ["meeting", "social_activities"],
            "after": ["meeting", "mindfulness"],
        },
        {"field": "phone", "before": "09 111 22 33", "after": "09 999 88 77"},
    ]
    assert not audit(client, "verify")
    # A new catalogue version, already in this worker's snapshot: landscape and advice.
    assert version(client) == before_version + 1
    landscape = client.get("/api/v1/landscape").json()["facets"]["elements"]
    assert landscape["mindfulness"]["count"] == 2
    assert landscape["social_activities"]["count"] == 0
    offers = client.post("/api/v1/advice", json=INTAKE).json()["initiatives"]
    (offer,) = [o for o in offers if o["name"] == CHOIR]
    assert "mindfulness" in offer["elements"]
    assert client.get(f"/api/v1/initiatives/{choir.id}").json()["phone"] == "09 999 88 77"
    # The record page and the audit log show who changed what.
    shown = visible_text(curator.get(f"/beheer/aanbod/{choir.id}").text)
    assert "Gewijzigd" in shown and "Cora Curator" in shown
    log = visible_text(curator.get(f"/beheer/audit?tabel=initiative&record={choir.id}").text)
    assert "Gewijzigd" in log and "09 999 88 77" in log


def test_back_to_editing_keeps_the_draft(sqlite_client: TestClient) -> None:
    client = sqlite_client
    choir = record(client)
    curator = logged_in(client, CURATOR)
    r, _ = edit(curator, choir, goal="Samen zingen tegen eenzaamheid")
    back = curator.post(
        f"/beheer/aanbod/{choir.id}/bewerken", data={**preview_data(r.text), "terug": "1"}
    )
    assert back.status_code == 200
    assert ">Samen zingen tegen eenzaamheid</textarea>" in back.text
    assert not audit(client, "edit")


def test_no_change_says_so_and_writes_nothing(sqlite_client: TestClient) -> None:
    client = sqlite_client
    choir = record(client)
    before = version(client)
    curator = logged_in(client, CURATOR)
    r, data = edit(curator, choir)
    assert r.status_code == 200
    assert "Niets gewijzigd" in visible_text(r.text)
    saved = curator.post(f"/beheer/aanbod/{choir.id}/opslaan", data=data)
    assert "Er is niets gewijzigd" in visible_text(saved.text)
    assert not audit(client, "edit") and version(client) == before


def test_validation_errors_are_named_by_their_fields_and_keep_the_draft(
    sqlite_client: TestClient,
) -> None:
    client = sqlite_client
    choir = record(client)
    curator = logged_in(client, CURATOR)
    r, _ = edit(
        curator,
        choir,
        name="",
        website="geen adres",
        elements=[],
        description="Mijn lange nieuwe beschrijving",
    )
    assert r.status_code == 400
    page = visible_text(r.text)
    assert "Vul de naam van het initiatief in." in page
    assert "Kies minstens één werkzaam element." in page
    assert 'id="e-website"' in r.text and 'aria-invalid="true"' in r.text
    assert ">Mijn lange nieuwe beschrijving</textarea>" in r.text
    assert 'value="geen adres"' in r.text
    # The same at Opslaan (a forged preview): refused, nothing written.
    saved = curator.post(
        f"/beheer/aanbod/{choir.id}/opslaan", data={**form_fields(r.text), "name": ""}
    )
    assert saved.status_code == 400 and not audit(client, "edit")
    assert record(client).name == CHOIR


def test_a_stale_form_is_refused_with_the_new_diff(client: TestClient) -> None:
    choir = record(client)
    curator = logged_in(client, CURATOR)
    r, _ = edit(curator, choir, phone="09 999 88 77")
    draft = preview_data(r.text)
    # Meanwhile someone else changes the record.
    other, _ = edit(curator, choir, goal="Het doel van de ander")
    curator.post(f"/beheer/aanbod/{choir.id}/opslaan", data=preview_data(other.text))
    assert record(client).goal == "Het doel van de ander"
    refused = curator.post(f"/beheer/aanbod/{choir.id}/opslaan", data=draft)
    assert refused.status_code == 409
    page = visible_text(refused.text)
    assert "Iemand anders heeft dit initiatief intussen gewijzigd" in page
    # The new diff: saving now would set the phone and undo the other's goal.
    assert "09 999 88 77" in page and "Het doel van de ander" in page
    assert record(client).phone == "09 111 22 33"
    assert len(audit(client, "edit")) == 1
    # Saved from the new diff (a fresh version), it goes through.
    again = curator.post(f"/beheer/aanbod/{choir.id}/opslaan", data=preview_data(refused.text))
    assert "De wijzigingen zijn opgeslagen." in visible_text(again.text)
    assert record(client).phone == "09 999 88 77"


def test_a_name_another_record_has_is_refused_on_the_name_field(sqlite_client: TestClient) -> None:
    client = sqlite_client
    walk = record(client, "Wandelclub Tweede")
    curator = logged_in(client, CURATOR)
    r, _ = edit(curator, walk, name=" buurtkoor  ZONNEBLOEM ")
    saved = curator.post(f"/beheer/aanbod/{walk.id}/opslaan", data=preview_data(r.text))
    assert saved.status_code == 400
    assert 'id="e-name"' in saved.text
    assert "Er staat al een ander initiatief met deze naam" in visible_text(saved.text)
    assert record(client, "Wandelclub Tweede").id == walk.id and not audit(client, "edit")


def test_the_confirmation_box_also_verifies_and_is_audited(sqlite_client: TestClient) -> None:
    client = sqlite_client
    choir = record(client)
    curator = logged_in(client, CURATOR)
    r, _ = edit(curator, choir, phone="09 999 88 77")
    curator.post(
        f"/beheer/aanbod/{choir.id}/opslaan", data={**preview_data(r.text), "nagekeken": "1"}
    )
    assert record(client).last_verified == today_in_belgium()
    (entry,) = audit(client, "verify")
    assert entry.changes == [
        {"field": "last_verified", "before": "2025-06-01", "after": today_in_belgium().isoformat()}
    ]


# --- archive and restore ----------------------------------------------------------------


def public_presence(client: TestClient, ini: Initiative) -> dict[str, bool]:
    """Where the record shows for the public."""
    offers = client.post("/api/v1/advice", json=INTAKE).json()["initiatives"]
    services = client.get("/hsds/services", params={"search": "zonnebloem"}).json()
    listed = client.get("/api/v1/initiatives", params={"municipality": "Gent"}).json()
    found = client.get("/api/v1/initiatives/search", params={"q": "zonnebloem"}).json()
    export = io.StringIO()
    with Session(engine_of(client)) as session:
        export_initiatives(session, export)
        hsds_export = io.StringIO()
        hsds.write_json(session, hsds_export)
    return {
        "advice": any(o["id"] == ini.id for o in offers),
        "landscape": client.get("/api/v1/landscape").json()["n"] == 3,
        "search page": CHOIR in visible_text(client.get("/aanbod").text),
        "search api": found["total"] == 1,
        "list api": any(i["id"] == ini.id for i in listed["items"]),
        "detail api": client.get(f"/api/v1/initiatives/{ini.id}").status_code == 200,
        "detail page": client.get(f"/aanbod/{ini.id}").status_code == 200,
        "hsds api": services["total_items"] == 1,
        "hsds export": CHOIR in hsds_export.getvalue(),
        "csv export": CHOIR in export.getvalue(),
    }


def test_archive_takes_a_record_out_everywhere_and_restore_brings_it_back(
    client: TestClient,
) -> None:
    choir = record(client)
    assert all(public_presence(client, choir).values()), public_presence(client, choir)
    curator = logged_in(client, CURATOR)
    assert CHOIR in visible_text(curator.get("/beheer/nagekeken").text)
    token = token_of(curator, f"/beheer/aanbod/{choir.id}")
    start = version(client)
    r = curator.post(f"/beheer/aanbod/{choir.id}/archiveren", data={"csrf": token, "reason": " "})
    assert r.status_code == 400
    assert "Geef een reden op" in visible_text(r.text)
    assert record(client).archived_at is None
    r = curator.post(
        f"/beheer/aanbod/{choir.id}/archiveren",
        data={"csrf": token, "reason": "Het koor is gestopt."},
    )
    assert r.status_code == 200
    assert "Het initiatief is gearchiveerd" in visible_text(r.text)
    assert "Het koor is gestopt." in visible_text(r.text)
    assert record(client).archived_at is not None and version(client) == start + 1
    presence = public_presence(client, choir)
    assert not any(presence.values()), presence
    gone = client.get(f"/aanbod/{choir.id}")
    assert gone.status_code == 410 and "Niet meer in het aanbod" in visible_text(gone.text)
    assert CHOIR not in visible_text(curator.get("/beheer/nagekeken").text)
    assert CHOIR not in visible_text(curator.get("/beheer/aanbod").text)
    assert CHOIR in visible_text(curator.get("/beheer/aanbod?gearchiveerd=1").text)
    assert "Initiatieven in de catalogus 2" in visible_text(curator.get("/beheer").text)
    (entry,) = audit(client, "archive")
    assert entry.changes == [
        {"field": "archived", "before": False, "after": True},
        {"field": "reason", "before": None, "after": "Het koor is gestopt."},
    ]
    r = curator.post(f"/beheer/aanbod/{choir.id}/terugzetten", data={"csrf": token})
    assert "Het initiatief staat weer in het aanbod." in visible_text(r.text)
    assert record(client).archived_at is None and version(client) == start + 2
    assert all(public_presence(client, choir).values())
    (entry,) = audit(client, "restore")
    assert entry.changes == [{"field": "archived", "before": True, "after": False}]
    # No delete anywhere in the curators' pages: nothing to post it to.
    assert not [p for m, p in beheer_routes(client.app) if m == "DELETE"]  # type: ignore[arg-type]
    assert "verwijder" not in curator.get(f"/beheer/aanbod/{choir.id}").text.lower()


def test_the_list_finds_by_name_or_municipality_and_pages(sqlite_client: TestClient) -> None:
    client = sqlite_client
    curator = logged_in(client, CURATOR)
    page = visible_text(curator.get("/beheer/aanbod", params={"q": "gent"}).text)
    assert "2 initiatieven in het aanbod." in page
    assert CHOIR in page and "Wandelclub Tweede" in page and "Mindful Leuven" not in page
    page = visible_text(curator.get("/beheer/aanbod", params={"q": "100%_x"}).text)
    assert "Geen initiatieven gevonden." in page
    assert curator.get("/beheer/aanbod?pagina=x&gearchiveerd=zz").status_code == 200
    assert 'href="/beheer/aanbod"' in curator.get("/beheer").text


# --- the review queue -------------------------------------------------------------------


def test_a_claimed_registration_is_edited_then_published_as_edited(client: TestClient) -> None:
    token = token_of(client, "/aanbod/aanmelden")
    client.post("/aanbod/aanmelden", data={**GOOD, "csrf": token})
    with Session(engine_of(client)) as session:
        (sub,) = session.exec(select(Submission)).all()
    curator = logged_in(client, CURATOR)
    token = token_of(curator, "/beheer")
    base = f"/beheer/aanmeldingen/{sub.id}"
    # Not claimed yet: no form.
    assert curator.get(f"{base}/bewerken", follow_redirects=False).status_code == 303
    curator.post(f"{base}/oppakken", data={"csrf": token})
    assert f'href="{base}/bewerken"' in curator.get(base).text
    data = form_fields(curator.get(f"{base}/bewerken").text)
    r = curator.post(f"{base}/bewerken", data={**data, "name": "", "goal": "Nieuw doel"})
    assert r.status_code == 400
    assert "Vul de naam van het initiatief in." in visible_text(r.text)
    assert ">Nieuw doel</textarea>" in r.text
    r = curator.post(
        f"{base}/bewerken",
        data={**data, "name": "Praatcafé De Proefbrug", "elements": ["meeting"]},
    )
    assert "Uw wijzigingen zijn bewaard" in visible_text(r.text)
    (entry,) = audit(client, "submission_edit")
    assert entry.changes == [
        {"field": "name", "before": NAME, "after": "Praatcafé De Proefbrug"},
        {"field": "elements", "before": ["meeting", "social_activities"], "after": ["meeting"]},
    ]
    # A stale form (the data changed since it was opened) is refused.
    r = curator.post(f"{base}/bewerken", data={**data, "name": "Nog een naam"})
    assert r.status_code == 409
    curator.post(f"{base}/goedkeuren", data={"csrf": token})
    with Session(engine_of(client)) as session:
        (sub,) = session.exec(select(Submission)).all()
        assert sub.status == Status.APPROVED
        published = session.get(Initiative, sub.initiative_id)
        assert published is not None
        assert (published.name, published.elements) == ("Praatcafé De Proefbrug", ["meeting"])


# --- who gets in -----------------------------------------------------------------------


def test_the_new_routes_refuse_anonymous_and_deactivated_users(sqlite_client: TestClient) -> None:
    client = sqlite_client
    choir = record(client)
    mine = [
        (m, p)
        for m, p in beheer_routes(client.app)  # type: ignore[arg-type]
        if p.startswith("/beheer/aanbod") or p.endswith("/bewerken")
    ]
    assert len(mine) == 9
    curator = logged_in(client, CURATOR)
    token = token_of(curator, "/beheer")
    with Session(engine_of(client)) as session:
        user = session.exec(select(CuratorUser)).one()
        set_active(session, user, False, by=None)
    anonymous = TestClient(client.app, raise_server_exceptions=False)  # type: ignore[arg-type]
    for who in (anonymous, curator):
        for method, path in mine:
            concrete = re.sub(r"\{[^}]+\}", str(choir.id), path)
            data = {"csrf": token, "reason": "x", "name": "x"}
            r = (
                who.get(concrete, follow_redirects=False)
                if method == "GET"
                else who.post(concrete, data=data, follow_redirects=False)
            )
            assert r.status_code == 303, (method, path)
            assert r.headers["location"].startswith("/beheer/login")
            assert CHOIR not in r.text
    assert record(client).archived_at is None and not audit(client, "edit")
