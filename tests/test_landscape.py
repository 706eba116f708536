"""The landscape (DOMAIN.md §7) reproduces the report's part-2 figures to the printed decimal.

The catalogue tests/fixtures/report133.csv holds 133 synthetic initiatives classified like
the report's (Thomas More 2023, section 2.2); tests/fixtures/make_report133.py builds it and
explains how. Every expected number below is written as the report prints it, with the
table or figure it comes from.
"""

from __future__ import annotations

import csv
import importlib.util
import math
import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.advice.knowledge import load_knowledge
from app.catalogue.records import InitiativeRecord
from app.core.config import Settings
from app.landscape.facets import FACETS, Filters, facet_ids
from app.landscape.service import Cell, crosstab, facet_counts, landscape, percent
from app.landscape.stats2x2 import chi_square, fisher_exact
from app.main import create_app

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REPORT133 = FIXTURES / "report133.csv"
LANDSCAPE = "/api/v1/landscape"
CROSSTAB = "/api/v1/landscape/crosstab"


# --------------------------------------------------------------------------------------
# The report133 catalogue, served by the app
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def report_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = tmp_path_factory.mktemp("report133") / "l.db"
    app = create_app(Settings(database_url=f"sqlite:///{db}", catalogue_csv=REPORT133))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="module")
def report(report_client: TestClient) -> dict[str, Any]:
    return get(report_client, LANDSCAPE)


def get(client: TestClient, url: str) -> dict[str, Any]:
    r = client.get(url)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def percents(body: dict[str, Any], facet: str) -> dict[str, float]:
    return {i: v["percent"] for i, v in body["facets"][facet].items()}


def counts(body: dict[str, Any], facet: str) -> dict[str, int]:
    return {i: v["count"] for i, v in body["facets"][facet].items()}


def csv_rows() -> list[dict[str, Any]]:
    """The fixture read with the csv module alone, to compute expectations independently."""
    with REPORT133.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [
        {
            "municipality": row["municipality"],
            "elements": {e for e in row["elements"].split(";") if e},
            "age_groups": {a for a in row["age_groups"].split(";") if a},
            "risk_factors": {a for a in row["risk_factors"].split(";") if a},
            "primary_actor": row["primary_actor"],
        }
        for row in rows
    ]


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_report133", FIXTURES / "make_report133.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_fixture_is_what_the_generator_writes() -> None:
    """The committed CSV is the script's output, byte for byte (and its checks pass)."""
    text = load_generator().render()
    assert REPORT133.read_bytes() == text.encode("utf-8")


# --------------------------------------------------------------------------------------
# The published figures over all 133 initiatives
# --------------------------------------------------------------------------------------
def test_n_is_133(report: dict[str, Any]) -> None:
    assert report["n"] == 133


def test_table3_elements(report: dict[str, Any]) -> None:
    # Tabel 3: potentieel werkzaam element (meerdere antwoorden mogelijk) in %, N=133.
    assert percents(report, "elements") == {
        "mindfulness": 0,
        "social_cognitive_training": 0,
        "social_support": 29.3,
        "psychological_intervention": 3.8,
        "social_activities": 16.5,
        "social_networks": 13.5,
        "psychoeducation": 11.3,
        "social_skills": 11.3,
        "skill_development": 4.5,
        "occupation": 7.5,
        "meeting": 71.4,
        "practical_support": 11.3,
        "meaningful_contact": 5.3,
        "realistic_expectations": 0,
        "meaningful_role": 3,
        "digital_technology": 3,
        "befriending": 7.5,
        "animal_assisted": 0.8,
        "leisure": 7.5,
        "health_welfare_care": 2.3,
        "detection_referral": 24.1,
        "other": 13.5,
    }
    assert report["facets"]["elements"]["meeting"] == {"count": 95, "percent": 71.4}


