"""The advice arranged as a plan: for the result page and the two take-away PDFs.

The engine says why each element is advised; several elements often share a reason. A
social worker must read each reason once, so this module decides where each reason is
said: as the plan line of one element, once in the list of shared reasons, or under the
one element it belongs to. The result page, the client's plan and the file's plan (both
WeasyPrint PDFs, without names) render the same arrangement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from app.advice.knowledge import Knowledge
from app.advice.models import (
    Advice,
    DiscouragedElement,
    ElementAdvice,
    InitiativeMatch,
    PlanItem,
    Reason,
    RegularService,
    SharedReason,
)
from app.core.i18n import current_language, ngettext_
from app.core.i18n import gettext_ as _
from app.domain.intake import Intake
from app.domain.vocabulary import ElementId
from app.web.dates import duration_words
from app.web.intake_form import join_or
from app.web.templating import STATIC_DIR, environment

PlanKind = Literal["client", "file"]

# Reasons of the evidence tiers hold for every element of a tier: the badge and the
# legend say them, so they are never listed as a reason.
_TIER_PREFIX = "evidence-"
_EFFECTS_SHOWN = ("raise", "lower")


@dataclass(frozen=True)
class Ref:
    """A pointer to a reason said elsewhere on the page: a shared reason or a plan line."""

    anchor: str
    label: str
    lower: bool = False


@dataclass(frozen=True)
class ElementView:
    """One advised element with only the reasons that are its own."""

    element: ElementAdvice
    description: str
    item: PlanItem | None = None
    own: tuple[Reason, ...] = ()
    refs: tuple[Ref, ...] = ()
    # The engine says what the element is when all its reasons are said elsewhere.
    item_is_description: bool = False


@dataclass(frozen=True)
class SharedView:
    """A reason that holds for several elements, with the elements named."""

    number: int
    reason: SharedReason
    plan_labels: tuple[str, ...]
    other_labels: tuple[str, ...]

    @property
    def anchor(self) -> str:
        return f"shared-{self.reason.rule}"


@dataclass(frozen=True)
class AvoidView:
    """A discouraged element; a reason already given for another one is named, not repeated."""

    element: DiscouragedElement
    reasons: tuple[Reason, ...]
    same_as: tuple[str, ...]


@dataclass(frozen=True)
class Gap:
    """What the page must say plainly when no offer nearby delivers (part of) the plan."""

    message: str
    services: tuple[RegularService, ...]


@dataclass(frozen=True)
class AdviceView:
    """The advice arranged so that every reason is said once."""

    plan: tuple[ElementView, ...]
    more: tuple[ElementView, ...]
    shared: tuple[SharedView, ...]
    shared_more: tuple[SharedView, ...]
    avoid: tuple[AvoidView, ...]
    plan_offers: tuple[InitiativeMatch, ...]
    other_offers: tuple[InitiativeMatch, ...]
    gap: Gap | None
    labels: dict[str, str] = field(default_factory=dict)

    def offers_for(self, element_id: str) -> list[InitiativeMatch]:
        """The offers that deliver one plan element."""
        return [o for o in self.plan_offers if element_id in o.plan_elements]

    def services_for(self, element_id: str) -> list[RegularService]:
        """The regular services that usually deliver a plan element no offer nearby has."""
        if self.gap is None:
            return []
        return [s for s in self.gap.services if element_id in s.elements]

    def steps_of(self, offer: InitiativeMatch) -> list[int]:
        """The numbers of the plan steps an offer helps with (1-based)."""
        ids = [v.element.id for v in self.plan]
        return [ids.index(e) + 1 for e in offer.plan_elements if e in ids]


def _shown(reason: Reason) -> bool:
    return reason.effect in _EFFECTS_SHOWN and not reason.rule.startswith(_TIER_PREFIX)


def arrange(advice: Advice, knowledge: Knowledge, lang: str) -> AdviceView:
    """Decide where each reason is said, and split the offers into the plan's and the rest."""
    by_id = {el.id: el for el in advice.elements}
    items = {item.id: item for item in advice.plan_items}
    plan_ids = [e for e in advice.plan if e in by_id]
    # Every element's label: offers also name elements outside the advice.
    labels = dict(knowledge.element_labels(lang))
    labels |= {el.id: el.label for el in advice.elements}

    # A plan line is said under its element; a shared reason used as a plan line is
    # therefore not said again in the shared list, and other elements point to it.
    line_owner: dict[str, str] = {}
    for e in plan_ids:
        item = items.get(e)
        rule = item.rule if item else None
        if rule is not None:
            line_owner.setdefault(rule, e)

    listed = [
        s
        for s in advice.shared_reasons
        if not s.rule.startswith(_TIER_PREFIX) and s.rule not in line_owner
    ]
    plan_set = set(plan_ids)
    shared: list[SharedView] = []
    shared_more: list[SharedView] = []
    # Shared reasons about the plan come first and are numbered first.
    ordered = sorted(listed, key=lambda s: not any(e in plan_set for e in s.elements))
    for n, s in enumerate(ordered, start=1):
        view = SharedView(
            number=n,
            reason=s,
            plan_labels=tuple(labels[e] for e in s.elements if e in plan_set and e in labels),
            other_labels=tuple(labels[e] for e in s.elements if e not in plan_set and e in labels),
        )
        (shared if view.plan_labels else shared_more).append(view)
    numbers = {v.reason.rule: v for v in (*shared, *shared_more)}
    shared_rules = {s.rule for s in advice.shared_reasons}

    def element_view(el: ElementAdvice) -> ElementView:
        item = items.get(el.id) if el.id in plan_set else None
        mine = item.rule if item else None
        own: list[Reason] = []
        refs: list[Ref] = []
        seen: set[str] = set()
        for r in el.reasons:
            if not _shown(r) or r.rule == mine or r.rule in seen:
                continue
            seen.add(r.rule)
            lower = r.effect == "lower"
            owner = line_owner.get(r.rule)
            if owner is not None and owner != el.id:
                refs.append(Ref(f"el-{owner}", labels[owner], lower))
            elif r.rule in numbers:
                refs.append(Ref(numbers[r.rule].anchor, str(numbers[r.rule].number), lower))
            elif r.rule not in shared_rules:
                own.append(r)
        element = knowledge.elements.get(ElementId(el.id))
        return ElementView(
            element=el,
            description=element.description.get(lang) if element else "",
            item=item,
            own=tuple(own),
            refs=tuple(refs),
            item_is_description=item is not None and mine is None,
        )

    plan = tuple(element_view(by_id[e]) for e in plan_ids)
    more = tuple(element_view(el) for el in advice.elements if el.id not in plan_set)

    avoid: list[AvoidView] = []
    said: dict[str, str] = {}
    for d in advice.discouraged:
        fresh: list[Reason] = []
        same: list[str] = []
        for r in d.reasons:
            if r.text in said:
                if said[r.text] not in same:
                    same.append(said[r.text])
            else:
                said[r.text] = d.label
                fresh.append(r)
        avoid.append(AvoidView(element=d, reasons=tuple(fresh), same_as=tuple(same)))

    return AdviceView(
        plan=plan,
        more=more,
        shared=tuple(shared),
        shared_more=tuple(shared_more),
        avoid=tuple(avoid),
        plan_offers=tuple(o for o in advice.initiatives if o.plan_elements),
        other_offers=tuple(o for o in advice.initiatives if not o.plan_elements),
        gap=_gap(advice, labels),
        labels=labels,
    )


