"""Issue 8: the logs hold an allow-list of fields, and never an intake answer.

A full walk through the application and every error path run with all logging captured
at DEBUG; then no record may contain an answer value, and every access line has exactly
the fields of app.core.access_log. The real server (`python -m app serve`) is checked
once as well, since uvicorn's own access log would print the query string.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from app.core.access_log import FIELDS
from app.core.config import REPO_ROOT

ACCESS_LOGGER = "eenzaamheidswijzer.access"
# The test client's own loggers print the URL it requests: that is the client, not the app.
CLIENT_LOGGERS = ("httpx", "httpcore")

# Answers chosen so that none of them can occur in a route template or a field name.
MUNICIPALITY = "Zoutleeuw"
ANSWERS: list[tuple[str, str]] = [
    ("crisis_signs", "suicidal_thoughts"),
    ("crisis_signs", "acute_crisis"),
    ("age", "83"),
    ("municipality", MUNICIPALITY),
    ("problem_nature", "structural"),
    ("wants_contact", "true"),
    ("coping", "passive"),
    ("duration_months", "437"),
    ("course", "chronic"),
    ("dimensions", "existential"),
    ("dimensions", "emotional"),
    ("socially_isolated", "true"),
    ("risk_factors", "psychological_vulnerability"),
    ("risk_factors", "relationship_problems"),
    ("risk_factors", "low_perceived_control"),
    ("djg6_1", "min_of_meer"),
    ("djg6_2", "ja"),
    ("djg6_3", "min_of_meer"),
    ("djg6_4", "nee"),
    ("djg6_5", "min_of_meer"),
    ("djg6_6", "ja"),
]
API_BODY = {
    "age": 83,
    "problem_nature": "structural",
    "wants_contact": True,
    "coping": "passive",
    "course": "chronic",
    "duration_months": 437,
    "dimensions": ["existential", "emotional"],
    "socially_isolated": True,
    "risk_factors": [
        "psychological_vulnerability",
        "relationship_problems",
        "low_perceived_control",
    ],
    "djg6": ["min_of_meer", "ja", "min_of_meer", "nee", "min_of_meer", "ja"],
    "municipality": MUNICIPALITY,
    "crisis_signs": ["suicidal_thoughts", "acute_crisis"],
}
# Values that must appear nowhere in a log; short or common ones ("ja", "true", "83")
# are looked for as "name=value" only, since a duration or a word could contain them.
DISTINCTIVE = (
    "suicidal_thoughts",
    "acute_crisis",
    MUNICIPALITY,
    "structural",
    "passive",
    "chronic",
    "existential",
    "emotional",
    "psychological_vulnerability",
    "relationship_problems",
    "low_perceived_control",
    "min_of_meer",
    # Invalid answers of the error paths.
    "Nergensdorp",
    "boredom_x",
)
PAIRS = tuple(f"{k}={v}" for k, v in ANSWERS)

_FORM = {"content-type": "application/x-www-form-urlencoded"}
_VALUE = {
    "request_id": re.compile(r"[0-9a-f]{12}"),
    "method": re.compile(r"[A-Z]+"),
    "route": re.compile(r"-|/[A-Za-z0-9_./{}\-]*"),
    "status": re.compile(r"[1-5][0-9]{2}"),
    "duration_ms": re.compile(r"[0-9]+\.[0-9]"),
}


@dataclass(frozen=True)
class Sent:
    """One request of the walk and the route template its access line must name."""

    method: str
    route: str
    status: int
    request_id: str


class Walk:
    """A test client that remembers every request, redirects not followed."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.sent: list[Sent] = []

    def _keep(self, route: str, r: Response) -> Response:
        self.sent.append(Sent(r.request.method, route, r.status_code, r.headers["x-request-id"]))
        return r

    def get(self, route: str, url: str, pairs: list[tuple[str, str]] | None = None) -> Response:
        query = f"?{urlencode(pairs)}" if pairs else ""
        return self._keep(route, self.client.get(url + query, follow_redirects=False))

    def post_form(self, route: str, url: str, pairs: list[tuple[str, str]]) -> Response:
        r = self.client.post(url, content=urlencode(pairs), headers=_FORM, follow_redirects=False)
        return self._keep(route, r)

    def post_json(self, route: str, url: str, body: object) -> Response:
        return self._keep(route, self.client.post(url, json=body, follow_redirects=False))


