"""The catalogue for everyone (issue 11): /aanbod, search and a page per initiative."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
