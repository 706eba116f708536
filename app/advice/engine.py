"""The advice engine: intake → derived facts → rules → ranked, explained advice (pure)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from app.advice.knowledge import CompiledRule, Knowledge
from app.advice.models import (
    Advice,
    ApproachAdvice,
    Combination,
    ContactOut,
    DiscouragedElement,
    ElementAdvice,
    ProfileAdvice,
    Reason,
    Signal,
)
from app.catalogue.matching import MatchRequest, match_initiatives
from app.catalogue.records import InitiativeRecord
from app.domain.intake import Facts, Intake, derive_facts
from app.domain.vocabulary import Approach, DjgBand, ElementId, Evidence

_LEVEL_ORDER = {"danger": 0, "warning": 1, "info": 2}
_EVIDENCE_ORDER = {Evidence.proven: 0, Evidence.potential: 1, Evidence.none: 2}

# The combination takes the best element of distinct groups (de Jong-Gierveld & van
# Tilburg 2022: address several risk factors with several elements at once). With two or
# more risk factors it takes one group more.
COMBINATION_SIZE = 3
COMBINATION_SIZE_MANY_RISKS = 4
# An element joins the combination only when it scores at least this share of the best.
COMBINATION_MIN_SHARE = 0.4

_COMBINATION_TEXT = {
    "nl": "Combineer elementen die elk iets anders aanpakken: {labels}.",
    "en": "Combine elements that each address something different: {labels}.",
}
_COMBINATION_SOURCE = "de Jong-Gierveld & van Tilburg 2022"


def _reason(
    knowledge: Knowledge, rule: CompiledRule, lang: str, effect: str, weight: float | None
) -> Reason:
    """The reason a rule gives; immutable, so rendered once per language and reused."""
    r = rule.rule
    key = (r.id, effect, weight, lang)
    cached: Reason | None = knowledge.reason_cache.get(key)
    if cached is None:
        cached = Reason(
            rule=r.id,
            text=r.rationale.get(lang),
            source=r.source,
            strength=r.strength.value,
            effect=effect,
            weight=weight,
        )
        knowledge.reason_cache[key] = cached
    return cached


def _combination(ranked: Sequence[ElementAdvice], facts: Facts, lang: str) -> Combination | None:
    if len(ranked) < 2:
        return None
    size = COMBINATION_SIZE_MANY_RISKS if facts.risk_factor_count >= 2 else COMBINATION_SIZE
    floor = ranked[0].score * COMBINATION_MIN_SHARE
    picked: list[ElementAdvice] = []
    groups: set[str] = set()
    for el in ranked:
        if el.score < floor or el.group in groups:
            continue
        picked.append(el)
        groups.add(el.group)
        if len(picked) == size:
            break
    if len(picked) < 2:
        return None
    labels = ", ".join(el.label for el in picked)
    return Combination(
        elements=[el.id for el in picked],
        text=_COMBINATION_TEXT.get(lang, _COMBINATION_TEXT["nl"]).format(labels=labels),
        source=_COMBINATION_SOURCE,
    )


def advise(
    intake: Intake,
    knowledge: Knowledge,
    catalogue: Sequence[InitiativeRecord] = (),
    lang: str = "nl",
    initiative_limit: int = 8,
) -> Advice:
    """Compute the advice for one intake; deterministic, every element carries its trace."""
    facts = derive_facts(intake)
    fact_map = facts.as_mapping()

    scores: dict[ElementId, float] = defaultdict(float)
    fit: set[ElementId] = set()
    reasons: dict[ElementId, list[Reason]] = defaultdict(list)
    discouraged: dict[ElementId, list[Reason]] = defaultdict(list)
    approach_scores: dict[Approach, float] = defaultdict(float)
    approach_reasons: dict[Approach, list[Reason]] = defaultdict(list)
    signal_ids: list[str] = []
    fired: list[str] = []

    for rule in knowledge.rules:
        if not rule.matches(fact_map):
            continue
        fired.append(rule.rule.id)
        # A rule that holds for everyone (the evidence tiers) ranks, but says nothing of fit.
        personal = bool(rule.rule.when)
        for effect in rule.rule.effects:
            if effect.raise_ is not None:
                w = effect.weight or 0.0
                scores[effect.raise_] += w
                reasons[effect.raise_].append(_reason(knowledge, rule, lang, "raise", w))
                if personal:
                    fit.add(effect.raise_)
            elif effect.lower is not None:
                w = effect.weight or 0.0
                scores[effect.lower] -= w
                reasons[effect.lower].append(_reason(knowledge, rule, lang, "lower", w))
            elif effect.discourage is not None:
                discouraged[effect.discourage].append(
                    _reason(knowledge, rule, lang, "discourage", None)
                )
            elif effect.approach is not None:
                w = effect.weight or 0.0
                approach_scores[effect.approach] += w
                approach_reasons[effect.approach].append(
                    _reason(knowledge, rule, lang, "approach", w)
                )
            elif effect.signal is not None and effect.signal not in signal_ids:
                signal_ids.append(effect.signal)

    order = knowledge.element_order
    candidates = [e for e in fit if e not in discouraged and scores[e] > 0]
    candidates.sort(
        key=lambda e: (
            -round(scores[e], 6),
            _EVIDENCE_ORDER[knowledge.elements[e].evidence],
            order[e],
        )
    )
    ranked = [
        ElementAdvice(
            id=e.value,
            label=knowledge.elements[e].label.get(lang),
            evidence=knowledge.elements[e].evidence.value,
            group=knowledge.elements[e].group.value,
            score=round(scores[e], 2),
            reasons=reasons[e],
        )
        for e in candidates
    ]
    avoid = [
        DiscouragedElement(
            id=e.value, label=knowledge.elements[e].label.get(lang), reasons=discouraged[e]
        )
        for e in sorted(discouraged, key=lambda e: order[e])
    ]

    approach_order = list(Approach)
    best_approach = (
        max(
            approach_order,
            key=lambda a: (round(approach_scores[a], 6), -approach_order.index(a)),
        )
        if approach_scores
        else Approach.organised
    )

    profile = knowledge.profiles[facts.profile_id]
    signals = [knowledge.signals[s] for s in signal_ids]
    signals.sort(key=lambda s: _LEVEL_ORDER[s.level])

    lonely = facts.djg6 is None or facts.djg6.band is not DjgBand.not_lonely
    matches = (
        match_initiatives(
            MatchRequest(
                element_scores={el.id: el.score for el in ranked},
                discouraged=frozenset(e.value for e in discouraged),
                age_group=intake.age_group.value,
                lonely=lonely,
                dimensions=frozenset(d.value for d in facts.dimensions),
                socially_isolated=intake.socially_isolated,
                risk_factors=frozenset(r.value for r in facts.risk_factors),
                municipality=intake.municipality,
                limit=initiative_limit,
            ),
            catalogue,
            label=lambda section, id_: (
                knowledge.elements[ElementId(id_)].label.get(lang)
                if section == "elements"
                else knowledge.label(section, id_, lang)
            ),
            lang=lang,
        )
        if catalogue
        else []
    )

    return Advice(
        profile=ProfileAdvice(
            id=profile.id,
            name=profile.name,
            direction=profile.direction.get(lang),
            caveats=profile.caveats.get(lang),
            sources=profile.sources,
            strength=profile.strength.value,
        ),
        course=facts.course.value,
        course_basis=facts.course_basis.value,
        scales={"djg6": facts.djg6.as_dict()} if facts.djg6 else {},
        dimensions=sorted(d.value for d in facts.dimensions),
        inferred_dimensions=sorted(d.value for d in facts.inferred_dimensions),
        elements=ranked,
        discouraged=avoid,
        combination=_combination(ranked, facts, lang),
        approach=ApproachAdvice(
            id=best_approach.value,
            label=knowledge.label("approach", best_approach.value, lang),
            reasons=approach_reasons[best_approach],
        ),
        initiatives=matches,
        signals=[
            Signal(
                id=s.id,
                level=s.level,
                text=s.text.get(lang),
                source=s.source,
                contacts=[
                    ContactOut(
                        name=c.name,
                        phone=c.phone,
                        url=c.url,
                        note=c.note.get(lang) if c.note else None,
                    )
                    for c in s.contacts
                ],
            )
            for s in signals
        ],
        rules_fired=fired,
    )
