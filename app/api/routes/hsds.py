"""Open Referral HSDS 3.0 API over the catalogue (issue 11): read-only and public."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/hsds", tags=["hsds"])
