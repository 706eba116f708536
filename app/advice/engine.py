"""The advice engine: intake → derived facts → rules → ranked, explained advice (pure)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_plus

from app.advice.knowledge import CompiledRule, Knowledge, SignalDef
from app.advice.models import (
    Advice,
    ApproachAdvice,
    Combination,
    ContactOut,
    Coverage,
    DiscouragedElement,
    ElementAdvice,
    InitiativeMatch,
    PlanItem,
    ProfileAdvice,
    Reason,
    RegularService,
    Resolution,
    SharedReason,
    Signal,
)
from app.catalogue.matching import MatchRequest, match_initiatives
from app.catalogue.records import InitiativeRecord
from app.domain.intake import Facts, Intake, derive_facts
from app.domain.places import Places
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


def _combination(
    ranked: Sequence[ElementAdvice], facts: Facts, knowledge: Knowledge, lang: str
) -> Combination | None:
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
        text=knowledge.phrase("combination", lang).format(labels=labels),
        source=_COMBINATION_SOURCE,
    )


# The plan: the best three elements; the fourth and fifth join in rank order while each
# adds a group the plan lacks and scores at least half of the best, or scores nearly as
# high as the best (de Jong-Gierveld & van Tilburg 2022: combine elements that address
# different things). A plan whose first three are of one kind takes one of another kind
# from 0.4 of the best (COMBINATION_MIN_SHARE; report §3.1: meeting alone is too narrow).
# Pinned safety elements rank first.
PLAN_MIN = 3
PLAN_MAX = 5
PLAN_EXTRA_SHARE = 0.5
PLAN_NEAR_SHARE = 0.85


@dataclass
class Scored:
    """What the rules say about one intake, before conflicts are resolved."""

    scores: dict[ElementId, float] = field(default_factory=lambda: defaultdict(float))
    fit: set[ElementId] = field(default_factory=set)
    reasons: dict[ElementId, list[Reason]] = field(default_factory=lambda: defaultdict(list))
    personal: dict[ElementId, list[Reason]] = field(default_factory=lambda: defaultdict(list))
    raised_by: dict[ElementId, list[str]] = field(default_factory=lambda: defaultdict(list))
    discouraged: dict[ElementId, list[Reason]] = field(default_factory=lambda: defaultdict(list))
    approach_scores: dict[Approach, float] = field(default_factory=lambda: defaultdict(float))
    approach_reasons: dict[Approach, list[Reason]] = field(
        default_factory=lambda: defaultdict(list)
    )
    signal_ids: list[str] = field(default_factory=list)
    fired: list[str] = field(default_factory=list)
    pinned: list[ElementId] = field(default_factory=list)


# One effect of a rule, ready to apply in one language: its kind (raise, lower, discourage
# or approach), the element or approach it acts on, its weight (0.0 when it has none), its
# reason and whether it pins.
PreparedEffect = tuple[str, Any, float, Reason, bool]
# A rule ready to apply: the rule, whether it is personal, its effects and its signals.
PreparedRule = tuple[CompiledRule, bool, tuple[PreparedEffect, ...], tuple[str, ...]]


def _prepared_rules(knowledge: Knowledge, lang: str) -> tuple[PreparedRule, ...]:
    """Every rule with its effects ready to apply: kind, target, weight and rendered reason
    worked out once per language, from the rules alone, instead of for every intake.
    A rule is personal unless it holds for everyone (the evidence tiers): those rank,
    but say nothing of fit."""
    key = ("prepared_rules", lang)
    cached: tuple[PreparedRule, ...] | None = knowledge.reason_cache.get(key)
    if cached is not None:
        return cached
    prepared: list[PreparedRule] = []
    for rule in knowledge.rules:
        effects: list[PreparedEffect] = []
        signals: list[str] = []
        for effect in rule.rule.effects:
            w = effect.weight or 0.0
            if effect.raise_ is not None:
                reason = _reason(knowledge, rule, lang, "raise", w)
                effects.append(("raise", effect.raise_, w, reason, effect.pin))
            elif effect.lower is not None:
                reason = _reason(knowledge, rule, lang, "lower", w)
                effects.append(("lower", effect.lower, w, reason, False))
            elif effect.discourage is not None:
                reason = _reason(knowledge, rule, lang, "discourage", None)
                effects.append(("discourage", effect.discourage, w, reason, False))
            elif effect.approach is not None:
                reason = _reason(knowledge, rule, lang, "approach", w)
                effects.append(("approach", effect.approach, w, reason, False))
            elif effect.signal is not None:
                signals.append(effect.signal)
        prepared.append((rule, bool(rule.rule.when), tuple(effects), tuple(signals)))
    cached = tuple(prepared)
    knowledge.reason_cache[key] = cached
    return cached


def score_rules(facts: Facts, knowledge: Knowledge, lang: str) -> Scored:
    """Apply every rule that holds for these facts."""
    out = Scored()
    fact_map = facts.as_mapping()
    for rule, personal, effects, signals in _prepared_rules(knowledge, lang):
        if not rule.matches(fact_map):
            continue
        out.fired.append(rule.rule.id)
        for kind, target, w, reason, pin in effects:
            if kind == "raise":
                out.scores[target] += w
                out.reasons[target].append(reason)
                if personal:
                    out.fit.add(target)
                    out.personal[target].append(reason)
                    out.raised_by[target].append(rule.rule.id)
                if pin and target not in out.pinned:
                    out.pinned.append(target)
            elif kind == "lower":
                out.scores[target] -= w
                out.reasons[target].append(reason)
            elif kind == "discourage":
                out.discouraged[target].append(reason)
            else:
                out.approach_scores[target] += w
                out.approach_reasons[target].append(reason)
        for signal in signals:
            if signal not in out.signal_ids:
                out.signal_ids.append(signal)
    return out


def resolve_conflicts(
    scored: Scored, facts: Facts, knowledge: Knowledge, lang: str
) -> list[Resolution]:
    """Make the advice coherent: the profile's direction and every discouragement win.

    Elements the profile rules out become discouraged (with the profile's reason); an
    element both raised and discouraged is discouraged. Each such conflict is explained.
    """
    profile = knowledge.profiles[facts.profile_id]
    if profile.not_in_plan_reason is not None:
        reason = Reason(
            rule=f"profile-{profile.id}",
            text=profile.not_in_plan_reason.get(lang),
            source="; ".join(profile.sources),
            strength=profile.strength.value,
            effect="discourage",
        )
        for e in profile.not_in_plan:
            scored.discouraged[e].insert(0, reason)
    resolutions: list[Resolution] = []
    for e in sorted(scored.discouraged, key=lambda e: knowledge.element_order[e]):
        if e not in scored.fit or e in scored.pinned:
            continue
        first = scored.discouraged[e][0]
        label = knowledge.elements[e].label.get(lang)
        resolutions.append(
            Resolution(
                element=e.value,
                label=label,
                outcome="discouraged",
                text=knowledge.phrase("resolution", lang).format(label=label, why=first.text),
                rules=[*dict.fromkeys(scored.raised_by[e]), first.rule],
                source=first.source,
            )
        )
    # A pinned (safety) element is never discouraged, and it ranks above every other
    # element, so that the ranking stays best first with safety at its head. Pinned
    # elements keep the order of their signs (suicidal thoughts before an acute crisis):
    # each is one step above the next, the last one step above every other element,
    # whatever other rules added to their own scores.
    others = [v for e, v in scored.scores.items() if e not in scored.pinned and e in scored.fit]
    lift = max(others, default=0.0) + 1.0
    for n, e in enumerate(scored.pinned):
        scored.discouraged.pop(e, None)
        scored.scores[e] = lift + len(scored.pinned) - n - 1
    return resolutions


def _element(
    knowledge: Knowledge, e: ElementId, score: float, reasons: list[Reason], lang: str
) -> ElementAdvice:
    el = knowledge.elements[e]
    return ElementAdvice(
        id=e.value,
        label=el.label.get(lang),
        evidence=el.evidence.value,
        group=el.group.value,
        score=round(score, 2),
        reasons=reasons,
    )


def rank_elements(scored: Scored, knowledge: Knowledge, lang: str) -> list[ElementAdvice]:
    """Advised elements, best first: personal fit, positive score, not discouraged."""
    order = knowledge.element_order

    def key(e: ElementId) -> tuple[bool, float, int, int]:
        return (
            e not in scored.pinned,  # safety first (a crisis)
            -round(scored.scores[e], 6),
            _EVIDENCE_ORDER[knowledge.elements[e].evidence],
            order[e],
        )

    candidates = [
        e
        for e in scored.fit | set(scored.pinned)
        if e not in scored.discouraged and (scored.scores[e] > 0 or e in scored.pinned)
    ]
    candidates.sort(key=key)
    ranked = [_element(knowledge, e, scored.scores[e], scored.reasons[e], lang) for e in candidates]
    if len(ranked) < PLAN_MIN:
        # Too few personal reasons: complete with the best-evidenced elements left.
        spare = [
            e
            for e in knowledge.elements
            if e not in candidates and e not in scored.discouraged and scored.scores[e] > 0
        ]
        spare.sort(key=key)
        ranked += [
            _element(knowledge, e, scored.scores[e], scored.reasons[e], lang)
            for e in spare[: PLAN_MIN - len(ranked)]
        ]
    return ranked


def profile_direction(facts: Facts, knowledge: Knowledge) -> frozenset[str]:
    """The lead of the profile's direction: what its rule raises most (rules/rules/
    70_profiles.yaml; e.g. a fixed, meaningful relationship for structural-need-passive)."""
    rule = knowledge.rules_by_id.get(f"profile-{facts.profile_id}")
    if rule is None:
        return frozenset()
    raised = [(e.weight or 0.0, e.raise_) for e in rule.rule.effects if e.raise_ is not None]
    top = max((w for w, _ in raised), default=0.0)
    return frozenset(e.value for w, e in raised if w == top and top > 0)


def choose_plan(
    ranked: Sequence[ElementAdvice],
    direction: AbstractSet[str] = frozenset(),
    crisis: bool = False,
) -> list[ElementAdvice]:
    """The 3-5 elements a professional proposes first: always the head of the ranking.

    `direction`: the lead of the profile's direction (profile_direction). When none is in
    the plan (the literature's weights for the course can fill it) and the next element
    is one, it joins, so that the profile's direction is part of what is proposed and two
    profiles with different directions do not end with the same plan (Machielse &
    Ariaans 2020; the project's derivation). Not when another rule lowered it (the
    person's situation argues against it).

    `crisis` (a pinned safety element): the plan is the first three, nothing more.
    """
    plan = list(ranked[:PLAN_MIN])
    if not plan or crisis:
        # In a crisis the plan stays short: safety first, then the two best elements.
        return plan
    top = ranked[0].score
    groups = {el.group for el in plan}
    for el in ranked[PLAN_MIN:PLAN_MAX]:
        # A plan of one kind only (e.g. three ways to meet people, the narrowing the report
        # warns against) takes an element of another kind at the combination's lower bar.
        share = COMBINATION_MIN_SHARE if len(groups) == 1 else PLAN_EXTRA_SHARE
        new_group = el.group not in groups and el.score >= share * top
        if not (new_group or el.score >= PLAN_NEAR_SHARE * top):
            break
        plan.append(el)
        groups.add(el.group)
    if (
        direction
        and len(plan) < min(PLAN_MAX, len(ranked))
        and not any(el.id in direction for el in plan)
    ):
        candidate = ranked[len(plan)]
        lowered = any(r.effect == "lower" for r in candidate.reasons)
        if candidate.id in direction and not lowered:
            plan.append(candidate)
    return plan


# A plan line longer than this is cut to its first sentence.
WHY_MAX_CHARS = 240


def _short(text: str) -> str:
    if len(text) <= WHY_MAX_CHARS or ". " not in text:
        return text
    return text.split(". ", 1)[0] + "."


def fit_tags(reasons: Sequence[Reason], facts: Facts, knowledge: Knowledge, lang: str) -> list[str]:
    """The person's facts that the rules behind these reasons looked at, in words."""
    rules = knowledge.rules_by_id
    values = facts.as_mapping()
    tags: list[str] = []

    def keys(when: Mapping[str, Any]) -> list[str]:
        out: list[str] = []
        for key, spec in when.items():
            if key == "any":
                for sub in spec:
                    out += keys(sub)
            elif key != "not":
                out.append(key)
        return out

    def mentioned(spec: Any) -> set[str]:
        if isinstance(spec, dict):
            return {v for vs in spec.values() if isinstance(vs, list) for v in vs}
        return set(spec) if isinstance(spec, list) else {spec}

    for reason in sorted(reasons, key=lambda r: -(r.weight or 0.0)):
        compiled = rules.get(reason.rule)
        if compiled is None:
            continue
        for key in keys(compiled.rule.when):
            spec = compiled.rule.when.get(key)
            for tag in _fact_words(key, spec, values, facts, knowledge, lang, mentioned):
                if tag not in tags:
                    tags.append(tag)
    return tags[:4]


def _fact_words(
    key: str,
    spec: Any,
    values: Mapping[str, object],
    facts: Facts,
    knowledge: Knowledge,
    lang: str,
    mentioned: Callable[[Any], set[str]],
) -> list[str]:
    i = facts.intake
    label = knowledge.label
    if key == "profile" or key in ("problem_nature", "wants_contact", "coping"):
        if key == "profile":
            return [
                label("problem_nature", i.problem_nature.value, lang).lower(),
                label("wants_contact", str(i.wants_contact).lower(), lang).lower(),
                label("coping", i.coping.value, lang).lower(),
            ]
        value = values[key]
        raw = str(value).lower() if isinstance(value, bool) else str(value)
        return [label(key, raw, lang).lower()]
    if key in ("course", "age_group"):
        section = "course" if key == "course" else "age_groups"
        return [label(section, str(values[key]), lang).lower()]
    if key in ("dimensions", "risk_factors"):
        have = (
            {str(v) for v in facts.dimensions}
            if key == "dimensions"
            else {str(v) for v in facts.risk_factors}
        )
        wanted = mentioned(spec) if spec is not None else have
        return [label(key, v, lang).lower() for v in sorted(have & wanted)]
    if key == "socially_isolated" and i.socially_isolated is not None:
        return [
            knowledge.phrase("fact_isolated" if i.socially_isolated else "fact_not_isolated", lang)
        ]
    if key == "djg6_band" and facts.djg6 is not None:
        return [knowledge.phrase(f"fact_scale_{facts.djg6.band.value}", lang)]
    if key == "crisis_signs":
        return [knowledge.phrase("fact_crisis", lang)]
    if key == "risk_factor_count":
        return [knowledge.phrase("fact_several_risks", lang)]
    return []


def plan_items(
    plan: Sequence[ElementAdvice],
    scored: Scored,
    knowledge: Knowledge,
    lang: str,
    facts: Facts,
    shared: Sequence[SharedReason] = (),
) -> list[PlanItem]:
    """One plain line of why per plan element: its strongest reason of its own."""
    items = []
    # Reasons shared by several elements are said once above the list, so a plan line
    # takes a reason of its own element only, and none twice.
    used: set[str] = {r.rule for r in shared}
    lines: set[str] = set()
    for el in plan:
        e = ElementId(el.id)
        own = scored.personal.get(e) or scored.reasons[e]
        fresh = [r for r in own if r.rule not in used]
        # Ties go to the later rule: rules files run from population-wide findings
        # (course, age) to what is particular to this person (risk factors, profile).
        best = max(reversed(fresh), key=lambda r: r.weight or 0.0) if fresh else None
        if best is not None:
            used.add(best.rule)
            why, rule, source, strength = _short(best.text), best.rule, best.source, best.strength
        else:
            # Its reasons are said once above the list: name what in this person they
            # answer to ("Past bij: emotionele eenzaamheid, overlijden partner.").
            tags = fit_tags(scored.personal.get(e, []), facts, knowledge, lang)
            element = knowledge.elements[e]
            why = knowledge.phrase("plan_fits", lang).format(facts=", ".join(tags))
            if not tags or why in lines:  # nothing new to say: say what the element is
                why = element.description.get(lang).split(". ", 1)[0].rstrip(".") + "."
            rule, source, strength = None, "; ".join(element.sources), "literature"
        lines.add(why)
        items.append(
            PlanItem(
                id=el.id,
                label=el.label,
                evidence=el.evidence,
                why=why,
                rule=rule,
                source=source,
                strength=strength,
                client_text=knowledge.client_texts[e].get(lang),
            )
        )
    return items


def shared_reasons(elements: Sequence[ElementAdvice]) -> list[SharedReason]:
    """Reasons that hold for two or more advised elements, said once."""
    by_rule: dict[str, tuple[Reason, list[str]]] = {}
    for el in elements:
        for r in el.reasons:
            if r.effect != "raise":
                continue
            entry = by_rule.setdefault(r.rule, (r, []))
            if el.id not in entry[1]:
                entry[1].append(el.id)
    return [
        SharedReason(rule=r.rule, text=r.text, source=r.source, strength=r.strength, elements=ids)
        for r, ids in by_rule.values()
        if len(ids) >= 2
    ]


def coverage(
    plan: Sequence[str],
    offers: Sequence[InitiativeMatch],
    municipality: str | None,
    age_group: str,
    knowledge: Knowledge,
    lang: str,
) -> Coverage:
    """Which plan elements nothing reachable delivers, and where such help is usually found."""
    delivered = {e for o in offers for e in o.plan_elements}
    local_found = any(o.plan_elements for o in offers if o.place in ("municipality", "region"))
    uncovered = [e for e in plan if e not in delivered]
    wanted = uncovered or ([] if local_found or municipality is None else list(plan))
    services: list[tuple[int, int, RegularService]] = []
    for n, s in enumerate(knowledge.services):
        if s.age_groups and age_group not in s.age_groups:
            continue
        hits = [e for e in wanted if ElementId(e) in s.elements]
        if not hits:
            continue
        query = f"{s.query} {municipality}" if municipality else s.query
        services.append(
            (
                -len(hits),
                n,
                RegularService(
                    id=s.id,
                    label=s.label.get(lang),
                    description=s.description.get(lang),
                    elements=hits,
                    url=knowledge.service_search_url.format(query=quote_plus(query)),
                ),
            )
        )
    services.sort(key=lambda t: t[:2])
    return Coverage(
        municipality=municipality,
        local_found=local_found,
        uncovered=uncovered,
        services=[t[2] for t in services],
    )


def advise(
    intake: Intake,
    knowledge: Knowledge,
    catalogue: Sequence[InitiativeRecord] = (),
    lang: str = "nl",
    initiative_limit: int = 8,
    places: Places | None = None,
) -> Advice:
    """Compute the advice for one intake; deterministic, every element carries its trace.

    Stages: derive facts → score by rules → resolve conflicts → rank → choose the plan →
    match offers → explain.
    """
    facts = derive_facts(intake)
    scored = score_rules(facts, knowledge, lang)
    resolutions = resolve_conflicts(scored, facts, knowledge, lang)
    ranked = rank_elements(scored, knowledge, lang)
    plan = choose_plan(ranked, profile_direction(facts, knowledge), crisis=bool(scored.pinned))
    plan_ids = [el.id for el in plan]
    elements = ranked
    order = knowledge.element_order
    avoid = [
        DiscouragedElement(
            id=e.value, label=knowledge.elements[e].label.get(lang), reasons=scored.discouraged[e]
        )
        for e in sorted(scored.discouraged, key=lambda e: order[e])
    ]

    approach_order = list(Approach)
    best_approach = (
        max(
            approach_order,
            key=lambda a: (round(scored.approach_scores[a], 6), -approach_order.index(a)),
        )
        if scored.approach_scores
        else Approach.organised
    )

    profile = knowledge.profiles[facts.profile_id]
    signals = [knowledge.signals[s] for s in scored.signal_ids]
    signals.sort(key=lambda s: _LEVEL_ORDER[s.level])

    lonely = facts.djg6 is None or facts.djg6.band is not DjgBand.not_lonely
    labels = knowledge.element_labels(lang)
    matches = match_initiatives(
        MatchRequest(
            element_scores={el.id: el.score for el in elements},
            discouraged=frozenset(e.value for e in scored.discouraged),
            age_group=intake.age_group.value,
            lonely=lonely,
            dimensions=frozenset(d.value for d in facts.dimensions),
            socially_isolated=intake.socially_isolated,
            risk_factors=frozenset(r.value for r in facts.risk_factors),
            municipality=intake.municipality,
            limit=initiative_limit,
            plan=tuple(plan_ids),
            discouraged_why={e.value: rs[0].text for e, rs in scored.discouraged.items() if rs},
            helplines=knowledge.helplines,
        ),
        catalogue,
        label=lambda section, id_: (
            labels[id_] if section == "elements" else knowledge.label(section, id_, lang)
        ),
        phrases=knowledge.phrases_for(lang, prefix="offer_"),
        places=places,
    )
    shared = shared_reasons(elements)
    home = matches.municipality
    place_name = home.name if home else intake.municipality

    return Advice(
        profile=ProfileAdvice(
            id=profile.id,
            name=profile.name,
            direction=profile.direction.get(lang),
            caveats=profile.caveats.get(lang),
            sources=profile.sources,
            strength=profile.strength.value,
        ),
        age_group=intake.age_group.value,
        course=facts.course.value,
        course_basis=facts.course_basis.value,
        scales={"djg6": facts.djg6.as_dict()} if facts.djg6 else {},
        dimensions=sorted(d.value for d in facts.dimensions),
        inferred_dimensions=sorted(d.value for d in facts.inferred_dimensions),
        elements=elements,
        discouraged=avoid,
        combination=_combination(plan, facts, knowledge, lang),
        approach=ApproachAdvice(
            id=best_approach.value,
            label=knowledge.label("approach", best_approach.value, lang),
            reasons=scored.approach_reasons[best_approach],
        ),
        initiatives=matches.offers,
        signals=[_signal(s, lang) for s in signals],
        rules_fired=scored.fired,
        plan=plan_ids,
        plan_items=plan_items(plan, scored, knowledge, lang, facts, shared),
        shared_reasons=shared,
        resolutions=resolutions,
        inspiration=matches.inspiration,
        coverage=coverage(
            plan_ids, matches.offers, place_name, intake.age_group.value, knowledge, lang
        )
        if catalogue
        else None,
    )


def _signal(s: SignalDef, lang: str) -> Signal:
    return Signal(
        id=s.id,
        level=s.level,
        text=s.text.get(lang),
        source=s.source,
        contacts=[
            ContactOut(
                name=c.name, phone=c.phone, url=c.url, note=c.note.get(lang) if c.note else None
            )
            for c in s.contacts
        ],
    )
