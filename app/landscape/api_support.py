"""Shared by the landscape API and pages: the records to analyse and labels."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from fastapi import Request

from app.advice.knowledge import Knowledge
from app.catalogue.records import InitiativeRecord
from app.domain.vocabulary import ElementId


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
