"""The v1.1 additions to POST /api/v1/advice, and v1 clients that keep working."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

HELPLINES = {"Zelfmoordlijn 1813", "Tele-Onthaal 106", "Awel 102"}
BASE = {"problem_nature": "situational", "wants_contact": True, "coping": "passive"}


# The tests here only read: they share one application and database (shared_client).
@pytest.fixture
def client(shared_client: TestClient) -> TestClient:
    return shared_client


def advice(client: TestClient, **body: Any) -> dict[str, Any]:
    response = client.post("/api/v1/advice", json={**BASE, **body})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_v1_body_still_works_and_gets_a_plan(client: TestClient) -> None:
    body = advice(client, age_group="older")
    assert 3 <= len(body["plan"]) <= 5
    assert body["plan"] == [e["id"] for e in body["elements"]][: len(body["plan"])]
    for key in ("profile", "course", "course_basis", "elements", "discouraged", "initiatives"):
        assert key in body


@pytest.mark.parametrize(
    ("age", "group"),
    [
        (0, "children"),
        (11, "children"),
        (12, "youth"),
        (17, "youth"),
        (18, "young_adults"),
        (25, "young_adults"),
        (26, "adults"),
        (59, "adults"),
        (60, "older"),
        (120, "older"),
    ],
)
def test_age_derives_the_age_group(client: TestClient, age: int, group: str) -> None:
    assert advice(client, age=age)["age_group"] == group


@pytest.mark.parametrize(
    ("age", "group"), [(19, "youth"), (59, "older"), (60, "adults"), (5, "youth")]
)
def test_age_and_group_must_agree(client: TestClient, age: int, group: str) -> None:
    response = client.post("/api/v1/advice", json={**BASE, "age": age, "age_group": group})
    assert response.status_code == 422
    [detail] = response.json()["detail"]
    assert detail["field"] == "age"
    assert f"age_group '{group}'" in detail["msg"]


def test_a_mismatched_age_does_not_hide_other_refused_fields(client: TestClient) -> None:
    body = {**BASE, "age": 12, "age_group": "older", "coping": "sometimes", "extra": 1}
    response = client.post("/api/v1/advice", json=body)
    assert response.status_code == 422
    fields = {d["field"] for d in response.json()["detail"]}
    assert {"age", "coping", "extra"} <= fields


@pytest.mark.parametrize("key", ["dimensions", "risk_factors", "crisis_signs"])
def test_null_for_an_optional_list_reads_as_none_given(client: TestClient, key: str) -> None:
    with_null = advice(client, age_group="adults", **{key: None})
    without = advice(client, age_group="adults")
    assert with_null == without


@pytest.mark.parametrize("age", [-1, 121, 19.5, "19", True])
def test_bad_age_names_the_field(client: TestClient, age: object) -> None:
    response = client.post("/api/v1/advice", json={**BASE, "age": age})
    assert response.status_code == 422
    assert "age" in response.text


def test_age_75_sets_older_age_for_the_persona(client: TestClient) -> None:
    body = {"risk_factors": ["low_perceived_control", "small_network", "poverty"]}
    assert "persona-older-low-control" in advice(client, age=80, **body)["rules_fired"]
    assert "persona-older-low-control" not in advice(client, age=65, **body)["rules_fired"]


@pytest.mark.parametrize("crisis", [[], ["suicidal_thoughts"], ["acute_crisis"]])
@pytest.mark.parametrize("age_group", ["children", "youth", "adults", "older"])
def test_helplines_are_contacts_never_offers(
    client: TestClient, crisis: list[str], age_group: str
) -> None:
    body = advice(client, age_group=age_group, crisis_signs=crisis, municipality="Gent")
    offered = {i["name"] for i in body["initiatives"]} | {i["name"] for i in body["inspiration"]}
    assert not offered & HELPLINES
    phones = {c["phone"] for s in body["signals"] for c in s["contacts"]}
    if crisis:
        assert body["signals"][0]["level"] == "danger"
        assert phones & {"1813", "106"}
        assert {"1733", "0800 13 500"} <= phones, "huisarts and CAW in the crisis banner"
    else:
        assert not any(s["level"] == "danger" for s in body["signals"])


@pytest.mark.parametrize(
    "extra",
    [{"dimensions": ["existential"]}, {"djg6": ["ja", "ja", "ja", "nee", "nee", "nee"]}],
)
def test_ask_suicidality(client: TestClient, extra: dict[str, Any]) -> None:
    body = advice(client, age_group="adults", **extra)
    signal = next(s for s in body["signals"] if s["id"] == "ask-suicidality")
    assert signal["level"] in ("warning", "danger")
    assert any(c["phone"] == "1813" for c in signal["contacts"])
    calm = advice(client, age_group="adults", dimensions=["social"])
    assert "ask-suicidality" not in {s["id"] for s in calm["signals"]}


def test_initiatives_carry_referral_fields(client: TestClient) -> None:
    body = advice(client, age_group="older", municipality="Geel", dimensions=["emotional"])
    assert body["initiatives"]
    for ini in body["initiatives"]:
        for key in ("age_groups", "geographic_level", "website", "reasons", "place", "phone"):
            assert key in ini


def test_municipality_must_be_known(client: TestClient) -> None:
    response = client.post("/api/v1/advice", json={**BASE, "age": 40, "municipality": "Westrlo"})
    assert response.status_code == 422
    assert "municipality" in response.text
    assert "Westerlo" in response.text
    # a former municipality resolves to the merged one
    assert "Tessenderlo-Ham" in str(advice(client, age=40, municipality="Ham")["coverage"])


def test_no_local_offer_names_the_place_and_regular_services(client: TestClient) -> None:
    body = advice(
        client,
        age=20,
        municipality="Leuven",
        wants_contact=True,
        coping="active",
        dimensions=["social"],
    )
    coverage = body["coverage"]
    assert coverage["municipality"] == "Leuven"
    assert not coverage["local_found"]
    assert coverage["services"]
    assert all("Leuven" in s["url"] for s in coverage["services"])
    assert {"jac", "caw"} & {s["id"] for s in coverage["services"]}
