"""Dates and times as the pages write them, in the UI language and in Belgian time."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime

from app.core.i18n import current_language, ngettext_
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


def duration_words(months: int) -> str:
    """A duration in months as people say it: up to two years in months ("18 maanden"),
    longer in years ("9 jaar", "8 jaar en 3 maanden")."""
    if months < 24:
        return ngettext_("{n} maand", "{n} maanden", months).format(n=months)
    years, rest = divmod(months, 12)
    in_years = ngettext_("{n} jaar", "{n} jaar", years).format(n=years)
    if rest == 0:
        return in_years
    return _("{years} en {months}").format(
        years=in_years, months=ngettext_("{n} maand", "{n} maanden", rest).format(n=rest)
    )
