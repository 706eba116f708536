"""The persona library of trainer mode: every persona is a valid intake with an advice, the
eight profiles and the report's special cases are all there, and the library, persona
pages and both worksheets show what a trainer needs (and the worksheet no answers)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from app.advice.knowledge import Knowledge
from app.core.config import Settings
from app.domain.intake import Intake, derive_facts
from app.domain.vocabulary import AgeGroup, Course, Dimension, RiskFactor
from app.main import create_app
from app.training.personas import (
    PERSONAS_FILE,
    Persona,
    PersonaError,
    load_personas,
    persona_by_id,
    read_personas,
)
from tests.conftest import database_for
from tests.test_own_words import REPORT, _runs, _strings, _words

PERSONAS = load_personas()
ENGLISH = load_personas("en")
IDS = [p.id for p in PERSONAS]


@pytest.fixture(scope="module")
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """One database for the module's tests (SQLite, or a PostgreSQL schema)."""
    with database_for(request, tmp_path_factory.mktemp("training-db"), "ezw_training") as url:
        yield url


@pytest.fixture(scope="module")
def client(database_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(database_url=database_url))) as c:
        yield c


@pytest.fixture
def english(client: TestClient) -> Iterator[TestClient]:
    """The module's client after the user chose English (the `lang` cookie), Dutch after."""
    client.get("/training?lang=en")
    yield client
    client.get("/training?lang=nl")


@pytest.fixture(scope="module")
def advice(client: TestClient) -> dict[str, dict[str, Any]]:
    """Each persona's advice from the public API, as any client would get it."""
    out = {}
    for p in PERSONAS:
        response = client.post("/api/v1/advice", json=p.intake)
        assert response.status_code == 200, (p.id, response.text)
        out[p.id] = response.json()
    return out


def first_plan_label(advice: dict[str, Any]) -> str:
    first = advice["plan"][0]
    return next(e["label"] for e in advice["elements"] if e["id"] == first)


def section(html: str, id_: str) -> str:
    """The text of the <section> with this id, or '' when the page has none."""
    found = re.search(rf'<section[^>]*id="{id_}".*?</section>', html, re.S)
    return unescape(found.group(0)) if found else ""


# --- The data ------------------------------------------------------------------------------


def test_every_intake_is_valid_and_ids_are_unique_slugs() -> None:
    assert len(PERSONAS) >= 9
    assert len(set(IDS)) == len(IDS)
    for p in PERSONAS:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", p.id), p.id
        assert Intake.model_validate(p.intake) == p.intake_model
        assert p.name and p.title and len(p.paragraphs) >= 2
        assert 2 <= len(p.questions) <= 4, p.id


def test_every_persona_has_a_complete_english_version() -> None:
    assert [p.id for p in ENGLISH] == IDS
    for nl, en in zip(PERSONAS, ENGLISH, strict=True):
        assert (en.lang, en.name, en.intake) == ("en", nl.name, nl.intake)
        assert en.title != nl.title and en.paragraphs[0] != nl.paragraphs[0], en.id
        assert len(en.paragraphs) == len(nl.paragraphs), en.id
        assert len(en.questions) == len(nl.questions), en.id
        # The sources are the Dutch points', in the same order.
        assert [lp.source for lp in en.learning_points] == [lp.source for lp in nl.learning_points]
        assert all(len(lp.text) > 40 for lp in en.learning_points), en.id
        # A caption is shown lower-cased after a comma; only its first letter changes.
        assert en.title[0].isupper() and not re.search(r"\s[A-Z]", en.title[1:]), en.title


def test_every_persona_gets_an_advice_and_its_profile(advice: dict[str, dict[str, Any]]) -> None:
    for p in PERSONAS:
        got = advice[p.id]
        assert got["profile"]["id"] == p.profile_id
        assert 3 <= len(got["plan"]) <= 5, p.id


def test_the_eight_profiles_each_have_a_persona(knowledge: Knowledge) -> None:
    assert len(knowledge.profiles) == 8
    assert {p.profile_id for p in PERSONAS} == set(knowledge.profiles)


def _with(check: Any) -> list[str]:
    return [p.id for p in PERSONAS if check(p, derive_facts(p.intake_model))]