def test_figure5_elements_per_initiative(report: dict[str, Any]) -> None:
    # Figuur 5: verdeling aantal werkzame elementen per initiatief (29,3% twee, 28,6% drie).
    assert report["facets"]["element_count"] == {"1": 33, "2": 39, "3": 38, "4+": 23}
    assert percent(39, 133) == 29.3
    assert percent(38, 133) == 28.6


def test_table4_prevention_levels(report: dict[str, Any]) -> None:
    # Tabel 4: initiatieven naar type initiatief in %, N=133.
    assert percents(report, "prevention_levels") == {
        "primary": 38.3,
        "secondary": 47.4,
        "tertiary": 13.5,
        "unknown": 0.8,
    }


def test_table4_text_tertiary_and_meeting(report_client: TestClient) -> None:
    # Under tabel 4: "Van de 18 interventies die tertiair zijn, zijn er 11 die inzetten op
    # ontmoeten."
    assert get(report_client, f"{LANDSCAPE}?prevention_levels=tertiary")["n"] == 18
    both = get(report_client, f"{LANDSCAPE}?prevention_levels=tertiary&elements=meeting")
    assert both["n"] == 11


def test_table5_dimensions(report: dict[str, Any]) -> None:
    # Tabel 5: initiatieven naar dimensie van eenzaamheid in %, N=133.
    assert percents(report, "dimensions") == {
        "general": 78.9,
        "social": 17.3,
        "emotional": 9.0,
        "existential": 0,
        "collective": 0,
        "social_isolation": 31.6,
        "unknown": 6.8,
    }


def test_table5_text_isolation_within_general(report_client: TestClient) -> None:
    # The text says more than half of the "general" initiatives also work on social
    # isolation; with 105 general and 42 isolation initiatives that cannot hold (42 < 52.5).
    # The fixture puts all 42 under "general", the most the printed figures allow.
    general = get(report_client, f"{LANDSCAPE}?dimensions=general")
    assert general["n"] == 105
    assert general["facets"]["dimensions"]["social_isolation"] == {"count": 42, "percent": 40.0}


def test_figure8_age_groups(report: dict[str, Any]) -> None:
    # Figuur 8 and its text: 60+ the majority, "zo'n 31%" adults, "29%" all ages; children,
    # youth and young adults only a small share.
    ages = percents(report, "age_groups")
    assert ages["older"] == 57.9
    assert ages["adults"] == 30.8 and round(ages["adults"]) == 31
    assert ages["all_ages"] == 29.3 and round(ages["all_ages"]) == 29
    assert all(0 < ages[a] < 5 for a in ("children", "youth", "young_adults"))
    assert ages["unknown"] == 0


def test_table7_risk_factors(report: dict[str, Any]) -> None:
    # Tabel 7: initiatieven naar risicofactoren in %, N=133; ids the table lacks are 0.
    assert percents(report, "risk_factors") == {
        "health_problems": 6.8,
        "poverty": 6.0,
        "caregiver": 6.8,
        "older_age": 15.0,
        "partner_loss": 3.0,
        "physical_disability": 1.5,
        "mental_disability": 0.8,
        "small_network": 3.8,
        "newcomer": 2.3,
        "psychological_vulnerability": 9.8,
        "general_vulnerability": 7.5,
        "living_alone": 0,
        "low_education": 0,
        "no_partner": 0,
        "relationship_problems": 0,
        "low_perceived_control": 0,
        "divorce": 0,
        "lgbtq": 0,
        "none": 7.5,
        "other": 21.8,
    }


def test_figure9_primary_actor(report_client: TestClient, report: dict[str, Any]) -> None:
    # Figuur 9: lokale besturen 42,9%; GGZ only a small share.
    actors = percents(report, "primary_actor")
    assert actors["local_government"] == 42.9
    assert 0 < actors["mental_health"] < 2
    # Text under figuur 9: the poverty organisations all target older people.
    poverty = get(report_client, f"{LANDSCAPE}?primary_actor=poverty_org")
    assert poverty["n"] == 5
    assert poverty["facets"]["age_groups"]["older"] == {"count": 5, "percent": 100.0}


