"""The landscape for one municipality (issue 9): the filter form as a browser sends it,
every Flemish municipality by name, former name or postcode, its own and reachable offer
beside the Flemish inventory, and responsive charts."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.landscape.charts import WRAP, Bar, bar_chart
from app.landscape.facets import Filters
from app.landscape.municipality import InventoryError, load_inventory, read_inventory

SVG = "{http://www.w3.org/2000/svg}"
# Every field of the filter form, empty, as a browser submits it ("alle" and blank boxes).
FORM_FIELDS = (
    "municipality",
    "elements",
    "prevention_levels",
    "dimensions",
    "age_groups",
    "risk_factors",
    "geographic_level",
    "effect_ladder",
    "primary_actor",
    "min_elements",
    "max_elements",
)


Params = list[tuple[str, str | int | float | bool | None]]


# The tests here only read: they share one application and database (shared_client).
@pytest.fixture
def client(shared_client: TestClient) -> TestClient:
    return shared_client


def form(**chosen: str) -> Params:
    """The query string of the filter form with these fields filled in, the rest empty."""
    return [(name, chosen.get(name, "")) for name in FORM_FIELDS]


def summary(html: str) -> str:
    match = re.search(r"<strong>(\d+ van \d+ initiatieven)</strong>", html)
    assert match, "no summary line"
    return match.group(1)


def field_input(html: str, name: str) -> str:
    match = re.search(rf'<input [^>]*name="{name}"[^>]*>', html)
    assert match, f"no input {name}"
    return match.group(0)


def selected(html: str, facet: str) -> list[str]:
    select = re.search(rf'<select id="f-{facet}".*?</select>', html, re.S)
    assert select, f"no select {facet}"
    return re.findall(r'<option value="([^"]*)" selected>', select.group(0))


# --- the form as a browser submits it ---------------------------------------------------


def test_the_empty_form_filters_nothing(client: TestClient) -> None:
    r = client.get("/landschap", params=form())
    assert r.status_code == 200
    assert summary(r.text) == "19 van 19 initiatieven"
    assert "error-summary" not in r.text and 'aria-invalid="true"' not in r.text


def test_westerlo_and_older_from_the_form(client: TestClient) -> None:
    r = client.get("/landschap", params=form(municipality="Westerlo", age_groups="older"))
    assert summary(r.text) == "1 van 19 initiatieven"
    assert 'value="Westerlo"' in field_input(r.text, "municipality")
    assert selected(r.text, "age_groups") == ["older"]
    assert "error-summary" not in r.text
    # Links to downloads carry the clean filters, not the empty fields.
    assert "/landschap/initiatieven.csv?municipality=Westerlo&amp;age_groups=older" in r.text


def test_a_wrong_count_gets_a_message_at_its_field_and_the_rest_applies(
    client: TestClient,
) -> None:
    r = client.get(
        "/landschap", params=form(municipality="Westerlo", age_groups="older", min_elements="x")
    )
    assert r.status_code == 200
    assert summary(r.text) == "1 van 19 initiatieven"  # Westerlo and older still apply
    box = field_input(r.text, "min_elements")
    assert 'aria-invalid="true"' in box and 'aria-describedby="e-min_elements"' in box
    assert 'value="x"' in box  # what was typed stays, to be corrected
    assert re.search(r'<p class="error" id="e-min_elements">.*?Geef een geheel getal', r.text)
    assert 'aria-invalid="true"' not in field_input(r.text, "max_elements")
    assert selected(r.text, "age_groups") == ["older"]
    assert 'value="Westerlo"' in field_input(r.text, "municipality")


def test_a_wrong_facet_value_is_left_out_and_the_others_apply(client: TestClient) -> None:
    older = client.get("/landschap", params=form(age_groups="older"))
    r = client.get("/landschap", params=form(age_groups="older", elements="magic"))
    assert summary(r.text) == summary(older.text) != "19 van 19 initiatieven"
    assert 'id="e-elements"' in r.text
    assert re.search(r'<select id="f-elements"[^>]*aria-invalid="true"', r.text)
    assert selected(r.text, "age_groups") == ["older"]


@pytest.mark.parametrize(
    ("typed", "name"),
    [("Borsbeek", "Antwerpen"), ("2440", "Geel"), ("2260", "Westerlo"), ("westerlo ", "Westerlo")],
)
def test_municipality_by_former_name_or_postcode(client: TestClient, typed: str, name: str) -> None:
    r = client.get("/landschap", params=form(municipality=typed))
    assert f'value="{name}"' in field_input(r.text, "municipality")
    assert f"Het aanbod voor {name}" in r.text
    assert "error-summary" not in r.text


def test_an_unknown_municipality_is_explained_at_the_field(client: TestClient) -> None:
    older = client.get("/landschap", params=form(age_groups="older"))
    r = client.get("/landschap", params=form(municipality="Nergenshuizen", age_groups="older"))
    assert summary(r.text) == summary(older.text)
    box = field_input(r.text, "municipality")
    assert 'value="Nergenshuizen"' in box and 'aria-invalid="true"' in box
    assert "e-municipality" in box and "h-municipality" in box
    assert "Deze gemeente kennen we niet" in r.text
    assert 'id="municipality"' not in r.text  # no municipality section


def test_every_municipality_can_be_chosen(client: TestClient) -> None:
    r = client.get("/landschap")
    datalist = re.search(r'<datalist id="landscape-municipalities">.*?</datalist>', r.text, re.S)
    assert datalist
    names = re.findall(r'<option value="([^"]+)"', datalist.group(0))
    assert len(names) >= 300 and {"Geel", "Westerlo", "Pajottegem", "Antwerpen"} <= set(names)
    assert 'list="landscape-municipalities"' in field_input(r.text, "municipality")


def test_filters_read_leniently_and_parse_strictly() -> None:
    params = [("min_elements", ""), ("max_elements", "2"), ("elements", "magic,meeting")]
    params += [("age_groups", "older"), ("age_groups", "")]
    filters, problems = Filters.read(params)
    assert [p.field for p in problems] == ["elements"]
    assert filters.min_elements is None and filters.max_elements == 2
    assert dict(filters.facets) == {"age_groups": frozenset({"older"})}
    with pytest.raises(ValueError, match="min_elements"):
        Filters.parse([("min_elements", "")])  # the API stays strict


def test_downloads_accept_the_form_and_a_postcode(client: TestClient) -> None:
    r = client.get("/landschap/initiatieven.csv", params=form(municipality="2260"))
    assert r.status_code == 200 and "Cultuurbuddy" in r.text and "Telefoonster" not in r.text
    svg = client.get("/landschap/grafiek/elements.svg", params=form(age_groups="older"))
    assert svg.status_code == 200


# --- the municipality's offer -----------------------------------------------------------


def section(html: str) -> str:
    match = re.search(r'<section class="card municipality".*?</section>', html, re.S)
    assert match, "no municipality section"
    return match.group(0)


def count(html: str, which: str) -> int:
    match = re.search(rf'id="count-{which}">(\d+)<', html)
    assert match, which
    return int(match.group(1))


def test_westerlo_own_then_reachable_then_benchmark(client: TestClient) -> None:
    s = section(client.get("/landschap", params=form(municipality="Westerlo")).text)
    own, reach, bench = (s.index(f'id="{k}-title"') for k in ("own", "reach", "bench"))
    assert own < reach < bench
    assert "In Westerlo zelf: 1" in s and "Cultuurbuddy" in s[own:reach]
    # The region: arrondissement Turnhout and province Antwerpen (Antwerpen, Bornem).
    assert "arrondissement Turnhout, provincie Antwerpen" in s
    assert count(s, "regional") == 3 and count(s, "flanders") == 7
    regional = s[s.index("Aanbod in de regio") : s.index("Aanbod voor heel Vlaanderen")]
    assert "Buurtkar" in regional and "Bornem" in regional and "Telefoonster" not in regional


def test_geel_has_no_own_offer_but_reach_and_benchmark(client: TestClient) -> None:
    r = client.get("/landschap", params=form(municipality="Geel"))
    assert summary(r.text) == "0 van 19 initiatieven"
    s = section(r.text)
    assert "In Geel zelf is geen initiatief gevestigd." in s
    assert count(s, "regional") == 4  # Westerlo's Cultuurbuddy is in Geel's region
    assert count(s, "flanders") == 7
    meeting = re.search(r'<tr id="bench-elements-meeting">.*?</tr>', s, re.S)
    assert meeting
    cells = re.findall(r'<td class="num">(.*?)</td>', meeting.group(0), re.S)
    assert cells[0] == "71,4%"  # table 3 of the report
    assert cells[1].startswith("0,0%")
    assert cells[2].startswith("45,5%") and "(5)" in cells[2]  # 5 of the 11 reachable
    assert "Thomas More, 2023" in s or "Thomas More 2023" in s


def test_benchmark_ignores_the_other_filters_and_says_so(client: TestClient) -> None:
    plain = section(client.get("/landschap", params=form(municipality="Geel")).text)
    older = section(
        client.get("/landschap", params=form(municipality="Geel", age_groups="older")).text
    )
    assert count(older, "regional") < count(plain, "regional")  # the reach follows filters
    assert "zonder de andere filters" in older and "zonder de andere filters" not in plain
    table = re.compile(r'<details class="benchmark".*?</details>', re.S)
    assert table.findall(older) == table.findall(plain)


def test_inventory_is_data_with_its_source() -> None:
    inventory = load_inventory()
    assert inventory.source == "Thomas More 2023" and inventory.n == 133
    assert inventory.facets["elements"].shares["meeting"] == 71.4
    assert inventory.facets["prevention_levels"].shares["tertiary"] == 13.5


def test_inventory_loader_names_file_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "inventory.yaml"
    bad.write_text(
        "source: x\nn: 1\nfacets:\n  elements:\n    reference: t\n    shares: {magic: 3}\n",
        encoding="utf-8",
    )
    with pytest.raises(InventoryError, match=r"inventory\.yaml.*facets\.elements.*magic"):
        read_inventory(bad)
    bad.write_text("source: x\nn: 1\nfacets: {}\nextra: 1\n", encoding="utf-8")
    with pytest.raises(InventoryError, match="extra"):
        read_inventory(bad)


# --- charts -----------------------------------------------------------------------------


def test_chart_svg_is_responsive_and_wraps_long_labels(client: TestClient) -> None:
    r = client.get("/landschap/grafiek/elements.svg")
    assert r.status_code == 200
    root = ET.fromstring(r.text)
    assert root.get("role") == "img" and root.get("viewBox", "").startswith("0 0 ")
    assert root.find(f"{SVG}title") is not None and root.find(f"{SVG}desc") is not None
    width = root.get("width")
    assert width is None or width.endswith("%"), width  # no fixed pixel width
    assert root.get("height") is None
    texts = [t.text or "" for t in root.iter(f"{SVG}text")]
    assert "Sociaal-cognitieve training" in texts  # the long label's first line
    assert any("sociale cognitie)" in t for t in texts)  # ... and its second
    assert all(len(t) <= WRAP for t in texts), [t for t in texts if len(t) > WRAP]
    assert not any("…" in t for t in texts)  # wrapped, not clipped


def test_page_charts_have_no_fixed_width(client: TestClient) -> None:
    html = client.get("/landschap").text
    svgs = re.findall(r"<svg [^>]*>", html)
    assert len(svgs) == 11
    assert all('width="100%"' in s and "viewBox" in s for s in svgs)


def test_bar_chart_with_two_series_wraps_the_legend() -> None:
    label = "een zeer lange categorienaam die zeker niet op een enkele regel past"
    svg = bar_chart(
        "Titel",
        [Bar(label, 40, "40%")],
        "beschrijving",
        chart_id="c",
        second=[Bar(label, 20, "20%")],
        legend=("eerste reeks met een lange omschrijving van wat ze telt", "tweede"),
    )
    root = ET.fromstring(svg)
    texts = [t.text or "" for t in root.iter(f"{SVG}text")]
    assert all(len(t) <= WRAP for t in texts)
    assert "40%" in texts and "20%" in texts and "tweede" in texts
    assert len([r for r in root.iter(f"{SVG}rect") if r.get("height") == "18"]) == 2
