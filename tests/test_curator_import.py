"""Issue 11, items 4 and 5: curators preview an import (CSV or HSDS), see every error by row
and column and every change, and confirm it all or nothing; they export the catalogue.

Runs on SQLite and, when a server answers, on PostgreSQL (the db_url fixture)."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from app.auth.models import AuditEntry
from app.catalogue import import_preview
from app.catalogue.csvio import import_initiatives
from app.catalogue.freshness import today_in_belgium
from app.catalogue.models import Initiative
from app.catalogue.pending_imports import PendingImport
from app.catalogue.version import read_version
from app.main import create_app
from app.web.dates import long_date
from tests import test_curators
from tests.test_curators import (
    ADMIN,
    CURATOR,
    Site,
    logged_in,
    make_settings,
    token_of,
    visible_text,
)

# The curator tests' fixtures: a fresh database (SQLite, and PostgreSQL when a server
# answers), cheap password hashing, and the app with an admin and a curator.
db_url = test_curators.db_url
cheap_hashing = test_curators.cheap_hashing
site = test_curators.site

HEADER = "name,municipality,website,email,elements,last_verified"
BASE = (
    f"{HEADER}\n"
    "Buurtkoor Zingen,Gent,https://koor.example.be,,meeting,2025-01-10\n"
    "Wandelclub Samen,Leuven,,info@wandel.example.be,,\n"
    "Praatcafé,Brugge,,,meeting;leisure,\n"
)
PENDING = re.compile(r'name="voorbeeld" value="([^"]+)"')


@pytest.fixture
def curator(site: Site) -> Iterator[TestClient]:
    with Session(site.app.state.engine) as session:
        import_initiatives(session, BASE)
    yield logged_in(site.client, CURATOR)


def upload(
    client: TestClient, content: str | bytes, name: str = "lijst.csv", replace: bool = False
) -> Response:
    token = token_of(client, "/beheer/import")
    data = content.encode("utf-8") if isinstance(content, str) else content
    return client.post(
        "/beheer/import",
        data={"csrf": token, "vervang": "ja" if replace else "nee"},
        files={"bestand": (name, data, "application/octet-stream")},
    )


def confirm(client: TestClient, preview: Response) -> Response:
    match = PENDING.search(preview.text)
    assert match, visible_text(preview.text)
    return client.post(
        "/beheer/import/bevestig",
        data={"csrf": token_of(client, "/beheer/import"), "voorbeeld": html.unescape(match[1])},
    )


def counts(page: str) -> dict[str, int]:
    """The preview's counts, as the page shows them."""
    found = re.findall(r"<dt>([^<]+)</dt><dd>(\d+)</dd>", page)
    return {html.unescape(k): int(v) for k, v in found}


def catalogue(site: Site) -> dict[str, Initiative]:
    with Session(site.app.state.engine) as session:
        return {r.name: r for r in session.exec(select(Initiative)).all()}


