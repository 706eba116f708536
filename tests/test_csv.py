"""CSV exchange: round trip, all-or-nothing, errors that name row, column and value."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.catalogue.csvio import (
    ALL_COLUMNS,
    COLUMNS,
    CsvImportError,
    export_initiatives,
    import_initiatives,
    parse_csv,
    parse_records,
)
from app.catalogue.models import Initiative
from app.core.db import init_db, make_engine
from tests.conftest import CATALOGUE_CSV, run_app, sqlite_url

HEADER = ",".join(COLUMNS)
HEADER_V11 = ",".join(ALL_COLUMNS)


@pytest.fixture
def session(tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'c.db'}")
    init_db(engine)
    with Session(engine) as s:
        yield s


def test_shipped_catalogue_is_valid_and_complete() -> None:
    items = parse_csv(CATALOGUE_CSV.read_text(encoding="utf-8"))
    assert len(items) == 19
    for item in items:
        assert item.description and item.elements and item.age_groups
        assert item.prevention_levels and item.geographic_level and item.primary_actor


def test_round_trip(session: Session) -> None:
    text = CATALOGUE_CSV.read_text(encoding="utf-8")
    result = import_initiatives(session, text)
    assert result.created == 19
    out = io.StringIO()
    assert export_initiatives(session, out) == 19
    assert parse_csv(out.getvalue()) == parse_csv(text)


def test_reimport_updates_instead_of_duplicating(session: Session) -> None:
    text = CATALOGUE_CSV.read_text(encoding="utf-8")
    import_initiatives(session, text)
    again = import_initiatives(session, text)
    assert (again.created, again.updated) == (0, 19)
    assert len(session.exec(select(Initiative)).all()) == 19


def test_replace(session: Session) -> None:
    import_initiatives(session, CATALOGUE_CSV.read_text(encoding="utf-8"))
    result = import_initiatives(session, f"{HEADER}\nOnly one" + "," * 17 + "\n", replace=True)
    assert (result.archived, result.created) == (19, 1)
    # The others are archived, not deleted.
    rows = session.exec(select(Initiative)).all()
    assert [i.name for i in rows if i.archived_at is None] == ["Only one"]
    assert len(rows) == 20


def _row(**values: str) -> str:
    return ",".join(values.get(c, "") for c in COLUMNS)


def _row11(**values: str) -> str:
    cells = (values.get(c, "") for c in ALL_COLUMNS)
    return ",".join(f'"{v}"' if "," in v else v for v in cells)


REFERRAL = {
    "phone": "+32 9 123 45 67",
    "email": "info@buurtwerk.be",
    "address": "Kerkstraat 1, 9000 Gent",
    "last_verified": "2026-01-05",
}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"{HEADER},colour\n", "unknown column(s): 'colour'"),
        ("description,goal\n", "required column 'name' is missing"),
        (
            f"{HEADER}\n{_row(name='A', elements='meeting;meetin')}\n",
            "row 2, column 'elements': unknown value 'meetin'",
        ),
        (
            f"{HEADER}\n{_row(name='A')}\n{_row(name='B', age_groups='elderly')}\n",
            "row 3, column 'age_groups': unknown value 'elderly'",
        ),
        (
            f"{HEADER}\n{_row(name='A', effect_ladder='5')}\n",
            "row 2, column 'effect_ladder': unknown value '5'",
        ),
        (f"{HEADER}\n{_row(description='no name')}\n", "row 2, column 'name': a name is required"),
        (f"{HEADER}\nA,b\n", "row 2: expected 18 cells, found 2"),
        (f"{HEADER}\n{_row(name='A', website='www.x.be')}\n", "column 'website'"),
        ("", "the file is empty"),
    ],
)
def test_errors_name_row_column_value(text: str, message: str) -> None:
    with pytest.raises(CsvImportError) as exc:
        parse_csv(text)
    assert any(message in e for e in exc.value.errors), exc.value.errors


def test_round_trip_with_referral_columns(session: Session) -> None:
    text = f"{HEADER_V11}\n{_row11(name='A', elements='meeting', **REFERRAL)}\n{_row11(name='B')}\n"
    import_initiatives(session, text)
    a = session.exec(select(Initiative).where(Initiative.name == "A")).one()
    assert (a.phone, a.email, a.address) == (
        "+32 9 123 45 67",
        "info@buurtwerk.be",
        REFERRAL["address"],
    )
    assert a.last_verified == date(2026, 1, 5)
    out = io.StringIO()
    export_initiatives(session, out)
    lines = out.getvalue().splitlines()
    # The new columns come after the v1 ones.
    assert (*COLUMNS, "phone", "email", "address", "last_verified") == ALL_COLUMNS
    assert lines[0] == HEADER_V11 and lines[0].startswith(HEADER + ",")
    # A leading + would start a formula in a spreadsheet: the export puts a quote before it.
    assert lines[1].endswith(
        ',\'+32 9 123 45 67,info@buurtwerk.be,"Kerkstraat 1, 9000 Gent",2026-01-05'
    )
    assert lines[2].endswith(",,,,")
    assert parse_csv(out.getvalue()) == parse_csv(text)


def test_v1_file_imports_and_keeps_referral_details_on_update(session: Session) -> None:
    import_initiatives(
        session, f"{HEADER_V11}\n{_row11(name='A', municipality='Gent', **REFERRAL)}\n"
    )
    again = import_initiatives(
        session, f"{HEADER}\n{_row(name='A', municipality='Gent', goal='Nieuw doel')}\n"
    )
    assert (again.created, again.updated) == (0, 1)
    a = session.exec(select(Initiative)).one()
    assert a.goal == "Nieuw doel"
    assert (a.phone, a.last_verified) == (REFERRAL["phone"], date(2026, 1, 5))
    # A file that has the column but leaves it empty does clear it.
    import_initiatives(session, "name,municipality,phone\nA,Gent,\n")
    session.refresh(a)
    assert a.phone is None and a.email == REFERRAL["email"]


def test_records_carry_referral_details() -> None:
    (record,) = parse_records(f"{HEADER_V11}\n{_row11(name='A', **REFERRAL)}\n")
    assert (record.phone, record.email, record.address, record.last_verified) == (
        REFERRAL["phone"],
        REFERRAL["email"],
        REFERRAL["address"],
        date(2026, 1, 5),
    )


@pytest.mark.parametrize(
    "phone", ["09 123 45 67", "+32 (0)9 123.45.67", "09/123-45-67", "106", "0032 9 123 45 67"]
)
def test_good_phone_numbers(phone: str) -> None:
    (item,) = parse_csv(f"name,phone\nA,{phone}\n")
    assert item.phone == phone


TOMORROW_EVERYWHERE = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("phone", "bel ons", "'bel ons' is not a phone number"),
        ("phone", "0-1", "'0-1' is not a phone number"),
        ("phone", "+32 9 123 45 67 of 0470 12 34 56", "'+32 9 123 45 67 of 0470 12 34 56'"),
        ("phone", "1" * 41, "longer than 40 characters"),
        ("email", "info@buurtwerk", "'info@buurtwerk' is not an e-mail address"),
        ("email", "info buurtwerk.be", "'info buurtwerk.be' is not an e-mail address"),
        ("email", "a@b@c.be", "'a@b@c.be' is not an e-mail address"),
        ("email", "x" * 196 + "@a.be", "longer than 200 characters"),
        ("address", "x" * 301, "longer than 300 characters"),
        ("last_verified", "31/02/2026", "'31/02/2026' is not a date written as YYYY-MM-DD"),
        ("last_verified", "2026-02-30", "'2026-02-30' is not a date written as YYYY-MM-DD"),
        ("last_verified", "20260105", "'20260105' is not a date written as YYYY-MM-DD"),
        ("last_verified", TOMORROW_EVERYWHERE, f"'{TOMORROW_EVERYWHERE}' lies in the future"),
    ],
)
def test_bad_referral_values_name_row_column_value(column: str, value: str, message: str) -> None:
    text = f"{HEADER_V11}\n{_row11(name='A')}\n{_row11(name='B', **{column: value})}\n"
    with pytest.raises(CsvImportError) as exc:
        parse_csv(text)
    (error,) = exc.value.errors
    assert error.startswith(f"row 3, column '{column}': ") and message in error
    (issue,) = exc.value.issues
    assert (issue.row, issue.column) == (3, column)


def test_today_is_not_in_the_future() -> None:
    today = datetime.now(UTC).date().isoformat()
    (item,) = parse_csv(f"name,last_verified\nA,{today}\n")
    assert item.last_verified is not None and item.last_verified.isoformat() == today


def test_referral_errors_in_dutch_on_the_upload_page(client: TestClient) -> None:
    bad = b"name,phone,email,last_verified\nA,bel ons,x@y,2026-13-01\n"
    r = client.post("/landschap/upload", files={"file": ("x.csv", bad, "text/csv")})
    assert r.status_code == 200
    assert "Rij 2, kolom ‘Telefoon’: ‘bel ons’ is geen telefoonnummer" in r.text
    assert "kolom ‘E-mail’: ‘x@y’ is geen e-mailadres" in r.text
    assert "‘2026-13-01’ is geen datum in de vorm JJJJ-MM-DD" in r.text


def test_api_gives_referral_details(client: TestClient) -> None:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    with Session(engine) as session:
        import_initiatives(session, f"{HEADER_V11}\n{_row11(name='Met contact', **REFERRAL)}\n")
    page = client.get("/api/v1/initiatives").json()
    item = next(i for i in page["items"] if i["name"] == "Met contact")
    assert {k: item[k] for k in REFERRAL} == REFERRAL
    other = next(i for i in page["items"] if i["name"] != "Met contact")
    assert all(other[k] is None for k in REFERRAL)
    one = client.get(f"/api/v1/initiatives/{item['id']}").json()
    assert one["last_verified"] == "2026-01-05"


def test_import_is_all_or_nothing(session: Session) -> None:
    import_initiatives(session, CATALOGUE_CSV.read_text(encoding="utf-8"))
    bad = f"{HEADER}\n{_row(name='Good')}\n{_row(name='Bad', dimensions='sadness')}\n"
    with pytest.raises(CsvImportError):
        import_initiatives(session, bad, replace=True)
    names = {i.name for i in session.exec(select(Initiative))}
    assert len(names) == 19 and "Good" not in names


def test_utf8_bom_and_quoted_cells() -> None:
    text = "\ufeff" + HEADER + "\n" + _row(name='"Eén, twee"', elements="meeting") + "\n"
    (item,) = parse_csv(text)
    assert item.name == "Eén, twee"


def test_cli_import_export(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    r = run_app("initiatives", "import", str(CATALOGUE_CSV), database_url=sqlite_url(db))
    assert r.returncode == 0, r.stderr
    assert "19 added" in r.stdout
    out = tmp_path / "out.csv"
    r = run_app("initiatives", "export", str(out), database_url=sqlite_url(db))
    assert r.returncode == 0, r.stderr
    assert parse_csv(out.read_text(encoding="utf-8")) == parse_csv(
        CATALOGUE_CSV.read_text(encoding="utf-8")
    )


def test_cli_reports_errors_and_imports_nothing(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    bad = tmp_path / "bad.csv"
    bad.write_text(f"{HEADER}\n{_row(name='A', primary_actor='mayor')}\n", encoding="utf-8")
    r = run_app("initiatives", "import", str(bad), database_url=sqlite_url(db))
    assert r.returncode == 1
    assert "row 2, column 'primary_actor': unknown value 'mayor'" in r.stderr
    assert "nothing was imported" in r.stderr
    assert "Traceback" not in r.stderr
    missing = run_app(
        "initiatives", "import", str(tmp_path / "nope.csv"), database_url=sqlite_url(db)
    )
    assert missing.returncode == 2 and "no such file" in missing.stderr


@pytest.mark.parametrize(
    "website",
    [
        "https://evil.example/ onmouseover=alert(1)",
        'https://evil.example/"onmouseover=alert(1)',
        "https://evil.example/'x",
        "https://evil.example/<script>",
        "https://evil.example/>",
        "javascript:alert(1)",
        "JAVASCRIPT://evil.example/%0aalert(1)",
        "data:text/html,x",
        "http://",
        "https://",
        "http:///pad",
        "http://localhost/",
        "http://intranet/",
        "http://127.0.0.1/",
        "http://user:pw@evil.example/",
        "http://evil.example:99999/",
        "http://evil..example/",
        "http://-evil.example/",
        "https://evil.example/\u200bgpj.exe",  # a bidi control would be stripped first
        "https://www.buurtwerk.be/\tx",
        "ftp://ftp.buurtwerk.be/",
        "https//www.buurtwerk.be",
        "www.buurtwerk.be",
        "https://www.buurtwerk.be/" + "x" * 480,
    ],
)
def test_bad_websites_name_row_column_value(website: str) -> None:
    text = f'name,website\nA,https://www.a.be\nB,"{website.replace(chr(34), chr(34) * 2)}"\n'
    with pytest.raises(CsvImportError) as exc:
        parse_csv(text)
    (issue,) = exc.value.issues
    assert (issue.row, issue.column) == (3, "website")
    assert issue.code in ("bad_website", "too_long")


@pytest.mark.parametrize(
    "website",
    [
        "https://www.buurtwerk.be",
        "http://buurtwerk.be/",
        "https://www.gent.be/welzijn/eenzaamheid?x=1&y=2#top",
        "https://www.vlaanderen.be:443/pad_met-tekens~en%20meer",
        "https://www.café-samen.be/één",
        "HTTPS://WWW.BUURTWERK.BE/",
    ],
)
def test_good_websites(website: str) -> None:
    (item,) = parse_csv(f"name,website\nA,{website}\n")
    assert item.website == website


@pytest.mark.parametrize(
    "email",
    [
        "info@localhost",
        "<info@buurtwerk.be>",
        '"info"@buurtwerk.be',
        "info@buurt\u200bwerk.be",
        "info@buurtwerk..be",
        "info@127.0.0.1",
        "info@buurtwerk.be>",
        "in fo@buurtwerk.be",
    ],
)
def test_bad_emails(email: str) -> None:
    text = f'name,email\nA,"{email.replace(chr(34), chr(34) * 2)}"\n'
    with pytest.raises(CsvImportError) as exc:
        parse_csv(text)
    (issue,) = exc.value.issues
    assert (issue.code, issue.row, issue.column) == ("bad_email", 2, "email")


@pytest.mark.parametrize("email", ["info@buurtwerk.be", "jan.o'brien+eenzaam@gent.be"])
def test_good_emails(email: str) -> None:
    (item,) = parse_csv(f"name,email\nA,{email}\n")
    assert item.email == email


def test_website_errors_in_dutch_on_the_upload_page(client: TestClient) -> None:
    bad = b'name,website\nA,"https://evil.example/ onmouseover=alert(1)"\n'
    r = client.post("/landschap/upload", files={"file": ("x.csv", bad, "text/csv")})
    assert r.status_code == 200
    assert "Rij 2, kolom ‘Website’: " in r.text
    assert "is geen webadres dat met http:// of https:// begint" in r.text
    assert "onmouseover=alert(1)’" in r.text  # shown as text, escaped
    assert '<a href="https://evil.example' not in r.text


BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
C0 = "".join(chr(c) for c in range(0x20) if chr(c) not in "\t\n\r") + "\x7f"


def test_bidi_and_control_characters_are_stripped_from_every_text_cell() -> None:
    dirty = {
        "name": f"Buurt{BIDI}werk{C0}",
        "description": f"Eerste regel{BIDI}\r\ntweede\tregel{C0}",
        "goal": "\u202eDoel",
        "municipality": "Ge\x00nt\u200f",
        "partners": "OCMW\u2066; CAW\u2069",
        "evaluation": "\x1bgoed",
        "phone": "\u202d09 123 45 67",
        "email": "info@buurt\u200ewerk.be",
        "address": "Kerk\x00straat 1",
        "website": "https://www.buurtwerk\u202e.be",
        "elements": "meeting\u200e",
        "last_verified": "2026-01-05\x00",
    }
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([list(dirty), list(dirty.values())])
    (item,) = parse_csv(out.getvalue())
    assert item.name == "Buurtwerk"
    assert item.description == "Eerste regel\ntweede\tregel"
    assert (item.goal, item.municipality, item.partners) == ("Doel", "Gent", "OCMW; CAW")
    assert (item.evaluation, item.phone, item.email) == (
        "goed",
        "09 123 45 67",
        "info@buurtwerk.be",
    )
    assert (item.address, item.website) == ("Kerkstraat 1", "https://www.buurtwerk.be")
    assert item.elements == ["meeting"] and item.last_verified == date(2026, 1, 5)


def test_cli_import_strips_a_nul_byte_without_a_traceback(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    nul = tmp_path / "nul.csv"
    nul.write_bytes(
        b"name,municipality,description\nA\x00B,Gent,een\x00 \xe2\x80\xaeomschrijving\n"
    )
    r = run_app("initiatives", "import", str(nul), database_url=sqlite_url(db))
    assert "Traceback" not in r.stderr
    assert r.returncode == 0, r.stderr
    engine = make_engine(f"sqlite:///{db}")
    with Session(engine) as s:
        (item,) = s.exec(select(Initiative)).all()
        assert (item.name, item.description) == ("AB", "een omschrijving")
    engine.dispose()