def test_figure10_geographic_level(report: dict[str, Any]) -> None:
    # Figuur 10: initiatieven naar geografisch niveau, N=133.
    assert percents(report, "geographic_level") == {
        "neighbourhood": 25.6,
        "local": 55.6,
        "supralocal": 6.8,
        "flanders": 12,
    }


def test_table8_effect_ladder(report: dict[str, Any]) -> None:
    # Tabel 8: initiatieven naar evaluatie in %, N=133.
    assert percents(report, "effect_ladder") == {
        "0": 14.3,
        "1": 16.5,
        "2": 11.3,
        "3": 0.8,
        "4": 0,
        "unknown": 57.1,
    }


def test_figure6_at_least_two_elements(report_client: TestClient) -> None:
    # Figuur 6: top 5 when at least two elements are used (N=100): 82% ontmoeting, 39% sociale
    # steun, 22% sociale activiteiten, 18% sociale netwerken, 15% praktisch ondersteunen.
    body = get(report_client, f"{LANDSCAPE}?min_elements=2")
    assert body["n"] == 100
    got = percents(body, "elements")
    printed = {
        "meeting": 82.0,
        "social_support": 39.0,
        "social_activities": 22.0,
        "social_networks": 18.0,
        "practical_support": 15.0,
    }
    assert {k: got[k] for k in printed} == printed
    # Table 3 (32 with detection) and figure 7 (5 of them single) leave 27 detection
    # initiatives among these 100, so figure 6 can only be a top 5 without detection en
    # toeleiding; social skills ties with practical support at 15.
    assert got["detection_referral"] == 27.0
    without_detection = [v for k, v in got.items() if k != "detection_referral"]
    assert sorted(without_detection, reverse=True)[:5] == list(printed.values())
    assert got["social_skills"] == 15.0


def test_figure7_single_element(report_client: TestClient) -> None:
    # Figuur 7: the 33 initiatives with one element: 39,4% ontmoeten, 27,3% andere, 15,2%
    # detectie en toeleiding, 9,1% psychologische interventie, 9,1% psycho-educatie.
    body = get(report_client, f"{LANDSCAPE}?max_elements=1")
    assert body["n"] == 33
    assert body["facets"]["element_count"] == {"1": 33, "2": 0, "3": 0, "4+": 0}
    got = percents(body, "elements")
    printed = {
        "meeting": 39.4,
        "other": 27.3,
        "detection_referral": 15.2,
        "psychological_intervention": 9.1,
        "psychoeducation": 9.1,
    }
    assert {k: v for k, v in got.items() if v} == printed


@pytest.mark.parametrize("query", ["", "?elements=mindfulness", "?max_elements=1&lang=en"])
def test_every_facet_lists_every_id(report_client: TestClient, query: str) -> None:
    body = get(report_client, LANDSCAPE + query)
    for facet in FACETS:
        assert list(body["facets"][facet]) == list(facet_ids(facet)), facet
        for entry in body["facets"][facet].values():
            assert set(entry) == {"count", "percent"}
    if query == "?elements=mindfulness":
        assert body["n"] == 0
        assert all(
            e == {"count": 0, "percent": 0.0}
            for facet in FACETS
            for e in body["facets"][facet].values()
        )


# --------------------------------------------------------------------------------------
# Crosstabs
# --------------------------------------------------------------------------------------
def test_table6_meeting_by_older(report_client: TestClient) -> None:
    # Tabel 6: ontmoeting × 60+, kolompercentages; Chi²=12,242 (df=1), p<0,001.
    body = get(report_client, f"{CROSSTAB}?row=elements:meeting&col=age_groups:older")
    assert body["counts"] == [[64, 31], [13, 25]]
    assert body["column_percentages"] == [[83.1, 55.4], [16.9, 44.6]]
    assert body["chi2"] == 12.242
    assert body["df"] == 1
    assert body["p"] == 0.0005 and body["p_exact"] < 0.001
    assert body["n"] == 133
    assert body["warnings"] == []


