"""Curator pages under /beheer (issue 11): login, users, the catalogue's upkeep."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
