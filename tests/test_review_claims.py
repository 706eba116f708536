"""Issue 11: a claim on a registration is exclusive; others see who has it and since when,
and may take it over after 24 hours (an admin at once), audited. The database decides.

Run on SQLite and, when a server answers, on PostgreSQL.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import Session, col, select

from app.auth.models import AuditEntry, CuratorUser, Role
from app.auth.service import create_user
from app.catalogue.columns import default_codebook
from app.catalogue.edits import NotEditable, save_submission_edit, submission_fingerprint
from app.catalogue.freshness import today_in_belgium
from app.catalogue.submissions import (
    ClaimOutcome,
    NotHolder,
    Status,
    Submission,
    approve,
    as_utc,
    claim,
    create_submission,
    reject,
)
from app.main import create_app
from tests.test_curators import (
    ADMIN,
    CURATOR,
    cheap_hashing,  # noqa: F401  (fixture)
    db_url,  # noqa: F401  (fixture: SQLite, and PostgreSQL when a server answers)
    logged_in,
    make_settings,
    token_of,
    visible_text,
)
from tests.test_registration import GOOD

OTHER = ("tweede@gemeente.be", "nog een lang wachtwoord 3")
QUEUE = "/beheer/aanmeldingen"


class Desk:
    """One application, its submission and three browsers: Cora, Bert and the admin."""

    def __init__(self, app: FastAPI, submission_id: int) -> None:
        self.app = app
        self.id = submission_id
        self.cora = logged_in(TestClient(app, raise_server_exceptions=False), CURATOR)
        self.bert = logged_in(TestClient(app, raise_server_exceptions=False), OTHER)
        self.admin = logged_in(TestClient(app, raise_server_exceptions=False), ADMIN)

    def session(self) -> Session:
        return Session(self.app.state.engine)

    def row(self) -> Submission:
        with self.session() as session:
            row = session.get(Submission, self.id)
            assert row is not None
            return row

    def user_id(self, email: str) -> int:
        with self.session() as session:
            user = session.exec(select(CuratorUser).where(CuratorUser.email == email)).one()
            assert user.id is not None
            return user.id

    def post(self, who: TestClient, action: str, **data: str) -> tuple[int, str]:
        token = token_of(who, f"{QUEUE}/{self.id}")
        r = who.post(f"{QUEUE}/{self.id}/{action}", data={"csrf": token, **data})
        return r.status_code, r.text

    def age_claim(self, hours: float) -> None:
        table = Submission.__table__  # type: ignore[attr-defined]
        with self.session() as session:
            row = session.get(Submission, self.id)
            assert row is not None and row.claimed_at is not None
            earlier = as_utc(row.claimed_at) - timedelta(hours=hours)
            session.connection().execute(
                update(table).where(table.c.id == self.id).values(claimed_at=earlier)
            )
            session.commit()

    def audit(self) -> list[AuditEntry]:
        with self.session() as session:
            return list(
                session.exec(
                    select(AuditEntry)
                    .where(col(AuditEntry.action).startswith("submission"))
                    .order_by(col(AuditEntry.id))
                )
            )


@pytest.fixture
def desk(db_url: str, tmp_path: Path, cheap_hashing: None) -> Iterator[Desk]:  # noqa: F811
    app = create_app(make_settings(db_url, tmp_path, seed_catalogue=False))
    with TestClient(app):
        with Session(app.state.engine) as session:
            create_user(session, email=ADMIN[0], password=ADMIN[1], role=Role.ADMIN)
            create_user(
                session,
                email=CURATOR[0],
                password=CURATOR[1],
                role=Role.CURATOR,
                display_name="Cora Curator",
            )
            create_user(
                session, email=OTHER[0], password=OTHER[1], role=Role.CURATOR, display_name="Bert"
            )
            data = {k: v for k, v in GOOD.items() if k != "contact_email"}
            create_submission(session, data, None)
            (row,) = session.exec(select(Submission)).all()
            assert row.id is not None
        yield Desk(app, row.id)
    app.state.engine.dispose()


def test_only_the_curator_who_claimed_may_edit_approve_or_reject(desk: Desk) -> None:
    assert desk.post(desk.cora, "oppakken")[0] == 200
    cora = desk.user_id(CURATOR[0])
    page = visible_text(desk.bert.get(f"{QUEUE}/{desk.id}").text)
    assert "Cora Curator heeft deze aanmelding opgepakt op" in page
    assert "Overnemen kan vanaf" in page and "na 24 uur overnemen" in page
    assert "Goedkeuren en publiceren" not in page and "Gegevens bewerken" not in page
    queue = visible_text(desk.bert.get(QUEUE).text)
    assert re.search(r"Opgepakt door Cora Curator, sinds \d+ \w+\.? \d{4} \d\d:\d\d", queue)

    status, text = desk.post(desk.bert, "goedkeuren")
    assert status == 409 and "Een andere curator heeft deze aanmelding intussen" in text
    status, text = desk.post(desk.bert, "afwijzen", reason="Dubbel met een ander aanbod.")
    assert status == 409 and "Dubbel met een ander aanbod." in text  # the reason is kept
    status, _ = desk.post(desk.bert, "oppakken")
    assert status == 409
    r = desk.bert.get(f"{QUEUE}/{desk.id}/bewerken", follow_redirects=False)
    assert r.status_code == 303
    token = token_of(desk.bert, f"{QUEUE}/{desk.id}")
    r = desk.bert.post(
        f"{QUEUE}/{desk.id}/bewerken",
        data={**GOOD, "name": "Gekaapt", "versie": "x", "csrf": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    row = desk.row()
    assert (row.status, row.claimed_by, row.data["name"]) == (Status.PENDING, cora, GOOD["name"])
    assert [e.action for e in desk.audit()] == ["submission_claim"]
    # Cora herself decides.
    status, text = desk.post(desk.cora, "goedkeuren")
    assert status == 200 and "goedgekeurd" in visible_text(text)


def test_a_claim_older_than_a_day_may_be_taken_over_audited(desk: Desk) -> None:
    desk.post(desk.cora, "oppakken")
    cora, bert = desk.user_id(CURATOR[0]), desk.user_id(OTHER[0])
    status, _ = desk.post(desk.bert, "oppakken", overnemen=str(cora))
    assert status == 409 and desk.row().claimed_by == cora  # too early
    desk.age_claim(hours=25)
    page = desk.bert.get(f"{QUEUE}/{desk.id}").text
    assert f'name="overnemen" value="{cora}"' in page
    status, text = desk.post(desk.bert, "oppakken", overnemen=str(cora))
    assert status == 200 and "U hebt deze aanmelding overgenomen" in visible_text(text)
    row = desk.row()
    assert row.claimed_by == bert and row.claimed_at is not None
    entry = desk.audit()[-1]
    assert (entry.action, entry.user_id) == ("submission_takeover", bert)
    assert entry.changes == [{"field": "claimed_by", "before": cora, "after": bert}]
    # Now Cora is the one who may not decide, and a second takeover of her old claim fails.
    assert desk.post(desk.cora, "afwijzen", reason="Niet relevant.")[0] == 409
    assert desk.post(desk.admin, "oppakken", overnemen=str(cora))[0] == 409
    assert desk.row().claimed_by == bert and desk.row().status == Status.PENDING


def test_an_admin_may_take_over_at_once(desk: Desk) -> None:
    desk.post(desk.cora, "oppakken")
    cora = desk.user_id(CURATOR[0])
    page = visible_text(desk.admin.get(f"{QUEUE}/{desk.id}").text)
    assert "Overnemen" in page and "Overnemen kan vanaf" not in page
    assert desk.post(desk.admin, "oppakken", overnemen=str(cora))[0] == 200
    assert desk.row().claimed_by == desk.user_id(ADMIN[0])
    assert desk.post(desk.admin, "afwijzen", reason="Geen aanbod.")[0] == 200
    assert desk.row().status == Status.REJECTED


def test_the_database_refuses_what_a_stale_page_allowed(desk: Desk) -> None:
    """Bert's objects were read before Cora claimed: only the conditional UPDATE sees it."""
    cora, bert = desk.user_id(CURATOR[0]), desk.user_id(OTHER[0])
    with desk.session() as mine, desk.session() as theirs:
        stale = theirs.get(Submission, desk.id)
        assert stale is not None and stale.claimed_by is None
        version = submission_fingerprint(stale)
        assert claim(mine, desk.id, cora) is ClaimOutcome.CLAIMED
        assert claim(theirs, desk.id, bert) is ClaimOutcome.HELD
        stale.claimed_by = bert  # what Bert's worker believes
        with pytest.raises(NotHolder):
            reject(theirs, stale, bert, "te laat")
        with pytest.raises(NotEditable):
            save_submission_edit(
                theirs, stale, {**stale.data, "name": "Gekaapt"}, expected=version, by=bert
            )
    row = desk.row()
    assert (row.claimed_by, row.status, row.data["name"]) == (cora, Status.PENDING, GOOD["name"])