def test_figure9_text_local_government_by_adults(report_client: TestClient) -> None:
    # Under figuur 9: 15,8% of local governments target adults, 42,1% of the others.
    body = get(
        report_client, f"{CROSSTAB}?row=age_groups:adults&col=primary_actor:local_government"
    )
    # columns: local government, other actors; rows: adults, not adults
    assert body["counts"] == [[9, 32], [48, 44]]
    assert body["column_percentages"][0] == [15.8, 42.1]
    assert body["column_percentages"][1] == [84.2, 57.9]
    assert body["p"] is not None and body["p"] < 0.05  # "significant minder vaak"


def test_crosstab_takes_the_landscape_filters(report_client: TestClient) -> None:
    body = get(
        report_client,
        f"{CROSSTAB}?row=elements:meeting&col=age_groups:older&prevention_levels=tertiary",
    )
    assert body["n"] == 18
    assert body["counts"][0][0] + body["counts"][0][1] == 11


# --------------------------------------------------------------------------------------
# Statistics by hand on tiny catalogues (pure functions)
# --------------------------------------------------------------------------------------
def rec(i: int, **kw: Any) -> InitiativeRecord:
    fields: dict[str, Any] = {
        "id": i,
        "name": f"I{i}",
        "description": None,
        "website": None,
        "municipality": None,
        "geographic_level": None,
        "primary_actor": None,
        "elements": frozenset(),
        "prevention_levels": frozenset(),
        "dimensions": frozenset(),
        "age_groups": frozenset(),
        "course": frozenset(),
        "risk_factors": frozenset(),
        "approach": frozenset(),
        "effect_ladder": None,
    }
    for key, value in kw.items():
        fields[key] = frozenset(value) if isinstance(value, set) else value
    return InitiativeRecord(**fields)


def table(a: int, b: int, c: int, d: int) -> list[InitiativeRecord]:
    """Records forming the 2×2 table elements:meeting (rows) × age_groups:older (cols)."""
    cells = [
        (a, {"meeting"}, {"older"}),
        (b, {"meeting"}, {"adults"}),
        (c, {"other"}, {"older"}),
        (d, {"other"}, {"adults"}),
    ]
    out: list[InitiativeRecord] = []
    for n, elements, ages in cells:
        out += [rec(len(out) + k, elements=elements, age_groups=ages) for k in range(n)]
    return out


MEETING = Cell("elements", "meeting")
OLDER = Cell("age_groups", "older")


@pytest.mark.parametrize(
    ("count", "n", "expected"),
    [
        (1, 8, 12.5),
        (1, 3, 33.3),
        (2, 3, 66.7),
        (1, 16, 6.3),  # 6.25: half up, not to even
        (3, 16, 18.8),  # 18.75
        (1, 40, 2.5),
        (0, 0, 0.0),
        (0, 5, 0.0),
        (5, 5, 100.0),
        (95, 133, 71.4),
        (1, 133, 0.8),
    ],
)
def test_percent_rounds_half_up(count: int, n: int, expected: float) -> None:
    assert percent(count, n) == expected


def chi2_by_hand(a: int, b: int, c: int, d: int) -> float:
    n = a + b + c + d
    return n * (a * d - b * c) ** 2 / ((a + b) * (c + d) * (a + c) * (b + d))


def p_df1(chi2: float) -> float:
    """Upper tail of chi-square with one degree of freedom: erfc(sqrt(x / 2))."""
    return math.erfc(math.sqrt(chi2 / 2))


def test_p_for_df1_matches_the_known_critical_values() -> None:
    assert p_df1(3.841) == pytest.approx(0.05, abs=1e-4)
    assert p_df1(6.635) == pytest.approx(0.01, abs=1e-4)
    assert p_df1(10.828) == pytest.approx(0.001, abs=1e-5)


