"""Issue 8 hardening: no 500s on odd input, no answers in logs, one-line start-up errors."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from pydantic import ValidationError
from sqlmodel import Session, select

from app.advice.knowledge import KnowledgeError, load_knowledge
from app.catalogue.models import SavedIntake
from app.core.config import REPO_ROOT
from app.domain.intake import Intake
from tests.conftest import run_app, sqlite_url

PERSON = {
    "age_group": "older",
    "problem_nature": "structural",
    "wants_contact": "false",
    "coping": "passive",
}
# An answer value that must never reach a log line or stderr.
SENTINEL = "Sentinelgem-7f3a"

SECURITY_HEADERS = {
    "content-security-policy": "frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


# The tests here only read, or write what no other test counts: they share one application
# and database. The one that counts the saved records takes a fresh one (fresh_client). The
# shared one's saves (a few) count towards one save limit (save_limit_per_client a minute).
@pytest.fixture
def client(shared_client: TestClient) -> TestClient:
    return shared_client


def _security_headers_present(headers: object) -> None:
    for name, part in SECURITY_HEADERS.items():
        assert part in headers[name]  # type: ignore[index]


# --- Defect 1: answers never reach the logs ----------------------------------------------


def _boom_with_answer(*_a: object, **_k: object) -> None:
    raise RuntimeError(f"failed on municipality={SENTINEL} crisis_signs=['suicidal_thoughts']")


def _real_validation_error(*_a: object, **_k: object) -> None:
    Intake.model_validate(
        {
            **PERSON,
            "wants_contact": False,
            "municipality": SENTINEL,
            # Three distinct signs, one unknown: repeated ones are now merged before
            # validation (issue 8, defect 9), so a repeat alone no longer fails.
            "crisis_signs": ["suicidal_thoughts", "acute_crisis", "suicidal_thoughts_now"],
        }
    )


@pytest.mark.parametrize("failure", [_boom_with_answer, _real_validation_error])
@pytest.mark.parametrize(
    ("module", "method", "url"),
    [
        ("app.web.result", "GET", "/advies"),
        ("app.api.routes.advice", "POST", "/api/v1/advice"),
    ],
)
def test_a_500_logs_no_answer(
    client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    failure: object,
    module: str,
    method: str,
    url: str,
) -> None:
    import importlib

    monkeypatch.setattr(importlib.import_module(module), "advise", failure)
    caplog.set_level(logging.DEBUG)
    params = {**PERSON, "municipality": "Gent"}
    if method == "GET":
        r = client.get(url, params=params)
    else:
        r = client.post(url, json={**params, "wants_contact": False})
    assert r.status_code == 500
    assert SENTINEL not in r.text and "Traceback" not in r.text
    assert "suicidal_thoughts" not in r.text
    logged = "\n".join(
        f"{rec.getMessage()} {rec.exc_text or ''} {rec.exc_info or ''}" for rec in caplog.records
    )
    out, err = capfd.readouterr()
    for text in (logged, out, err):
        assert SENTINEL not in text
        assert "input_value" not in text and "suicidal_thoughts" not in text
    # The one line says what failed and where, for the maintainer.
    errors = [rec for rec in caplog.records if rec.levelno >= logging.ERROR]
    assert errors and all(rec.exc_info is None for rec in errors)
    line = errors[0].getMessage()
    assert ("RuntimeError" in line or "ValidationError" in line) and url in line
    assert "request" in line and r.headers["x-request-id"] in line


def test_uvicorn_error_log_keeps_no_values(caplog: pytest.LogCaptureFixture) -> None:
    """An exception that reaches the server's own error log loses its message and values."""
    from app.api.errors import install_log_guard

    install_log_guard()
    logger = logging.getLogger("uvicorn.error")
    caplog.set_level(logging.DEBUG)
    try:
        raise ValueError(f"value {SENTINEL}")
    except ValueError:
        logger.exception("Exception in ASGI application\n")
    logger.error(f"Traceback (most recent call last):\n  ValueError: {SENTINEL}")
    for rec in caplog.records:
        text = rec.getMessage() + str(rec.exc_info or "") + str(rec.exc_text or "")
        assert SENTINEL not in text
    assert any("ValueError" in rec.getMessage() for rec in caplog.records)


