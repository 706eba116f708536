"""The report's matrix (figure 3) as facets of the catalogue, and filters over them."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from app.catalogue.records import InitiativeRecord
from app.domain.vocabulary import INITIATIVE_FACETS

# Facet name → its ids, in the order of DOMAIN.md.
FACETS: dict[str, type[StrEnum]] = INITIATIVE_FACETS
# Facets whose "unknown" id also stands for an empty classification ("ik weet het niet").
UNKNOWN_WHEN_EMPTY = {"prevention_levels", "dimensions", "age_groups", "effect_ladder"}


def facet_ids(facet: str) -> tuple[str, ...]:
    return tuple(m.value for m in FACETS[facet])


def values_of(record: InitiativeRecord, facet: str) -> frozenset[str]:
    """The ids one initiative has on a facet (single-valued facets give one or none)."""
    raw = getattr(record, facet)
    values = raw if isinstance(raw, frozenset) else frozenset({raw}) if raw else frozenset()
    if not values and facet in UNKNOWN_WHEN_EMPTY:
        return frozenset({"unknown"})
    return values


class FilterError(ValueError):
    """A filter names an unknown facet or id; `field` names the parameter."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Filters:
    """Combinable filters: within a facet any of the ids, across facets all must hold."""

    municipality: str | None = None
    facets: Mapping[str, frozenset[str]] = field(default_factory=dict)
    min_elements: int | None = None
    max_elements: int | None = None

    @classmethod
    def parse(cls, params: Iterable[tuple[str, str]], ignore: Iterable[str] = ()) -> Filters:
        """From query parameters (`elements=meeting,social_support&age_groups=older`);
        strict, for the API: the first wrong parameter raises FilterError."""
        filters, problems = cls.read(params, ignore, blank_is_none=False)
        if problems:
            raise problems[0]
        return filters

    @classmethod
    def read(
        cls,
        params: Iterable[tuple[str, str]],
        ignore: Iterable[str] = (),
        *,
        blank_is_none: bool = True,
    ) -> tuple[Filters, list[FilterError]]:
        """Lenient, for a form as a browser sends it: an empty field means "no filter", and
        a wrong field is left out (one FilterError per field) while the others apply."""
        skip = set(ignore)
        problems: dict[str, FilterError] = {}
        facets: dict[str, set[str]] = {}
        municipality = None
        bounds: dict[str, int] = {}
        for name, value in params:
            if name in skip or name in problems:
                continue
            if name == "municipality":
                municipality = " ".join(value.split()) or None
            elif name in ("min_elements", "max_elements"):
                if blank_is_none and not value.strip():
                    continue
                # ASCII digits only, and few: "²" passes isdigit() but not int(), and
                # thousands of digits exceed int()'s limit.
                if not re.fullmatch(r"[0-9]{1,6}", value.strip()):
                    problems[name] = FilterError(
                        name, f"{name} must be a whole number from 0 to 999999"
                    )
                    bounds.pop(name, None)
                    continue
                bounds[name] = int(value)
            elif name in FACETS:
                allowed = set(facet_ids(name))
                parts = [p.strip() for p in value.split(",") if p.strip()]
                wrong = [p for p in parts if p not in allowed]
                if wrong:
                    problems[name] = FilterError(name, f"unknown {name} id '{wrong[0]}'")
                    facets.pop(name, None)
                    continue
                if parts:  # an empty select ("alle") is no filter
                    facets.setdefault(name, set()).update(parts)
            else:
                problems[name] = FilterError(name, f"unknown filter '{name}'")
        filters = cls(
            municipality=municipality,
            facets={k: frozenset(v) for k, v in facets.items()},
            min_elements=bounds.get("min_elements"),
            max_elements=bounds.get("max_elements"),
        )
        return filters, list(problems.values())

    def is_empty(self) -> bool:
        return not (
            self.municipality
            or self.facets
            or self.min_elements is not None
            or self.max_elements is not None
        )

    def matches(self, record: InitiativeRecord) -> bool:
        if self.municipality is not None and (
            " ".join((record.municipality or "").casefold().split()) != self.municipality.casefold()
        ):
            return False
        n = len(record.elements)
        if self.min_elements is not None and n < self.min_elements:
            return False
        if self.max_elements is not None and n > self.max_elements:
            return False
        return all(
            not wanted.isdisjoint(values_of(record, facet)) for facet, wanted in self.facets.items()
        )

    def apply(self, records: Iterable[InitiativeRecord]) -> list[InitiativeRecord]:
        if self.is_empty():
            return list(records)
        return [r for r in records if self.matches(r)]

    def as_pairs(self) -> list[tuple[str, str]]:
        """Back to query parameters (for shareable URLs)."""
        out: list[tuple[str, str]] = []
        if self.municipality:
            out.append(("municipality", self.municipality))
        for facet in FACETS:
            if facet in self.facets:
                out.append(
                    (facet, ",".join(i for i in facet_ids(facet) if i in self.facets[facet]))
                )
        if self.min_elements is not None:
            out.append(("min_elements", str(self.min_elements)))
        if self.max_elements is not None:
            out.append(("max_elements", str(self.max_elements)))
        return out