def test_crosstab_chi_square_by_hand() -> None:
    # 30 × (10·10 − 5·5)² / (15 · 15 · 15 · 15) = 168750 / 50625 = 3.333…
    result = crosstab(table(10, 5, 5, 10), MEETING, OLDER)
    assert result["counts"] == [[10, 5], [5, 10]]
    assert result["column_percentages"] == [[66.7, 33.3], [33.3, 66.7]]
    assert chi2_by_hand(10, 5, 5, 10) == pytest.approx(10 / 3)
    assert result["chi2"] == 3.333
    assert result["df"] == 1
    assert result["p_exact"] == pytest.approx(p_df1(10 / 3), rel=1e-9)
    assert result["p"] == round(p_df1(10 / 3), 4) == 0.0679
    assert result["expected"] == [[7.5, 7.5], [7.5, 7.5]]
    assert result["warnings"] == []


def test_crosstab_unbalanced_table_by_hand() -> None:
    a, b, c, d = 20, 10, 7, 13
    result = crosstab(table(a, b, c, d), MEETING, OLDER)
    assert result["counts"] == [[a, b], [c, d]]
    assert result["chi2"] == round(chi2_by_hand(a, b, c, d), 3)
    assert result["p_exact"] == pytest.approx(p_df1(chi2_by_hand(a, b, c, d)), rel=1e-9)
    # column percentages: 20/27 = 74.07 → 74.1; 10/23 = 43.48 → 43.5
    assert result["column_percentages"] == [[74.1, 43.5], [25.9, 56.5]]


def test_crosstab_warns_when_an_expected_count_is_below_5() -> None:
    result = crosstab(table(3, 1, 1, 3), MEETING, OLDER)
    assert result["expected"] == [[2.0, 2.0], [2.0, 2.0]]
    assert result["chi2"] == round(chi2_by_hand(3, 1, 1, 3), 3) == 2.0
    assert any("below 5" in w for w in result["warnings"])


def test_crosstab_with_an_empty_row_has_no_chi_square() -> None:
    # Everything includes meeting: the "not meeting" row is empty.
    result = crosstab(table(4, 6, 0, 0), MEETING, OLDER)
    assert result["counts"] == [[4, 6], [0, 0]]
    assert result["chi2"] is None and result["p"] is None and result["expected"] is None
    assert result["column_percentages"] == [[100.0, 100.0], [0.0, 0.0]]
    assert result["warnings"] and "empty" in result["warnings"][0]


def test_crosstab_with_an_empty_column_has_no_chi_square() -> None:
    result = crosstab(table(4, 0, 6, 0), MEETING, OLDER)
    assert result["chi2"] is None
    assert result["column_percentages"][0] == [40.0, 0.0]  # 0 of 0 → 0.0
    assert result["warnings"]


def test_empty_classification_counts_as_unknown() -> None:
    records = [
        rec(1),  # nothing classified
        rec(
            2,
            prevention_levels={"unknown"},
            dimensions={"unknown"},
            age_groups={"unknown"},
            effect_ladder="unknown",
        ),
        rec(
            3,
            prevention_levels={"primary"},
            dimensions={"general"},
            age_groups={"older"},
            effect_ladder="1",
            risk_factors={"poverty"},
        ),
    ]
    for facet in ("prevention_levels", "dimensions", "age_groups", "effect_ladder"):
        assert facet_counts(records, facet)["unknown"] == 2, facet
    # Facets without an "unknown" id count nothing for an empty classification.
    assert sum(facet_counts(records, "risk_factors").values()) == 1
    assert sum(facet_counts(records, "course").values()) == 0
    assert sum(facet_counts(records, "geographic_level").values()) == 0
    result = landscape(records)
    assert result["n"] == 3
    assert result["facets"]["prevention_levels"]["unknown"] == {"count": 2, "percent": 66.7}
    assert result["facets"]["effect_ladder"]["1"] == {"count": 1, "percent": 33.3}
    # Initiatives without elements show up as a "0" bucket.
    assert result["facets"]["element_count"] == {"0": 3, "1": 0, "2": 0, "3": 0, "4+": 0}
    # The filter sees an empty classification as unknown too.
    unknown = Filters.parse([("prevention_levels", "unknown")])
    assert [r.id for r in unknown.apply(records)] == [1, 2]


