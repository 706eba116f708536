"""Honest gaps (issue 9): one line per cause, what is missing apart from what the records
do not say, counts in words, and for every real gap what a local government can do."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from app.advice.knowledge import GapDef, Knowledge
from app.catalogue.records import InitiativeRecord
from app.core.i18n import translations
from app.landscape.api_support import labeller
from app.landscape.gaps import Gap, find_gaps, render_gaps
from app.landscape.wording import count_phrase

DIMENSION_LIST = "sociale, emotionele, existentiële of collectieve eenzaamheid"


# The tests that take `client` only read: they share one application and database
# (shared_client).
@pytest.fixture
def client(shared_client: TestClient) -> TestClient:
    return shared_client


def rec(i: int, **kw: Any) -> InitiativeRecord:
    """One initiative; keyword arguments replace the defaults below."""
    fields: dict[str, Any] = {
        "elements": {"meeting", "social_support"},
        "prevention_levels": {"primary"},
        "dimensions": {"general"},
        "age_groups": {"older"},
        "course": set(),
        "risk_factors": {"poverty", "health_problems"},
        "approach": {"organised"},
        "effect_ladder": "1",
        **kw,
    }
    return InitiativeRecord(
        id=i,
        name=f"Initiatief {i}",
        description=None,
        website=None,
        municipality="Gent",
        geographic_level="local",
        primary_actor="local_government",
        elements=frozenset(fields["elements"]),
        prevention_levels=frozenset(fields["prevention_levels"]),
        dimensions=frozenset(fields["dimensions"]),
        age_groups=frozenset(fields["age_groups"]),
        course=frozenset(fields["course"]),
        risk_factors=frozenset(fields["risk_factors"]),
        approach=frozenset(fields["approach"]),
        effect_ladder=fields["effect_ladder"],
    )


def records(n: int, **kw: Any) -> list[InitiativeRecord]:
    return [rec(i, **kw) for i in range(n)]


def rendered(
    knowledge: Knowledge, recs: Iterable[InitiativeRecord], lang: str = "nl"
) -> dict[str, dict[str, Any]]:
    found = find_gaps(list(recs), labeller(knowledge, lang))
    return {g["id"]: g for g in render_gaps(found, knowledge.gaps, lang)}


# --------------------------------------------------------------------------------------
# One line per cause
# --------------------------------------------------------------------------------------
def test_four_dimensions_coded_general_make_one_line_about_what_we_do_not_know(
    knowledge: Knowledge,
) -> None:
    found = rendered(knowledge, records(22))
    lines = [g for g in found.values() if "eenzaamheid" in g["text"] and "dimensi" in g["id"]]
    assert len(lines) == 1
    line = lines[0]
    assert line["group"] == "unknown"
    assert line["text"].startswith(
        f"Geen enkel initiatief richt zich uitdrukkelijk op {DIMENSION_LIST}"
    )
    assert "alle 22 initiatieven" in line["text"]
    assert line["figures"]["dimensions"] == ["social", "emotional", "existential", "collective"]
    assert "dimension-uncovered" not in found  # "general" is not evidence of absence


def test_dimensions_nobody_names_are_missing_when_others_are_named(knowledge: Knowledge) -> None:
    recs = records(3, dimensions={"social", "emotional"}) + [
        rec(10 + i, dimensions={"general", "social_isolation"}) for i in range(19)
    ]
    found = rendered(knowledge, recs)
    missing = found["dimension-uncovered"]
    assert missing["group"] == "missing"
    assert missing["text"] == (
        "Geen enkel initiatief richt zich uitdrukkelijk op existentiële of collectieve eenzaamheid."
    )
    note = found["dimensions-unspecified"]
    assert note["group"] == "unknown"
    assert note["text"].startswith("19 van de 22 initiatieven (86 %) maken geen onderscheid")
    assert not any(k.startswith("dimension-uncovered:") for k in found)


def test_age_groups_nobody_targets_make_one_line(knowledge: Knowledge) -> None:
    found = rendered(knowledge, records(5))
    age_lines = [g for g in found.values() if g["id"].startswith("age-group")]
    assert len(age_lines) == 1
    assert age_lines[0]["text"] == (
        "Geen enkel initiatief richt zich op kinderen, jongeren, jongvolwassenen of volwassenen."
    )


def test_risk_factors_nobody_addresses_make_one_line_with_the_verb_agreeing(
    knowledge: Knowledge,
) -> None:
    both = rendered(knowledge, records(4, risk_factors=set()))["consensus-risk-absent"]
    assert both["text"].startswith(
        "Geen enkel initiatief richt zich op laag inkomen / armoede of gezondheidsproblemen, "
        "risicofactoren waarover"
    )
    one = rendered(knowledge, records(4, risk_factors={"health_problems"}))
    assert one["consensus-risk-absent"]["text"].startswith(
        "Geen enkel initiatief richt zich op laag inkomen / armoede, een risicofactor"
    )


# --------------------------------------------------------------------------------------
# Not known is not absent
# --------------------------------------------------------------------------------------
def test_unknown_effect_level_is_a_data_note_not_a_gap(knowledge: Knowledge) -> None:
    recs = records(14, effect_ladder="unknown") + [rec(100 + i) for i in range(8)]
    found = rendered(knowledge, recs)
    note = found["evaluation-unknown"]
    assert note["group"] == "unknown"
    assert note["text"].startswith(
        "14 van de 22 initiatieven (64 %) hebben geen gekend effectniveau"
    )
    assert "evaluaties te melden" in note["action"]["text"]
    # The 8 with a known level show no proven effect: that one is a real gap.
    assert found["no-proven-effect"]["group"] == "missing"


def test_when_nothing_is_known_nothing_is_called_absent(knowledge: Knowledge) -> None:
    recs = records(
        6, effect_ladder="unknown", prevention_levels=set(), age_groups=set(), dimensions=set()
    )
    found = rendered(knowledge, recs)
    assert {
        g["group"]
        for g in found.values()
        if g["id"]
        in {"evaluation-unknown", "prevention-unknown", "age-unknown", "dimensions-none-specified"}
    } == {"unknown"}
    for absent in (
        "no-proven-effect",
        "no-tertiary-offer",
        "age-group-uncovered",
        "age-group-only-general",
        "dimension-uncovered",
    ):
        assert absent not in found
    assert found["evaluation-unknown"]["text"].startswith("Alle 6 initiatieven hebben geen")


def test_missing_comes_before_unknown_in_the_rendered_list(knowledge: Knowledge) -> None:
    found = list(rendered(knowledge, records(14, effect_ladder="unknown")).values())
    groups = [g["group"] for g in found]
    assert groups == sorted(groups, key=["missing", "unknown"].index)
    assert "missing" in groups and "unknown" in groups


# --------------------------------------------------------------------------------------
# Counts in words
# --------------------------------------------------------------------------------------
def test_count_phrases_for_none_one_all_and_some() -> None:
    assert count_phrase(0, 22, "nl") == "geen enkel initiatief"
    assert count_phrase(1, 1, "nl") == "het enige initiatief"
    assert count_phrase(22, 22, "nl") == "alle 22 initiatieven"
    assert count_phrase(3, 22, "nl") == "3 van de 22 initiatieven (14 %)"
    assert count_phrase(1, 300, "nl") == "1 van de 300 initiatieven (minder dan 1 %)"
    assert count_phrase(299, 300, "nl") == "299 van de 300 initiatieven (meer dan 99 %)"


@given(count_n=st.integers(1, 400).flatmap(lambda n: st.tuples(st.integers(1, n), st.just(n))))
def test_counted_notes_read_naturally_for_any_count(
    knowledge: Knowledge, count_n: tuple[int, int]
) -> None:
    count, n = count_n
    gap = Gap("evaluation-unknown", "x", subject=(count, n))
    text = gap.render(knowledge.gaps, "nl")["text"]
    assert not re.search(r"\d,\d%|100,0|Van \d", text)
    if count == n:
        expected = "Het enige initiatief heeft" if n == 1 else f"Alle {n} initiatieven hebben"
        assert text.startswith(expected)
    else:
        match = re.match(rf"{count} van de {n} initiatieven \((.+?)\) (heeft|hebben) ", text)
        assert match, text
        share, verb = match.groups()
        assert verb == ("heeft" if count == 1 else "hebben")
        assert share in ("minder dan 1 %", "meer dan 99 %") or re.fullmatch(r"[1-9]\d? %", share)


def test_no_gap_on_the_shipped_catalogue_says_van_percent(
    knowledge: Knowledge, catalogue: tuple[InitiativeRecord, ...]
) -> None:
    for lang in ("nl", "en"):
        for g in rendered(knowledge, catalogue, lang).values():
            assert not re.search(r"\b(Van|For) \d", g["text"]), g["text"]
            assert not re.search(r"\d[,.]\d%", g["text"]), g["text"]


# --------------------------------------------------------------------------------------
# What to do, with a source
# --------------------------------------------------------------------------------------
def test_every_real_gap_says_what_to_do_with_a_source(knowledge: Knowledge) -> None:
    real = [d for d in knowledge.gaps.values() if d.group == "missing"]
    assert len(real) >= 10
    for d in real:
        assert d.action is not None, d.id
        assert d.action.text.nl and d.action.text.en
        assert "Thomas More 2023" in d.action.source


def test_a_real_gap_without_an_action_is_refused() -> None:
    with pytest.raises(ValidationError, match="needs an action"):
        GapDef.model_validate(
            {"id": "x", "severity": "high", "text": {"nl": "a", "en": "b"}, "source": "s"}
        )


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_rendered_real_gaps_carry_their_action(
    knowledge: Knowledge, catalogue: tuple[InitiativeRecord, ...], lang: str
) -> None:
    variants = [list(catalogue), records(3), records(5, effect_ladder="unknown"), []]
    for recs in variants:
        for g in rendered(knowledge, recs, lang).values():
            if g["group"] == "missing":
                assert g["action"]["text"] and "Thomas More 2023" in g["action"]["source"]


# --------------------------------------------------------------------------------------
# English
# --------------------------------------------------------------------------------------
WORDING_SOURCES = [
    Path(__file__).resolve().parents[1] / "app" / "landscape" / name
    for name in ("wording.py", "explain.py", "gaps.py")
]


def wording_messages() -> set[tuple[str, ...]]:
    """The literal messages the landscape's wording passes to `translations(lang).gettext`
    or `.ngettext`: (msgid,) or (singular, plural)."""
    found: set[tuple[str, ...]] = set()
    for path in WORDING_SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("gettext", "ngettext")
            ):
                found.add(
                    tuple(
                        a.value
                        for a in node.args
                        if isinstance(a, ast.Constant) and isinstance(a.value, str)
                    )
                )
    return found


def test_every_wording_message_has_english_in_the_catalog() -> None:
    en = translations("en")
    messages = wording_messages()
    assert ("of",) in messages and ("{n} initiatief", "{n} initiatieven") in messages
    # Without a translation gettext hands back the Dutch msgid itself.
    missing: list[tuple[str, ...]] = [
        ids for ids in messages if len(ids) == 1 and en.gettext(ids[0]) == ids[0]
    ]
    missing += [
        ids for ids in messages if len(ids) == 2 and en.ngettext(ids[0], ids[1], 2) == ids[1]
    ]
    assert not missing


def test_gaps_render_in_english_without_dutch_left(knowledge: Knowledge) -> None:
    recs = records(14, effect_ladder="unknown") + [rec(100 + i) for i in range(8)]
    found = rendered(knowledge, recs, "en")
    assert found["evaluation-unknown"]["text"].startswith(
        "14 of the 22 initiatives (64%) have no known effect level"
    )
    assert found["dimensions-none-specified"]["text"].startswith(
        "No initiative explicitly addresses social, emotional, existential or collective "
        "loneliness: all 22 initiatives are"
    )
    one = rendered(knowledge, [rec(1, effect_ladder="unknown"), rec(2)], "en")
    assert one["evaluation-unknown"]["text"].startswith("1 of the 2 initiatives (50%) has no")
    for g in [*found.values(), *one.values()]:
        assert not re.search(r"\b(van de|initiatieven|geen|alle|zijn|heeft)\b", g["text"]), g


# --------------------------------------------------------------------------------------
# The page
# --------------------------------------------------------------------------------------
def _between(text: str, start: str, end: str) -> str:
    return text.split(start, 1)[1].split(end, 1)[0]


def test_page_shows_missing_and_unknown_in_labelled_groups(client: TestClient) -> None:
    html = client.get("/landschap").text
    missing = _between(html, 'id="gaps-missing"', 'id="gaps-unknown"')
    unknown = _between(html, 'id="gaps-unknown"', "</section>")
    assert "Wat ontbreekt" in missing and "Wat we niet weten" in unknown
    assert "Geen enkel initiatief biedt mindfulness" in missing
    assert "Alle 19 initiatieven hebben geen gekend effectniveau" in unknown
    assert "geen gekend effectniveau" not in missing
    assert missing.count('class="gap gap-') == missing.count("Wat u kunt doen:")
    assert "(Thomas More 2023, 3.2.2)" in missing
    assert html.count("richt zich uitdrukkelijk op") <= 2  # dimensions once, ages once


def test_page_in_english_shows_actions_in_english(client: TestClient) -> None:
    html = client.get("/landschap", params={"lang": "en"}).text
    assert "Invest in elements with proven effect" in html
    assert "No initiative offers mindfulness or social-cognitive training" in html or (
        "No initiative offers mindfulness" in html
    )
