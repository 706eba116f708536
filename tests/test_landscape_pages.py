"""Landscape pages through TestClient: dashboard, downloads, crosstab, upload, demand."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

import pytest
from fastapi.testclient import TestClient

from tests.conftest import CATALOGUE_CSV

HX = {"HX-Request": "true"}


# The tests here only read: they share one application and database (shared_client).
@pytest.fixture
def client(shared_client: TestClient) -> TestClient:
    return shared_client


def test_dashboard_shows_matrix_gaps_and_charts(client: TestClient) -> None:
    r = client.get("/landschap")
    assert r.status_code == 200
    text = r.text
    assert "19 van 19 initiatieven" in text
    assert 'id="gaps"' in text and "Mindfulness" in text
    assert text.count('role="img"') == 11  # one chart per facet and element count
    assert text.count('<table class="data">') >= 11  # each chart has its data table
    assert "Telefoonster" in text  # the matrix lists initiatives
    assert "χ²" in text  # default crosstab: meeting × older


def test_filters_are_kept_and_shareable(client: TestClient) -> None:
    r = client.get("/landschap", params={"municipality": "Gent", "elements": "social_support"})
    assert "3 van 19 initiatieven" in r.text
    assert 'name="municipality" value="Gent"' in r.text
    assert '<option value="social_support" selected>' in r.text
    assert "/landschap/initiatieven.csv?municipality=Gent&amp;elements=social_support" in r.text


def test_unknown_filter_value_is_explained_not_fatal(client: TestClient) -> None:
    r = client.get("/landschap", params={"elements": "magic"})
    assert r.status_code == 200
    assert 'id="e-elements"' in r.text and "Kies een waarde uit de lijst." in r.text
    assert "19 van 19 initiatieven" in r.text


def test_htmx_fragment(client: TestClient) -> None:
    r = client.get("/landschap", params={"age_groups": "older"}, headers=HX)
    assert "<html" not in r.text and '<main id="main"' in r.text
    assert r.headers["HX-Push-Url"].endswith("age_groups=older")


def test_chart_svg_download_is_accessible_svg(client: TestClient) -> None:
    r = client.get("/landschap/grafiek/elements.svg", params={"age_groups": "older"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("image/svg+xml")
    assert "attachment" in r.headers["content-disposition"]
    root = ET.fromstring(r.text)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg" and root.get("role") == "img"
    assert root.find(f"{ns}title") is not None and root.find(f"{ns}desc") is not None


def test_table_csv_download(client: TestClient) -> None:
    r = client.get("/landschap/tabel/age_groups.csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["id"] for row in rows] == [
        "children",
        "youth",
        "young_adults",
        "adults",
        "older",
        "all_ages",
        "unknown",
    ]
    older = next(row for row in rows if row["id"] == "older")
    assert older["n"] == "19" and float(older["percent"]) == round(
        int(older["count"]) / 19 * 100, 1
    )


def test_matrix_csv_is_the_exchange_format(client: TestClient) -> None:
    from app.catalogue.csvio import parse_csv

    r = client.get("/landschap/initiatieven.csv", params={"municipality": "Gent"})
    items = parse_csv(r.text)
    assert {i.municipality for i in items} == {"Gent"} and len(items) >= 3


def test_crosstab_section_and_csv(client: TestClient) -> None:
    r = client.get(
        "/landschap", params={"row": "elements:social_support", "col": "age_groups:older"}
    )
    assert "Sociale steun verhogen tegenover Ouderen" in r.text or "tegenover" in r.text
    assert "verwachte celwaarde is kleiner dan 5" in r.text  # small catalogue → warning
    c = client.get(
        "/landschap/kruistabel.csv", params={"row": "elements:meeting", "col": "age_groups:older"}
    )
    assert c.status_code == 200 and "chi2" in c.text
    bad = client.get("/landschap", params={"row": "elements", "col": "age_groups:older"})
    assert "Kies een kenmerk uit de lijst." in bad.text


def test_unknown_facet_download_is_404(client: TestClient) -> None:
    assert client.get("/landschap/grafiek/colours.svg").status_code == 404
    assert client.get("/landschap/tabel/elements.csv", params={"elements": "x"}).status_code == 404


def test_upload_analyses_without_storing(client: TestClient) -> None:
    data = CATALOGUE_CSV.read_bytes()
    r = client.post("/landschap/upload", files={"file": ("mijn-gemeente.csv", data, "text/csv")})
    assert r.status_code == 200
    assert "mijn-gemeente.csv" in r.text and "niet bewaard" in r.text
    assert client.get("/api/v1/initiatives").json()["total"] == 19  # catalogue unchanged


def test_upload_errors_in_dutch_with_row_column_value(client: TestClient) -> None:
    bad = b"name,elements\nA,meeting\nB,magic\n"
    r = client.post("/landschap/upload", files={"file": ("x.csv", bad, "text/csv")})
    assert "Rij 3, kolom ‘Werkzame elementen’: ‘magic’ is geen gekende waarde" in r.text
    r = client.post("/landschap/upload", files={"file": ("x.csv", b"nam\nA\n", "text/csv")})
    assert "onbekende kolom(men): ‘nam’" in r.text and "kolom ‘Naam’ ontbreekt" in r.text
    r = client.post(
        "/landschap/upload", files={"file": ("x.csv", "é".encode("latin-1"), "text/csv")}
    )
    assert "geen UTF-8" in r.text
    r = client.post("/landschap/upload", data={})
    assert "Kies een CSV-bestand" in r.text


def test_upload_cross_site_is_refused(client: TestClient) -> None:
    r = client.post(
        "/landschap/upload",
        files={"file": ("x.csv", b"name\nA\n", "text/csv")},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert r.status_code == 403


def test_demand_defaults_from_table_2(client: TestClient) -> None:
    r = client.get("/landschap/vraag")
    assert r.status_code == 200
    assert 'name="prev_18-34" value="24"' in r.text and 'name="prev_65+" value="13"' in r.text
    assert 'id="chart-demand"' in r.text and 'id="supply-demand"' in r.text


def test_demand_with_residents(client: TestClient) -> None:
    r = client.get("/landschap/vraag", params={"res_65+": "20000", "prev_65+": "13"})
    assert "2.600" in r.text  # 13 % of 20 000 residents often lonely


def test_demand_validation_keeps_input(client: TestClient) -> None:
    r = client.get("/landschap/vraag", params={"prev_65+": "130", "res_18-34": "veel"})
    assert "Geef een percentage tussen 0 en 100." in r.text
    assert "Geef een geheel aantal inwoners" in r.text
    assert 'value="130"' in r.text and 'value="veel"' in r.text


def test_dutch_and_english_decimals(client: TestClient) -> None:
    nl = client.get("/landschap").text
    en = client.get("/landschap?lang=en").text
    assert "(42,1%)" in nl  # meeting: 8 of 19
    assert "(42.1%)" in en


def test_upload_accepts_files_larger_than_a_form_but_not_huge(client: TestClient) -> None:
    from app.catalogue.csvio import COLUMNS

    header = ",".join(COLUMNS) + "\n"
    rows = "".join(f"Initiatief {n},{'x' * 200}" + "," * 16 + "\n" for n in range(600))
    r = client.post(
        "/landschap/upload", files={"file": ("big.csv", (header + rows).encode(), "text/csv")}
    )
    assert r.status_code == 200 and "600 van 600 initiatieven" in r.text
    huge = b"name\n" + b"A\n" * 1_500_000
    r = client.post("/landschap/upload", files={"file": ("huge.csv", huge, "text/csv")})
    assert r.status_code == 413


def test_demand_downloads(client: TestClient) -> None:
    svg = client.get("/landschap/vraag.svg", params={"res_65+": "20000"})
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    rows = list(
        csv.DictReader(
            io.StringIO(client.get("/landschap/vraag.csv", params={"res_65+": "20000"}).text)
        )
    )
    older = next(r for r in rows if r["band"] == "65+")
    assert older["often_lonely"] == "2600" and older["age_group"] == "older"