def test_landscape_of_nothing() -> None:
    result = landscape([])
    assert result["n"] == 0
    assert result["facets"]["elements"]["meeting"] == {"count": 0, "percent": 0.0}
    assert result["facets"]["element_count"] == {"1": 0, "2": 0, "3": 0, "4+": 0}


# --------------------------------------------------------------------------------------
# Filters over the API (expectations computed from the CSV with plain Python)
# --------------------------------------------------------------------------------------
ROWS = csv_rows()


def expected_n(
    municipality: str | None = None,
    any_of: dict[str, set[str]] | None = None,
    min_elements: int | None = None,
    max_elements: int | None = None,
) -> int:
    n = 0
    for row in ROWS:
        if municipality is not None and row["municipality"].lower() != municipality.lower():
            continue
        if min_elements is not None and len(row["elements"]) < min_elements:
            continue
        if max_elements is not None and len(row["elements"]) > max_elements:
            continue
        if any(not (row[f] & wanted) for f, wanted in (any_of or {}).items()):
            continue
        n += 1
    return n


@pytest.mark.parametrize("town", ["Gent", "gent", "GENT", "  Gent ", "gEnT"])
def test_filter_municipality_ignores_case(report_client: TestClient, town: str) -> None:
    body = get(report_client, f"{LANDSCAPE}?municipality={town}")
    assert body["n"] == expected_n("Gent") == 40


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("municipality=Leuven", expected_n("Leuven")),
        ("municipality=Nergenshuizen", 0),
        ("elements=meeting", 95),
        ("age_groups=older", 77),
        ("primary_actor=local_government", 57),
        ("geographic_level=flanders", 16),
        ("effect_ladder=3", 1),
        ("risk_factors=older_age", 20),
        ("approach=self_with_support", 7),
        # two ids within a facet: either one (OR), comma separated or repeated
        ("elements=psychological_intervention,animal_assisted", 6),
        ("elements=psychological_intervention&elements=animal_assisted", 6),
        (
            "age_groups=children,youth",
            expected_n(any_of={"age_groups": {"children", "youth"}}),
        ),
        (
            "risk_factors=poverty,older_age",
            expected_n(any_of={"risk_factors": {"poverty", "older_age"}}),
        ),
        # two facets: both (AND)
        ("elements=meeting&age_groups=older", 64),
        ("age_groups=adults&primary_actor=local_government", 9),
        # number of elements
        ("min_elements=2", 100),
        ("max_elements=1", 33),
        ("min_elements=2&max_elements=3", 77),
        ("min_elements=4", 23),
        ("max_elements=0", 0),
        # combined with the municipality
        (
            "municipality=gent&elements=meeting",
            expected_n("Gent", {"elements": {"meeting"}}),
        ),
        (
            "municipality=GENT&min_elements=2&age_groups=older,adults",
            expected_n("Gent", {"age_groups": {"older", "adults"}}, min_elements=2),
        ),
    ],
)
def test_filters(report_client: TestClient, query: str, expected: int) -> None:
    body = get(report_client, f"{LANDSCAPE}?{query}")
    assert body["n"] == expected
    # percentages are of the filtered n
    meeting = body["facets"]["elements"]["meeting"]
    assert meeting["percent"] == percent(meeting["count"], body["n"])