def _text(record: logging.LogRecord) -> str:
    """Everything a handler could print of a record: message, args, exception, stack."""
    parts = [str(record.msg), record.getMessage(), repr(record.args)]
    if record.exc_info:
        parts.append(logging.Formatter().formatException(record.exc_info))
    parts += [record.exc_text or "", record.stack_info or ""]
    return "\n".join(parts)


def _server_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if not r.name.startswith(CLIENT_LOGGERS)]


def leaked(text: str) -> list[str]:
    """The answer values (or name=value pairs) that occur in `text`."""
    found = [v for v in DISTINCTIVE if v in text]
    found += [p for p in PAIRS if p in text or p.replace("=", "': '") in text]
    return found


def _assert_nothing_leaked(caplog: pytest.LogCaptureFixture) -> None:
    for record in _server_records(caplog):
        assert not leaked(_text(record)), (record.name, _text(record))


def parse_access(message: str) -> dict[str, str]:
    """`request_id=… method=…` → its fields; fails unless they are exactly FIELDS, in order."""
    fields: dict[str, str] = {}
    for part in message.split(" "):
        key, sep, value = part.partition("=")
        assert sep and key not in fields, message
        fields[key] = value
    assert tuple(fields) == FIELDS, message
    return fields


def _assert_access_lines(caplog: pytest.LogCaptureFixture, sent: list[Sent]) -> None:
    access = [r for r in caplog.records if r.name == ACCESS_LOGGER]
    lines = [parse_access(r.getMessage()) for r in access]
    for record, line in zip(access, lines, strict=True):
        assert record.levelno == logging.INFO
        for key, value in line.items():
            assert _VALUE[key].fullmatch(value), (key, value)
    # One line per request, naming its id, its route template and the status it got.
    by_id = {line["request_id"]: line for line in lines}
    assert len(by_id) == len(lines) == len(sent)
    for s in sent:
        line = by_id[s.request_id]
        assert (line["method"], line["route"], line["status"]) == (s.method, s.route, str(s.status))


@pytest.fixture
def walk(client: TestClient, caplog: pytest.LogCaptureFixture) -> Iterator[Walk]:
    caplog.set_level(logging.DEBUG)
    caplog.clear()
    yield Walk(client)


STEP = "/intake/{step_id}"
STEP_ANSWERS = {
    "context": ["crisis_signs", "age", "municipality"],
    "questions": ["problem_nature", "wants_contact", "coping"],
    "course": ["duration_months", "course"],
    "dimensions": ["dimensions", "socially_isolated"],
    "risks": ["risk_factors"],
    "scale": [f"djg6_{n}" for n in range(1, 7)],
}


