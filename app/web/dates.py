"""Dates and times as the pages write them, in the UI language and in Belgian time."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime

from app.core.i18n import current_language
from app.core.i18n import gettext_ as _

BRUSSELS = ZoneInfo("Europe/Brussels")


def _locale() -> str:
    return "nl_BE" if current_language() == "nl" else "en_GB"


def long_date(day: date | None) -> str:
    """A date as people write it: 7 december 2026 / 7 December 2026."""
    if day is None:
        return _("nooit")
    return format_date(day, format="long", locale=_locale())


def moment(at: datetime) -> str:
    """A moment in Belgian time: 7 dec 2026 14:05."""
    return format_datetime(at, "d MMM y HH:mm", tzinfo=BRUSSELS, locale=_locale())
