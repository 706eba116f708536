"""The JSON API of DOMAIN.md §7: success, and every kind of bad input."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

EXAMPLE = {
    "age_group": "older",
    "problem_nature": "structural",
    "wants_contact": False,
    "coping": "passive",
}
FULL = {
    **EXAMPLE,
    "course": "chronic",
    "duration_months": 60,
    "dimensions": ["emotional"],
    "socially_isolated": True,
    "risk_factors": ["health_problems", "living_alone"],
    "djg6": ["ja", "min_of_meer", "nee", "nee", "nee", "ja"],
    "municipality": "Gent",
}


# The tests here only read: they share one application and database (shared_client).
@pytest.fixture
def client(shared_client: TestClient) -> TestClient:
    return shared_client


def test_issue_example_returns_ranked_explained_advice(client: TestClient) -> None:
    r = client.post("/api/v1/advice", json=EXAMPLE)
    assert r.status_code == 200
    body = r.json()
    assert body["profile"]["id"] == "structural-no_need-passive"
    assert body["profile"]["name"] is None
    assert body["profile"]["direction"]
    assert body["course"] == "chronic" and body["course_basis"] == "problem_nature"
    assert body["elements"][0]["id"] == "social_cognitive_training"
    for el in body["elements"]:
        assert {"id", "label", "evidence", "score", "reasons"} <= set(el)
        assert all({"rule", "text", "source"} <= set(r) for r in el["reasons"])
    assert {d["id"] for d in body["discouraged"]} >= {"meeting", "mindfulness"}
    assert body["initiatives"], "matching initiatives from the seeded catalogue"
    assert {"id", "name", "score", "elements", "municipality"} <= set(body["initiatives"][0])


def test_full_intake(client: TestClient) -> None:
    r = client.post("/api/v1/advice", json=FULL)
    assert r.status_code == 200
    body = r.json()
    assert body["course_basis"] == "given"
    assert body["scales"]["djg6"] == {"total": 4, "emotional": 2, "social": 2, "band": "moderate"}
    assert body["initiatives"][0]["municipality"] == "Gent"


def test_english(client: TestClient) -> None:
    r = client.post("/api/v1/advice?lang=en", json=EXAMPLE)
    assert r.status_code == 200
    assert r.json()["elements"][0]["label"].startswith("Social-cognitive")


def _fields(r: object) -> list[str]:
    return [e["field"] for e in r.json()["detail"]]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**EXAMPLE, "favourite_colour": "blue"}, "favourite_colour"),
        ({k: v for k, v in EXAMPLE.items() if k != "coping"}, "coping"),
        ({**EXAMPLE, "age_group": "teenager"}, "age_group"),
        ({**EXAMPLE, "wants_contact": "maybe"}, "wants_contact"),
        ({**EXAMPLE, "duration_months": -3}, "duration_months"),
        ({**EXAMPLE, "duration_months": "long"}, "duration_months"),
        ({**EXAMPLE, "dimensions": ["social", "lonely"]}, "dimensions[1]"),
        ({**EXAMPLE, "risk_factors": ["poverty", "bad_luck"]}, "risk_factors[1]"),
        ({**EXAMPLE, "djg6": ["ja", "nee"]}, "djg6"),
        ({**EXAMPLE, "djg6": ["ja", "nee", "ja", "nee", "ja", "soms"]}, "djg6[5]"),
        ({**EXAMPLE, "course": "forever"}, "course"),
        ({**EXAMPLE, "municipality": "x" * 200}, "municipality"),
        ({**EXAMPLE, "risk_factors": ["none", "poverty"]}, "risk_factors"),
    ],
)
def test_bad_input_names_the_field(client: TestClient, body: dict[str, object], field: str) -> None:
    r = client.post("/api/v1/advice", json=body)
    assert r.status_code == 422
    assert field in _fields(r)


def test_none_with_other_risk_factors_is_explained(client: TestClient) -> None:
    r = client.post("/api/v1/advice", json={**EXAMPLE, "risk_factors": ["none", "poverty"]})
    detail = r.json()["detail"][0]
    assert detail["field"] == "risk_factors"
    assert "'none' cannot be combined" in detail["msg"]


def test_invalid_json(client: TestClient) -> None:
    r = client.post(
        "/api/v1/advice", content=b'{"age_group": ', headers={"content-type": "application/json"}
    )
    assert r.status_code == 422
    assert "Traceback" not in r.text


def test_not_an_object(client: TestClient) -> None:
    r = client.post("/api/v1/advice", json=["older"])
    assert r.status_code == 422


def test_bad_lang(client: TestClient) -> None:
    r = client.post("/api/v1/advice?lang=fr", json=EXAMPLE)
    assert r.status_code == 422
    assert _fields(r) == ["lang"]


def test_body_too_large(client: TestClient) -> None:
    r = client.post(
        "/api/v1/advice",
        content=b"{" + b" " * 70_000 + b"}",
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 413


def test_body_too_large_without_length(client: TestClient) -> None:
    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(10):
            yield b" " * 10_000

    r = client.post(
        "/api/v1/advice", content=chunks(), headers={"content-type": "application/json"}
    )
    assert r.status_code == 413


def test_unexpected_error_is_a_clean_500(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import app.api.routes.advice as route

    def boom(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(route, "advise", boom)
    r = client.post("/api/v1/advice", json=EXAMPLE)
    assert r.status_code == 500
    assert r.json() == {"detail": "Internal server error"}
    assert "secret" not in r.text and "Traceback" not in r.text


def test_intake_answers_are_not_logged(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client.post("/api/v1/advice", json={**FULL, "municipality": "Zoutleeuw"})
    assert "Zoutleeuw" not in caplog.text
    assert "health_problems" not in caplog.text


def test_elements_profiles_vocabulary_rules(client: TestClient) -> None:
    elements = client.get("/api/v1/elements").json()
    assert len(elements) == 22
    assert {e["id"] for e in elements if e["evidence"] == "proven"} >= {"mindfulness"}
    profiles = client.get("/api/v1/profiles").json()
    assert len(profiles) == 8 and all(p["direction"]["nl"] for p in profiles)
    vocab = client.get("/api/v1/vocabulary").json()
    assert "risk_factors" in vocab and "effect_ladder" in vocab
    rules = client.get("/api/v1/rules").json()
    assert any(r["id"] == "chronic-maladaptive-cognition" for r in rules)
    assert all(r["source"] and r["strength"] for r in rules)


def test_initiatives(client: TestClient) -> None:
    page = client.get("/api/v1/initiatives").json()
    assert page["total"] == 19
    names = {i["name"] for i in page["items"]}
    assert "Telefoonster" in names
    # helplines are contacts of the crisis signals, never catalogue offers (DOMAIN.md §7 v1.1)
    assert not {"Zelfmoordlijn 1813", "Tele-Onthaal 106", "Awel 102"} & names
    gent = client.get("/api/v1/initiatives", params={"municipality": "gent"}).json()
    assert gent["total"] >= 3 and all(i["municipality"] == "Gent" for i in gent["items"])
    buddies = client.get("/api/v1/initiatives", params={"element": "befriending"}).json()
    assert {i["name"] for i in buddies["items"]} == {
        "Neos Buddy's",
        "Cultuurbuddy",
        "Telefoonster",
        "Hello Jenny",
    }
    one = client.get(f"/api/v1/initiatives/{page['items'][0]['id']}")
    assert one.status_code == 200 and one.json()["name"] == page["items"][0]["name"]


@pytest.mark.parametrize(
    ("url", "status", "field"),
    [
        ("/api/v1/initiatives/99999", 404, None),
        ("/api/v1/initiatives/abc", 422, "initiative_id"),
        ("/api/v1/initiatives?element=magic", 422, "element"),
        ("/api/v1/initiatives?limit=0", 422, "limit"),
    ],
)
def test_initiatives_bad_requests(
    client: TestClient, url: str, status: int, field: str | None
) -> None:
    r = client.get(url)
    assert r.status_code == status
    if field:
        assert _fields(r) == [field]


def test_openapi_docs(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert "/api/v1/advice" in spec["paths"]