def test_filtered_counts_are_the_subset(report_client: TestClient) -> None:
    body = get(report_client, f"{LANDSCAPE}?municipality=gent&elements=meeting")
    gent_meeting = [r for r in ROWS if r["municipality"] == "Gent" and "meeting" in r["elements"]]
    assert body["n"] == len(gent_meeting) > 0
    assert counts(body, "elements")["meeting"] == len(gent_meeting)
    older = sum(1 for r in gent_meeting if "older" in r["age_groups"])
    assert body["facets"]["age_groups"]["older"]["count"] == older
    assert body["filters"] == {"municipality": "gent", "elements": "meeting"}


@pytest.mark.parametrize(
    ("url", "field"),
    [
        (f"{LANDSCAPE}?colour=blue", "colour"),
        (f"{LANDSCAPE}?elements=yoga", "elements"),
        (f"{LANDSCAPE}?age_groups=older,toddlers", "age_groups"),
        (f"{LANDSCAPE}?min_elements=abc", "min_elements"),
        (f"{LANDSCAPE}?max_elements=-1", "max_elements"),
        (f"{CROSSTAB}?row=elements:meeting", "col"),
        (f"{CROSSTAB}?col=age_groups:older", "row"),
        (f"{CROSSTAB}?row=elements&col=age_groups:older", "row"),
        (f"{CROSSTAB}?row=elements:&col=age_groups:older", "row"),
        (f"{CROSSTAB}?row=colours:red&col=age_groups:older", "row"),
        (f"{CROSSTAB}?row=elements:meeting&col=age_groups:toddlers", "col"),
        (f"{CROSSTAB}?row=elements:meeting&col=age_groups:older&elements=yoga", "elements"),
    ],
)
def test_bad_parameters_are_422_naming_the_field(
    report_client: TestClient, url: str, field: str
) -> None:
    r = report_client.get(url)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert detail[0]["field"] == field
    assert detail[0]["loc"] == ["query", field]
    assert detail[0]["msg"]


