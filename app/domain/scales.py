"""De Jong Gierveld 6-item loneliness scale (de Jong Gierveld & van Tilburg 2006)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.domain.vocabulary import DjgAnswer, DjgBand

# Published item order: three emotional items (negatively worded), then three social
# items (positively worded). The Dutch wording is the instrument's own.
DJG6_ITEMS: tuple[tuple[str, str], ...] = (
    ("emotional", "Ik ervaar een leegte om me heen."),
    ("emotional", "Ik mis mensen om me heen."),
    ("emotional", "Vaak voel ik me in de steek gelaten."),
    ("social", "Er zijn genoeg mensen op wie ik in geval van narigheid kan terugvallen."),
    ("social", "Ik heb veel mensen op wie ik volledig kan vertrouwen."),
    ("social", "Er zijn voldoende mensen met wie ik me nauw verbonden voel."),
)
# The authors' published English version, item for item (de Jong Gierveld & van Tilburg
# 2006): the English UI asks these, so that an English-speaking client hears the validated
# wording and not a translation of ours.
DJG6_ITEMS_EN: tuple[str, ...] = (
    "I experience a general sense of emptiness.",
    "I miss having people around.",
    "I often feel rejected.",
    "There are plenty of people I can rely on when I have problems.",
    "There are many people I can trust completely.",
    "There are enough people I feel close to.",
)


def djg6_items(lang: str) -> tuple[tuple[str, str], ...]:
    """The items as (dimension, wording) in `lang` (Dutch unless "en")."""
    if lang != "en":
        return DJG6_ITEMS
    return tuple((dim, text) for (dim, _nl), text in zip(DJG6_ITEMS, DJG6_ITEMS_EN, strict=True))


@dataclass(frozen=True, slots=True)
class Djg6Result:
    total: int
    emotional: int
    social: int
    band: DjgBand

    def as_dict(self) -> dict[str, object]:
        return {
            "total": self.total,
            "emotional": self.emotional,
            "social": self.social,
            "band": self.band.value,
        }


def band_for(total: int) -> DjgBand:
    """Cut-offs of the manual: 0-1 not lonely, 2-4 moderately, 5-6 severely lonely."""
    if total <= 1:
        return DjgBand.not_lonely
    if total <= 4:
        return DjgBand.moderate
    return DjgBand.severe


def score_djg6(answers: Sequence[DjgAnswer]) -> Djg6Result:
    """Score six answers: 'ja' and 'min of meer' count on emotional items, 'nee' and
    'min of meer' count on the (reverse-keyed) social items."""
    if len(answers) != len(DJG6_ITEMS):
        raise ValueError("the 6-item scale needs exactly six answers")
    emotional = sum(a is not DjgAnswer.nee for a in answers[:3])
    social = sum(a is not DjgAnswer.ja for a in answers[3:])
    total = emotional + social
    return Djg6Result(total=total, emotional=emotional, social=social, band=band_for(total))
