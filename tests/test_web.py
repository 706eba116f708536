"""The intake pages through TestClient: every step, validation, htmx and plain requests."""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.catalogue.models import SavedIntake

HX = {"HX-Request": "true"}
PERSON = {
    "age_group": "older",
    "municipality": "Gent",
    "problem_nature": "structural",
    "wants_contact": "false",
    "coping": "passive",
}
STEPS = ["context", "questions", "course", "dimensions", "risks", "scale", "review"]


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


def test_next_with_htmx_renders_next_step_and_pushes_url(client: TestClient) -> None:
    r = client.get("/intake/context", params={**PERSON, "go": "next"}, headers=HX)
    assert r.status_code == 200
    assert "Drie vragen" in r.text
    assert r.headers["HX-Push-Url"].startswith("/intake/questions?")


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
    assert r.text.count("Kies een antwoord.") == 4  # two in the summary, two by the fields
    assert 'value="structural" checked' in r.text
    assert 'name="municipality" value="Gent"' in r.text  # other steps' answers kept


@pytest.mark.parametrize(
    ("step", "params", "message"),
    [
        ("context", {}, "Kies een leeftijdsgroep."),
        ("context", {"age_group": "martian"}, "Kies een van de aangeboden antwoorden."),
        ("context", {"age_group": "older", "municipality": "x" * 81}, "hoogstens 80 tekens"),
        ("course", {"duration_months": "twee jaar"}, "geheel aantal maanden"),
        ("course", {"duration_months": "5000"}, "hoogstens 1200 maanden"),
        ("course", {"course": "forever"}, "Kies een van de aangeboden antwoorden."),
        ("dimensions", {"dimensions": "sad"}, "Kies alleen uit de aangeboden mogelijkheden."),
        ("dimensions", {"socially_isolated": "maybe"}, "Kies een van de aangeboden antwoorden."),
        ("risks", {"risk_factors": ["none", "poverty"]}, "kan niet samen met andere"),
        ("scale", {"djg6_1": "ja", "djg6_2": "nee"}, "Beantwoord alle zes uitspraken"),
    ],
)
def test_validation_messages(
    client: TestClient, step: str, params: dict[str, object], message: str
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
    r = client.get("/advies", params=PERSON)
    assert r.status_code == 200
    text = r.text
    assert 'id="el-social_cognitive_training"' in text
    assert text.index("el-social_cognitive_training") < text.index("el-practical_support")
    assert 'id="avoid-meeting"' in text
    assert "Waarom?" in text and "Cacioppo et al. 2015" in text
    assert "bewezen effectief" in text and "afgeleid" in text
    assert "Passend aanbod" in text and "Telefoonster" in text
    assert "/advies/plan.pdf?" in text


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
    assert "course=transient" in transient.headers["HX-Push-Url"]


def test_result_with_missing_answers_goes_back_to_the_step(client: TestClient) -> None:
    r = client.get("/advies", params={"age_group": "older"}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/intake/questions?")
    page = client.get(r.headers["location"])
    assert "Kies een antwoord." in page.text


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
    html = plan_html(advise(intake, knowledge, ()), knowledge)
    assert "Zoutleeuw" not in html
    assert "Sociaal-cognitieve training" in html and "Cacioppo et al. 2015" in html


def test_nothing_is_stored_without_explicit_save(client: TestClient) -> None:
    client.get("/advies", params=PERSON)
    with Session(client.app.state.engine) as s:  # type: ignore[attr-defined]
        assert s.exec(select(SavedIntake)).all() == []


def test_save_requires_consent_and_stores_no_free_text(client: TestClient) -> None:
    refused = client.post("/advies/bewaar", data=PERSON, headers=HX)
    assert "Vink aan" in refused.text
    ok = client.post("/advies/bewaar", data={**PERSON, "consent": "yes"}, headers=HX)
    assert "Bewaard als anoniem record" in ok.text
    with Session(client.app.state.engine) as s:  # type: ignore[attr-defined]
        (record,) = s.exec(select(SavedIntake)).all()
    assert record.profile == "structural-no_need-passive"
    assert record.municipality == "Gent" and len(record.month) == 7
    assert record.advised[0] == "social_cognitive_training"


def test_cross_site_post_is_refused(client: TestClient) -> None:
    r = client.post(
        "/advies/bewaar",
        data={**PERSON, "consent": "yes"},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert r.status_code == 403 and "Verzoek geweigerd" in r.text
    r = client.post(
        "/advies/bewaar",
        data={**PERSON, "consent": "yes"},
        headers={"Origin": "https://evil.example"},
    )
    assert r.status_code == 403
    r = client.post(
        "/api/v1/advice", json={"age_group": "older"}, headers={"Origin": "https://evil.example"}
    )
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    with Session(client.app.state.engine) as s:  # type: ignore[attr-defined]
        assert s.exec(select(SavedIntake)).all() == []


def test_same_origin_post_is_accepted(client: TestClient) -> None:
    r = client.post(
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