def test_the_reports_special_cases_are_there() -> None:
    djg = {
        RiskFactor.older_age,
        RiskFactor.living_alone,
        RiskFactor.small_network,
        RiskFactor.low_perceived_control,
        RiskFactor.poverty,
    }
    # de Jong-Gierveld & van Tilburg (2022): 75+, living alone, small network, little
    # perceived control, low income.
    assert _with(lambda p, f: (p.intake_model.age or 0) >= 75 and djg <= f.risk_factors)
    assert _with(lambda p, f: RiskFactor.caregiver in f.risk_factors)
    assert _with(lambda p, f: RiskFactor.newcomer in f.risk_factors)
    assert _with(lambda p, f: Dimension.existential in f.dimensions)
    young = AgeGroup.young_adults
    assert _with(lambda p, f: p.intake_model.age_group is young and f.course is Course.transient)
    assert _with(lambda p, f: p.intake_model.age_group is young and f.course is Course.chronic)


def test_every_learning_point_has_an_author_year_source() -> None:
    for p in PERSONAS:
        assert p.learning_points, p.id
        for lp in p.learning_points:
            assert re.search(r"[A-Z][\w-]+.*\b(19|20)\d{2}\b", lp.source), (p.id, lp.source)
            assert len(lp.text) > 40


def test_a_learning_point_on_a_profiles_direction_says_it_is_our_derivation() -> None:
    # DOMAIN.md §2: which answers lead where is not public; a direction is the project's.
    for p in PERSONAS:
        for lp in p.learning_points:
            if "Machielse & Ariaans 2020" in lp.source:
                assert re.search(r"afleiding|leidt\b.*\baf\b", lp.text), (p.id, lp.text)
    for p in ENGLISH:
        for lp in p.learning_points:
            if "Machielse & Ariaans 2020" in lp.source:
                assert re.search(r"\bderiv", lp.text), (p.id, lp.text)


def test_no_worksheet_question_asks_what_the_intake_on_the_sheet_already_says() -> None:
    # The worksheet prints the intake (course, dimensions, risk factors) above the questions:
    # "Is it transient or chronic?" or "Which risk factors do you see?" answer themselves.
    giveaways = re.compile(
        r"voorbijgaand of chronisch|welke dimensies|welke risicofactoren ziet"
        r"|transient or chronic|which dimensions|which risk factors do you see",
        re.IGNORECASE,
    )
    for p in (*PERSONAS, *ENGLISH):
        for question in p.questions:
            assert not giveaways.search(question), (p.id, question)


@pytest.mark.skipif(not REPORT.exists(), reason="the source report (../shared/seed) is not here")
def test_the_personas_are_in_our_own_words() -> None:
    """As tests/test_own_words.py checks the rules and templates: no run of eight words of
    the report in a story, caption, learning point or question."""
    report_runs = _runs(_words(REPORT.read_text(encoding="utf-8")))
    data = yaml.safe_load(PERSONAS_FILE.read_text(encoding="utf-8"))
    copied = [t for t in _strings(data) if _runs(_words(t)) & report_runs]
    assert not copied


def test_the_intake_is_a_copy_callers_cannot_spoil() -> None:
    p = PERSONAS[0]
    body = p.intake
    body["coping"] = "other"
    body.setdefault("risk_factors", []).append("lgbtq")
    assert persona_by_id(p.id) is p
    assert p.intake != body
    assert persona_by_id("niemand") is None
    assert persona_by_id(p.id, "en") is ENGLISH[0]
    # A language the site does not have gets the Dutch texts.
    assert load_personas("fr") is PERSONAS


GOOD = {"age": 40, "problem_nature": "situational", "wants_contact": True, "coping": "active"}
ENGLISH_BLOCK = {
    "title": "Test",
    "story": "One.\n\nTwo.",
    "learning_points": [{"text": "Something."}],
    "questions": ["What?", "Why?"],
}


def _file(
    tmp_path: Path,
    intake: dict[str, Any],
    pid: str = "anna",
    twice: bool = False,
    en: Any = ENGLISH_BLOCK,
) -> Path:
    one = {
        "id": pid,
        "name": "Anna",
        "title": "Test",
        "story": "Een.\n\nTwee.",
        "intake": intake,
        "learning_points": [{"text": "Iets.", "source": "Weiss 1973"}],
        "questions": ["Wat?", "Waarom?"],
    }
    if en is not None:
        one["en"] = en
    path = tmp_path / "personas.yaml"
    path.write_text(yaml.safe_dump({"personas": [one, one] if twice else [one]}), "utf-8")
    return path


@pytest.mark.parametrize(
    ("intake", "pid", "twice", "message"),
    [
        ({**GOOD, "colour": "blue"}, "anna", False, "persona 'anna': intake.colour"),
        ({**GOOD, "coping": "sometimes"}, "anna", False, "persona 'anna': intake.coping"),
        ({**GOOD, "age_group": "older"}, "anna", False, "persona 'anna': intake"),
        (GOOD, "Anna Smit", False, "'id' must be lower-case"),
        (GOOD, "anna", True, "persona id 'anna' appears twice"),
    ],
)
def test_a_bad_file_is_refused_with_persona_and_field(
    tmp_path: Path, intake: dict[str, Any], pid: str, twice: bool, message: str
) -> None:
    with pytest.raises(PersonaError, match=re.escape(message)):
        read_personas(_file(tmp_path, intake, pid, twice))
    assert len(read_personas(_file(tmp_path, GOOD))) == 1


