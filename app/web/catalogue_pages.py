"""The catalogue for everyone (issue 11): /aanbod, search and a page per initiative."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from app.advice.knowledge import Knowledge
from app.catalogue.freshness import is_stale, today_in_belgium
from app.catalogue.matching import place_of
from app.catalogue.models import Initiative
from app.catalogue.records import InitiativeRecord
from app.catalogue.search import SearchQuery, SearchResult, search_index
from app.core.i18n import gettext_ as _
from app.domain.places import PROVINCES, Municipality, collation_key, load_places
from app.domain.vocabulary import ElementId
from app.landscape.api_support import catalogue_records, labeller
from app.landscape.facets import facet_ids
from app.landscape.view import facet_titles
from app.web.dates import long_date
from app.web.landscape_pages import _lang, _municipality_options
from app.web.templating import is_htmx, render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 20
# Longest search text read; a longer one is cut and said so.
MAX_TEXT = 200
MAX_ID = 2**31 - 1
# Every facet of DOMAIN.md §5, in the order the filters show them.
SEARCH_FACETS = (
    "elements",
    "age_groups",
    "risk_factors",
    "dimensions",
    "prevention_levels",
    "course",
    "approach",
    "effect_ladder",
    "geographic_level",
    "primary_actor",
)
# How long a description is on the list of results, in characters.
SHORT_DESCRIPTION = 220


@dataclass
class SearchForm:
    """The search form as the browser sent it: what applies, what was typed, what is wrong."""

    text: str = ""
    municipality: str = ""  # as typed
    place: Municipality | None = None
    province: str | None = None
    chosen: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    page: int = 1

    @property
    def query(self) -> SearchQuery:
        facets = {f: frozenset(v) for f, v in self.chosen.items() if v}
        return SearchQuery(self.text, facets, self.place, self.province)

    def pairs(self) -> list[tuple[str, str]]:
        """Back to query parameters (for the pager and shareable links), page left out."""
        out: list[tuple[str, str]] = []
        if self.text:
            out.append(("q", self.text))
        if self.municipality:
            out.append(("municipality", self.place.name if self.place else self.municipality))
        if self.province:
            out.append(("province", self.province))
        for facet in SEARCH_FACETS:
            out.extend((facet, v) for v in self.chosen.get(facet, ()))
        return out

    def is_filtered(self) -> bool:
        return bool(self.text or self.place or self.province or any(self.chosen.values()))


def _values(request: Request, name: str) -> list[str]:
    """Every value of a repeated parameter; commas separate values too (as /landschap)."""
    out: list[str] = []
    for raw in request.query_params.getlist(name):
        out.extend(p.strip() for p in raw.split(",") if p.strip())
    return list(dict.fromkeys(out))


def read_search_form(request: Request) -> SearchForm:
    """The form's fields: an empty field is no filter; a wrong field keeps what was typed and
    gets a message beside it, while the other fields apply."""
    q = request.query_params
    form = SearchForm()
    text = " ".join(q.get("q", "").replace("\x00", "").split())
    if len(text) > MAX_TEXT:
        form.errors["q"] = _("Typ hoogstens {n} tekens; we zochten met de eerste {n}.").format(
            n=MAX_TEXT
        )
        text = text[:MAX_TEXT]
    form.text = text
    form.municipality = " ".join(q.get("municipality", "").replace("\x00", "").split())[:100]
    if form.municipality:
        form.place = load_places().find(form.municipality)
        if form.place is None:
            form.errors["municipality"] = _(
                "Deze gemeente kennen we niet. Typ de naam of de postcode van een Vlaamse "
                "gemeente en kies uit de lijst."
            )
    province = q.get("province", "").strip()
    if province:
        if province in PROVINCES:
            form.province = province
        else:
            form.errors["province"] = _("Kies een provincie uit de lijst.")
    for facet in SEARCH_FACETS:
        allowed = facet_ids(facet)
        values = _values(request, facet)
        wrong = [v for v in values if v not in allowed]
        form.chosen[facet] = [v for v in allowed if v in values]
        if wrong:
            form.errors[facet] = _(
                "Onbekende waarde „{value}”: kies uit de lijst. De andere keuzes gelden wel."
            ).format(value=wrong[0][:60])
    raw_page = q.get("page", "1")
    # ASCII digits only; a page past the end shows the last one.
    form.page = int(raw_page) if re.fullmatch(r"[0-9]{1,6}", raw_page) and int(raw_page) else 1
    return form


def _place_words(record: InitiativeRecord, form: SearchForm) -> str | None:
    """Where an offer is from the chosen municipality, as matching says it."""
    if form.place is None:
        return None
    tier = place_of(record, form.place, load_places())
    return {"municipality": _("eigen gemeente"), "region": _("in de regio")}.get(tier)


def _short(text: str | None) -> str:
    if not text or len(text) <= SHORT_DESCRIPTION:
        return text or ""
    cut = text[:SHORT_DESCRIPTION].rsplit(" ", 1)[0]
    return cut.rstrip(",;:. ") + " …"


def _result_rows(
    records: Sequence[InitiativeRecord], form: SearchForm, label: Callable[[str, str], str]
) -> list[dict[str, Any]]:
    rows = []
    for r in records:
        where = _("Heel Vlaanderen") if r.geographic_level == "flanders" else r.municipality
        rows.append(
            {
                "id": r.id,
                "name": r.name,
                "where": where,
                "reach": _place_words(r, form),
                "description": _short(r.description or r.goal),
                "elements": [
                    label("elements", e) for e in facet_ids("elements") if e in r.elements
                ],
                "age_groups": [
                    label("age_groups", a) for a in facet_ids("age_groups") if a in r.age_groups
                ],
            }
        )
    return rows


def run_search(
    request: Request, query: SearchQuery
) -> tuple[Sequence[InitiativeRecord], SearchResult]:
    """The snapshot and what `query` finds in it (shared with the JSON twin)."""
    records = catalogue_records(request)
    return records, search_index(records).search(query, load_places())


@router.get("/aanbod", response_class=HTMLResponse)
def catalogue_search(request: Request) -> HTMLResponse:
    """Search the catalogue: words, facets, municipality or province; paged."""
    lang = _lang(request)
    form = read_search_form(request)
    records, result = run_search(request, form.query)
    pages = max(1, -(-result.total // PAGE_SIZE))
    page = min(form.page, pages)
    start = (page - 1) * PAGE_SIZE
    shown = [records[int(i)] for i in result.order[start : start + PAGE_SIZE]]
    label = labeller(request.app.state.knowledge, lang)
    query = urlencode(form.pairs())
    options = {f: [(i, label(f, i)) for i in facet_ids(f)] for f in SEARCH_FACETS}
    context = {
        "form": form,
        "errors": form.errors,
        "results": _result_rows(shown, form, label),
        "total": result.total,
        "catalogue_size": len(records),
        "counts": result.facet_counts,
        "options": options,
        "facets": SEARCH_FACETS,
        "titles": facet_titles(),
        "provinces": sorted(PROVINCES, key=collation_key),
        "municipality_options": _municipality_options(),
        "page": page,
        "pages": pages,
        "first": start + 1,
        "last": start + len(shown),
        "query": query,
        "by_relevance": bool(form.query.text.strip()) and any(c.isalnum() for c in form.text),
    }
    block = "main" if is_htmx(request) else None
    headers = {"HX-Push-Url": f"/aanbod?{query}" if query else "/aanbod"} if block else None
    return render(request, "catalogue.html", context, block=block, headers=headers)


# Detail page -------------------------------------------------------------------------------


_PHONE = re.compile(r"^\+?[0-9 ./()-]{6,30}$")
_EMAIL = re.compile(r"^[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"']+$")


def _safe_website(url: str | None) -> str | None:
    """An address a link may point to: http(s) with a host, nothing else (no javascript:)."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def _labelled(
    knowledge: Knowledge, lang: str, section: str, ids: Sequence[str]
) -> list[dict[str, Any]]:
    """Ids of a vocabulary section with their label and explanation, in DOMAIN.md order."""
    order = {v: n for n, v in enumerate(facet_ids(section))}
    out = []
    for id_ in sorted(ids, key=lambda v: order.get(v, len(order))):
        entry = knowledge.vocabulary.get(section, {}).get(id_)
        out.append(
            {
                "id": id_,
                "label": entry.label.get(lang) if entry else id_,
                "description": entry.description.get(lang) if entry and entry.description else None,
            }
        )
    return out


