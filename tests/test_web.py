"""The intake pages through TestClient: every step, validation, htmx and plain requests."""

from __future__ import annotations

import logging
import re
from itertools import combinations
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.catalogue.models import SavedIntake
from app.domain.places import load_places, normalize
from app.domain.vocabulary import RiskFactor
from app.web.intake_form import (
    Answers,
    check_municipality,
    normalise_answers,
    to_intake,
    validate_step,
)
from app.web.synonyms import (
    SYNONYMS_PATH,
    SynonymsError,
    factors_matching,
    fold,
    load_synonyms,
    parse_synonyms,
)

HX = {"HX-Request": "true"}
PERSON = {
    "age_group": "older",
    "municipality": "Gent",
    "problem_nature": "structural",
    "wants_contact": "false",
    "coping": "passive",
}
STEPS = ["context", "questions", "course", "dimensions", "risks", "scale", "review"]

# The three questions of Machielse & Ariaans, in the order the step asks them.
QUESTIONS = ("problem_nature", "wants_contact", "coping")


# Most tests here only read: they share one application and database. The few that save,
# or count what was saved, take a fresh one (fresh_client).
@pytest.fixture
def client(shared_client: TestClient) -> TestClient:
    return shared_client


def _query(location: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(location).query)


def test_home(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200
    assert "Start een intake" in r.text
    assert r.headers["content-security-policy"].startswith("default-src 'self'")


@pytest.mark.parametrize("step", STEPS)
def test_every_step_renders_as_full_page(client: TestClient, step: str) -> None:
    r = client.get(f"/intake/{step}", params=PERSON)
    assert r.status_code == 200
    assert "<html" in r.text and 'id="step-form"' in r.text
    assert 'aria-current="step"' in r.text
    assert "HX-Request" in r.headers["vary"]


@pytest.mark.parametrize("step", STEPS)
def test_every_step_renders_as_fragment_for_htmx(client: TestClient, step: str) -> None:
    r = client.get(f"/intake/{step}", params=PERSON, headers=HX)
    assert r.status_code == 200
    assert "<html" not in r.text and '<main id="main"' in r.text
    assert "<title>" in r.text


def test_next_without_js_redirects_with_all_answers(client: TestClient) -> None:
    r = client.get("/intake/context", params={**PERSON, "go": "next"}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/intake/questions?")
    q = _query(r.headers["location"])
    assert q["age_group"] == ["older"] and q["coping"] == ["passive"] and "go" not in q


def test_next_with_htmx_renders_next_step_and_pushes_its_path_only(client: TestClient) -> None:
    for r in (
        client.get("/intake/context", params={**PERSON, "go": "next"}, headers=HX),
        client.post("/intake/context", data={**PERSON, "go": "next"}, headers=HX),
    ):
        assert r.status_code == 200
        assert "Drie vragen" in r.text
        assert r.headers["HX-Push-Url"] == "/intake/questions"


def test_posted_next_shows_the_next_step_without_a_redirect(client: TestClient) -> None:
    r = client.post("/intake/context", data={**PERSON, "go": "next"}, follow_redirects=False)
    assert r.status_code == 200 and "<h1" in r.text and "Drie vragen" in r.text
    assert '<input type="hidden" name="age_group" value="older">' in r.text


def test_back_keeps_unvalidated_answers_of_this_step(client: TestClient) -> None:
    r = client.get(
        "/intake/course",
        params={**PERSON, "duration_months": "abc", "go": "back"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert _query(r.headers["location"])["duration_months"] == ["abc"]


def test_progress_bar_jumps_keeping_answers(client: TestClient) -> None:
    r = client.get(
        "/intake/dimensions",
        params={**PERSON, "dimensions": "emotional", "go": "scale"},
        follow_redirects=False,
    )
    assert r.headers["location"].startswith("/intake/scale?")
    assert _query(r.headers["location"])["dimensions"] == ["emotional"]


def test_missing_answers_show_dutch_errors_and_keep_the_rest(client: TestClient) -> None:
    params = {
        "age_group": "older",
        "municipality": "Gent",
        "problem_nature": "structural",
        "go": "next",
    }
    r = client.get("/intake/questions", params=params)
    assert r.status_code == 200
    assert 'id="error-summary"' in r.text and 'role="alert"' in r.text
    # Each missing answer names its question, in the summary and by the field.
    assert r.text.count("Vraag 2: kies of de persoon nieuwe contacten wil opbouwen.") == 2
    assert r.text.count("Vraag 3: kies of de persoon daar zelf actief aan kan (mee)werken.") == 2
    assert "Vraag 1:" not in r.text
    assert 'value="structural" checked' in r.text
    assert 'name="municipality" value="Gent"' in r.text  # other steps' answers kept


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("missing", [m for n in (1, 2, 3) for m in combinations(QUESTIONS, n)])
def test_each_missing_question_is_named_in_the_error_summary(
    client: TestClient, lang: str, missing: tuple[str, ...]
) -> None:
    """Every open question of the three gets a line of its own in the summary, naming it
    (its number), in the UI's language: never the same line twice."""
    answers = {"problem_nature": "structural", "wants_contact": "true", "coping": "passive"}
    params = {k: v for k, v in answers.items() if k not in missing}
    r = client.get(
        "/intake/questions", params={**params, "age_group": "older", "go": "next", "lang": lang}
    )
    summary = re.search(r'<div class="error-summary".*?</ul>', r.text, re.S)
    assert summary is not None
    lines = re.findall(r'<a href="#f-(\w+)">([^<]+)</a>', summary.group(0))
    assert [field for field, _ in lines] == [q for q in QUESTIONS if q in missing]
    texts = [text for _, text in lines]
    assert len(set(texts)) == len(texts)
    word = "Question" if lang == "en" else "Vraag"
    for field, text in lines:
        assert text.startswith(f"{word} {QUESTIONS.index(field) + 1}:"), text


# Per step, every field given a value no form offers (the scale: two items answered, four
# left open): the most error lines a step can show at once.
ALL_WRONG = {
    "context": {"crisis_signs": "panic", "age_group": "martian", "age": "abc"},
    "questions": {"problem_nature": "x", "wants_contact": "x", "coping": "x"},
    "course": {"duration_months": "twee jaar", "course": "forever"},
    "dimensions": {"dimensions": "sad", "socially_isolated": "maybe"},
    "risks": {"risk_factors": ["none", "poverty"]},
    "scale": {"djg6_1": "ja", "djg6_2": "misschien"},
}


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("step", list(ALL_WRONG))
def test_the_error_summary_never_says_the_same_line_twice(
    client: TestClient, lang: str, step: str
) -> None:
    """However many answers of a step are wrong or missing, each line of the summary says
    which question it is about: no two lines are the same."""
    r = client.get(f"/intake/{step}", params={**ALL_WRONG[step], "go": "next", "lang": lang})
    summary = re.search(r'<div class="error-summary".*?</ul>', r.text, re.S)
    assert summary is not None
    texts = re.findall(r'<a href="#f-\w+">([^<]+)</a>', summary.group(0))
    assert len(texts) >= (5 if step == "scale" else 1)
    assert len(set(texts)) == len(texts), texts


@pytest.mark.parametrize(
    ("step", "params", "message"),
    [
        ("context", {}, "Kies een leeftijdsgroep, of geef de leeftijd in jaren."),
        ("context", {"age_group": "martian"}, "Leeftijdsgroep: kies een van de aangeboden"),
        ("context", {"age_group": "older", "municipality": "x" * 81}, "hoogstens 80 tekens"),
        ("context", {"age": "abc"}, "Leeftijd: geef een geheel aantal jaren"),
        ("context", {"age": "121"}, "Leeftijd: geef een geheel aantal jaren"),
        ("context", {"age": "-3"}, "Leeftijd: geef een geheel aantal jaren"),
        ("context", {"age": "4.5"}, "Leeftijd: geef een geheel aantal jaren"),
        ("context", {"age": "30", "age_group": "older"}, "30 jaar hoort bij volwassenen"),
        ("context", {"crisis_signs": "panic"}, "Veiligheid: kies alleen uit de aangeboden"),
        ("course", {"duration_months": "twee jaar"}, "geheel aantal maanden"),
        ("course", {"duration_months": "5000"}, "hoogstens 1200 maanden"),
        ("course", {"course": "forever"}, "Verloop: kies een van de aangeboden antwoorden."),
        ("dimensions", {"dimensions": "sad"}, "Dimensies: kies alleen uit de aangeboden"),
        ("dimensions", {"socially_isolated": "maybe"}, "Sociaal isolement: kies een van de"),
        ("risks", {"risk_factors": ["none", "poverty"]}, "kan niet samen met andere"),
        ("scale", {"djg6_1": "ja", "djg6_2": "nee"}, "Uitspraak 3: beantwoord alle zes uitspraken"),
    ],
)
def test_validation_messages(
    client: TestClient, step: str, params: dict[str, str | list[str]], message: str
) -> None:
    r = client.get(f"/intake/{step}", params={**params, "go": "next"})
    assert r.status_code == 200
    assert message in r.text
    assert 'id="error-summary"' in r.text


def test_entered_text_is_kept_after_an_error(client: TestClient) -> None:
    r = client.get(
        "/intake/course", params={**PERSON, "duration_months": "twee jaar", "go": "next"}
    )
    assert 'value="twee jaar"' in r.text
    assert 'aria-invalid="true"' in r.text


def test_live_scale_score(client: TestClient) -> None:
    answers = dict(
        zip(
            [f"djg6_{n}" for n in range(1, 7)],
            ["ja", "min_of_meer", "nee", "nee", "nee", "ja"],
            strict=True,
        )
    )
    r = client.get("/intake/scale/score", params=answers, headers=HX)
    assert "Score: 4 van 6" in r.text and "matig eenzaam" in r.text
    partial = client.get("/intake/scale/score", params={"djg6_1": "ja"}, headers=HX)
    assert "verschijnt wanneer alle zes" in partial.text


def test_review_lists_answers_with_change_links(client: TestClient) -> None:
    r = client.get("/intake/review", params={**PERSON, "risk_factors": ["poverty", "living_alone"]})
    assert "Structureel" in r.text and "Gent" in r.text
    assert "Laag inkomen" in r.text or "armoede" in r.text.lower()
    assert r.text.count(">Wijzig<") >= 10
    assert 'action="/advies"' in r.text


def test_result_page(client: TestClient) -> None:
    # Telefoonster is meant for older people (older_age) and isolated people.
    r = client.get("/advies", params={**PERSON, "risk_factors": "older_age"})
    assert r.status_code == 200
    text = r.text
    assert 'id="el-social_cognitive_training"' in text
    assert text.index("el-social_cognitive_training") < text.index("el-practical_support")
    assert 'id="avoid-meeting"' in text
    assert "Waarom?" in text and "Cacioppo e.a. 2015" in text
    assert "bewezen effectief" in text and "afgeleid" in text
    assert "Aanbod voor dit plan" in text and "Telefoonster" in text
    assert 'action="/advies/plan.pdf"' in text and 'formaction="/advies/plan-dossier.pdf"' in text
    # DOMAIN.md §6: without that risk factor (or an age of 75 or more, or isolation) an
    # offer meant only for those groups is not proposed.
    r = client.get("/advies", params=PERSON)
    assert r.status_code == 200 and "Telefoonster" not in r.text


def test_safety_signal_comes_first(client: TestClient) -> None:
    r = client.get(
        "/advies", params={**PERSON, "age_group": "youth", "crisis_signs": "suicidal_thoughts"}
    )
    text = r.text
    assert 'class="signal signal-danger" role="alert"' in text
    assert "1813" in text and "Awel" in text
    assert text.index("signal-danger") < text.index('id="elements"')


def test_what_if_toggle_changes_the_advice(client: TestClient) -> None:
    chronic = client.get("/advies", params={**PERSON, "course": "chronic"}, headers=HX)
    transient = client.get("/advies", params={**PERSON, "course": "transient"}, headers=HX)
    assert 'id="avoid-social_skills"' in chronic.text
    assert 'id="avoid-social_skills"' not in transient.text
    assert transient.headers["HX-Push-Url"] == "/advies"


def test_result_with_missing_answers_goes_back_to_the_step(client: TestClient) -> None:
    r = client.get("/advies", params={"age_group": "older"}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/intake/questions?")
    page = client.get(r.headers["location"])
    assert "Vraag 1: kies of de problematiek situationeel of structureel is." in page.text


def test_plan_pdf(client: TestClient) -> None:
    r = client.get("/advies/plan.pdf", params=PERSON)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    assert "attachment" in r.headers["content-disposition"]
    assert r.headers["cache-control"] == "no-store"


def test_plan_html_has_no_personal_identifiers(client: TestClient) -> None:
    from app.advice.engine import advise
    from app.domain.intake import Intake
    from app.web.plan import plan_html

    knowledge = client.app.state.knowledge  # type: ignore[attr-defined]
    intake = Intake.model_validate(
        {
            "age_group": "older",
            "problem_nature": "structural",
            "wants_contact": False,
            "coping": "passive",
            "municipality": "Zoutleeuw",
            "djg6": ["ja", "ja", "ja", "nee", "nee", "nee"],
        }
    )
    advice = advise(intake, knowledge, ())
    client_plan = plan_html(advice, knowledge, "client", intake)
    file_plan = plan_html(advice, knowledge, "file", intake)
    assert "Zoutleeuw" not in client_plan and "Zoutleeuw" not in file_plan
    assert "gedachten die contact met anderen moeilijk maken" in client_plan
    assert "Sociaal-cognitieve training" in file_plan and "Cacioppo e.a. 2015" in file_plan


def test_nothing_is_stored_without_explicit_save(fresh_client: TestClient) -> None:
    fresh_client.get("/advies", params=PERSON)
    with Session(fresh_client.app.state.engine) as s:  # type: ignore[attr-defined]
        assert s.exec(select(SavedIntake)).all() == []


def test_save_requires_consent_and_stores_no_free_text(fresh_client: TestClient) -> None:
    refused = fresh_client.post("/advies/bewaar", data=PERSON, headers=HX)
    assert "Vink aan" in refused.text
    ok = fresh_client.post("/advies/bewaar", data={**PERSON, "consent": "yes"}, headers=HX)
    assert "Bewaard als anoniem record" in ok.text
    with Session(fresh_client.app.state.engine) as s:  # type: ignore[attr-defined]
        (record,) = s.exec(select(SavedIntake)).all()
    assert record.profile == "structural-no_need-passive"
    assert record.municipality == "Gent" and len(record.month) == 7
    assert record.advised[0] == "social_cognitive_training"


def test_cross_site_post_is_refused(fresh_client: TestClient) -> None:
    r = fresh_client.post(
        "/advies/bewaar",
        data={**PERSON, "consent": "yes"},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert r.status_code == 403 and "Verzoek geweigerd" in r.text
    r = fresh_client.post(
        "/advies/bewaar",
        data={**PERSON, "consent": "yes"},
        headers={"Origin": "https://evil.example"},
    )
    assert r.status_code == 403
    r = fresh_client.post(
        "/api/v1/advice", json={"age_group": "older"}, headers={"Origin": "https://evil.example"}
    )
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    with Session(fresh_client.app.state.engine) as s:  # type: ignore[attr-defined]
        assert s.exec(select(SavedIntake)).all() == []


def test_same_origin_post_is_accepted(fresh_client: TestClient) -> None:
    r = fresh_client.post(
        "/advies/bewaar",
        data={**PERSON, "consent": "yes"},
        headers={"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"},
    )
    assert r.status_code == 200


def test_security_headers(client: TestClient) -> None:
    r = client.get("/intake/context")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"


def test_no_inline_script_or_style(client: TestClient) -> None:
    for url in [
        "/",
        "/intake/scale",
        "/advies?age_group=older&problem_nature=structural&wants_contact=false&coping=passive",
    ]:
        html = client.get(url).text
        assert "<script>" not in html and "<style" not in html and " style=" not in html
        assert " onclick=" not in html


def test_html_404_page(client: TestClient) -> None:
    r = client.get("/nope")
    assert r.status_code == 404
    assert "Pagina niet gevonden" in r.text and "<html" in r.text
    assert client.get("/intake/unknown").status_code == 404


def test_html_500_page(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    import app.web.result as pages

    def boom(*_a: object, **_k: object) -> None:
        raise RuntimeError("internal detail")

    monkeypatch.setattr(pages, "advise", boom)
    r = client.get("/advies", params=PERSON)
    assert r.status_code == 500
    assert "Er ging iets mis" in r.text and "internal detail" not in r.text


def test_answers_are_not_logged(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client.get("/advies", params={**PERSON, "municipality": "Zoutleeuw"})
    client.post("/advies/bewaar", data={**PERSON, "municipality": "Zoutleeuw"})
    server_side = [r.getMessage() for r in caplog.records if not r.name.startswith("httpx")]
    assert not any("Zoutleeuw" in m for m in server_side)


def test_static_files_are_compressed(client: TestClient) -> None:
    r = client.get("/static/htmx.min.js", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200
    assert r.headers["content-encoding"] == "gzip"


# --- Safety first: the crisis signs open the intake --------------------------------------

LATER_STEPS = STEPS[1:]
CRISIS_NUMBERS = ("1813", "106", "112", "1733", "0800 13 500")


def _banner(html: str) -> str:
    start = html.find('<section class="crisis-banner')
    return html[start : html.index("</section>", start)] if start != -1 else ""


def test_crisis_signs_are_the_first_question_of_the_intake(client: TestClient) -> None:
    html = client.get("/intake/context").text
    form = html[html.index('id="step-form"') :]
    assert form.index('name="crisis_signs"') < form.index('name="age"')
    assert form.index('name="age"') < form.index('name="age_group"')
    assert "Vraag er gerust rechtstreeks naar" in form
    assert 'id="crisis-banner"' in form and 'hx-post="/intake/context/crisis"' in form
    assert _banner(html) == ""
    risks = client.get("/intake/risks", params=PERSON).text
    assert 'name="crisis_signs" value' not in risks  # hidden fields carry them, no checkbox


@pytest.mark.parametrize("sign", ["suicidal_thoughts", "acute_crisis"])
@pytest.mark.parametrize("step", LATER_STEPS)
def test_every_crisis_sign_shows_the_banner_on_every_later_step(
    client: TestClient, sign: str, step: str
) -> None:
    for headers in ({}, HX):
        html = client.get(
            f"/intake/{step}", params={**PERSON, "crisis_signs": sign}, headers=headers
        )
        banner = _banner(html.text)
        assert banner, f"no crisis banner on {step} for {sign}"
        for number in CRISIS_NUMBERS:
            assert number in banner, (step, sign, number)
        assert "CGG" in banner and "CAW" in banner
        assert html.text.index("crisis-banner") < html.text.index('id="step-form"')


def test_banner_appears_after_next_without_javascript(client: TestClient) -> None:
    r = client.get(
        "/intake/context",
        params={"crisis_signs": "suicidal_thoughts", "age_group": "adults", "go": "next"},
    )
    assert r.url.path == "/intake/questions"
    assert "1813" in _banner(r.text)


def test_crisis_fragment_appears_on_ticking_and_goes_away(client: TestClient) -> None:
    ticked = client.get(
        "/intake/context/crisis", params={"crisis_signs": "acute_crisis"}, headers=HX
    )
    assert ticked.status_code == 200 and "<html" not in ticked.text
    assert "acute crisis" in _banner(ticked.text) and "1813" in _banner(ticked.text)
    assert client.get("/intake/context/crisis", headers=HX).text.strip() == ""


def test_banner_numbers_come_from_the_signal_definitions(client: TestClient) -> None:
    signals = client.app.state.knowledge.signals  # type: ignore[attr-defined]
    params = {"crisis_signs": ["suicidal_thoughts", "acute_crisis"], "age_group": "youth"}
    banner = _banner(client.get("/intake/review", params=params).text)
    for signal_id in ("crisis-suicide", "crisis-acute", "crisis-youth"):
        for contact in signals[signal_id].contacts:
            assert contact.name in banner
            if contact.phone:
                assert contact.phone in banner
                assert f'href="tel:{contact.phone.replace(" ", "")}"' in banner


@pytest.mark.parametrize(
    ("age_params", "awel"),
    [
        ({"age_group": "youth"}, True),
        ({"age": "9"}, True),
        ({}, True),  # the age is not known yet
        ({"age_group": "adults"}, False),
        ({"age": "80"}, False),
    ],
)
def test_awel_for_children_and_young_people(
    client: TestClient, age_params: dict[str, str], awel: bool
) -> None:
    params = {"crisis_signs": "suicidal_thoughts", **age_params}
    banner = _banner(client.get("/intake/context/crisis", params=params).text)
    assert ("Awel" in banner) is awel
    assert ("102" in banner) is awel


# --- Age in years ------------------------------------------------------------------------


def _shown_ranges(html: str) -> dict[str, tuple[int, int]]:
    """Age group → (low, high) as the labels of the radios show them."""
    ranges = {}
    for group, low, high in re.findall(
        r'<label for="age_group-(\w+)">[^<(]*\((\d+)(?:–(\d+))? jaar', html
    ):
        ranges[group] = (int(low), int(high) if high else 120)
    return ranges


def test_age_groups_show_their_ranges(client: TestClient) -> None:
    shown = _shown_ranges(client.get("/intake/context").text)
    assert shown == {
        "children": (0, 11),
        "youth": (12, 17),
        "young_adults": (18, 25),
        "adults": (26, 59),
        "older": (60, 120),
    }
    assert "Ouderen (60 jaar of ouder)" in client.get("/intake/context").text


def test_every_age_belongs_to_the_group_whose_range_is_shown(client: TestClient) -> None:
    shown = _shown_ranges(client.get("/intake/context").text)
    for age in range(0, 121):
        (group,) = [g for g, (low, high) in shown.items() if low <= age <= high]
        assert not validate_step(Answers.from_pairs([("age", str(age))]), "context"), age
        agreeing = Answers.from_pairs([("age", str(age)), ("age_group", group)])
        assert not validate_step(agreeing, "context"), age
        intake = to_intake(Answers.from_pairs([("age", str(age)), *PERSON_NO_AGE_GROUP.items()]))
        assert intake.age == age and intake.age_group == group
        for other in shown.keys() - {group}:
            errors = validate_step(
                Answers.from_pairs([("age", str(age)), ("age_group", other)]), "context"
            )
            assert f"{age} jaar hoort bij" in errors["age_group"], (age, other)
            assert f"({shown[group][0]}" in errors["age_group"], (age, other)


PERSON_NO_AGE_GROUP = {k: v for k, v in PERSON.items() if k != "age_group"}


def test_age_alone_is_enough_and_reaches_the_advice(client: TestClient) -> None:
    r = client.get(
        "/intake/context",
        params={**PERSON_NO_AGE_GROUP, "age": "81", "go": "next"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and _query(r.headers["location"])["age"] == ["81"]
    review = client.get("/intake/review", params={**PERSON_NO_AGE_GROUP, "age": "81"}).text
    assert "81 jaar" in review and "hoge leeftijd" in review
    assert "Ouderen (60 jaar of ouder) – afgeleid uit de leeftijd" in review
    assert "Ouderen vanaf een bepaalde leeftijd (uit de leeftijd)" in review
    result = client.get("/advies", params={**PERSON_NO_AGE_GROUP, "age": "81"})
    assert result.status_code == 200 and "<h1" in result.text


def test_hint_says_75_plus_is_old_age(client: TestClient) -> None:
    html = client.get("/intake/context").text
    assert "Vanaf 75 jaar telt ook de risicofactor ‘hoge leeftijd’ mee" in html
    risks = client.get("/intake/risks", params={**PERSON, "age": "77"}).text
    assert "De persoon is 77 jaar" in risks
    assert "De persoon is" not in client.get("/intake/risks", params={**PERSON, "age": "74"}).text


# --- Municipality --------------------------------------------------------------------------


def test_municipality_is_a_datalist_of_every_place(client: TestClient) -> None:
    html = client.get("/intake/context").text
    assert 'list="municipality-list"' in html
    datalist = html[html.index('<datalist id="municipality-list">') :]
    datalist = datalist[: datalist.index("</datalist>")]
    names = re.findall(r'<option value="([^"]+)"', datalist)
    assert names == [m.name for m in load_places().all()]
    assert 'value="Tessenderlo-Ham" label="3945, 3980 · vroeger Tessenderlo, Ham"' in datalist
    assert 'value="Antwerpen" label="2000, 2018, 2020, …' in datalist


def test_every_former_name_and_postcode_resolves_to_the_current_name() -> None:
    for m in load_places().all():
        for former in m.former:
            check = check_municipality(former)
            assert check.place is not None and check.place.name == m.name, former
            if normalize(former) != normalize(m.name):
                assert check.notice == f"{former} hoort sinds 2025 bij {m.name}.", former
            answers, _notice = normalise_answers(Answers.from_pairs([("municipality", former)]))
            assert answers.get("municipality") == m.name
        for code in m.postcodes:
            check = check_municipality(code)
            assert check.place is not None and code in check.place.postcodes, code
        assert check_municipality(m.name).notice is None
        assert check_municipality(m.name.upper()).place == m


def test_former_name_becomes_the_current_name_with_a_note(client: TestClient) -> None:
    params = {**PERSON, "municipality": "Ham", "go": "next"}
    r = client.get("/intake/context", params=params)
    assert r.url.path == "/intake/questions"
    assert "Ham hoort sinds 2025 bij Tessenderlo-Ham." in r.text
    assert '<input type="hidden" name="municipality" value="Tessenderlo-Ham">' in r.text
    htmx = client.post("/intake/context", data=params, headers=HX)
    assert '<input type="hidden" name="municipality" value="Tessenderlo-Ham">' in htmx.text
    assert (
        "Postcode 3980 hoort bij Tessenderlo-Ham."
        in client.get("/intake/questions", params={**PERSON, "municipality": "3980"}).text
    )
    live = client.get("/intake/context/municipality", params={"municipality": "ham"}, headers=HX)
    assert 'value="Tessenderlo-Ham"' in live.text and "hoort sinds 2025" in live.text
    saved = to_intake(Answers.from_pairs({**PERSON, "municipality": "Borsbeek"}.items()))
    assert saved.municipality == "Antwerpen"


def test_unknown_municipality_errors_with_suggestions_and_keeps_the_rest(
    client: TestClient,
) -> None:
    params = {
        **PERSON,
        "municipality": "Gnet",
        "age": "70",
        "crisis_signs": "acute_crisis",
        "duration_months": "12",
        "go": "next",
    }
    r = client.get("/intake/context", params=params)
    assert r.url.path == "/intake/context"
    assert "“Gnet” staat niet in de lijst" in r.text and "Bedoelt u Gent" in r.text
    assert 'value="Gnet"' in r.text and 'aria-invalid="true"' in r.text
    assert 'value="70"' in r.text and 'value="acute_crisis" checked' in r.text
    assert '<input type="hidden" name="duration_months" value="12">' in r.text
    links = re.findall(r'<ul class="suggestions"[^>]*>(.*?)</ul>', r.text, re.S)[0]
    assert "href=" not in links  # a suggestion posts the answers; a link would carry them
    names = re.findall(r'name="pick_municipality" value="([^"]+)"', links)
    assert 1 <= len(names) <= 5 and names[0] == "Gent"
    # Clicking a suggestion posts the whole form with that name instead of the typo.
    picked = client.post(
        "/intake/context", data={**params, "go": "", "pick_municipality": names[0]}
    )
    assert 'value="Gent"' in picked.text and "staat niet in de lijst" not in picked.text
    assert '<input type="hidden" name="duration_months" value="12">' in picked.text


def test_live_municipality_check_for_an_unknown_name(client: TestClient) -> None:
    r = client.get("/intake/context/municipality", params={"municipality": "Namen"}, headers=HX)
    assert "<html" not in r.text and 'id="municipality-field"' in r.text
    assert 'role="alert"' in r.text and "Bedoelt u" in r.text
    assert r.text.count("<li>") <= 5


# --- Duration and course ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("months", "course", "nature", "expected"),
    [
        ("36", "transient", "structural", ["U koos voorbijgaande eenzaamheid"]),
        ("24", "transient", "structural", ["U koos voorbijgaande eenzaamheid"]),
        ("23", "chronic", "situational", ["U koos chronische eenzaamheid"]),
        ("6", "", "structural", ["De problematiek is structureel"]),
        ("48", "", "situational", ["De problematiek is situationeel"]),
        ("6", "chronic", "structural", ["U koos chronische", "De problematiek is structureel"]),
        ("36", "chronic", "structural", []),
        ("6", "transient", "situational", []),
        ("", "transient", "structural", []),
    ],
)
def test_duration_that_disagrees_is_a_warning_not_an_error(
    client: TestClient, months: str, course: str, nature: str, expected: list[str]
) -> None:
    params = {**PERSON, "problem_nature": nature, "duration_months": months, "course": course}
    for step in ("course", "review"):
        html = client.get(f"/intake/{step}", params=params).text
        warning = re.findall(
            r'<div class="signal signal-warning course-warning">(.*?)</div>', html, re.S
        )
        if not expected:
            assert not warning, (step, warning)
            continue
        assert len(re.findall("<li>", warning[0])) == len(expected)
        for text in expected:
            assert text in warning[0]
        assert "Young, 1982" in warning[0] and "Eccles & Qualter, 2021" in warning[0]
    r = client.get("/intake/course", params={**params, "go": "next"}, follow_redirects=False)
    assert r.status_code == 303  # the worker may go on
    live = client.get("/intake/course/check", params=params, headers=HX)
    assert bool(expected) == ("course-warning" in live.text)


def test_one_month_is_counted_in_the_singular(client: TestClient) -> None:
    review = client.get("/intake/review", params={**PERSON, "duration_months": "1"}).text
    assert ">1 maand<" in review
    assert (
        "U koos chronische eenzaamheid, maar ze duurt pas 1 maand."
        in client.get(
            "/intake/course", params={**PERSON, "duration_months": "1", "course": "chronic"}
        ).text
    )


# --- Risk-factor search with synonyms ---------------------------------------------------

SEARCHES = [
    ("angst", "psychological_vulnerability"),
    ("Angstig", "psychological_vulnerability"),
    ("depressie", "psychological_vulnerability"),
    ("werk", "poverty"),
    ("werkloos", "general_vulnerability"),
    ("weduwe", "partner_loss"),
    ("weduwnaar", "partner_loss"),
    ("rouw", "partner_loss"),
    ("dement", "health_problems"),
    ("ziek", "health_problems"),
    ("pijn", "health_problems"),
    ("rolstoel", "physical_disability"),
    ("migrant", "newcomer"),
    ("vluchteling", "newcomer"),
    ("taal", "newcomer"),
    ("scheiding", "divorce"),
    ("holebi", "lgbtq"),
    ("transgender", "lgbtq"),
    ("alleen", "living_alone"),
    ("zorgt voor", "caregiver"),
    ("geld", "poverty"),
    ("schulden", "poverty"),
    ("OCMW", "poverty"),
    ("geisoleerd", "small_network"),
    ("geïsoleerd", "small_network"),
    ("ZIEKENHUIS", "health_problems"),
    ("widow", "partner_loss"),
    ("wheelchair", "physical_disability"),
    ("mantel", "caregiver"),
    ("laaggeletterd", "low_education"),
]


def _search_texts(html: str) -> dict[str, str]:
    pairs = re.findall(
        r'<div class="choice" data-filter-text="([^"]*)">\s*<input type="checkbox" '
        r'id="risk_factors-(\w+)"',
        html,
    )
    return {factor: text for text, factor in pairs}


def test_every_risk_factor_has_synonyms_in_both_languages() -> None:
    synonyms = load_synonyms()
    for factor in RiskFactor:
        assert len(synonyms.words[factor]["nl"]) >= 2, factor
        assert len(synonyms.words[factor]["en"]) >= 2, factor


@pytest.mark.parametrize(("query", "factor"), SEARCHES)
def test_search_word_finds_the_expected_risk_factor(
    client: TestClient, query: str, factor: str
) -> None:
    texts = _search_texts(client.get("/intake/risks", params=PERSON).text)
    assert set(texts) == {r.value for r in RiskFactor}
    found = factors_matching(query, texts)
    assert factor in found, (query, found)
    assert len(found) <= 5, (query, found)


def test_search_matches_word_starts_only(client: TestClient) -> None:
    texts = _search_texts(client.get("/intake/risks", params=PERSON).text)
    assert "small_network" not in factors_matching("werk", texts)  # not "netwerk"
    assert factors_matching("", texts) == list(texts)
    assert factors_matching("xyzzy", texts) == []


def test_search_texts_are_folded_for_the_browser(client: TestClient) -> None:
    texts = _search_texts(client.get("/intake/risks", params=PERSON).text)
    for text in texts.values():
        assert text == fold(text)
    assert "geisoleerd" in texts["small_network"] and "ocmw" in texts["poverty"]


def test_synonyms_file_is_checked(tmp_path: Path) -> None:
    good = yaml.safe_load(SYNONYMS_PATH.read_text(encoding="utf-8"))
    missing = {"risk_factors": {k: v for k, v in good["risk_factors"].items() if k != "lgbtq"}}
    with pytest.raises(SynonymsError, match="no synonyms for: lgbtq"):
        parse_synonyms(tmp_path / "s.yaml", missing)
    unknown = {"risk_factors": {**good["risk_factors"], "sadness": good["risk_factors"]["none"]}}
    with pytest.raises(SynonymsError, match="unknown risk factor"):
        parse_synonyms(tmp_path / "s.yaml", unknown)
    short = {"risk_factors": {**good["risk_factors"], "divorce": {"nl": ["x"], "en": ["y", "z"]}}}
    with pytest.raises(SynonymsError, match="'divorce': field 'nl': needs at least 2"):
        parse_synonyms(tmp_path / "s.yaml", short)


# --- "Wijzig" on the overview returns to the overview ----------------------------------


def test_change_links_on_the_overview_come_back_to_it(client: TestClient) -> None:
    review = client.get("/intake/review", params=PERSON).text
    steps = re.findall(r'formaction="/intake/review" name="edit" value="(\w+)">Wijzig<', review)
    assert len(steps) >= 10
    for step in set(steps):
        page = client.post("/intake/review", data={**PERSON, "edit": step}).text
        assert '<h1 id="step-title" tabindex="-1">' in page
        assert ">Terug naar overzicht</button>" in page, step
        assert '<input type="hidden" name="back_to" value="review">' in page
        assert ">Volgende</button>" not in page.split('class="actions"')[1]


def test_back_to_overview_validates_the_step(client: TestClient) -> None:
    ok = client.get(
        "/intake/questions",
        params={**PERSON, "back_to": "review", "go": "overview"},
        follow_redirects=False,
    )
    assert ok.status_code == 303 and ok.headers["location"].startswith("/intake/review?")
    assert "back_to" not in _query(ok.headers["location"])
    bad = client.get(
        "/intake/questions",
        params={**PERSON, "coping": "", "back_to": "review", "go": "overview"},
    )
    assert (
        bad.url.path == "/intake/questions"
        and "Vraag 3: kies of de persoon daar zelf actief aan kan (mee)werken." in bad.text
    )
    assert ">Terug naar overzicht</button>" in bad.text
    htmx = client.get(
        "/intake/course",
        params={**PERSON, "back_to": "review", "go": "overview"},
        headers=HX,
    )
    assert "Toon het advies" in htmx.text
    assert htmx.headers["HX-Push-Url"] == "/intake/review"
    opened = client.post("/intake/course", data={**PERSON, "back_to": "review"}, headers=HX)
    assert '<input type="hidden" name="back_to" value="review">' in opened.text


# --- Dutch ------------------------------------------------------------------------------


@pytest.mark.parametrize("step", STEPS)
def test_wizard_dutch_has_no_double_article_or_old_words(client: TestClient, step: str) -> None:
    html = client.get(f"/intake/{step}", params={**PERSON, "crisis_signs": "acute_crisis"}).text
    for wrong in (
        "De De Jong",
        "de De Jong",
        "niet geweten",
        "Niet geweten",
        "zelf aanpak",
        "et al.",
    ):
        assert wrong not in html, (step, wrong)
    assert not re.search(r"\d/6\.[A-Z]", html)


def test_pages_name_the_sites_icon(client: TestClient) -> None:
    for path in ("/", "/training", "/training/persona/maria-persona-75-plus/presentatie"):
        page = client.get(path).text
        match = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page)
        assert match, path
        icon = client.get(match.group(1))
        assert icon.status_code == 200 and icon.text.startswith("<svg"), path
