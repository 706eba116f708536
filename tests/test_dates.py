"""Durations and dates in words (app/web/dates.py), in Dutch and English."""

from __future__ import annotations

import pytest

from app.core.i18n import set_language
from app.web.dates import duration_words


@pytest.mark.parametrize(
    ("months", "dutch", "english"),
    [
        (1, "1 maand", "1 month"),
        (6, "6 maanden", "6 months"),
        (23, "23 maanden", "23 months"),
        (24, "2 jaar", "2 years"),
        (99, "8 jaar en 3 maanden", "8 years and 3 months"),
        (109, "9 jaar en 1 maand", "9 years and 1 month"),
        (1200, "100 jaar", "100 years"),
    ],
)
def test_a_duration_reads_in_months_up_to_two_years_then_in_years(
    months: int, dutch: str, english: str
) -> None:
    try:
        set_language("nl")
        assert duration_words(months) == dutch
        set_language("en")
        assert duration_words(months) == english
    finally:
        set_language("nl")