def _detail_context(
    row: Initiative, knowledge: Knowledge, lang: str, stale_months: int
) -> dict[str, Any]:
    elements = []
    for e in facet_ids("elements"):
        if e in row.elements:
            element = knowledge.elements[ElementId(e)]
            elements.append(
                {
                    "id": e,
                    "label": element.label.get(lang),
                    "evidence": element.evidence.value,
                    "description": element.description.get(lang),
                    "sources": element.sources,
                }
            )
    place = load_places().find(row.municipality) if row.municipality else None
    ladder = row.effect_ladder or "unknown"
    phone = row.phone.strip() if row.phone and _PHONE.match(row.phone.strip()) else None
    email = row.email.strip() if row.email and _EMAIL.match(row.email.strip()) else None
    today = today_in_belgium()
    return {
        "i": row,
        "elements": elements,
        "age_groups": _labelled(knowledge, lang, "age_groups", row.age_groups or ["unknown"]),
        "risk_factors": _labelled(knowledge, lang, "risk_factors", row.risk_factors),
        "dimensions": _labelled(knowledge, lang, "dimensions", row.dimensions or ["unknown"]),
        "prevention_levels": _labelled(
            knowledge, lang, "prevention_levels", row.prevention_levels or ["unknown"]
        ),
        "approach": _labelled(knowledge, lang, "approach", row.approach),
        "course": _labelled(knowledge, lang, "course", row.course),
        "ladder": _labelled(knowledge, lang, "effect_ladder", [ladder])[0],
        "level": (
            _labelled(knowledge, lang, "geographic_level", [row.geographic_level])[0]
            if row.geographic_level
            else None
        ),
        "actor": (
            _labelled(knowledge, lang, "primary_actor", [row.primary_actor])[0]
            if row.primary_actor
            else None
        ),
        "place": place,
        "phone": phone,
        "phone_link": re.sub(r"[^0-9+]", "", phone) if phone else None,
        "other_phone": row.phone if row.phone and not phone else None,
        "email": email,
        "other_email": row.email if row.email and not email else None,
        "website": _safe_website(row.website),
        "verified": long_date(row.last_verified) if row.last_verified else None,
        "stale": is_stale(row.last_verified, today, stale_months),
        "stale_months": stale_months,
    }


def _not_found(request: Request) -> HTMLResponse:
    return render(request, "initiative_missing.html", {}, status_code=404)


@router.get("/aanbod/{initiative_id}", response_class=HTMLResponse)
def initiative_page(request: Request, initiative_id: str) -> HTMLResponse:
    """One initiative: what, for whom, where, contact, classification, freshness."""
    lang = _lang(request)
    number = int(initiative_id) if re.fullmatch(r"[0-9]{1,10}", initiative_id) else 0
    row = None
    if 0 < number <= MAX_ID:
        with Session(request.app.state.engine) as session:
            row = session.get(Initiative, number)
    if row is None:
        return _not_found(request)
    if row.archived_at is not None:
        # Archived by a curator: gone on purpose (410), said so in words, with the way
        # back to the rest of the offer; the record stays for the curators.
        return render(request, "initiative_archived.html", {"name": row.name}, status_code=410)
    settings = request.app.state.settings
    context = _detail_context(row, request.app.state.knowledge, lang, settings.stale_after_months)
    return render(request, "initiative.html", context)
