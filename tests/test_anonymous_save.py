"""The anonymous record: only a listed municipality, a rate limit, and a code to withdraw it."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

import app.catalogue.service as service
from app.advice.engine import advise
from app.advice.knowledge import Knowledge
from app.catalogue.models import SavedIntake
from app.catalogue.service import (
    CODE_ALPHABET,
    new_record_code,
    normalise_record_code,
    official_municipality,
    save_anonymous,
    withdraw_anonymous,
)
from app.core.config import Settings
from app.core.db import init_db, make_engine
from app.core.rate_limit import SlidingWindowLimiter
from app.domain.intake import Intake
from app.main import create_app

HX = {"HX-Request": "true"}
PERSON = {
    "age_group": "older",
    "municipality": "Gent",
    "problem_nature": "structural",
    "wants_contact": "false",
    "coping": "passive",
}
SAVE = {**PERSON, "consent": "yes"}
FREE_TEXT = "Jan Janssens, Kerkstraat 5"
CODE_SHAPE = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{2}")


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'saved.db'}")
    init_db(engine)
    yield engine
    engine.dispose()


def _intake(**changes: object) -> Intake:
    intake = Intake(
        age_group="older", problem_nature="structural", wants_contact=False, coping="passive"
    )
    # model_copy does not validate: a caller that skips the Intake's checks.
    return intake.model_copy(update=changes)


def _records(engine: Engine) -> list[SavedIntake]:
    with Session(engine) as session:
        return list(session.exec(select(SavedIntake)).all())


def _app_records(client: TestClient) -> list[SavedIntake]:
    return _records(client.app.state.engine)  # type: ignore[attr-defined]


def _code_in(html: str) -> str:
    match = CODE_SHAPE.search(html)
    assert match, html
    return match.group(0)


# --- Municipality: only an official name from the list ---------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Gent", "Gent"),
        ("9000", "Gent"),
        ("melle", "Merelbeke-Melle"),
        (FREE_TEXT, None),
        ("Jan Janssens", None),
        ("", None),
        (None, None),
    ],
)
def test_save_stores_only_an_official_municipality(
    engine: Engine, knowledge: Knowledge, typed: str | None, stored: str | None
) -> None:
    intake = _intake(municipality=typed)
    save_anonymous(engine, intake, advise(intake, knowledge, ()))
    (record,) = _records(engine)
    assert record.municipality == stored


def test_official_municipality_refuses_free_text() -> None:
    assert official_municipality(FREE_TEXT) is None
    assert official_municipality("Ge\x00nt") == "Gent"


def test_the_form_refuses_free_text_as_municipality(client: TestClient) -> None:
    r = client.post("/advies/bewaar", data={**SAVE, "municipality": FREE_TEXT})
    assert r.status_code == 200
    assert "staat niet in de lijst" in r.text and "Bewaard als anoniem record" not in r.text
    assert _app_records(client) == []


# --- Rate limit --------------------------------------------------------------------------------


def test_the_eleventh_quick_save_is_refused_with_429(client: TestClient) -> None:
    for _ in range(10):
        ok = client.post("/advies/bewaar", data=SAVE, headers=HX)
        assert ok.status_code == 200 and "Bewaard als anoniem record" in ok.text
    refused = client.post("/advies/bewaar", data=SAVE, headers=HX)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "te veel anonieme records bewaard" in refused.text
    assert "Bewaard als anoniem record" not in refused.text
    # The save block keeps the answers, so the worker can try again later.
    assert 'name="municipality" value="Gent"' in refused.text
    assert len(_app_records(client)) == 10


def test_a_refused_save_keeps_the_advice_on_the_page(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 't.db'}", save_limit_per_client=1)
    with TestClient(create_app(settings)) as client:
        assert client.post("/advies/bewaar", data=SAVE).status_code == 200
        refused = client.post("/advies/bewaar", data=SAVE)
        assert refused.status_code == 429
        assert "te veel anonieme records bewaard" in refused.text
        assert "Sociaal-cognitieve training" in refused.text  # the advice itself
        assert len(_app_records(client)) == 1


def test_the_overall_cap_holds_across_clients(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 't.db'}", save_limit_overall=2)
    app = create_app(settings)
    codes = []
    with TestClient(app) as first, TestClient(app, client=("10.0.0.2", 1234)) as second:
        codes.append(first.post("/advies/bewaar", data=SAVE, headers=HX).status_code)
        codes.append(second.post("/advies/bewaar", data=SAVE, headers=HX).status_code)
        codes.append(second.post("/advies/bewaar", data=SAVE, headers=HX).status_code)
        assert codes == [200, 200, 429]
        assert len(_app_records(first)) == 2


def test_saves_without_consent_do_not_count(client: TestClient) -> None:
    for _ in range(12):
        client.post("/advies/bewaar", data=PERSON, headers=HX)
    assert client.post("/advies/bewaar", data=SAVE, headers=HX).status_code == 200


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_limiter_slides_its_window() -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(per_client=2, overall=100, window=60, clock=clock)
    assert limiter.hit("a") is None
    clock.now += 10
    assert limiter.hit("a") is None
    assert limiter.hit("a") == 50  # the first hit leaves the window in 50 s
    assert limiter.hit("b") is None  # another client has its own count
    clock.now += 50
    assert limiter.hit("a") is None
    assert limiter.hit("a") == 10


def test_limiter_overall_cap_and_forgetting_clients() -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(per_client=5, overall=3, window=60, clock=clock)
    assert [limiter.hit(c) for c in "abcd"] == [None, None, None, 60]
    clock.now += 61
    assert limiter.hit("e") is None
    assert set(limiter._by_client) == {"e"}  # the others were forgotten


def test_limiter_is_thread_safe() -> None:
    limiter = SlidingWindowLimiter(per_client=50, overall=1000, window=60)
    allowed: list[bool] = []
    start = threading.Barrier(8)

    def hammer() -> None:
        start.wait()
        for _ in range(25):
            allowed.append(limiter.hit("one") is None)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert allowed.count(True) == 50 and len(allowed) == 200


# --- The code: unguessable, readable, unique, and what it is for --------------------------------


def test_codes_are_readable_crockford_groups() -> None:
    codes = {new_record_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert CODE_SHAPE.fullmatch(code) and len(code) <= 16
        assert set(code.replace("-", "")) <= set(CODE_ALPHABET)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("K7QM-3XDF-9P", "K7QM-3XDF-9P"),
        ("k7qm 3xdf 9p", "K7QM-3XDF-9P"),
        ("K7QM3XDF9P", "K7QM-3XDF-9P"),
        ("KIQM-3XDF-OL", "K1QM-3XDF-01"),  # I and L read as 1, O as 0
        ("DEADBEEF", "deadbeef"),  # a code from before issue 8
        ("K7QM-3XDF-9U", None),
        ("K7QM", None),
        ("", None),
    ],
)
def test_typed_codes_are_normalised(typed: str, stored: str | None) -> None:
    assert normalise_record_code(typed) == stored


def test_a_code_collision_draws_a_new_code(
    engine: Engine, knowledge: Knowledge, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn = iter(["AAAA-AAAA-AA", "AAAA-AAAA-AA", "AAAA-AAAA-AA", "BBBB-BBBB-BB"])
    monkeypatch.setattr(service, "new_record_code", lambda: next(drawn))
    intake = _intake()
    advice = advise(intake, knowledge, ())
    assert save_anonymous(engine, intake, advice) == "AAAA-AAAA-AA"
    assert save_anonymous(engine, intake, advice) == "BBBB-BBBB-BB"
    assert sorted(r.code for r in _records(engine)) == ["AAAA-AAAA-AA", "BBBB-BBBB-BB"]


def test_endless_collisions_are_a_message_not_a_500(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "new_record_code", lambda: "AAAA-AAAA-AA")
    assert client.post("/advies/bewaar", data=SAVE, headers=HX).status_code == 200
    r = client.post("/advies/bewaar", data=SAVE, headers=HX)
    assert r.status_code == 200 and "werd niet bewaard" in r.text
    assert len(_app_records(client)) == 1


def test_endless_collisions_raise_after_a_few_draws(
    engine: Engine, knowledge: Knowledge, monkeypatch: pytest.MonkeyPatch
) -> None:
    draws: list[int] = []

    def same() -> str:
        draws.append(1)
        return "AAAA-AAAA-AA"

    monkeypatch.setattr(service, "new_record_code", same)
    intake = _intake()
    advice = advise(intake, knowledge, ())
    save_anonymous(engine, intake, advice)
    with pytest.raises(IntegrityError):
        save_anonymous(engine, intake, advice)
    assert len(draws) == 1 + service.SAVE_ATTEMPTS


def test_the_confirmation_says_what_the_code_is_for(client: TestClient) -> None:
    r = client.post("/advies/bewaar", data=SAVE, headers=HX)
    code = _code_in(r.text)
    assert f"Noteer de code {code} in het dossier" in r.text
    assert 'href="/advies/intrekken"' in r.text
    (record,) = _app_records(client)
    assert record.code == code


# --- Withdrawing a record -------------------------------------------------------------------------


def test_withdraw_page_has_the_form(client: TestClient) -> None:
    r = client.get("/advies/intrekken")
    assert r.status_code == 200
    assert "<h1>Anoniem record intrekken</h1>" in r.text
    assert 'action="/advies/bewaar/intrekken"' in r.text and 'name="code"' in r.text
    fragment = client.get("/advies/intrekken", headers=HX)
    assert fragment.text.lstrip().startswith("<title>") and "<html" not in fragment.text


def test_withdraw_deletes_the_record(client: TestClient) -> None:
    kept = _code_in(client.post("/advies/bewaar", data=SAVE).text)
    code = _code_in(client.post("/advies/bewaar", data=SAVE).text)
    typed = code.lower().replace("-", " ")
    r = client.post("/advies/bewaar/intrekken", data={"code": typed})
    assert r.status_code == 200
    assert f"Het record met code {code} werd verwijderd." in r.text
    assert [rec.code for rec in _app_records(client)] == [kept]
    again = client.post("/advies/bewaar/intrekken", data={"code": code})
    assert "Geen record met die code" in again.text and "werd verwijderd" not in again.text
    assert [rec.code for rec in _app_records(client)] == [kept]


@pytest.mark.parametrize("typed", ["ZZZZ-ZZZZ-ZZ", "not a code", "", "x" * 500])
def test_withdraw_with_an_unknown_code(client: TestClient, typed: str) -> None:
    client.post("/advies/bewaar", data=SAVE)
    r = client.post("/advies/bewaar/intrekken", data={"code": typed})
    assert r.status_code == 200 and "Geen record met die code" in r.text
    assert len(_app_records(client)) == 1


def test_withdraw_an_older_hex_code(engine: Engine) -> None:
    with Session(engine) as session:
        session.add(
            SavedIntake(
                code="deadbeef", month="2025-01", age_group="older", profile="p", course="chronic"
            )
        )
        session.commit()
    assert withdraw_anonymous(engine, "DEAD-BEEF") is True
    assert _records(engine) == []


def test_withdrawals_are_rate_limited(client: TestClient) -> None:
    code = _code_in(client.post("/advies/bewaar", data=SAVE).text)
    for _ in range(10):
        client.post("/advies/bewaar/intrekken", data={"code": "ZZZZ-ZZZZ-ZZ"})
    r = client.post("/advies/bewaar/intrekken", data={"code": code})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    assert "Te veel pogingen in korte tijd" in r.text
    assert len(_app_records(client)) == 1  # not deleted while refused


def test_the_language_switch_after_a_withdrawal_lands_on_the_form(client: TestClient) -> None:
    r = client.post("/advies/bewaar/intrekken", data={"code": "ZZZZ-ZZZZ-ZZ"})
    link = re.search(r'href="([^"]*lang=en[^"]*)"', r.text)
    assert link, r.text
    switched = client.get(link.group(1).replace("&amp;", "&"))
    assert switched.status_code == 200 and str(switched.url).startswith(
        "http://testserver/advies/intrekken"
    )
