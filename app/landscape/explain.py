"""A crosstab in one plain sentence for a policy maker, computed from its result.

The sentence compares how often the row's feature occurs among initiatives with the
column's feature and among the others, then says whether that difference could be
chance: from Pearson's p when the expected counts allow it, otherwise (an expected count
below 5) from Fisher's exact p, and then it says the numbers are small.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.core.i18n import translations
from app.landscape.wording import capitalise, lower_first, whole_percent

# The usual 5 % significance level; the glossary on the page says what it means.
ALPHA = 0.05


def group_phrase(facet: str, label: str, lang: str) -> str:
    """The initiatives that have one facet value: "initiatieven voor ouderen (60+)"."""
    t = translations(lang)
    if facet == "age_groups":
        return t.gettext("initiatieven voor {label}").format(label=lower_first(label))
    if facet == "primary_actor":
        return t.gettext("initiatieven van {label}").format(label=lower_first(label))
    return t.gettext("initiatieven met ‘{label}’").format(label=lower_first(label))


def verdict(result: Mapping[str, Any]) -> str:
    """What the test allows to say: "undefined" (an empty row or column), "same" (equal
    shares), "clear" (too large to be chance), "chance" (could be chance) or "too_few"
    (expected counts too small, and Fisher's test finds nothing either)."""
    (a, b), (c, d) = result["counts"]
    if result["p"] is None:
        return "undefined"
    if a * (b + d) == b * (a + c):
        return "same"
    if result.get("p_fisher") is not None:
        return "clear" if result["p_fisher"] < ALPHA else "too_few"
    return "clear" if result["p_exact"] < ALPHA else "chance"


def describe_crosstab(result: Mapping[str, Any], row_label: str, col_label: str, lang: str) -> str:
    """One sentence on a crosstab result (app.landscape.service.crosstab)."""
    t = translations(lang)
    (a, b), (c, d) = result["counts"]
    group = group_phrase(result["col"]["facet"], col_label, lang)
    row = f"‘{row_label}’"
    n_with, n_without = a + c, b + d
    if n_with + n_without == 0:
        return t.gettext("Er zijn geen initiatieven om te vergelijken.")
    if n_with == 0:
        return t.gettext(
            "Er zijn geen {group} in deze selectie, dus er valt niets te vergelijken."
        ).format(group=group)
    if n_without == 0:
        return t.gettext(
            "In deze selectie zijn er alleen {group}: er is geen andere groep om mee te "
            "vergelijken."
        ).format(group=group)
    if a + b == 0:
        return t.gettext(
            "{row} komt bij geen enkel initiatief in deze selectie voor, dus er valt geen "
            "verschil te zien."
        ).format(row=row)
    if c + d == 0:
        return t.gettext(
            "{row} komt bij alle initiatieven in deze selectie voor, dus er valt geen "
            "verschil te zien."
        ).format(row=row)
    share_with = whole_percent(a, n_with, lang)
    share_without = whole_percent(b, n_without, lang)
    kind = verdict(result)
    if kind == "same":
        return capitalise(
            t.gettext(
                "{row} komt bij {group} even vaak voor als bij de andere initiatieven "
                "({share}): er is geen verschil."
            ).format(row=row, group=group, share=share_with)
        )
    if a * n_without > b * n_with:
        compare = t.gettext(
            "{row} komt bij {group} vaker voor dan bij de andere initiatieven "
            "({share_with} tegen {share_without})"
        )
    else:
        compare = t.gettext(
            "{row} komt bij {group} minder vaak voor dan bij de andere initiatieven "
            "({share_with} tegen {share_without})"
        )
    conclusion = {
        "clear": t.gettext("dat verschil is te groot om toeval te zijn."),
        "chance": t.gettext("dat verschil is klein genoeg om ook toeval te kunnen zijn."),
        "too_few": t.gettext(
            "de aantallen zijn te klein om iets te besluiten: het verschil kan ook toeval zijn."
        ),
    }[kind]
    if kind == "clear" and result.get("p_fisher") is not None:
        conclusion = t.gettext(
            "de aantallen zijn klein, maar ook een exacte toets vindt dat verschil te groot "
            "om toeval te zijn."
        )
    sentence = compare.format(
        row=row, group=group, share_with=share_with, share_without=share_without
    )
    return capitalise(f"{sentence}; {conclusion}")


def comparison_rows(result: Mapping[str, Any]) -> list[tuple[int, int, float]]:
    """The two groups the sentence compares, as (initiatives, of which with the row's
    feature, percent): first those with the column's feature, then the others."""
    (a, b), (c, d) = result["counts"]
    pcts = result["column_percentages"][0]
    return [(a + c, a, pcts[0]), (b + d, b, pcts[1])]


def crosstab_words(
    result: Mapping[str, Any], row_label: str, col_label: str, lang: str
) -> dict[str, Any]:
    """What the page adds to a crosstab result: the sentence, its verdict, and the two
    groups it compares (headed by the group's name)."""
    group = capitalise(group_phrase(result["col"]["facet"], col_label, lang))
    return {
        "summary": describe_crosstab(result, row_label, col_label, lang),
        "verdict": verdict(result),
        "group": group,
        "comparison": comparison_rows(result),
    }