def error_rows(page: str) -> list[tuple[str, str, str]]:
    body = page.split('class="data import-errors"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>", body, re.S)
    return [tuple(visible_text(c) for c in row) for row in rows]  # type: ignore[misc]


BAD = (
    "naam,gemeente,website,email,elements,last_verified\n"
    "Goed initiatief,Gent,,,meeting,\n"
    "Fout element,Gent,,,meeting;vliegen,\n"  # row 3: unknown id in a list column
    "Foute datum,Gent,,,,31/02/2024\n"  # row 4: bad date
    "Foute site,Gent,javascript:alert(1),,,\n"  # row 5: bad URL
    "Foute mail,Gent,,geen-adres,,\n"  # row 6: bad e-mail
    ",Gent,https://x.example.be,,,\n"  # row 7: missing name
    "Goed initiatief,gent,,,,\n"  # row 8: duplicate of row 2
)


def test_preview_lists_every_error_by_row_and_column_and_writes_nothing(
    site: Site, curator: TestClient
) -> None:
    before = catalogue(site)
    with site.app.state.engine.connect() as conn:
        version = read_version(conn)
    r = upload(curator, BAD)
    assert r.status_code == 200
    text = visible_text(r.text)
    assert "Het bestand heeft 6 fouten. Er wordt niets geïmporteerd." in text
    rows = error_rows(r.text)
    assert [(row, column) for row, column, _msg in rows] == [
        ("3", "elements"),
        ("4", "last_verified"),
        ("5", "website"),
        ("6", "email"),
        ("7", "naam"),
        ("8", "naam"),
    ]
    messages = [m for _r, _c, m in rows]
    assert "‘vliegen’ is geen gekende waarde" in messages[0]
    assert "‘31/02/2024’ is geen datum" in messages[1]
    assert "‘javascript:alert(1)’ is geen webadres" in messages[2]
    assert "‘geen-adres’ is geen e-mailadres" in messages[3]
    assert "een naam is verplicht" in messages[4]
    assert "staat al op rij 2" in messages[5]
    # No way to confirm, and nothing written.
    assert 'action="/beheer/import/bevestig"' not in r.text
    assert catalogue(site).keys() == before.keys()
    with site.app.state.engine.connect() as conn:
        assert read_version(conn) == version
    with site.session() as session:  # no upload kept for a confirmation that cannot come
        assert session.exec(select(PendingImport)).all() == []


UNREADABLE = {
    "empty": (b"", "Het bestand is leeg"),
    "header only": (b"name,municipality\n", "geen enkel initiatief"),
    "wrong delimiter": (
        b"name|municipality\nA|Gent\n",
        "onbekende kolom(men): ‘name|municipality’",
    ),
    "cp1252": ("name,municipality\nCafé,Gent\n".encode("cp1252"), "geen UTF-8-tekst"),
    "unknown column": (b"name,stad\nA,Gent\n", "onbekende kolom(men): ‘stad’"),
    "cell count": (b"name,municipality\nA,Gent,extra\n", "2 cellen verwacht, 3 gevonden"),
    "xlsx": (b"PK\x03\x04 not really a workbook", "Dit is een rekenblad, geen CSV-bestand."),
}


def test_a_file_that_cannot_be_read_says_why(curator: TestClient) -> None:
    # One test for all cases: each needs only a page, not a database of its own.
    for case, (content, expected) in UNREADABLE.items():
        r = upload(curator, content, name="spreadsheet.xlsx" if case == "xlsx" else "a.csv")
        assert r.status_code == 200, case
        assert expected in visible_text(r.text), case
        assert 'action="/beheer/import/bevestig"' not in r.text, case


def test_a_long_list_of_errors_is_cut_short(curator: TestClient) -> None:
    rows = "".join("Dubbel,Gent,,,,\n" for _ in range(400))
    r = upload(curator, f"{HEADER}\n{rows}")
    assert len(error_rows(r.text)) == import_preview.MAX_PROBLEMS + 1
    assert "Gestopt na 200 fouten." in visible_text(r.text)


def test_too_many_rows_are_refused(curator: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(import_preview, "MAX_ROWS", 2)
    r = upload(curator, BASE)
    assert "Het bestand telt 3 initiatieven; een import neemt er hoogstens" in visible_text(r.text)
    assert 'action="/beheer/import/bevestig"' not in r.text


def test_a_clean_file_shows_new_changed_unchanged_and_applies_exactly_that(
    site: Site, curator: TestClient
) -> None:
    new = (
        f"{HEADER}\n"
        "Buurtkoor Zingen,Gent,https://koor.example.be,,meeting;leisure,2025-01-10\n"
        "Wandelclub Samen,Leuven,,info@wandel.example.be,,\n"
        "Nieuw Initiatief,Aalst,,,,\n"
    )
    r = upload(curator, new, name="nieuw.csv")
    assert r.status_code == 200
    shown = counts(r.text)
    assert shown == {"Nieuw": 1, "Gewijzigd": 1, "Teruggezet uit het archief": 0, "Ongewijzigd": 1}
    assert sum(shown.values()) == 3  # every row of the file, once
    text = visible_text(r.text)
    assert "Buurtkoor Zingen · Gent (rij 2)" in text
    assert "Elementen meeting meeting; leisure" in text or "meeting meeting; leisure" in text
    assert "Nieuw Initiatief" not in catalogue(site)
    done = confirm(curator, r)
    assert done.status_code == 200, visible_text(done.text)
    assert "nieuw.csv is geïmporteerd" in visible_text(done.text)
    rows = catalogue(site)
    assert rows["Buurtkoor Zingen"].elements == ["meeting", "leisure"]
    assert "Nieuw Initiatief" in rows and "Praatcafé" in rows  # not in the file, kept
    # The same file again: nothing left to change.
    again = counts(upload(curator, new).text)
    assert again == {"Nieuw": 0, "Gewijzigd": 0, "Teruggezet uit het archief": 0, "Ongewijzigd": 3}
    # One audit entry for the import, one per changed or new record.
    with Session(site.app.state.engine) as session:
        entries = session.exec(
            select(AuditEntry).where(col(AuditEntry.action).like("import%"))
        ).all()
    actions = sorted(e.action for e in entries)
    assert actions == ["import", "import_changed", "import_new"]
    (summary,) = [e for e in entries if e.action == "import"]
    assert {"field": "file", "before": None, "after": "nieuw.csv"} in summary.changes
    assert {"field": "new", "before": None, "after": 1} in summary.changes
    log = visible_text(curator.get("/beheer/audit").text)
    assert "Import · Import" in log and "Bestand – nieuw.csv" in log and "Nieuw – 1" in log
    imports = visible_text(curator.get("/beheer/audit?tabel=import&record=0").text)
    assert "1 wijziging." in imports and "nieuw.csv" in imports
    (changed,) = [e for e in entries if e.action == "import_changed"]
    assert changed.record_id == rows["Buurtkoor Zingen"].id
    assert changed.changes == [
        {"field": "elements", "before": ["meeting"], "after": ["meeting", "leisure"]}
    ]
    # The advice and the landscape use the new data at once (this worker has reloaded).
    assert any(rec.name == "Nieuw Initiatief" for rec in site.app.state.catalogue.get())
    found = site.client.get("/aanbod", params={"q": "Nieuw Initiatief"})
    assert "Nieuw Initiatief" in visible_text(found.text)
    landscape = site.client.get("/api/v1/landscape").json()
    assert landscape["n"] == sum(1 for r in rows.values() if r.archived_at is None)


def test_replace_archives_what_is_absent_and_a_later_import_restores_it(
    site: Site, curator: TestClient
) -> None:
    only_one = f"{HEADER}\nBuurtkoor Zingen,Gent,https://koor.example.be,,meeting,2025-01-10\n"
    r = upload(curator, only_one, replace=True)
    shown = counts(r.text)
    assert shown["Naar het archief (niet in het bestand)"] == len(catalogue(site)) - 1
    assert "Wandelclub Samen" in visible_text(r.text)
    assert confirm(curator, r).status_code == 200
    rows = catalogue(site)
    assert len(rows) > 3  # nothing deleted
    assert rows["Wandelclub Samen"].archived_at is not None
    assert rows["Buurtkoor Zingen"].archived_at is None
    assert all(rec.name != "Wandelclub Samen" for rec in site.app.state.catalogue.get())
    # A row of an archived record brings it back ("teruggezet").
    back = f"{HEADER}\nWandelclub Samen,Leuven,,info@wandel.example.be,,\n"
    r = upload(curator, back)
    assert counts(r.text)["Teruggezet uit het archief"] == 1
    assert "Wandelclub Samen · Leuven (rij 2)" in visible_text(r.text)
    assert confirm(curator, r).status_code == 200
    assert catalogue(site)["Wandelclub Samen"].archived_at is None
    assert any(rec.name == "Wandelclub Samen" for rec in site.app.state.catalogue.get())


def test_a_stale_preview_is_refused(site: Site, curator: TestClient) -> None:
    r = upload(curator, f"{HEADER}\nNieuw,Gent,,,,\n")
    # Someone else changes the catalogue meanwhile.
    with Session(site.app.state.engine) as session:
        import_initiatives(session, f"{HEADER}\nIets anders,Gent,,,,\n")
    refused = confirm(curator, r)
    assert refused.status_code == 409
    assert "De catalogus is gewijzigd sinds dit voorbeeld" in visible_text(refused.text)
    assert "Nieuw" not in catalogue(site)
    # A token of another session, or a made-up one, is refused too.
    other = logged_in(site.other_client(), ADMIN)
    r = upload(curator, f"{HEADER}\nNieuw,Gent,,,,\n")
    refused = confirm(other, r)
    assert refused.status_code == 400
    assert "Dit voorbeeld is verlopen of hoort niet bij uw aanmelding" in visible_text(refused.text)
    assert "Nieuw" not in catalogue(site)


def test_apply_is_all_or_nothing(
    site: Site, curator: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = {n: (r.elements, r.archived_at) for n, r in catalogue(site).items()}
    r = upload(curator, f"{HEADER}\nBuurtkoor Zingen,Gent,,,leisure,\nNieuw,Gent,,,,\n")

    def broken(*_args: object, **_kwargs: object) -> None:
        raise OperationalError("INSERT INTO audit_entry", None, Exception("disk full"))

    # The rows are written, then the audit fails: the rows must go too.
    monkeypatch.setattr(import_preview, "_audit", broken)
    failed = confirm(curator, r)
    assert failed.status_code == 409
    assert "De databank weigerde de import; er werd niets veranderd." in visible_text(failed.text)
    after = {n: (r.elements, r.archived_at) for n, r in catalogue(site).items()}
    assert after == before
    with Session(site.app.state.engine) as session:
        assert not session.exec(select(AuditEntry).where(AuditEntry.action == "import")).all()


def test_hsds_round_trip_previews_all_unchanged(site: Site, curator: TestClient) -> None:
    total = sum(1 for r in catalogue(site).values() if r.archived_at is None)
    exported = curator.get("/beheer/export/hsds.json")
    assert exported.status_code == 200
    assert len(json.loads(exported.text)) == total
    r = upload(curator, exported.content, name="hsds.json")
    assert counts(r.text) == {
        "Nieuw": 0,
        "Gewijzigd": 0,
        "Teruggezet uit het archief": 0,
        "Ongewijzigd": total,
    }, visible_text(r.text)
    packed = curator.get("/beheer/export/hsds.zip")
    assert packed.status_code == 200 and packed.content[:2] == b"PK"
    r = upload(curator, packed.content, name="hsds.zip")
    assert counts(r.text)["Ongewijzigd"] == total, visible_text(r.text)


def test_hsds_problems_are_named_by_record_and_field(curator: TestClient) -> None:
    services = [
        {"id": "a", "name": "Goede dienst", "attributes": []},
        {
            "id": "b",
            "name": "Rare dienst",
            "attributes": [{"id": "x", "taxonomy_term": {"code": "onbekend:term"}}],
        },
        {"id": "c", "name": "", "url": "https://geen-naam.example.be"},
    ]
    r = upload(curator, json.dumps(services), name="diensten.json")
    rows = error_rows(r.text)
    assert rows[0][0] == "nr. 2: Rare dienst"
    assert rows[0][1] == "attributes.taxonomy_term_id"
    assert "Onbekende taxonomieterm ‘onbekend:term’" in rows[0][2]
    assert rows[1][0].startswith("nr. 3") and rows[1][1] == "name"
    assert "een naam is verplicht" in rows[1][2]
    assert 'action="/beheer/import/bevestig"' not in r.text
    assert "geen HSDS-bestand" in visible_text(upload(curator, b"{nope", name="x.json").text)


def test_curator_exports_stream_the_catalogue_with_or_without_the_archive(
    site: Site, curator: TestClient
) -> None:
    with Session(site.app.state.engine) as session:
        row = session.exec(select(Initiative).where(Initiative.name == "Praatcafé")).one()
        row.archived_at = row.updated_at
        session.add(row)
        session.commit()
    page = visible_text(curator.get("/beheer/export").text)
    assert "1 gearchiveerde" in page
    active = curator.get("/beheer/export/initiatieven.csv").text
    archive = curator.get("/beheer/export/initiatieven.csv?scope=archief").text
    both = curator.get("/beheer/export/initiatieven.csv?scope=alles").text
    assert "Praatcafé" not in active and "Buurtkoor Zingen" in active
    assert archive.count("\n") == 2 and "Praatcafé" in archive
    assert len(both.splitlines()) == len(active.splitlines()) + 1
    assert io.StringIO(active).readline().startswith("name,description")
    # The curators' record search links to its export: the same words, the same records.
    assert (
        'href="/beheer/export/zoekresultaten.csv?q=buurt%20gent"'
        in curator.get("/beheer/aanbod?q=buurt+gent").text
    )
    # Exported: the same words, the same records.
    found = curator.get("/beheer/export/zoekresultaten.csv?q=buurt gent").text
    assert "Buurtkoor Zingen" in found and "Wandelclub" not in found
    archived = curator.get("/beheer/export/zoekresultaten.csv?q=praat&gearchiveerd=1").text
    assert "Praatcafé" in archived
    # Anonymous users get none of it.
    anonymous = site.other_client()
    for path in ("/beheer/export/initiatieven.csv", "/beheer/export/hsds.json", "/beheer/import"):
        assert anonymous.get(path, follow_redirects=False).status_code == 303


def test_the_confirmation_may_reach_another_app_container(
    site: Site, curator: TestClient, db_url: str, tmp_path: Path
) -> None:
    """Behind the proxy of docker-compose.yml, preview and confirmation may be answered by
    two containers with their own disks: the upload waits in the shared database."""
    r = upload(curator, f"{HEADER}\nNieuw uit de andere container,Gent,,,,\n")
    other_app = create_app(make_settings(db_url, tmp_path / "app2"))
    with TestClient(other_app, raise_server_exceptions=False) as other:
        other.cookies = curator.cookies  # the same browser, sent elsewhere by the proxy
        done = confirm(other, r)
    other_app.state.engine.dispose()
    assert done.status_code == 200, visible_text(done.text)
    assert "Nieuw uit de andere container" in catalogue(site)
    with site.session() as session:  # applied uploads are not kept
        assert session.exec(select(PendingImport)).all() == []


def test_an_older_export_imported_again_keeps_the_newer_verification_dates(
    site: Site, curator: TestClient
) -> None:
    # Last month's export, as the curator downloaded it.
    old_export = curator.get("/beheer/export/initiatieven.csv").text
    rows = catalogue(site)
    token = token_of(curator, "/beheer/nagekeken")
    for name in ("Buurtkoor Zingen", "Wandelclub Samen"):
        curator.post(f"/beheer/nagekeken/{rows[name].id}", data={"csrf": token, "pagina": "1"})
    today = today_in_belgium()
    assert catalogue(site)["Buurtkoor Zingen"].last_verified == today
    # The old file, with one real change and one date that is later than the stored none.
    lines = list(csv.DictReader(io.StringIO(old_export)))
    last_week = today - timedelta(days=7)
    for line in lines:
        if line["name"] == "Buurtkoor Zingen":
            line["elements"] = "meeting;leisure"
        if line["name"] == "Praatcafé":
            line["last_verified"] = last_week.isoformat()
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(lines[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(lines)
    r = upload(curator, out.getvalue(), name="vorige-maand.csv")
    assert r.status_code == 200
    assert counts(r.text)["Gewijzigd"] == 2, visible_text(r.text)
    text = visible_text(r.text)
    assert "Recentere datum ‘Laatst nagekeken’ behouden: 2" in text
    assert (
        f"Laatst nagekeken: blijft {long_date(today)} (het bestand geeft "
        f"{long_date(date(2025, 1, 10))})." in text
    )
    assert f"Laatst nagekeken: blijft {long_date(today)} (het bestand geeft geen datum)." in text
    # The changes listed: Buurtkoor's elements, not its date; Praatcafé's later date.
    changed = text.split("Gewijzigd: 2", 1)[1]
    buurtkoor = changed.split("Buurtkoor Zingen · Gent (rij", 1)[1].split("Praatcafé", 1)[0]
    assert "Werkzame elementen meeting meeting; leisure" in buurtkoor
    assert "Laatst nagekeken" not in buurtkoor
    done = confirm(curator, r)
    assert done.status_code == 200, visible_text(done.text)
    assert "2 initiatieven hielden hun recentere datum ‘Laatst nagekeken’" in visible_text(
        done.text
    )
    after = catalogue(site)
    assert after["Buurtkoor Zingen"].last_verified == today
    assert after["Buurtkoor Zingen"].elements == ["meeting", "leisure"]
    assert after["Wandelclub Samen"].last_verified == today
    assert after["Praatcafé"].last_verified == last_week
    # The audit log holds what changed: no date went back.
    with Session(site.app.state.engine) as session:
        entries = session.exec(
            select(AuditEntry).where(AuditEntry.action == "import_changed")
        ).all()
    changes = {e.record_id: e.changes for e in entries}
    assert changes == {
        after["Buurtkoor Zingen"].id: [
            {"field": "elements", "before": ["meeting"], "after": ["meeting", "leisure"]}
        ],
        after["Praatcafé"].id: [
            {"field": "last_verified", "before": None, "after": last_week.isoformat()}
        ],
    }