# --------------------------------------------------------------------------------------
# Gaps
# --------------------------------------------------------------------------------------
def gaps_by_id(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {g["id"]: g for g in body["gaps"]}


def test_gaps_on_the_report_catalogue(report: dict[str, Any]) -> None:
    gaps = gaps_by_id(report)
    missing = gaps["proven-elements-missing"]
    assert missing["figures"]["missing"] == ["mindfulness", "social_cognitive_training"]
    assert "mindfulness of sociaal-cognitieve training" in missing["text"]
    assert missing["severity"] == "high"
    # One line for the dimensions nobody names; social and emotional are named by some.
    dims = gaps["dimension-uncovered"]
    assert dims["figures"]["dimensions"] == ["existential", "collective"]
    assert "existentiële of collectieve eenzaamheid" in dims["text"]
    assert not any(g.startswith("dimension-uncovered:") for g in gaps)
    # Initiatives described only as "general" are counted apart, as not specified.
    assert gaps["dimensions-unspecified"]["group"] == "unknown"
    reliance = gaps["single-element-reliance"]
    assert reliance["figures"]["element"] == "meeting"
    assert reliance["figures"]["percent"] == 71.4
    assert reliance["text"].startswith("95 van de 133 initiatieven (71 %) zetten in op")
    assert "course-not-distinguished" in gaps
    unknown = gaps["evaluation-unknown"]
    assert unknown["figures"]["percent"] == 57.1 and unknown["group"] == "unknown"
    assert unknown["text"].startswith("76 van de 133 initiatieven (57 %) hebben geen gekend")
    assert gaps["few-combinations"]["figures"]["percent"] == 24.8  # 33 of 133
    assert "no-tertiary-offer" not in gaps  # 18 tertiary initiatives
    assert not any(g.startswith("age-group-") for g in gaps)  # every age group has some
    for gap in report["gaps"]:
        assert {"id", "group", "severity", "text", "source", "action"} <= set(gap)
        if gap["group"] == "missing":
            assert gap["action"]["text"] and "Thomas More 2023" in gap["action"]["source"]
    # What is missing first, then what is not known; most serious first within each.
    order = {"high": 0, "medium": 1, "info": 2}
    groups = {"missing": 0, "unknown": 1}
    keys = [(groups[g["group"]], order[g["severity"]]) for g in report["gaps"]]
    assert keys == sorted(keys)


def test_gaps_in_english(report_client: TestClient) -> None:
    gaps = gaps_by_id(get(report_client, f"{LANDSCAPE}?lang=en"))
    missing = gaps["proven-elements-missing"]["text"]
    assert missing.startswith("No initiative offers")
    assert "mindfulness" in missing and "social-cognitive training" in missing
    assert "existential" in gaps["dimension-uncovered"]["text"]
    assert "collective loneliness" in gaps["dimension-uncovered"]["text"]
    assert " rely on meeting people / social contact" in gaps["single-element-reliance"]["text"]
    assert " have no known effect level" in gaps["evaluation-unknown"]["text"]
    assert gaps["course-not-distinguished"]["text"].startswith("No initiative distinguishes")
    assert gaps["course-not-distinguished"]["action"]["text"].startswith("Make organisations")


def test_gaps_on_the_shipped_catalogue(client: TestClient) -> None:
    body = get(client, LANDSCAPE)
    assert body["n"] > 0
    assert body["gaps"]
    for gap in body["gaps"]:
        assert gap["id"] and gap["severity"] in {"high", "medium", "info"}
        assert gap["text"] and gap["source"]


def test_a_risk_factor_nobody_addresses_is_said_plainly(
    catalogue: tuple[InitiativeRecord, ...],
) -> None:
    from app.core.config import REPO_ROOT
    from app.landscape.gaps import find_gaps, render_gaps

    knowledge = load_knowledge(REPO_ROOT / "rules")
    records = [r for r in catalogue if "poverty" not in r.risk_factors]
    gaps = render_gaps(find_gaps(records, knowledge.label), knowledge.gaps, "nl")
    texts = [g["text"] for g in gaps if g["id"] == "consensus-risk-absent"]
    assert texts and texts[0].startswith("Geen enkel initiatief richt zich op laag inkomen")
    assert not any(re.search(r"(?<![\d,])0,0%", g["text"]) for g in gaps)
    assert not any("/initiatieven" in g["text"] for g in gaps)
    youth = next(g["text"] for g in gaps if g["id"] == "age-group-only-general")
    assert "alleen 5 initiatieven voor alle leeftijden" in youth


# --- The 2×2 tests without scipy agree with scipy ------------------------------------------

# Small tables (where Fisher's test applies), lopsided ones and catalogue-sized ones.
cells = st.integers(min_value=0, max_value=40) | st.integers(min_value=0, max_value=100_000)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(a=cells, b=cells, c=cells, d=cells)
def test_chi_square_and_fisher_agree_with_scipy(a: int, b: int, c: int, d: int) -> None:
    scipy_stats = pytest.importorskip("scipy.stats")
    if 0 in (a + b, c + d, a + c, b + d):
        return  # the crosstab reports such a table as undefined before testing it
    statistic, p, expected = chi_square(a, b, c, d)
    reference = scipy_stats.chi2_contingency([[a, b], [c, d]], correction=False)
    assert statistic == pytest.approx(float(reference.statistic), rel=1e-9, abs=1e-12)
    assert p == pytest.approx(float(reference.pvalue), rel=1e-6, abs=1e-300)
    flat = [x for row in reference.expected_freq.tolist() for x in row]
    assert [x for row in expected for x in row] == pytest.approx(flat, rel=1e-12)
    if a + b + c + d <= 2_000 or min(min(row) for row in expected) < 5:
        exact = scipy_stats.fisher_exact([[a, b], [c, d]]).pvalue
        assert fisher_exact(a, b, c, d) == pytest.approx(float(exact), rel=1e-6, abs=1e-12)