def _gap(advice: Advice, labels: dict[str, str]) -> Gap | None:
    """The plain message when nothing nearby delivers (part of) the plan, with services."""
    cov = advice.coverage
    if cov is None or (cov.local_found and not cov.uncovered):
        return None
    uncovered = join_or([labels.get(e, e) for e in cov.uncovered])
    if cov.municipality is None:
        message = _(
            "Er is geen gemeente opgegeven: alleen aanbod voor heel Vlaanderen kon gezocht worden."
        )
        if cov.uncovered:
            message += " " + _("Er is geen aanbod gevonden dat {elements} biedt.").format(
                elements=uncovered
            )
    elif not cov.local_found:
        message = _(
            "Geen aanbod gevonden in {municipality} of de regio dat een element van dit plan biedt."
        ).format(municipality=cov.municipality)
    else:
        message = _("Geen aanbod gevonden in of rond {municipality} dat {elements} biedt.").format(
            municipality=cov.municipality, elements=uncovered
        )
    return Gap(message=message, services=tuple(cov.services))


def offer_place(offer: InitiativeMatch, knowledge: Knowledge, lang: str) -> str:
    """Where an offer is, in words: its municipality, "heel Vlaanderen", or its level."""
    if offer.place == "flanders" or (
        offer.municipality is None and offer.geographic_level == "flanders"
    ):
        return _("heel Vlaanderen")
    if offer.municipality:
        return offer.municipality
    if offer.geographic_level:
        return knowledge.label("geographic_level", offer.geographic_level, lang)
    return _("onbekend")


# A sentence ends at ". " before a capital: "e.a. 2015" and "bv. een" do not end one.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÀ-Ý])")


def split_first(text: str) -> tuple[str, str]:
    """A reason's first sentence (its point) and the rest, which the page folds away."""
    parts = _SENTENCE_END.split(text, maxsplit=1)
    return (parts[0], parts[1]) if len(parts) == 2 else (text, "")


_CITATION = re.compile(r"\s*(\([^()]*\d{4}[a-z]?\))\s*$")


def short_description(text: str) -> str:
    """An offer's first sentence, keeping the citation that closes the description."""
    # A closing citation holds no parenthesis, so it opens at the last "(": the search
    # starts at the blanks before it instead of trying every position of a long text.
    opening = text.rfind("(")
    cited = _CITATION.search(text, len(text[:opening].rstrip())) if opening >= 0 else None
    body = text[: cited.start()] if cited else text
    first = body.split(". ", 1)[0].rstrip(".") + "."
    return f"{first} {cited.group(1)}" if cited else first


