"""QA on the forms: switching language keeps what was typed (registration, demand, curator
edit), a stale form token keeps a curator's text, the registration's own checks, and an
unknown record says so."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.auth.models import AuditEntry, Role
from app.auth.service import create_user, find_user
from app.catalogue.models import Initiative
from app.catalogue.submissions import Submission
from app.core.i18n import set_language
from app.web.registration_pages import field_labels
from tests.html_forms import language_switch, submission
from tests.test_curator_records import CHOIR, engine_of, form_fields, open_form, record, running
from tests.test_curators import (
    ADMIN,
    CURATOR,
    cheap_hashing,  # noqa: F401  (fixture)
    logged_in,
    token_of,
    visible_text,
)
from tests.test_registration import GOOD, NAME, PATH

MARKER = "taalwissel"
SWITCH = re.compile(
    r'<form class="lang-switch" method="post" action="([^"]+)"[^>]*>(.*?)</form>', re.S
)
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


@pytest.fixture
def client(tmp_path: Path, cheap_hashing: None) -> Iterator[TestClient]:  # noqa: F811
    """The app on SQLite with a curator and three records (test_curator_records)."""
    with running(f"sqlite:///{tmp_path / 'forms.db'}", tmp_path) as c:
        yield c


def switch_form(page: str) -> tuple[str, list[tuple[str, str]], bool]:
    """The language switch of a page: where it posts, the pairs a browser without
    JavaScript posts with it, and whether it asks to show the form again (the marker).

    On a form page the switch is a submit button of the form, so it posts what the form
    holds now; on a page that only shows a draft (a preview) it is a form of hidden fields."""
    button = language_switch(page)
    if button is not None:
        action, pairs = submission(page, button)
        return action, [p for p in pairs if p[0] != MARKER], (MARKER, "1") in pairs
    match = SWITCH.search(page)
    assert match, "no language switch"
    body = match.group(2)
    pairs = [(n, html.unescape(v)) for n, v in HIDDEN.findall(body)]
    marker = f'<input type="hidden" name="{MARKER}" value="1">' in body
    return html.unescape(match.group(1)), pairs, marker


def post_switch(client: TestClient, page: str, **changes: str) -> Any:
    """Follow the switch as a browser without JavaScript does (with `changes` typed in)."""
    action, pairs, marker = switch_form(page)
    assert marker
    data = {MARKER: ["1"], **as_form_data(pairs)}
    data.update({k: [v] for k, v in changes.items()})
    return client.post(action, data=data)


def as_form_data(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    """(name, value) pairs as httpx's form data, a repeated name with all its values."""
    data: dict[str, list[str]] = {}
    for name, value in pairs:
        data.setdefault(name, []).append(value)
    return data


def errors_of(page: str) -> dict[str, str]:
    found = re.findall(r'<p class="error" id="e-(\w+)">.*?</span>(.*?)</p>', page, re.S)
    return {name: html.unescape(text) for name, text in found}


def submissions(client: TestClient) -> list[Submission]:
    with Session(engine_of(client)) as session:
        return list(session.exec(select(Submission)))


def audit_actions(client: TestClient) -> list[str]:
    with Session(engine_of(client)) as session:
        return list(session.exec(select(AuditEntry.action)))


# --- 1. the language switch keeps what was typed ------------------------------------------


def test_registration_switch_keeps_a_refused_draft_and_stores_nothing(
    client: TestClient,
) -> None:
    token = token_of(client, PATH)
    r = client.post(PATH, data={**GOOD, "website": "geen adres", "csrf": token})
    assert r.status_code == 400
    action, pairs, _marker = switch_form(r.text)
    assert action == PATH + "?lang=en"
    assert ("name", NAME) in pairs and ("csrf", token) in pairs
    assert ("website", "geen adres") in pairs and ("elements", "meeting") in pairs
    r = post_switch(client, r.text)
    assert r.status_code == 200
    assert "Register an initiative" in visible_text(r.text) or 'lang="en"' in r.text
    assert '<html lang="en">' in r.text
    # the answers are there, unchecked: no error, nothing stored
    assert f'name="name" value="{html.escape(NAME)}"' in r.text
    assert 'value="geen adres"' in r.text
    assert 'id="c-elements-meeting" name="elements" value="meeting" checked' in r.text
    assert errors_of(r.text) == {}
    assert submissions(client) == []
    # and back to Dutch, with what was typed in English in the meantime
    r = post_switch(client, r.text, goal="Typed in English")
    assert '<html lang="nl">' in r.text and ">Typed in English</textarea>" in r.text
    assert submissions(client) == []