def test_a_full_walk_logs_the_allowed_fields_only(
    walk: Walk, caplog: pytest.LogCaptureFixture
) -> None:
    w = walk
    assert w.get("/", "/").status_code == 200
    given: list[tuple[str, str]] = []
    for step, names in STEP_ANSWERS.items():
        w.post_form(STEP, f"/intake/{step}", given)
        given += [(k, v) for k, v in ANSWERS if k in names]
        r = w.post_form(STEP, f"/intake/{step}", [*given, ("go", "next")])
        assert r.status_code == 200, step
    assert given == ANSWERS
    w.post_form("/intake/context/crisis", "/intake/context/crisis", ANSWERS)
    w.post_form("/intake/context/municipality", "/intake/context/municipality", ANSWERS)
    w.post_form("/intake/course/check", "/intake/course/check", ANSWERS)
    w.post_form("/intake/scale/score", "/intake/scale/score", ANSWERS)
    # The old way, still supported: the answers in the address.
    for step in STEP_ANSWERS:
        w.get(STEP, f"/intake/{step}", ANSWERS)
    w.get(STEP, "/intake/review", ANSWERS)
    w.get("/intake", "/intake", ANSWERS)
    w.get("/intake/context/crisis", "/intake/context/crisis", ANSWERS)
    r = w.get("/advies", "/advies", ANSWERS)
    assert r.status_code == 200 and "Zelfmoordlijn" in r.text
    r = w.post_form("/advies", "/advies", ANSWERS)
    assert r.status_code == 200
    w.post_form("/advies", "/advies", [*ANSWERS, ("wi_coping", "active")])
    w.post_form("/advies", "/advies", [*ANSWERS, ("share", "1")])
    r = w.post_form("/advies/plan.pdf", "/advies/plan.pdf", ANSWERS)
    assert r.headers["content-type"] == "application/pdf"
    w.get("/advies/plan.pdf", "/advies/plan.pdf", ANSWERS)
    w.post_form("/advies/plan-dossier.pdf", "/advies/plan-dossier.pdf", ANSWERS)
    r = w.post_form("/advies/bewaar", "/advies/bewaar", [*ANSWERS, ("consent", "yes")])
    assert r.status_code == 200 and "werd niet bewaard" not in r.text
    r = w.post_json("/api/v1/advice", "/api/v1/advice", API_BODY)
    assert r.status_code == 200
    w.get("/api/v1/initiatives", "/api/v1/initiatives", [("municipality", MUNICIPALITY)])
    for url in (
        "/landschap",
        "/landschap/vraag",
        "/landschap/vraag.svg",
        "/landschap/vraag.csv",
        "/landschap/initiatieven.csv",
    ):
        assert w.get(url, url).status_code == 200
    w.get("/landschap/grafiek/{facet}.svg", "/landschap/grafiek/elements.svg")
    w.get("/landschap/tabel/{facet}.csv", "/landschap/tabel/elements.csv")
    w.get("/static/{path}", "/static/app.js")
    w.get("/privacy", "/privacy")
    _assert_nothing_leaked(caplog)
    _assert_access_lines(caplog, w.sent)


def _boom(*_a: object, **_k: object) -> None:
    raise RuntimeError(f"failed for {PAIRS}: municipality={MUNICIPALITY} suicidal_thoughts")


def _refuse(*_a: object, **_k: object) -> str:
    params = {"municipality": MUNICIPALITY, "crisis_signs": "suicidal_thoughts"}
    raise IntegrityError(
        "INSERT INTO savedintake VALUES (:municipality, :crisis_signs)",
        params,
        Exception(f"violates check: {params}"),
    )


