"""Read-only reference data: elements, profiles, vocabulary, rules."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from app.advice.knowledge import Knowledge
from app.api.errors import API_ERRORS

router = APIRouter(prefix="/api/v1", tags=["reference"], responses=API_ERRORS)


def _knowledge(request: Request) -> Knowledge:
    k: Knowledge = request.app.state.knowledge
    return k


@router.get("/elements")
def list_elements(request: Request) -> list[dict[str, Any]]:
    """The potentially active elements with evidence tier, description and sources."""
    return [e.model_dump(mode="json") for e in _knowledge(request).elements.values()]


@router.get("/profiles")
def list_profiles(request: Request) -> list[dict[str, Any]]:
    """The eight Machielse & Ariaans profiles with the project's derived direction."""
    return [p.model_dump(mode="json") for p in _knowledge(request).profiles.values()]


@router.get("/vocabulary")
def vocabulary(request: Request) -> dict[str, list[dict[str, Any]]]:
    """Labels and descriptions of every id in DOMAIN.md."""
    return {
        section: [e.model_dump(mode="json", exclude_none=True) for e in entries.values()]
        for section, entries in _knowledge(request).vocabulary.items()
    }


@router.get("/rules")
def list_rules(request: Request) -> list[dict[str, Any]]:
    """Every rule with its conditions, effects, rationale, source and strength."""
    return [
        {**c.rule.model_dump(mode="json", by_alias=True, exclude_none=True), "file": c.file}
        for c in _knowledge(request).rules
    ]
