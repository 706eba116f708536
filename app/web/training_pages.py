"""Trainer mode pages (issue 12); filled in by this module's owner."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
