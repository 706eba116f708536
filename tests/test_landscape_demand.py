"""Demand per municipality on /landschap/vraag: prevalence (Steyaert & Heylen 2021, table 2
of the report) times residents, the Flemish default, the band notes, the form's checks,
the CSV upload and the downloads."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.core.config import REPO_ROOT
from app.landscape.population import (
    BAND_IDS,
    PopulationDataError,
    flanders_population,
    parse_residents,
    parse_residents_csv,
    read_population,
)
from app.landscape.view import BANDS

SEED = REPO_ROOT.parent / "shared" / "seed" / "000_b5ee9f57acd9ced1.txt"


# The tests here only read: they share one application and database (shared_client).
@pytest.fixture
def client(shared_client: TestClient) -> TestClient:
    return shared_client


def _csv(text: str) -> dict[str, dict[str, str]]:
    return {r["band"]: r for r in csv.DictReader(io.StringIO(text))}


def _cell(html: str, band: str) -> str:
    match = re.search(rf'<tr id="row-{re.escape(band)}">(.*?)</tr>', html, re.S)
    assert match, band
    return match.group(1)


def test_prevalence_is_table_2_of_the_report() -> None:
    prevalence = {b.id: b.default_prevalence for b in BANDS if b.default_prevalence}
    assert prevalence == {"18-34": 24.0, "35-49": 18.0, "50-64": 9.0, "65+": 13.0}
    if SEED.exists():  # the report is in shared/, beside the repository
        text = SEED.read_text(encoding="utf-8")
        assert "18-34 jaar 35-49 jaar 50-64 jaar 65 jaar of ouder" in text
        assert "Vaak 24% 18% 9% 13%" in text


def test_one_municipality_with_entered_residents(client: TestClient) -> None:
    r = client.get(
        "/landschap/vraag",
        params={
            "municipality": "Geel",
            "res_18-34": "9000",
            "res_35-49": "7.500",
            "res_65+": "8500",
        },
    )
    assert r.status_code == 200
    assert "Vraag en aanbod in Geel" in r.text
    assert "1.105" in _cell(r.text, "65+")  # 13 % of 8 500
    assert "2.160" in _cell(r.text, "18-34")  # 24 % of 9 000
    assert "1.350" in _cell(r.text, "35-49")  # 18 % of 7 500 (typed with a thousands dot)
    assert "≈" not in r.text.split('id="supply-demand"')[1]  # entered, not estimated
    assert 'id="reach"' in r.text and "inwoners van Geel" in r.text
    rows = _csv(
        client.get("/landschap/vraag.csv", params={"municipality": "Geel", "res_65+": "8500"}).text
    )
    assert rows["65+"]["often_lonely"] == "1105" and rows["65+"]["municipality"] == "Geel"
    assert rows["18-34"]["often_lonely"] == ""  # no residents given, no estimate


def test_municipality_offer_is_what_its_residents_can_reach(client: TestClient) -> None:
    flanders = client.get("/landschap/vraag").text
    geel = client.get("/landschap/vraag", params={"municipality": "Geel"}).text
    n_all = re.search(r"Vraag en aanbod \((\d+) initiatieven", flanders)
    n_geel = re.search(r"Vraag en aanbod \((\d+) initiatieven", geel)
    assert n_all and n_geel
    assert int(n_geel.group(1)) < int(n_all.group(1))  # Gent's local offer is not Geel's


def test_flemish_default_is_marked_approximate(client: TestClient) -> None:
    r = client.get("/landschap/vraag")
    population = flanders_population()
    assert population.published == {"65+"}
    assert 'name="res_65+" value="1491651"' in r.text
    assert "Vraag en aanbod in Vlaanderen" in r.text
    assert "onze schatting" in r.text
    # 65+ is the published figure; the other bands are estimates and say so.
    assert "≈" not in _cell(r.text, "65+") and "193.915" in _cell(r.text, "65+")
    assert "≈ 1.410.000" in _cell(r.text, "18-34")
    # The estimates add up exactly to Statbel's published totals (1 January 2025).
    res = population.residents
    assert res["children"] + res["youth"] == 1_315_768
    assert res["18-34"] + res["35-49"] + res["50-64"] == 4_057_347
    assert sum(res.values()) == 6_864_766
    rows = _csv(client.get("/landschap/vraag.csv").text)
    assert rows["65+"]["residents_approximate"] == "" and rows["65+"]["often_lonely"] == "193915"
    assert rows["18-34"]["residents_approximate"] == "yes"


def test_choosing_a_municipality_drops_the_flemish_figures(client: TestClient) -> None:
    defaults = {f"res_{b}": str(v) for b, v in flanders_population().residents.items()}
    r = client.get("/landschap/vraag", params={"municipality": "Geel", **defaults})
    assert 'name="res_65+" value=""' in r.text
    assert "Vul het aantal inwoners van Geel" in r.text


def test_band_mismatch_is_said_next_to_the_row(client: TestClient) -> None:
    r = client.get("/landschap/vraag")
    assert "vraag: 65-plussers; aanbod: initiatieven voor 60-plussers" in _cell(r.text, "65+")
    assert "aanbod: initiatieven voor 18- tot 25-jarigen" in _cell(r.text, "18-34")
    assert "aanbod: initiatieven voor 26- tot 59-jarigen" in _cell(r.text, "50-64")
    assert "band-note" not in _cell(r.text, "children")  # same band on both sides
    en = client.get("/landschap/vraag", params={"lang": "en"})
    assert en.status_code == 200


def test_form_validation_keeps_the_other_values(client: TestClient) -> None:
    r = client.get(
        "/landschap/vraag",
        params={
            "municipality": "Geel",
            "res_50-64": "veel",
            "res_18-34": "12,5",
            "res_35-49": "6200",
            "prev_65+": "130",
        },
    )
    assert r.status_code == 200
    assert r.text.count("Geef een geheel aantal inwoners") == 2 * 2  # summary and field
    assert 'id="e-res_50-64"' in r.text and 'id="e-res_18-34"' in r.text
    assert 'id="e-prev_65+"' in r.text and "Geef een percentage tussen 0 en 100." in r.text
    assert 'value="veel"' in r.text and 'value="12,5"' in r.text
    assert 'name="res_35-49" value="6200"' in r.text
    assert 'id="e-res_35-49"' not in r.text
    assert 'name="municipality" value="Geel"' in r.text


def test_unknown_municipality_is_an_error_not_flanders(client: TestClient) -> None:
    r = client.get("/landschap/vraag", params={"municipality": "Gheel"})
    assert 'id="e-municipality"' in r.text and "Geel" in r.text  # suggestion
    assert 'value="Gheel"' in r.text


def test_residents_from_an_uploaded_csv(client: TestClient) -> None:
    body = (
        "leeftijd;inwoners\n0-11;4.200\n12-17;2100\n18-34;9000\n35-49;7500\n50-64;8000\n65+;8500\n"
    )
    r = client.post(
        "/landschap/vraag",
        data={"municipality": "Geel", "prev_65+": "13"},
        files={"file": ("geel.csv", body.encode(), "text/csv")},
    )
    assert r.status_code == 200
    assert "1.105" in _cell(r.text, "65+") and "Vraag en aanbod in Geel" in r.text
    assert 'name="res_children" value="4.200"' in r.text
    # The downloads carry the uploaded numbers in their query.
    assert "res_65%2B=8500" in r.text


def test_a_wrong_csv_says_which_row(client: TestClient) -> None:
    r = client.post(
        "/landschap/vraag",
        data={"municipality": "Geel"},
        files={"file": ("x.csv", b"18-34,9000\n99+,12\n65+,veel\n", "text/csv")},
    )
    assert r.status_code == 200
    assert "rij 2: onbekende leeftijdsgroep" in r.text
    assert "rij 3: &#39;veel&#39; is geen geheel aantal inwoners" in r.text


def test_csv_parsing() -> None:
    values, problems = parse_residents_csv(b"band,residents\n65+,8500\n18 - 34 jaar,9 000\n")
    assert values == {"65+": "8500", "18-34": "9 000"} and not problems
    _v, problems = parse_residents_csv(b"65+,1\n65+,2\n")
    assert [p.code for p in problems] == ["duplicate"]
    assert parse_residents_csv(b"\xff\xfe")[1][0].code == "not_text"
    assert parse_residents_csv(b"")[1][0].code == "empty"


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("8500", 8500),
        ("8.500", 8500),
        ("1 430 423", 1430423),
        ("0", 0),
        ("12,5", None),
        ("-3", None),
        ("²", None),
        ("99999999", None),
        ("", None),
    ],
)
def test_residents_as_typed(raw: str, value: int | None) -> None:
    assert parse_residents(raw) == value


def test_population_file_is_checked(tmp_path: Path) -> None:
    bad = tmp_path / "pop.csv"
    bad.write_text("band,residents,status\n65+,12,guessed\n", encoding="utf-8")
    with pytest.raises(PopulationDataError, match="row 2, field 'status'"):
        read_population(bad)
    assert set(flanders_population().residents) == set(BAND_IDS)


def test_downloads_for_a_municipality(client: TestClient) -> None:
    params = {"municipality": "Geel", "res_65+": "8500"}
    svg = client.get("/landschap/vraag.svg", params=params)
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    r = client.get("/landschap/vraag.csv", params=params)
    assert 'filename="vraag-en-aanbod-' in r.headers["content-disposition"]
    rows = _csv(r.text)
    assert rows["65+"]["note"] == "vraag: 65-plussers; aanbod: initiatieven voor 60-plussers"


def test_links_to_the_intake_statistics(client: TestClient) -> None:
    r = client.get("/landschap/vraag", params={"municipality": "Geel"})
    assert 'href="/landschap/intakes?municipality=Geel"' in r.text
    assert "niet hoeveel inwoners eenzaam zijn" in r.text