def count_offers(n: int) -> str:
    """ "1 initiatief", "3 initiatieven"."""
    return ngettext_("{n} initiatief", "{n} initiatieven", n).format(n=n)


def count_elements(n: int) -> str:
    """ "1 element", "6 elementen"."""
    return ngettext_("{n} element", "{n} elementen", n).format(n=n)


def intake_summary(
    advice: Advice, knowledge: Knowledge, lang: str, intake: Intake | None
) -> list[tuple[str, str]]:
    """The intake in words for the file's plan: no name, no municipality, no scale answers."""
    k = knowledge
    nature, need, coping = advice.profile.id.split("-")
    rows = [
        (_("Leeftijdsgroep"), k.label("age_groups", advice.age_group, lang)),
        (_("Aard van het probleem"), k.label("problem_nature", nature, lang)),
        (
            _("Behoefte aan contact"),
            k.label("wants_contact", "true" if need == "need" else "false", lang),
        ),
        (_("Copingstijl"), k.label("coping", coping, lang)),
    ]
    course = k.label("course", advice.course, lang)
    basis = {
        "given": _("zo opgegeven"),
        "duration": _("afgeleid uit de duur"),
        "problem_nature": _("afgeleid uit de aard van het probleem"),
    }.get(advice.course_basis, advice.course_basis)
    rows.append((_("Verloop"), f"{course} ({basis})"))
    if intake is not None and intake.duration_months is not None:
        rows.append((_("Duur"), duration_words(intake.duration_months)))
    if advice.dimensions:
        dims = [k.label("dimensions", d, lang) for d in advice.dimensions]
        rows.append((_("Dimensies"), ", ".join(dims)))
    if intake is not None and intake.socially_isolated is not None:
        rows.append((_("Sociaal geïsoleerd"), _("ja") if intake.socially_isolated else _("nee")))
    if intake is not None and intake.risk_factors:
        risks = [k.label("risk_factors", r.value, lang) for r in intake.risk_factors]
        rows.append((_("Risicofactoren"), ", ".join(risks)))
    djg6 = advice.scales.get("djg6")
    if djg6:
        rows.append((_("Schaal van De Jong Gierveld"), scale_words(djg6)))
    if intake is not None and intake.crisis_signs:
        signs = {
            "suicidal_thoughts": _("signalen van zelfmoordgedachten"),
            "acute_crisis": _("acute crisis"),
        }
        rows.append(
            (
                _("Crisissignalen"),
                ", ".join(signs.get(c.value, c.value) for c in intake.crisis_signs),
            )
        )
    return rows


def scale_words(djg6: dict[str, object]) -> str:
    """ "4/6, matig eenzaam": the total and its band, never the item answers."""
    band = {
        "not_lonely": _("niet eenzaam"),
        "moderate": _("matig eenzaam"),
        "severe": _("ernstig eenzaam"),
    }.get(str(djg6.get("band")), "")
    total = f"{djg6.get('total')}/6"
    return f"{total}, {band}" if band else total


def plan_html(
    advice: Advice,
    knowledge: Knowledge,
    kind: PlanKind = "client",
    intake: Intake | None = None,
) -> str:
    """HTML of a take-away plan; neither plan names the person or the municipality."""
    lang = current_language()
    view = arrange(advice, knowledge, lang)
    sources = sorted(
        {s.strip() for el in advice.elements for r in el.reasons for s in r.source.split(";")}
        | {s.strip() for d in advice.discouraged for r in d.reasons for s in r.source.split(";")}
        | set(advice.profile.sources)
    )
    template = "plan.html" if kind == "client" else "plan_dossier.html"
    return (
        environment()
        .get_template(template)
        .render(
            advice=advice,
            view=view,
            k=knowledge,
            lang=lang,
            today=datetime.now(UTC).date(),
            sources=[s for s in sources if s],
            summary=intake_summary(advice, knowledge, lang, intake),
            place=lambda o: offer_place(o, knowledge, lang),
            crisis=danger_contacts(advice),
        )
    )


def render_plan_pdf(
    advice: Advice,
    knowledge: Knowledge,
    kind: PlanKind = "client",
    intake: Intake | None = None,
) -> bytes:
    """The plan as an A4 PDF."""
    # Imported here: WeasyPrint loads Pango at import time, which only the PDF needs.
    from weasyprint import HTML

    html = plan_html(advice, knowledge, kind, intake)
    pdf: bytes = HTML(string=html, base_url=str(STATIC_DIR)).write_pdf()
    return pdf


def danger_contacts(advice: Advice) -> list[tuple[str, str | None, str | None]]:
    """(name, phone, note) of the crisis contacts, each once, in the signals' order."""
    seen: set[str] = set()
    out: list[tuple[str, str | None, str | None]] = []
    for s in advice.signals:
        if s.level != "danger":
            continue
        for c in s.contacts:
            if c.name in seen:
                continue
            seen.add(c.name)
            out.append((c.name, c.phone, c.note))
    return out
