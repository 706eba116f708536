"""Issue 11, the curator journey's rough edges found by walking it: a stale record says so
on its own page and can be confirmed there; the stale list links to each record; the
audit log's change tables have names of their own (axe: landmark-unique)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.dates import format_date
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.catalogue.csvio import import_initiatives
from app.catalogue.freshness import today_in_belgium
from app.catalogue.submissions import Submission, clean_fields, create_submission
from tests.test_curator_records import CATALOGUE, CHOIR, engine_of, record, running
from tests.test_curators import (
    CURATOR,
    cheap_hashing,  # noqa: F401  (fixture)
    logged_in,
    token_of,
    visible_text,
)
from tests.test_registration import GOOD

FRESH = "Wandelclub Tweede"  # never verified in the fixture: stale too


@pytest.fixture
def curator(tmp_path: Path, cheap_hashing: None) -> Iterator[TestClient]:  # noqa: F811
    with running(f"sqlite:///{tmp_path / 'polish.db'}", tmp_path) as client:
        yield logged_in(client, CURATOR)


def test_a_stale_record_says_so_and_is_confirmed_on_its_own_page(curator: TestClient) -> None:
    choir = record(curator)
    page = curator.get(f"/beheer/aanbod/{choir.id}")
    assert "Laatst nagekeken 1 juni 2025 · niet recent nagekeken" in visible_text(page.text)
    token = token_of(curator, f"/beheer/aanbod/{choir.id}")
    done = curator.post(
        f"/beheer/nagekeken/{choir.id}", data={"csrf": token, "pagina": "1", "terug": "record"}
    )
    assert done.url.path == f"/beheer/aanbod/{choir.id}"
    text = visible_text(done.text)
    assert "Het initiatief is nagekeken: vandaag bevestigd." in text
    assert f"Laatst nagekeken {format_date(today_in_belgium(), format='long', locale='nl')}" in text
    assert "niet recent nagekeken" not in text
    assert f'action="/beheer/nagekeken/{choir.id}"' not in done.text
    assert record(curator).last_verified == today_in_belgium()
    # From the list, the curator still goes back to the list.
    other = record(curator, FRESH)
    back = curator.post(f"/beheer/nagekeken/{other.id}", data={"csrf": token, "pagina": "1"})
    assert back.url.path == "/beheer/nagekeken"


def test_the_stale_list_links_each_record_to_its_page(curator: TestClient) -> None:
    page = curator.get("/beheer/nagekeken").text
    choir = record(curator)
    assert re.search(rf'<h2 id="r-{choir.id}"><a href="/beheer/aanbod/{choir.id}">', page)


def test_each_change_table_in_the_audit_log_has_its_own_name(curator: TestClient) -> None:
    for name in (CHOIR, FRESH):
        row = record(curator, name)
        token = token_of(curator, "/beheer/nagekeken")
        curator.post(f"/beheer/nagekeken/{row.id}", data={"csrf": token, "pagina": "1"})
    labels = re.findall(r'role="region" aria-label="([^"]+)"', curator.get("/beheer/audit").text)
    assert len(labels) >= 2
    assert len(set(labels)) == len(labels), labels


def test_the_audit_log_names_each_initiative_and_leads_back_to_it(curator: TestClient) -> None:
    choir = record(curator)
    token = token_of(curator, "/beheer/nagekeken")
    curator.post(f"/beheer/nagekeken/{choir.id}", data={"csrf": token, "pagina": "1"})
    log = curator.get("/beheer/audit").text
    assert f'<a href="/beheer/aanbod/{choir.id}">{CHOIR}</a>' in log
    text = visible_text(log).replace("( ", "(").replace(" )", ")")  # tags became spaces
    assert f"Nagekeken · Initiatief {CHOIR} (nr. {choir.id})" in text
    own = curator.get(f"/beheer/audit?tabel=initiative&record={choir.id}").text
    assert re.search(rf'<a href="/beheer/aanbod/{choir.id}">Terug naar het initiatief</a>', own)
    # An archived record keeps its name in the log.
    token = token_of(curator, f"/beheer/aanbod/{choir.id}")
    archived = {"csrf": token, "reason": "Gestopt."}
    curator.post(f"/beheer/aanbod/{choir.id}/archiveren", data=archived)
    log = curator.get("/beheer/audit").text
    assert "Gearchiveerd · Initiatief" in visible_text(log) and f">{CHOIR}</a>" in log


def test_claims_and_decisions_on_registrations_read_as_words_in_the_audit_log(
    curator: TestClient,
) -> None:
    with Session(engine_of(curator)) as session:
        reference = create_submission(session, clean_fields(GOOD), None)
        sid = session.exec(select(Submission.id).where(Submission.reference == reference)).one()
    token = token_of(curator, f"/beheer/aanmeldingen/{sid}")
    curator.post(f"/beheer/aanmeldingen/{sid}/oppakken", data={"csrf": token})
    curator.post(f"/beheer/aanmeldingen/{sid}/afwijzen", data={"csrf": token, "reason": "Dubbel."})
    log = curator.get("/beheer/audit")
    text = visible_text(log.text).replace("( ", "(").replace(" )", ")")
    assert f"Aanmelding opgenomen · Aanmelding {reference} (nr. {sid})" in text
    assert "Opgepakt door – Cora Curator" in text
    assert f"Aanmelding afgewezen · Aanmelding {reference}" in text
    assert "Reden – Dubbel." in text
    assert f'<a href="/beheer/aanmeldingen/{sid}">{reference}</a>' in log.text
    assert "submission" not in text
    # The registration's own entries, by the filter its number links to.
    own = visible_text(curator.get(f"/beheer/audit?tabel=submission&record={sid}").text)
    assert "2 wijzigingen." in own


def test_an_approval_in_the_audit_log_lists_the_filled_fields_in_words(
    curator: TestClient,
) -> None:
    with Session(engine_of(curator)) as session:
        reference = create_submission(session, clean_fields(GOOD), None)
        sid = session.exec(select(Submission.id).where(Submission.reference == reference)).one()
    token = token_of(curator, f"/beheer/aanmeldingen/{sid}")
    curator.post(f"/beheer/aanmeldingen/{sid}/oppakken", data={"csrf": token})
    curator.post(f"/beheer/aanmeldingen/{sid}/goedkeuren", data={"csrf": token})
    entry = curator.get("/beheer/audit").text.split('<li class="card">')[1].split("</li>")[0]
    text = visible_text(entry)
    assert "Aanmelding goedgekeurd en gepubliceerd · Initiatief" in text
    assert "Werkzame elementen – Ontmoeten / sociaal contact, Sociale activiteiten" in text
    assert "Leeftijdsgroepen – Ouderen (60+)" in text
    assert "Geografisch niveau – Lokaal (gemeente of stad)" in text
    # Fields the registration left empty are not listed as "– → –".
    assert "– –" not in text
    assert "Telefoon – 09 123 45 67" in text
    assert "Evaluatie" not in text and "Risicofactoren" not in text


def test_the_record_list_flags_stale_records_and_pages_a_search_with_an_ampersand(
    curator: TestClient,
) -> None:
    token = token_of(curator, "/beheer/nagekeken")
    curator.post(f"/beheer/nagekeken/{record(curator).id}", data={"csrf": token, "pagina": "1"})
    cards = curator.get("/beheer/aanbod").text.split('<li class="card')[1:]
    flagged = {
        name: "niet recent nagekeken" in card
        for card in cards
        for name in (CHOIR, FRESH)
        if f">{name}</a>" in card
    }
    assert flagged == {CHOIR: False, FRESH: True}

    # Thirty that match the search and thirty that match only its first word.
    rows = "".join(
        f"Vraag {kind} {n},Gent,local,meeting,older,,,\n"
        for kind in ("& Aanbod", "en")
        for n in range(30)
    )
    with Session(engine_of(curator)) as session:
        import_initiatives(session, CATALOGUE + rows)
    first = curator.get("/beheer/aanbod", params={"q": "Vraag & Aanbod"}).text
    assert "30 initiatieven in het aanbod." in visible_text(first)
    link = re.search(r'href="([^"]+)" rel="next"', first)
    assert link is not None
    second = curator.get(html.unescape(link.group(1))).text
    assert "30 initiatieven in het aanbod." in visible_text(second)
    assert "Pagina 2 van 2" in visible_text(second)