def test_registration_switch_still_checks_the_form_token(client: TestClient) -> None:
    token_of(client, PATH)
    r = client.post(PATH + "?lang=en", data={**GOOD, "csrf": "nep", MARKER: "1"})
    assert r.status_code == 403
    assert f'value="{html.escape(NAME)}"' in r.text
    assert submissions(client) == []


def test_demand_switch_keeps_the_posted_figures(client: TestClient) -> None:
    r = client.post("/landschap/vraag", data={"municipality": "Gent", "res_children": "1234"})
    assert r.status_code == 200
    action, pairs, marker = switch_form(r.text)
    assert marker and action == "/landschap/vraag?lang=en"
    assert ("municipality", "Gent") in pairs and ("res_children", "1234") in pairs
    r = post_switch(client, r.text)
    assert r.status_code == 200 and '<html lang="en">' in r.text
    assert 'name="res_children" value="1234"' in r.text
    assert 'name="municipality" value="Gent"' in r.text
    # the switch is no upload: no "empty file" complaint
    assert 'id="upload-errors"' not in r.text


def test_curator_edit_switch_keeps_the_draft_and_saves_nothing(client: TestClient) -> None:
    curator = logged_in(client, CURATOR)
    choir = record(curator)
    form = open_form(curator, choir)
    page = curator.get(f"/beheer/aanbod/{choir.id}/bewerken").text
    action, pairs, marker = switch_form(page)
    assert marker and action == f"/beheer/aanbod/{choir.id}/bewerken?lang=en"
    assert ("csrf", form["csrf"]) in pairs and ("versie", form["versie"]) in pairs
    r = post_switch(curator, page, goal="Een nieuw doel, nog niet bewaard")
    assert r.status_code == 200 and '<html lang="en">' in r.text
    assert ">Een nieuw doel, nog niet bewaard</textarea>" in r.text
    assert form_fields(r.text)["versie"] == form["versie"]
    assert record(curator).goal != "Een nieuw doel, nog niet bewaard"
    assert "edit" not in audit_actions(curator)


def test_the_preview_switch_shows_the_same_changes_in_the_other_language(
    client: TestClient,
) -> None:
    # The review-changes page of an edit: its switch had been a link to the empty edit
    # form, which dropped the draft.
    curator = logged_in(client, CURATOR)
    choir = record(curator)
    form = open_form(curator, choir)
    path = f"/beheer/aanbod/{choir.id}/bewerken"
    preview = curator.post(path, data={**form, "goal": "Doel om na te kijken"})
    assert preview.status_code == 200 and "Doel om na te kijken" in visible_text(preview.text)
    action, pairs, marker = switch_form(preview.text)
    assert not marker and action == f"{path}?lang=en"
    r = curator.post(action, data=as_form_data(pairs))
    assert r.status_code == 200 and '<html lang="en">' in r.text
    assert "Review changes" in r.text and "Doel om na te kijken" in visible_text(r.text)
    assert record(curator).goal != "Doel om na te kijken"


INTAKE = {
    "age_group": "older",
    "municipality": "Gent",
    "problem_nature": "structural",
    "wants_contact": "false",
    "coping": "passive",
    "course": "chronic",
    "dimensions": "emotional",
    "risk_factors": "partner_loss",
}
INTAKE_STEPS = ["context", "questions", "course", "dimensions", "risks", "scale", "review"]


