"""What changes between two advices (what-if on the result page; trainers' comparisons)."""

from __future__ import annotations

from dataclasses import dataclass

from app.advice.models import Advice


@dataclass(frozen=True)
class AdviceDiff:
    """Plan and avoid-list changes from one advice to another, in element ids."""

    entered: list[str]  # new in the plan
    left: list[str]  # no longer in the plan
    now_avoided: list[str]
    no_longer_avoided: list[str]
    labels: dict[str, str]  # element id → label, for every element either advice names

    @property
    def any_change(self) -> bool:
        return bool(self.entered or self.left or self.now_avoided or self.no_longer_avoided)


def compare(before: Advice, after: Advice) -> AdviceDiff:
    """The changes in the plan and in what to avoid, from `before` to `after`."""
    avoided_before = {d.id for d in before.discouraged}
    avoided_after = {d.id for d in after.discouraged}
    labels = {el.id: el.label for el in (*before.elements, *after.elements)}
    labels |= {d.id: d.label for d in (*before.discouraged, *after.discouraged)}
    return AdviceDiff(
        entered=[e for e in after.plan if e not in before.plan],
        left=[e for e in before.plan if e not in after.plan],
        now_avoided=[d.id for d in after.discouraged if d.id not in avoided_before],
        no_longer_avoided=[d.id for d in before.discouraged if d.id not in avoided_after],
        labels=labels,
    )
