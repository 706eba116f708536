"""Shared by the landscape API and pages: the records to analyse and labels."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from fastapi import Request

from app.advice.knowledge import Knowledge
from app.catalogue.records import InitiativeRecord
from app.domain.vocabulary import ElementId
from app.landscape.facets import FACETS, facet_ids

LANGS = ("nl", "en")
# Filters.parse takes at most six digits for min_elements and max_elements.
MAX_ELEMENT_BOUND = 999_999


def labeller(knowledge: Knowledge, lang: str) -> Callable[[str, str], str]:
    """label(facet_or_section, id) in the given language."""

    def label(section: str, id_: str) -> str:
        if section == "elements":
            return knowledge.elements[ElementId(id_)].label.get(lang)
        return knowledge.label(section, id_, lang)

    return label


def catalogue_records(request: Request) -> Sequence[InitiativeRecord]:
    records: Sequence[InitiativeRecord] = request.app.state.catalogue.get()
    return records


def _facet_parameter(facet: str, ids: Sequence[str]) -> dict[str, Any]:
    return {
        "name": facet,
        "in": "query",
        "required": False,
        "description": f"Only initiatives with any of these {facet} ids; repeat the parameter "
        "or separate ids by commas.",
        "style": "form",
        "explode": True,
        "schema": {"type": "array", "items": {"type": "string", "enum": list(ids)}},
    }


def _count_parameter(name: str, what: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": f"Only initiatives with {what} this many elements.",
        "schema": {"type": "integer", "minimum": 0, "maximum": MAX_ELEMENT_BOUND},
    }


LANG_PARAMETER: dict[str, Any] = {
    "name": "lang",
    "in": "query",
    "required": False,
    "description": "Language of labels and gap texts.",
    "schema": {"type": "string", "enum": list(LANGS), "default": "nl"},
}


def filter_parameters() -> list[dict[str, Any]]:
    """The filters of the landscape API as OpenAPI query parameters.

    The routes parse the query string themselves (Filters.parse) so that an unknown
    parameter is refused by name; these declarations describe exactly what it accepts.
    """
    return [
        {
            "name": "municipality",
            "in": "query",
            "required": False,
            "description": "Only initiatives in this municipality (case and spacing ignored).",
            "schema": {"type": "string"},
        },
        *(_facet_parameter(facet, facet_ids(facet)) for facet in FACETS),
        _count_parameter("min_elements", "at least"),
        _count_parameter("max_elements", "at most"),
        LANG_PARAMETER,
    ]


def crosstab_parameters() -> list[dict[str, Any]]:
    """`row` and `col` (facet:id), then the same filters as the landscape."""
    cells = [f"{facet}:{id_}" for facet in FACETS for id_ in facet_ids(facet)]
    axes = [
        {
            "name": name,
            "in": "query",
            "required": True,
            "description": f"The {what} as facet:id, e.g. elements:meeting.",
            "schema": {"type": "string", "enum": cells},
        }
        for name, what in (("row", "row"), ("col", "column"))
    ]
    return [*axes, *filter_parameters()]
