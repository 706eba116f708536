"""Curator pages under /beheer (issue 11); filled in by this module's owner."""

from __future__ import annotations

from app.web.beheer import beheer_router

router = beheer_router()
