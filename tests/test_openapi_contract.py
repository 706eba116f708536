"""The OpenAPI schema says what the API accepts and how it refuses (issue 8, defect 9)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.domain.vocabulary import ElementId, TargetAgeGroup

ADVICE = "/api/v1/advice"
LANDSCAPE = "/api/v1/landscape"
CROSSTAB = "/api/v1/landscape/crosstab"
PERSON = {
    "age_group": "older",
    "problem_nature": "structural",
    "wants_contact": False,
    "coping": "passive",
}
FACETS = (
    "elements",
    "prevention_levels",
    "dimensions",
    "age_groups",
    "risk_factors",
    "geographic_level",
    "effect_ladder",
    "primary_actor",
    "course",
    "approach",
)


# The tests here only read: they share one application and database (shared_client).
@pytest.fixture
def client(shared_client: TestClient) -> TestClient:
    return shared_client


@pytest.fixture
def spec(client: TestClient) -> dict[str, Any]:
    r = client.get("/openapi.json")
    assert r.status_code == 200
    spec: dict[str, Any] = r.json()
    return spec


def _parameters(spec: dict[str, Any], path: str) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in spec["paths"][path]["get"].get("parameters", [])}


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    name = ref.rsplit("/", 1)[-1]
    resolved: dict[str, Any] = spec["components"]["schemas"][name]
    return resolved


@pytest.mark.parametrize("path", [LANDSCAPE, CROSSTAB])
def test_landscape_filters_are_declared(spec: dict[str, Any], path: str) -> None:
    params = _parameters(spec, path)
    assert {"municipality", "min_elements", "max_elements", "lang", *FACETS} <= set(params)
    elements = params["elements"]
    assert elements["in"] == "query" and not elements["required"]
    # A facet repeats: an array of its DOMAIN.md ids.
    assert elements["schema"]["type"] == "array"
    assert elements["schema"]["items"]["enum"] == [e.value for e in ElementId]
    assert params["age_groups"]["schema"]["items"]["enum"] == [a.value for a in TargetAgeGroup]
    assert params["min_elements"]["schema"]["type"] == "integer"
    assert params["lang"]["schema"]["enum"] == ["nl", "en"]


def test_crosstab_axes_are_required_facet_ids(spec: dict[str, Any]) -> None:
    params = _parameters(spec, CROSSTAB)
    for name in ("row", "col"):
        assert params[name]["required"] is True
        cells = params[name]["schema"]["enum"]
        assert "elements:meeting" in cells and "age_groups:older" in cells
        assert all(c.count(":") == 1 for c in cells)


def test_every_declared_crosstab_cell_is_accepted(client: TestClient, spec: dict[str, Any]) -> None:
    cells = _parameters(spec, CROSSTAB)["row"]["schema"]["enum"]
    for cell in cells:
        r = client.get(CROSSTAB, params={"row": cell, "col": "age_groups:older"})
        assert r.status_code == 200, cell


def test_every_api_route_documents_its_errors(spec: dict[str, Any]) -> None:
    api = {p: ops for p, ops in spec["paths"].items() if p.startswith("/api/")}
    assert {ADVICE, LANDSCAPE, CROSSTAB, "/api/v1/initiatives/{initiative_id}"} <= set(api)
    for path, ops in api.items():
        for method, op in ops.items():
            responses = op["responses"]
            assert {"400", "404", "422"} <= set(responses), f"{method} {path}"
            body = responses["422"]["content"]["application/json"]["schema"]
            detail = _resolve(spec, body)["properties"]["detail"]
            item = _resolve(spec, detail["items"])
            assert {"field", "loc", "msg", "type"} <= set(item["properties"])
            not_found = _resolve(spec, responses["404"]["content"]["application/json"]["schema"])
            assert not_found["properties"]["detail"]["type"] == "string"


def test_documented_404_is_the_real_body(client: TestClient) -> None:
    r = client.get("/api/v1/initiatives/99999")
    assert r.status_code == 404
    assert r.json() == {"detail": "initiative 99999 not found"}


@pytest.mark.parametrize("value", [True, "60", 60.0, False, "sixty"])
def test_duration_months_is_strict(client: TestClient, value: object) -> None:
    r = client.post(ADVICE, json={**PERSON, "duration_months": value})
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["detail"]] == ["duration_months"]


def test_duration_months_takes_a_whole_number(client: TestClient) -> None:
    r = client.post(ADVICE, json={**PERSON, "course": None, "duration_months": 60})
    assert r.status_code == 200
    assert r.json()["course_basis"] == "duration"


@pytest.mark.parametrize("value", [True, "19", 19.0])
def test_age_is_strict(client: TestClient, value: object) -> None:
    body = {k: v for k, v in PERSON.items() if k != "age_group"}
    r = client.post(ADVICE, json={**body, "age": value})
    assert r.status_code == 422
    assert "age" in [e["field"] for e in r.json()["detail"]]


def test_repeated_list_values_count_once(client: TestClient) -> None:
    once = client.post(
        ADVICE,
        json={**PERSON, "dimensions": ["social", "emotional"], "crisis_signs": ["acute_crisis"]},
    )
    repeated = client.post(
        ADVICE,
        json={
            **PERSON,
            # More entries than there are dimensions, but only two distinct ones.
            "dimensions": ["social", "emotional", "social", "social", "emotional"],
            "crisis_signs": ["acute_crisis", "acute_crisis", "acute_crisis"],
        },
    )
    assert once.status_code == repeated.status_code == 200
    assert repeated.json() == once.json()


def test_more_distinct_values_than_exist_are_refused(client: TestClient) -> None:
    dimensions = ["social", "emotional", "existential", "collective", "lonely"]
    r = client.post(ADVICE, json={**PERSON, "dimensions": dimensions})
    assert r.status_code == 422
    assert any(e["field"].startswith("dimensions") for e in r.json()["detail"])


def test_landscape_refuses_an_unknown_language(client: TestClient) -> None:
    r = client.get(LANDSCAPE, params={"lang": "fr"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["field"] == "lang"
    assert client.get(LANDSCAPE, params={"lang": "en"}).status_code == 200