@pytest.mark.parametrize(
    ("en", "message"),
    [
        (None, "persona 'anna': missing key(s) en (the English version)"),
        ("Anna", "persona 'anna': en: the English version must be a mapping"),
        (
            {k: v for k, v in ENGLISH_BLOCK.items() if k != "story"},
            "persona 'anna': en: the English version lacks story",
        ),
        ({**ENGLISH_BLOCK, "name": "Ann"}, "persona 'anna': en: unknown key(s) name"),
        ({**ENGLISH_BLOCK, "title": " "}, "persona 'anna': en: 'title' must be a non-empty text"),
        (
            {**ENGLISH_BLOCK, "questions": ["What?"]},
            "persona 'anna': en: 'questions' has 1 question(s), the Dutch version 2",
        ),
        (
            {**ENGLISH_BLOCK, "learning_points": [{"text": "A."}, {"text": "B."}]},
            "persona 'anna': en: 'learning_points' has 2 point(s), the Dutch version 1",
        ),
        (
            {**ENGLISH_BLOCK, "learning_points": [{"text": "A.", "source": "Weiss 1973"}]},
            "persona 'anna': en: learning point 1 needs exactly 'text'",
        ),
    ],
)
def test_a_persona_without_a_complete_english_version_is_refused(
    tmp_path: Path, en: Any, message: str
) -> None:
    with pytest.raises(PersonaError, match=re.escape(message)):
        read_personas(_file(tmp_path, GOOD, en=en))
    english = read_personas(_file(tmp_path, GOOD))[0].in_language("en")
    assert (english.title, english.paragraphs, english.questions) == (
        "Test",
        ("One.", "Two."),
        ("What?", "Why?"),
    )
    assert english.learning_points[0].source == "Weiss 1973"


# --- The pages -----------------------------------------------------------------------------


def test_the_library_lists_every_persona_with_its_facts(client: TestClient) -> None:
    response = client.get("/training")
    assert response.status_code == 200
    html = unescape(response.text)
    # The trainer's other tools, voting included, are one click from the library.
    for address in ("/training/profielen", "/training/vergelijk", "/training/stemmen"):
        assert f'<a href="{address}">' in html
    for p in PERSONAS:
        assert f'href="/training/persona/{p.id}"' in html
        assert f'href="/training/persona/{p.id}/werkblad"' in html
        assert p.name in html and p.title in html
    assert 'href="/training/profielen"' in html and 'href="/training/vergelijk"' in html
    assert "Structureel · geen (duidelijke) behoefte aan nieuwe contacten" in html
    assert "Existentiële eenzaamheid" in html


def test_ages_are_plural_in_english(client: TestClient) -> None:
    # "{n} jaar" is a plural msgid; gettext alone gave "31 year".
    persona = next(p for p in PERSONAS if p.intake_model.age)
    age = persona.intake_model.age
    library = unescape(client.get("/training?lang=en").text)
    page = unescape(client.get(f"/training/persona/{persona.id}?lang=en").text)
    client.get("/training?lang=nl")
    for html in (library, page):
        assert f"{age} years" in html and f"{age} year<" not in html


def dutch_texts(p: Persona) -> list[str]:
    """Every text of a persona that has an English version (title, story, points, questions)."""
    return [p.title, *p.paragraphs, *(lp.text for lp in p.learning_points), *p.questions]


def test_the_library_shows_the_personas_in_english(english: TestClient) -> None:
    html = unescape(english.get("/training").text)
    assert '<html lang="en">' in html
    for nl, en in zip(PERSONAS, ENGLISH, strict=True):
        assert f'<p class="persona-title">{en.title}</p>' in html
        assert nl.title not in html