def test_every_error_path_logs_no_answer(
    walk: Walk, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    import app.api.routes.advice as api_route
    import app.web.result as result_route

    w = walk
    bad = [
        ("crisis_signs", "suicidal_thoughts"),
        ("age", "²³"),
        ("age_group", "boredom_x"),
        ("municipality", "Nergensdorp"),
        ("duration_months", "٣٤٣٧"),
        ("risk_factors", "boredom_x"),
        ("djg6_1", "min_of_meer"),
    ]
    for step in STEP_ANSWERS:
        w.post_form(STEP, f"/intake/{step}", [*bad, ("go", "next")])
        w.get(STEP, f"/intake/{step}", [*bad, ("check", "1")])
    w.post_form("/intake/context/municipality", "/intake/context/municipality", bad)
    assert w.get("/advies", "/advies", bad).status_code == 303
    w.post_form("/advies", "/advies", bad)
    w.post_form("/advies/bewaar", "/advies/bewaar", [*bad, ("consent", "yes")])
    w.post_form("/advies/plan.pdf", "/advies/plan.pdf", bad)
    r = w.post_json("/api/v1/advice", "/api/v1/advice", {**API_BODY, "municipality": "Nergensdorp"})
    assert r.status_code == 422
    w.post_json("/api/v1/advice", "/api/v1/advice", {**API_BODY, "coping": "boredom_x"})
    w.post_json("/api/v1/advice", "/api/v1/advice", {**API_BODY, "age": "²³", "djg6": ["ja"]})
    # Answers in a path that matches no route: a 404 whose line names no route.
    assert w.get("-", f"/{MUNICIPALITY}/suicidal_thoughts").status_code == 404
    w.get(STEP, "/intake/suicidal_thoughts", ANSWERS)
    w.post_form("/intake/{step_id}", "/intake/chronic", ANSWERS)

    # A forced 500 whose message carries the answers, in the page and in the API.
    monkeypatch.setattr(result_route, "advise", _boom)
    monkeypatch.setattr(api_route, "advise", _boom)
    assert w.get("/advies", "/advies", ANSWERS).status_code == 500
    assert w.post_form("/advies", "/advies", ANSWERS).status_code == 500
    r = w.post_json("/api/v1/advice", "/api/v1/advice", API_BODY)
    assert r.status_code == 500
    monkeypatch.undo()

    # The database refusing the anonymous record, with the answers as the statement's values.
    monkeypatch.setattr(result_route, "save_anonymous", _refuse)
    r = w.post_form("/advies/bewaar", "/advies/bewaar", [*ANSWERS, ("consent", "yes")])
    assert r.status_code == 200 and "werd niet bewaard" in r.text

    def refuse_plainly(*_a: object, **_k: object) -> str:
        raise SQLAlchemyError(f"could not save {PAIRS}")

    monkeypatch.setattr(result_route, "save_anonymous", refuse_plainly)
    w.post_form("/advies/bewaar", "/advies/bewaar", [*ANSWERS, ("consent", "yes")])

    errors = [r for r in _server_records(caplog) if r.levelno >= logging.ERROR]
    assert len(errors) >= 5  # three 500s and two refused saves, each one line
    _assert_nothing_leaked(caplog)
    _assert_access_lines(caplog, w.sent)


def test_the_checks_would_see_a_leak() -> None:
    """The helpers of this file find what they are meant to find."""
    query = urlencode(ANSWERS)
    assert leaked(f'127.0.0.1:5 - "GET /advies?{query} HTTP/1.1" 200')
    assert leaked("age=83")
    assert not leaked(
        "request_id=0123456789ab method=GET route=/intake/{step_id} status=200 duration_ms=83.0"
    )
    with pytest.raises(AssertionError):
        parse_access("request_id=1 method=GET route=/advies query=crisis_signs")


# --- The real server --------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            status: int = response.status
            return status
    except urllib.error.HTTPError as exc:
        return exc.code


def _wait_until_healthy(base: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    for _ in range(300):
        if proc.poll() is not None:
            pytest.fail("the server exited:\n" + log.read_text(errors="replace"))
        try:
            if _get(f"{base}/healthz") == 200:
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    pytest.fail("the server did not start:\n" + log.read_text(errors="replace"))


def test_the_real_server_logs_no_query_string(tmp_path: Path) -> None:
    """`python -m app serve`, as the Dockerfile runs it: stdout and stderr hold no answer."""
    port = _free_port()
    log = tmp_path / "server.log"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}"}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_until_healthy(base, proc, log)
            query = urlencode(ANSWERS)
            assert _get(f"{base}/advies?{query}") == 200
            assert _get(f"{base}/intake/risks?{query}") == 200
            assert _get(f"{base}/{MUNICIPALITY}?{query}") == 404
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    text = log.read_text(encoding="utf-8", errors="replace")
    assert not leaked(text), text
    access = [line for line in text.splitlines() if f"{ACCESS_LOGGER}:" in line]
    routes = [parse_access(line.split(": ", 1)[1])["route"] for line in access]
    assert routes == ["/healthz", "/advies", STEP, "-"], text