@pytest.mark.parametrize("step", INTAKE_STEPS)
def test_every_intake_step_switches_there_and_back_with_what_the_form_holds(
    client: TestClient, step: str
) -> None:
    """The switch is a button of the step's form: it posts what the form holds, the
    step's own fields included, and the other language shows the same step with exactly
    those values, which switch back again unchanged."""
    page = client.post(f"/intake/{step}", data=INTAKE).text
    for lang in ("en", "nl"):
        action, pairs, marker = switch_form(page)
        assert action == f"/intake/{step}?lang={lang}" and not marker
        assert ("age_group", "older") in pairs and ("coping", "passive") in pairs
        r = client.post(action, data=as_form_data(pairs))
        assert r.status_code == 200 and f'<html lang="{lang}">' in r.text
        assert 'aria-current="step"' in r.text and "error-summary" not in r.text
        assert sorted(switch_form(r.text)[1]) == sorted(pairs)
        page = r.text


def test_a_changed_answer_goes_along_with_the_intakes_switch(client: TestClient) -> None:
    page = client.post("/intake/context", data=INTAKE).text
    action, pairs, _marker = switch_form(page)
    data = {**as_form_data(pairs), "municipality": ["Brugge"], "age_group": ["young_adults"]}
    r = client.post(action, data=data)
    assert '<html lang="en">' in r.text
    fields = dict(switch_form(r.text)[1])
    assert fields["municipality"] == "Brugge" and fields["age_group"] == "young_adults"


# --- 2. a stale form token keeps a curator's text ------------------------------------------


def test_a_stale_edit_form_comes_back_with_the_text_and_a_fresh_token(
    client: TestClient,
) -> None:
    curator = logged_in(client, CURATOR)
    choir = record(curator)
    form = open_form(curator, choir)
    path = f"/beheer/aanbod/{choir.id}/bewerken"
    r = curator.post(path, data={**form, "csrf": "bad", "goal": "Lang getypt doel"})
    assert r.status_code == 403
    text = visible_text(r.text)
    assert "Het formulier was verlopen; controleer en bewaar opnieuw" in text
    assert ">Lang getypt doel</textarea>" in r.text
    fresh = form_fields(r.text)
    assert fresh["csrf"] == token_of(curator, "/beheer") and fresh["versie"] == form["versie"]
    assert record(curator).goal != "Lang getypt doel"
    # with the fresh token the same form goes on to the diff
    r = curator.post(path, data=fresh)
    assert r.status_code == 200 and "Lang getypt doel" in visible_text(r.text)


def test_a_stale_save_or_archive_keeps_the_text_and_changes_nothing(
    client: TestClient,
) -> None:
    curator = logged_in(client, CURATOR)
    choir = record(curator)
    form = open_form(curator, choir)
    base = f"/beheer/aanbod/{choir.id}"
    r = curator.post(f"{base}/opslaan", data={**form, "csrf": "bad", "goal": "Bijna bewaard"})
    assert r.status_code == 403 and ">Bijna bewaard</textarea>" in r.text
    assert "Het formulier was verlopen" in visible_text(r.text)
    r = curator.post(f"{base}/archiveren", data={"csrf": "bad", "reason": "Bestaat niet meer"})
    assert r.status_code == 403 and ">Bestaat niet meer</textarea>" in r.text
    assert "Het formulier was verlopen" in visible_text(r.text)
    after = record(curator)
    assert after.goal == choir.goal and after.archived_at is None
    assert set(audit_actions(curator)) <= {"user_create"}


def test_a_stale_rejection_keeps_its_reason(client: TestClient) -> None:
    client.post(PATH, data={**GOOD, "csrf": token_of(client, PATH)})
    (sub,) = submissions(client)
    curator = logged_in(client, CURATOR)
    base = f"/beheer/aanmeldingen/{sub.id}"
    curator.post(f"{base}/oppakken", data={"csrf": token_of(curator, "/beheer")})
    r = curator.post(f"{base}/afwijzen", data={"csrf": "bad", "reason": "Geen eenzaamheid"})
    assert r.status_code == 403 and ">Geen eenzaamheid</textarea>" in r.text
    r = curator.post(f"{base}/bewerken", data={**GOOD, "csrf": "bad", "goal": "Nieuw doel"})
    assert r.status_code == 403 and ">Nieuw doel</textarea>" in r.text
    assert "Het formulier was verlopen" in visible_text(r.text)
    (sub,) = submissions(client)
    assert sub.status == "pending" and sub.data["goal"] == GOOD["goal"]