@pytest.mark.parametrize("persona_id", IDS)
def test_persona_page_worksheet_and_answer_key_in_english(
    english: TestClient, persona_id: str
) -> None:
    nl, en = persona_by_id(persona_id), persona_by_id(persona_id, "en")
    assert nl and en
    caption = en.title[0].lower() + en.title[1:]

    page = unescape(english.get(f"/training/persona/{persona_id}").text)
    assert f"{en.name}: {en.title}</h1>" in page
    assert all(f"<p>{paragraph}</p>" in page for paragraph in en.paragraphs)
    assert all(f"<li>{lp.text} <span" in page for lp in en.learning_points)

    sheet = unescape(english.get(f"/training/persona/{persona_id}/werkblad").text)
    assert f"Worksheet: {en.name}, {caption}</h1>" in sheet
    assert all(f"<p>{paragraph}</p>" in sheet for paragraph in en.paragraphs)
    assert all(f"<p>{question}</p>" in sheet for question in en.questions)

    key = unescape(english.get(f"/training/persona/{persona_id}/antwoorden").text)
    assert f"{en.name}, {caption}</h1>" in key
    assert all(f"<li>{lp.text} <span" in key for lp in en.learning_points)

    for html in (page, sheet, key):
        assert not [t for t in dutch_texts(nl) if t in html], persona_id
        # No part of the page is marked as Dutch any more but the switch back to it and the
        # catalogue's own descriptions of the offers.
        dutch_marks = html.count('hreflang="nl"') + html.count('description" lang="nl"')
        assert html.count(' lang="nl"') == dutch_marks


def test_the_library_filters_by_age_group_and_course(client: TestClient) -> None:
    html = client.get("/training", params={"leeftijd": "older", "verloop": "chronic"}).text
    expected = [
        p
        for p in PERSONAS
        if p.intake_model.age_group is AgeGroup.older
        and derive_facts(p.intake_model).course is Course.chronic
    ]
    assert expected
    for p in PERSONAS:
        assert (f'id="persona-{p.id}"' in html) == (p in expected), p.id
    assert f"{len(expected)} van {len(PERSONAS)} personen" in html
    # An unknown value shows all instead of an error.
    shown = client.get("/training", params={"leeftijd": "martians"}).text
    assert shown.count("card persona-card") == len(PERSONAS)


@pytest.mark.parametrize("persona_id", IDS)
def test_persona_page_worksheet_and_answer_key(
    client: TestClient, advice: dict[str, dict[str, Any]], persona_id: str
) -> None:
    p = persona_by_id(persona_id)
    assert isinstance(p, Persona)
    label = first_plan_label(advice[p.id])

    page = client.get(f"/training/persona/{p.id}")
    assert page.status_code == 200
    html = unescape(page.text)
    assert p.name in html and p.paragraphs[0] in html
    plan = re.search(r'<ol class="elements plan-list" id="elements">.*?</ol>', html, re.S)
    assert plan and label in plan.group(0)
    for lp in p.learning_points:
        assert lp.text in html
    assert f'href="/training/persona/{p.id}/presentatie"' in html
    assert f'href="/training/persona/{p.id}/antwoorden"' in html
    vote = re.search(r'<form method="post" action="/training/stemmen".*?</form>', html, re.S)
    assert vote and f'name="persona_id" value="{p.id}"' in vote.group(0)
    # A fictional person's advice is never saved or shared as a real intake's would be.
    assert "/advies/bewaar" not in html and "Wat als" not in html

    sheet = client.get(f"/training/persona/{p.id}/werkblad")
    assert sheet.status_code == 200
    html = unescape(sheet.text)
    assert p.name in html and p.paragraphs[-1] in html
    for q in p.questions:
        assert q in html
    assert "write-lines" in html and "data-print" in html
    assert section(html, "answer-plan") == "" and 'id="answer-' not in html
    assert "Leerpunten" not in html and "bewezen effectief" not in html

    key = client.get(f"/training/persona/{p.id}/antwoorden")
    assert key.status_code == 200
    html = unescape(key.text)
    plan = section(html, "answer-plan")
    assert label in plan and "(" in plan
    for lp in p.learning_points:
        assert f"{lp.text} <span" in html
    if advice[p.id]["discouraged"]:
        assert section(html, "answer-avoid")


def test_an_unknown_persona_is_a_dutch_404(client: TestClient) -> None:
    for path in ("/training/persona/niemand", "/training/persona/niemand/werkblad"):
        response = client.get(path)
        assert response.status_code == 404
        assert "Persoon niet gevonden" in response.text
        assert 'href="/training"' in response.text


def test_the_persona_page_opens_a_voting_round(client: TestClient) -> None:
    """The button "Stemronde starten" carries the token of app/web/training_voting.py's
    form: one click opens the round, without the confirmation a missing token asks for."""
    html = client.get("/training/persona/kobe-jongvolwassene").text
    token = re.search(r'name="csrf" value="([^"]+)"', html)
    assert token
    response = client.post(
        "/training/stemmen",
        data={"csrf": token.group(1), "persona_id": "kobe-jongvolwassene"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"].endswith("/beheer")
