"""The crosstab in plain words (issue 9): one sentence a policy maker understands, chosen
from the test's p-value and the expected counts, on the page and in the API."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.catalogue.records import InitiativeRecord
from app.core.config import Settings
from app.landscape.explain import describe_crosstab, verdict
from app.landscape.service import Cell, crosstab
from app.main import create_app

REPORT133 = Path(__file__).resolve().parent / "fixtures" / "report133.csv"
MEETING = Cell("elements", "meeting")
OLDER = Cell("age_groups", "older")
MEETING_NL, OLDER_NL = "Ontmoeten / sociaal contact", "Ouderen (60+)"
MEETING_EN, OLDER_EN = "Meeting people / social contact", "Older people (60+)"


def rec(i: int, elements: set[str], ages: set[str]) -> InitiativeRecord:
    return InitiativeRecord(
        id=i,
        name=f"I{i}",
        description=None,
        website=None,
        municipality=None,
        geographic_level=None,
        primary_actor=None,
        elements=frozenset(elements),
        prevention_levels=frozenset(),
        dimensions=frozenset(),
        age_groups=frozenset(ages),
        course=frozenset(),
        risk_factors=frozenset(),
        approach=frozenset(),
        effect_ladder=None,
    )


def table(a: int, b: int, c: int, d: int) -> list[InitiativeRecord]:
    """Records forming meeting (rows) × older (columns): [[a, b], [c, d]]."""
    cells = [
        (a, {"meeting"}, {"older"}),
        (b, {"meeting"}, {"adults"}),
        (c, {"other"}, {"older"}),
        (d, {"other"}, {"adults"}),
    ]
    out: list[InitiativeRecord] = []
    for n, elements, ages in cells:
        out += [rec(len(out) + k, elements, ages) for k in range(n)]
    return out


def say(a: int, b: int, c: int, d: int, lang: str = "nl") -> str:
    result = crosstab(table(a, b, c, d), MEETING, OLDER)
    labels = (MEETING_NL, OLDER_NL) if lang == "nl" else (MEETING_EN, OLDER_EN)
    return describe_crosstab(result, *labels, lang)


# --------------------------------------------------------------------------------------
# The sentence
# --------------------------------------------------------------------------------------
def test_a_clear_difference() -> None:
    # The report's meeting × 60+ table (Thomas More 2023, p < 0.001).
    assert say(64, 31, 13, 25) == (
        "‘Ontmoeten / sociaal contact’ komt bij initiatieven voor ouderen (60+) vaker voor "
        "dan bij de andere initiatieven (83 % tegen 55 %); dat verschil is te groot om "
        "toeval te zijn."
    )


def test_a_difference_that_can_be_chance() -> None:
    result = crosstab(table(34, 43, 23, 33), MEETING, OLDER)
    assert result["p"] > 0.05 and result["p_fisher"] is None
    assert verdict(result) == "chance"
    assert describe_crosstab(result, MEETING_NL, OLDER_NL, "nl").endswith(
        "(60 % tegen 57 %); dat verschil is klein genoeg om ook toeval te kunnen zijn."
    )


def test_no_difference() -> None:
    text = say(10, 10, 10, 10)
    assert "even vaak voor als bij de andere initiatieven (50 %)" in text
    assert text.endswith("er is geen verschil.")


def test_less_often() -> None:
    assert "minder vaak voor dan bij de andere initiatieven (17 % tegen 45 %)" in say(
        13, 25, 64, 31
    )


def test_too_small_numbers_to_conclude() -> None:
    result = crosstab(table(3, 1, 1, 3), MEETING, OLDER)
    assert verdict(result) == "too_few"
    # Fisher's exact test by hand: P(a) = C(4,a)·C(4,4−a)/C(8,4); two-sided, tables as
    # or less likely than a=3: a ∈ {0, 1, 3, 4} → (1 + 16 + 16 + 1) / 70.
    assert result["p_fisher"] == pytest.approx(34 / 70, abs=1e-4)
    assert say(3, 1, 1, 3).endswith(
        "(75 % tegen 25 %); de aantallen zijn te klein om iets te besluiten: het verschil "
        "kan ook toeval zijn."
    )


def test_small_numbers_with_a_difference_an_exact_test_still_finds() -> None:
    result = crosstab(table(8, 0, 0, 8), MEETING, OLDER)
    assert result["p_fisher"] == pytest.approx(2 / math.comb(16, 8), abs=1e-4)
    assert verdict(result) == "clear"
    assert say(8, 0, 0, 8).endswith(
        "(100 % tegen 0 %); de aantallen zijn klein, maar ook een exacte toets vindt dat "
        "verschil te groot om toeval te zijn."
    )


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        ((0, 0, 0, 0), "Er zijn geen initiatieven om te vergelijken."),
        ((0, 4, 0, 6), "Er zijn geen initiatieven voor ouderen (60+) in deze selectie"),
        ((4, 0, 6, 0), "In deze selectie zijn er alleen initiatieven voor ouderen (60+)"),
        ((0, 0, 4, 6), "‘Ontmoeten / sociaal contact’ komt bij geen enkel initiatief"),
        ((4, 6, 0, 0), "‘Ontmoeten / sociaal contact’ komt bij alle initiatieven"),
    ],
)
def test_nothing_to_compare_is_said_plainly(
    cells: tuple[int, int, int, int], expected: str
) -> None:
    assert say(*cells).startswith(expected)


def test_english() -> None:
    assert say(64, 31, 13, 25, "en") == (
        "‘Meeting people / social contact’ is more common among initiatives for older "
        "people (60+) than among the other initiatives (83% against 55%); the difference "
        "is too large to be chance."
    )
    for cells in [(3, 1, 1, 3), (10, 10, 10, 10), (34, 43, 23, 33), (0, 4, 0, 6)]:
        text = say(*cells, lang="en")
        assert not re.search(r"\b(komt|tegen|bij|initiatieven|toeval|verschil)\b", text), text


# --------------------------------------------------------------------------------------
# API and page
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def report_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = tmp_path_factory.mktemp("words") / "w.db"
    app = create_app(Settings(database_url=f"sqlite:///{db}", catalogue_csv=REPORT133))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def test_api_adds_the_sentence_and_keeps_every_field(report_client: TestClient) -> None:
    r = report_client.get(
        "/api/v1/landscape/crosstab", params={"row": "elements:meeting", "col": "age_groups:older"}
    )
    body = r.json()
    assert r.status_code == 200
    assert body["counts"] == [[64, 31], [13, 25]] and body["chi2"] == 12.242
    assert {"expected", "column_percentages", "p", "p_exact", "df", "warnings"} <= set(body)
    assert body["summary"].startswith("‘Ontmoeten / sociaal contact’ komt bij initiatieven")
    assert body["summary"].endswith("dat verschil is te groot om toeval te zijn.")
    assert body["p_fisher"] is None


def test_api_sentence_follows_lang(report_client: TestClient) -> None:
    body = report_client.get(
        "/api/v1/landscape/crosstab",
        params={"row": "elements:social_support", "col": "age_groups:children", "lang": "en"},
    ).json()
    assert body["p_fisher"] is not None
    assert body["summary"].startswith("‘Increasing social support’ is less common among")
    assert "too small to conclude" in body["summary"]


def test_page_leads_with_the_sentence_and_folds_the_statistics(
    report_client: TestClient,
) -> None:
    html = report_client.get(
        "/landschap",
        params={"row": "elements:meeting", "col": "age_groups:older", "lang": "nl"},
    ).text
    section = html.split('id="crosstab"', 1)[1].split("</section>", 1)[0]
    summary = section.split('id="crosstab-summary">', 1)[1].split("</p>", 1)[0]
    assert "(83 % tegen 55 %); dat verschil is te groot om toeval te zijn." in summary
    details = section.split('id="crosstab-details">', 1)[1].split("</details>", 1)[0]
    assert "Voor wie de cijfers wil zien" in details
    assert "kolompercentages" in details and "verwacht: " in details and "χ²" in details
    for term in ("Kolompercentage", "Verwacht aantal", "p-waarde", "Exacte toets van Fisher"):
        assert f"<dt>{term}</dt>" in details
    assert "χ²" not in section.split('id="crosstab-details">', 1)[0]
    plain = section.split('<table class="data crosstab">', 1)[1].split("</table>", 1)[0]
    assert "Initiatieven voor ouderen (60+)" in plain and "Andere initiatieven" in plain


def test_page_with_small_numbers_says_so(report_client: TestClient) -> None:
    html = report_client.get(
        "/landschap",
        params={"row": "elements:social_support", "col": "age_groups:children", "lang": "nl"},
    ).text
    assert "de aantallen zijn te klein om iets te besluiten" in html
    assert "Exacte toets van Fisher:" in html
