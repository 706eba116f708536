"""Comparing two advices: what enters and leaves the plan, and what to avoid."""

from __future__ import annotations

from app.advice.compare import compare
from app.advice.engine import advise
from app.advice.knowledge import Knowledge
from app.domain.intake import Intake


def test_no_need_for_contact_takes_meeting_out_and_onto_the_avoid_list(
    knowledge: Knowledge,
) -> None:
    base = {"age_group": "adults", "problem_nature": "situational", "coping": "active"}
    wants = advise(Intake(**base, wants_contact=True, dimensions=["social"]), knowledge)
    no_need = advise(Intake(**base, wants_contact=False, dimensions=["social"]), knowledge)
    diff = compare(wants, no_need)
    assert diff.any_change
    assert set(diff.left) == set(wants.plan) - set(no_need.plan)
    assert set(diff.entered) == set(no_need.plan) - set(wants.plan)
    assert {"meeting", "social_networks"} <= set(diff.now_avoided)
    assert all(e in diff.labels for e in [*diff.entered, *diff.left, *diff.now_avoided])
    assert not compare(wants, wants).any_change