def test_a_post_without_a_session_says_so_on_the_login_page(client: TestClient) -> None:
    choir = record(client)
    r = client.post(
        f"/beheer/aanbod/{choir.id}/bewerken",
        data={"csrf": "x", "goal": "Weg?"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = visible_text(client.get(r.headers["location"]).text)
    assert "Uw sessie was afgelopen; wat u net verstuurde, werd niet bewaard" in page
    assert "knop Terug" in page and "Weg?" not in page


# --- 3. the registration's own checks --------------------------------------------------------


def test_an_english_error_names_the_forms_own_question(client: TestClient) -> None:
    token = token_of(client, PATH + "?lang=en")
    r = client.post(PATH + "?lang=en", data={**GOOD, "risk_factors": "zzz", "csrf": token})
    assert r.status_code == 400
    error = errors_of(r.text)["risk_factors"]
    set_language("en")
    try:
        # the question as the English form asks it, up to its question mark
        assert field_labels()["risk_factors"].split("?")[0] in error
    finally:
        set_language("nl")
    assert "Risicofactoren" not in error and "zzz" in error


def test_a_postcode_is_four_digits_from_1000(client: TestClient) -> None:
    for bad in ("-1", "999", "0999", "10000", "90O0", "९०००"):
        r = client.post(PATH, data={**GOOD, "postcode": bad, "csrf": token_of(client, PATH)})
        assert r.status_code == 400, bad
        assert set(errors_of(r.text)) == {"postcode"}, bad
        assert "vier cijfers, van 1000 tot 9999" in errors_of(r.text)["postcode"]
    assert submissions(client) == []
    r = client.post(PATH, data={**GOOD, "postcode": "9000", "csrf": token_of(client, PATH)})
    assert r.status_code == 200
    (sub,) = submissions(client)
    assert sub.data["postcode"] == "9000"


def test_a_field_sent_twice_counts_with_its_first_value(client: TestClient) -> None:
    data = {**GOOD, "name": ["Eerste naam", "Tweede naam"], "csrf": token_of(client, PATH)}
    r = client.post(PATH, data=data)
    assert r.status_code == 200
    (sub,) = submissions(client)
    assert sub.data["name"] == "Eerste naam"


# --- 4. an unknown record says so ------------------------------------------------------------


def test_an_unknown_record_shows_the_list_with_why(client: TestClient) -> None:
    curator = logged_in(client, CURATOR)
    for path in ("/beheer/aanbod/999999", "/beheer/aanbod/999999/bewerken"):
        r = curator.get(path, follow_redirects=False)
        assert r.status_code == 404, path
        text = visible_text(r.text)
        assert "Er is geen initiatief met nummer 999999" in text, path
        assert CHOIR in text  # the list, to find the right one
    for path in ("/beheer/aanmeldingen/999", "/beheer/aanmeldingen/999/bewerken"):
        r = curator.get(path, follow_redirects=False)
        assert r.status_code == 404, path
        assert "Er is geen aanmelding met nummer 999" in visible_text(r.text), path
    with Session(engine_of(curator)) as session:
        assert session.get(Initiative, 999999) is None


def test_a_stale_new_user_form_keeps_the_address_but_not_the_password(client: TestClient) -> None:
    with Session(engine_of(client)) as session:
        create_user(session, email=ADMIN[0], password=ADMIN[1], role=Role.ADMIN)
    admin = logged_in(client, ADMIN)
    data = {
        "csrf": "bad",
        "email": "nieuw@gemeente.be",
        "display_name": "Nieuwe Curator",
        "password": "een geheim wachtwoord",
    }
    r = admin.post("/beheer/gebruikers", data=data)
    assert r.status_code == 403
    assert "Het formulier was verlopen" in visible_text(r.text)
    assert 'value="nieuw@gemeente.be"' in r.text and 'value="Nieuwe Curator"' in r.text
    assert "een geheim wachtwoord" not in r.text
    with Session(engine_of(client)) as session:
        assert find_user(session, "nieuw@gemeente.be") is None


def test_a_registration_edit_switch_keeps_the_draft(client: TestClient) -> None:
    client.post(PATH, data={**GOOD, "csrf": token_of(client, PATH)})
    (sub,) = submissions(client)
    curator = logged_in(client, CURATOR)
    base = f"/beheer/aanmeldingen/{sub.id}"
    curator.post(f"{base}/oppakken", data={"csrf": token_of(curator, "/beheer")})
    page = curator.get(f"{base}/bewerken").text
    action, _pairs, marker = switch_form(page)
    assert marker and action == f"{base}/bewerken?lang=en"
    r = post_switch(curator, page, goal="Nog niet bewaard")
    assert r.status_code == 200 and '<html lang="en">' in r.text
    assert ">Nog niet bewaard</textarea>" in r.text
    (sub,) = submissions(client)
    assert sub.data["goal"] == GOOD["goal"]
    assert "submission_edit" not in audit_actions(client)


# --- 5. a reason or a new user's details typed on other curator pages ----------------------


def test_an_archive_reason_survives_the_switch_and_archives_nothing(client: TestClient) -> None:
    curator = logged_in(client, CURATOR)
    choir = record(curator)
    page = curator.get(f"/beheer/aanbod/{choir.id}").text
    assert switch_form(page)[0] == f"/beheer/aanbod/{choir.id}/archiveren?lang=en"
    r = post_switch(curator, page, reason="Bestaat niet meer")
    assert r.status_code == 200 and '<html lang="en">' in r.text
    assert ">Bestaat niet meer</textarea>" in r.text
    assert record(curator).archived_at is None
    assert "archive" not in audit_actions(curator)
    # and back, still with the reason; then the archive form's own button archives
    _action, pairs, _marker = switch_form(r.text)
    assert ("reason", "Bestaat niet meer") in pairs
    r = post_switch(curator, r.text)
    assert '<html lang="nl">' in r.text and ">Bestaat niet meer</textarea>" in r.text
    r = curator.post(f"/beheer/aanbod/{choir.id}/archiveren", data=as_form_data(pairs))
    assert record(curator).archived_at is not None and "archive" in audit_actions(curator)
    # an archived record's page has no reason to carry: its switch is a link again
    assert language_switch(curator.get(f"/beheer/aanbod/{choir.id}").text) is None


def test_a_rejection_reason_survives_the_switch_and_rejects_nothing(client: TestClient) -> None:
    client.post(PATH, data={**GOOD, "csrf": token_of(client, PATH)})
    (sub,) = submissions(client)
    curator = logged_in(client, CURATOR)
    page = curator.get(f"/beheer/aanmeldingen/{sub.id}").text
    assert switch_form(page)[0] == f"/beheer/aanmeldingen/{sub.id}/afwijzen?lang=en"
    r = post_switch(curator, page, reason="Geen eenzaamheidsaanbod")
    assert r.status_code == 200 and '<html lang="en">' in r.text
    assert ">Geen eenzaamheidsaanbod</textarea>" in r.text
    (sub,) = submissions(client)
    assert sub.status == "pending"


def test_a_new_users_details_survive_the_switch_but_not_the_password(client: TestClient) -> None:
    with Session(engine_of(client)) as session:
        create_user(session, email=ADMIN[0], password=ADMIN[1], role=Role.ADMIN)
    admin = logged_in(client, ADMIN)
    page = admin.get("/beheer/gebruikers").text
    assert switch_form(page)[0] == "/beheer/gebruikers?lang=en"
    typed = {"email": "nieuw@gemeente.be", "display_name": "Nieuwe Curator"}
    r = post_switch(admin, page, **typed, password="een geheim wachtwoord")
    assert r.status_code == 200 and '<html lang="en">' in r.text
    assert 'value="nieuw@gemeente.be"' in r.text and 'value="Nieuwe Curator"' in r.text
    assert "een geheim wachtwoord" not in r.text and errors_of(r.text) == {}
    with Session(engine_of(client)) as session:
        assert find_user(session, "nieuw@gemeente.be") is None