@pytest.mark.parametrize("path", ["/advies", "/api/v1/advice"])
def test_500_pages_carry_the_security_headers(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    import app.api.routes.advice as api_route
    import app.web.result as page_route

    monkeypatch.setattr(page_route, "advise", _boom_with_answer)
    monkeypatch.setattr(api_route, "advise", _boom_with_answer)
    if path == "/advies":
        r = client.get(path, params=PERSON)
        assert "Er ging iets mis" in r.text
    else:
        r = client.post(path, json={**PERSON, "wants_contact": False})
        assert r.json() == {"detail": "Internal server error"}
    assert r.status_code == 500
    _security_headers_present(r.headers)


# --- Defect 2: no 500s on repeated values, odd digits, large ids, NUL bytes --------------

TOO_MANY_REPEATS = {
    "crisis_signs": ["suicidal_thoughts", "suicidal_thoughts", "acute_crisis"],
    "dimensions": ["social", "emotional", "social", "existential", "collective", "emotional"],
    "risk_factors": ["poverty"] * 21 + ["caregiver"],
}


def _result_routes() -> list[tuple[str, str]]:
    return [
        ("GET", "/advies"),
        ("GET", "/advies/plan.pdf"),
        ("GET", "/advies/plan-dossier.pdf"),
        ("POST", "/advies/bewaar"),
    ]


def _send(client: TestClient, method: str, url: str, params: list[tuple[str, str]]) -> Response:
    if method == "GET":
        return client.get(url, params=urlencode(params))
    # A form body built by hand: repeated fields must stay repeated.
    return client.post(url, content=_form([*params, ("consent", "yes")]), headers=_FORM)


_FORM = {"content-type": "application/x-www-form-urlencoded"}


def _form(pairs: list[tuple[str, str]]) -> bytes:
    return urlencode(pairs).encode()


@pytest.mark.parametrize(("method", "url"), _result_routes())
@pytest.mark.parametrize("field", sorted(TOO_MANY_REPEATS))
def test_repeated_values_are_deduplicated(
    client: TestClient, method: str, url: str, field: str
) -> None:
    params = list(PERSON.items()) + [(field, v) for v in TOO_MANY_REPEATS[field]]
    r = _send(client, method, url, params)
    assert r.status_code == 200, r.status_code


def test_the_issue_reproducer_gives_the_advice(client: TestClient) -> None:
    r = client.get(
        "/advies?age_group=older&problem_nature=structural&wants_contact=false&coping=passive"
        "&crisis_signs=suicidal_thoughts&crisis_signs=suicidal_thoughts&crisis_signs=acute_crisis"
    )
    assert r.status_code == 200
    # The crisis comes first, and each sign is named once.
    assert "1813" in r.text


SUPERSCRIPT_TWO = "\u00b2"
LONG_DIGITS = "9" * 4500
BAD_NUMBERS = {
    "duration_months": (
        [SUPERSCRIPT_TWO, "\u0661\u0662", LONG_DIGITS, "-3", "1e3"],
        "course",
        "Geef de duur als een geheel aantal maanden",
    ),
    "age": (
        [SUPERSCRIPT_TWO, "\u0661\u0662", LONG_DIGITS, "-3", "1e3"],
        "context",
        "Leeftijd: geef een geheel aantal jaren",
    ),
}
WIZARD_ROUTES = [
    *(f"/intake/{s}" for s in ("context", "questions", "course", "dimensions", "risks")),
    "/intake/scale",
    "/intake/review",
    "/intake/context/crisis",
    "/intake/context/municipality",
    "/intake/course/check",
    "/intake/scale/score",
]


def _bad_number_cases() -> Iterator[tuple[str, str, str]]:
    for field, (values, _step, _msg) in BAD_NUMBERS.items():
        for value in values:
            yield field, value, "x" if value is LONG_DIGITS else value


@pytest.mark.parametrize("url", WIZARD_ROUTES)
@pytest.mark.parametrize(("field", "value", "_id"), list(_bad_number_cases()))
def test_odd_numbers_never_fail_the_wizard(
    client: TestClient, url: str, field: str, value: str, _id: str
) -> None:
    r = client.get(url, params={**PERSON, field: value, "check": "1"})
    assert r.status_code < 500
    _values, step, message = BAD_NUMBERS[field]
    if url == f"/intake/{step}":
        assert message in r.text


@pytest.mark.parametrize(("method", "url"), _result_routes())
@pytest.mark.parametrize(("field", "value", "_id"), list(_bad_number_cases()))
def test_odd_numbers_send_the_result_back_to_the_step(
    client: TestClient, method: str, url: str, field: str, value: str, _id: str
) -> None:
    params = [*PERSON.items(), (field, value)]
    r = _send(client, method, url, params)
    assert r.status_code < 500
    page = r.text
    _values, _step, message = BAD_NUMBERS[field]
    assert message in page, f"{url} {field}={value[:8]}"


LANDSCAPE_PARAMS = ("min_elements", "max_elements", "page")
LANDSCAPE_HTML = (
    "/landschap",
    "/landschap/vraag",
    "/landschap/grafiek/elements.svg",
    "/landschap/tabel/elements.csv",
    "/landschap/initiatieven.csv",
    "/landschap/kruistabel.csv",
)
LANDSCAPE_API = ("/api/v1/landscape", "/api/v1/landscape/crosstab")


@pytest.mark.parametrize("value", [SUPERSCRIPT_TWO, LONG_DIGITS, "\u0661"])
@pytest.mark.parametrize("name", LANDSCAPE_PARAMS)
@pytest.mark.parametrize("url", LANDSCAPE_HTML + LANDSCAPE_API)
def test_odd_numbers_never_fail_the_landscape(
    client: TestClient, url: str, name: str, value: str
) -> None:
    params = {name: value}
    if url.endswith("crosstab"):
        params |= {"row": "elements:meeting", "col": "age_groups:older"}
    r = client.get(url, params=params)
    assert r.status_code < 500
    if url in LANDSCAPE_API and name != "page":
        assert r.status_code == 422
        assert r.json()["detail"][0]["field"] == name
    if url == "/landschap" and name != "page":
        # The message sits at the wrong field; the other filters still apply (issue 9).
        assert f'id="e-{name}"' in r.text and "Geef een geheel getal" in r.text


@pytest.mark.parametrize("big", ["9223372036854775808", "2147483648", "9" * 5000])
def test_large_ids_are_not_found(client: TestClient, big: str) -> None:
    r = client.get(f"/api/v1/initiatives/{big}")
    assert r.status_code in (404, 422)
    if len(big) < 30:
        assert r.status_code == 404


def test_nul_bytes_are_stripped_from_the_answers(fresh_client: TestClient) -> None:
    form = [*PERSON.items(), ("municipality", "Ge\x00nt"), ("consent", "yes")]
    r = fresh_client.post("/advies/bewaar", content=_form(form), headers=_FORM)
    assert r.status_code == 200
    engine = fresh_client.app.state.engine  # type: ignore[attr-defined]
    with Session(engine) as session:
        saved = session.exec(select(SavedIntake)).all()
    assert [s.municipality for s in saved] == ["Gent"]
    for url in ("/advies", "/intake/context", "/intake/review"):
        r = fresh_client.get(url, params={**PERSON, "municipality": "Ge\x00nt", "check": "1"})
        assert r.status_code < 500 and "\x00" not in r.text


def test_a_failed_save_says_so_without_answers(
    client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """The database refusing the record is a clear message, not a 500 with the SQL values."""
    from sqlalchemy.exc import DataError

    import app.web.result as route

    def refuse(*_a: object, **_k: object) -> str:
        raise DataError("INSERT ... VALUES (%s)", (SENTINEL,), Exception(SENTINEL))

    monkeypatch.setattr(route, "save_anonymous", refuse)
    caplog.set_level(logging.DEBUG)
    form = [*PERSON.items(), ("consent", "yes")]
    r = client.post("/advies/bewaar", content=_form(form), headers=_FORM)
    assert r.status_code < 500
    assert "niet bewaard" in r.text
    logged = " ".join(rec.getMessage() for rec in caplog.records)
    out, err = capfd.readouterr()
    assert SENTINEL not in logged + out + err + r.text


# --- Defect 11: one clear line on start-up errors ----------------------------------------


BAD_URLS = ["nonsense", "postgresql+psycopg://nobody:secretpw@127.0.0.1:1/none", "nosuchdb://x"]


@pytest.mark.parametrize("url", BAD_URLS)
@pytest.mark.parametrize(
    "args",
    [
        ["serve", "--port", "1"],
        ["db", "current"],
        ["db", "upgrade"],
        ["initiatives", "export", "-"],
    ],
)
def test_a_wrong_database_url_is_one_line(url: str, args: list[str], tmp_path: Path) -> None:
    proc = run_app(*args, database_url=url)
    assert proc.returncode != 0
    err = proc.stderr.strip()
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    assert "DATABASE_URL" in err
    assert "secretpw" not in err


# Every numeric setting, each with a value of the wrong kind and one out of its range.
BAD_SETTINGS = [
    (variable, value)
    for variable, values in {
        "WEB_CONCURRENCY": ["abc", "0", "-2", "1.5"],
        "MAX_BODY_BYTES": ["veel", "0"],
        "CATALOGUE_CHECK_SECONDS": ["soms", "-1"],
        "SAVE_LIMIT_PER_CLIENT": ["x", "0"],
        "SAVE_LIMIT_OVERALL": ["x", "0"],
        "SAVE_LIMIT_WINDOW_SECONDS": ["x", "0"],
        "STALE_AFTER_MONTHS": ["x", "0"],
        "SESSION_HOURS": ["x", "-8"],
        "LOGIN_MAX_FAILURES": ["x", "0"],
        "LOGIN_LOCKOUT_MINUTES": ["x", "0"],
        "TRAINING_ROUND_HOURS": ["x", "0"],
        "SEED_CATALOGUE": ["misschien"],
        "PREPARE_DATABASE": ["misschien"],
    }.items()
    for value in values
]


@pytest.mark.parametrize(("variable", "value"), BAD_SETTINGS)
def test_a_setting_the_app_cannot_use_is_one_line_naming_it(
    variable: str, value: str, tmp_path: Path
) -> None:
    proc = run_app("db", "current", database_url=sqlite_url(tmp_path / "x.db"), **{variable: value})
    assert proc.returncode != 0
    err = proc.stderr.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    assert err.startswith(f"error: {variable}: "), err


@pytest.mark.parametrize("workers", ["0", "-1", "10000"])
def test_a_number_of_workers_out_of_range_is_refused_before_serving(
    workers: str, tmp_path: Path
) -> None:
    """--workers and WEB_CONCURRENCY alike: at least one, at most MAX_WORKERS_PER_CPU for
    each CPU (10 000 processes, each with the catalogue, would exhaust the machine)."""
    url = sqlite_url(tmp_path / "x.db")
    for proc in (
        run_app("serve", "--port", "1", "--workers", workers, database_url=url),
        run_app("serve", "--port", "1", database_url=url, WEB_CONCURRENCY=workers),
    ):
        assert proc.returncode != 0
        err = proc.stderr.strip()
        assert "Traceback" not in err and len(err.splitlines()) == 1, err
        assert "workers" in err or "WEB_CONCURRENCY" in err


def test_invalid_utf8_in_a_rules_file_names_the_file(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(REPO_ROOT / "rules", rules)
    victim = sorted(rules.glob("*.yaml"))[0]
    victim.write_bytes(victim.read_bytes() + b"\n# caf\xe9 \xff\n")
    with pytest.raises(KnowledgeError, match=victim.name):
        load_knowledge(rules)
    proc = run_app(
        "serve", "--port", "1", database_url=sqlite_url(tmp_path / "x.db"), RULES_DIR=str(rules)
    )
    assert proc.returncode != 0
    err = proc.stderr.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    assert victim.name in err and "UTF-8" in err


def test_validation_error_text_is_what_we_keep_out() -> None:
    """Guard for the tests above: pydantic does put the values in its message."""
    with pytest.raises(ValidationError) as info:
        _real_validation_error()
    assert "suicidal_thoughts" in str(info.value)