def test_two_curators_at_the_same_moment_one_wins(desk: Desk) -> None:
    """Two claims, then an approval racing an admin's takeover, from two threads at once."""
    cora, bert, admin = (desk.user_id(e) for e in (CURATOR[0], OTHER[0], ADMIN[0]))
    start = threading.Barrier(2)

    def claiming(user_id: int) -> ClaimOutcome:
        with desk.session() as session:
            start.wait()
            return claim(session, desk.id, user_id)

    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(claiming, (cora, bert)))
    assert outcomes == sorted([ClaimOutcome.CLAIMED, ClaimOutcome.HELD])
    holder = desk.row().claimed_by
    assert holder in (cora, bert)

    def approving() -> str:
        with desk.session() as session:
            row = session.get(Submission, desk.id)
            assert row is not None and holder is not None
            start.wait()
            try:
                approve(session, row, holder, default_codebook(), today_in_belgium())
            except NotHolder:
                return "refused"
            return "approved"

    def taking_over() -> str:
        with desk.session() as session:
            start.wait()
            outcome = claim(session, desk.id, admin, take_over_from=holder, is_admin=True)
            return "taken" if outcome is ClaimOutcome.TAKEN_OVER else "refused"

    with ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(approving), pool.submit(taking_over)]
        answers = sorted(f.result() for f in futures)
    row = desk.row()
    if row.status == Status.APPROVED:
        assert answers == ["approved", "refused"] and row.claimed_by == holder
    else:
        assert answers == ["refused", "taken"] and row.claimed_by == admin
