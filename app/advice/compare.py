"""What changes between two advices (what-if on the result page; trainers' comparisons)."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.advice.models import Advice, Reason


@dataclass(frozen=True)
class AdviceDiff:
    """Plan and avoid-list changes from one advice to another, in element ids."""

    entered: list[str]  # new in the plan
    left: list[str]  # no longer in the plan
    now_avoided: list[str]
    no_longer_avoided: list[str]
    labels: dict[str, str]  # element id → label, for every element either advice names
    # In both plans but at another place (trainers' comparison).
    moved: list[str] = field(default_factory=list)
    # In both plans, but the rules behind the element differ; the reasons that came and went.
    reasons_changed: list[str] = field(default_factory=list)
    reasons_added: dict[str, list[Reason]] = field(default_factory=dict)
    reasons_dropped: dict[str, list[Reason]] = field(default_factory=dict)
    # Offered initiatives (ids) that appear or disappear, and their names.
    offers_entered: list[int] = field(default_factory=list)
    offers_left: list[int] = field(default_factory=list)
    offer_names: dict[int, str] = field(default_factory=dict)

    @property
    def any_change(self) -> bool:
        return bool(self.entered or self.left or self.now_avoided or self.no_longer_avoided)

    @property
    def any_difference(self) -> bool:
        """Any change at all: plan, order, reasons, what to avoid or offers."""
        return self.any_change or bool(
            self.moved or self.reasons_changed or self.offers_entered or self.offers_left
        )


def _reasons(advice: Advice) -> dict[str, dict[str, Reason]]:
    """Element id → its reasons by rule id."""
    return {el.id: {r.rule: r for r in el.reasons} for el in advice.elements}


def _missing(
    ids: list[str], have: dict[str, dict[str, Reason]], lack: dict[str, dict[str, Reason]]
) -> dict[str, list[Reason]]:
    """Per element, the reasons `have` gives that `lack` does not."""
    out = {}
    for e in ids:
        extra = [r for rule, r in have.get(e, {}).items() if rule not in lack.get(e, {})]
        if extra:
            out[e] = extra
    return out


def compare(before: Advice, after: Advice) -> AdviceDiff:
    """The changes in the plan, its order and reasons, what to avoid and the offers."""
    avoided_before = {d.id for d in before.discouraged}
    avoided_after = {d.id for d in after.discouraged}
    labels = {el.id: el.label for el in (*before.elements, *after.elements)}
    labels |= {d.id: d.label for d in (*before.discouraged, *after.discouraged)}
    in_both = [e for e in after.plan if e in before.plan]
    reasons_before, reasons_after = _reasons(before), _reasons(after)
    added = _missing(in_both, reasons_after, reasons_before)
    dropped = _missing(in_both, reasons_before, reasons_after)
    offers_before = {o.id for o in before.initiatives}
    offers_after = {o.id for o in after.initiatives}
    return AdviceDiff(
        entered=[e for e in after.plan if e not in before.plan],
        left=[e for e in before.plan if e not in after.plan],
        now_avoided=[d.id for d in after.discouraged if d.id not in avoided_before],
        no_longer_avoided=[d.id for d in before.discouraged if d.id not in avoided_after],
        labels=labels,
        moved=[e for e in in_both if before.plan.index(e) != after.plan.index(e)],
        reasons_changed=[e for e in in_both if e in added or e in dropped],
        reasons_added=added,
        reasons_dropped=dropped,
        offers_entered=[o.id for o in after.initiatives if o.id not in offers_before],
        offers_left=[o.id for o in before.initiatives if o.id not in offers_after],
        offer_names={o.id: o.name for o in (*before.initiatives, *after.initiatives)},
    )
