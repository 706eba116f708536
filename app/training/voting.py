"""Class voting (issue 12, item 5): a trainer opens a round for a persona, participants
each pick the three elements they would propose, then the advice is revealed beside the
class's choices.

Rounds live in the database, not in a worker's memory: the app runs with several workers
(and on PostgreSQL), and a participant's next request may reach another one. Nothing
personal is kept: the trainer and each participant are known only by the hash of a random
secret their browser holds in a cookie; no names, addresses or browser details. A round
expires after a few hours (Settings.training_round_hours) and is then deleted with its
votes.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import JSON, Column, Index
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, delete, select

from app.advice.models import Advice
from app.domain.vocabulary import ElementId

# Codes are read aloud and typed on phones: no 0/O, 1/I (nor L, easily taken for 1).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 5
CHOICES = 3
CREATE_ATTEMPTS = 5


class RoundStatus(StrEnum):
    OPEN = "open"
    REVEALED = "revealed"


def _now() -> datetime:
    return datetime.now(UTC)


class TrainingRound(SQLModel, table=True):
    """One voting round on one persona, controlled by the browser that opened it."""

    __tablename__ = "training_round"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=8, unique=True, index=True)
    persona_id: str = Field(max_length=80)
    # sha256 of the trainer's cookie secret; the secret itself is never stored.
    trainer_key_hash: str = Field(max_length=64)
    status: str = Field(default=RoundStatus.OPEN, max_length=12)
    created_at: datetime = Field(default_factory=_now)
    expires_at: datetime = Field(index=True)


class TrainingVote(SQLModel, table=True):
    """One participant's three elements in one round (replaced when they vote again)."""

    __tablename__ = "training_vote"
    __table_args__ = (
        Index("ix_training_vote_participant", "round_id", "participant_hash", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="training_round.id")
    # sha256 of the participant's cookie token: one vote per browser, nothing else known.
    participant_hash: str = Field(max_length=64)
    elements: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=_now)


def new_secret() -> str:
    """A random secret for a cookie (trainer key or participant token)."""
    return secrets.token_urlsafe(32)


def secret_hash(secret: str) -> str:
    """What the database keeps of a cookie secret (random, so a plain hash suffices)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str | None) -> str | None:
    """A typed code as stored (upper case, spaces and dashes left out), or None when it
    cannot be one."""
    if not text:
        return None
    code = "".join(ch for ch in text.upper() if not ch.isspace() and ch != "-")
    if len(code) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
        return None
    return code


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every moment here is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def is_expired(round_: TrainingRound, now: datetime | None = None) -> bool:
    return as_utc(round_.expires_at) <= (now or _now())


def purge_expired(session: Session, now: datetime | None = None) -> int:
    """Delete the rounds past their expiry with their votes; the number of rounds."""
    now = now or _now()
    expired = select(TrainingRound.id).where(col(TrainingRound.expires_at) <= now)
    ids = list(session.exec(expired).all())
    if not ids:
        return 0
    session.exec(delete(TrainingVote).where(col(TrainingVote.round_id).in_(ids)))
    session.exec(delete(TrainingRound).where(col(TrainingRound.id).in_(ids)))
    session.commit()
    return len(ids)


def create_round(
    session: Session, persona_id: str, hours: float, now: datetime | None = None
) -> tuple[TrainingRound, str]:
    """Open a round for `persona_id`; the round and the trainer's secret (for the cookie).

    Expired rounds are purged first, so the table holds only the rounds of today."""
    now = now or _now()
    purge_expired(session, now)
    trainer_key = new_secret()
    for _ in range(CREATE_ATTEMPTS):
        round_ = TrainingRound(
            code=new_code(),
            persona_id=persona_id,
            trainer_key_hash=secret_hash(trainer_key),
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
        session.add(round_)
        try:
            session.commit()
        except IntegrityError:  # the code is taken (one in millions): draw another
            session.rollback()
            continue
        session.refresh(round_)
        return round_, trainer_key
    raise RuntimeError("no free round code after several attempts")


class Lookup(StrEnum):
    FOUND = "found"
    UNKNOWN = "unknown"
    EXPIRED = "expired"


def find_round(
    session: Session, code: str | None, now: datetime | None = None
) -> tuple[Lookup, TrainingRound | None]:
    """The round with `code` (as typed), or why there is none."""
    normal = normalise_code(code)
    if normal is None:
        return Lookup.UNKNOWN, None
    round_ = session.exec(select(TrainingRound).where(TrainingRound.code == normal)).first()
    if round_ is None:
        return Lookup.UNKNOWN, None
    if is_expired(round_, now):
        return Lookup.EXPIRED, round_
    return Lookup.FOUND, round_


def is_trainer(round_: TrainingRound, trainer_key: str | None) -> bool:
    if not trainer_key:
        return False
    return secrets.compare_digest(secret_hash(trainer_key), round_.trainer_key_hash)


class ChoiceError(StrEnum):
    TOO_FEW = "too_few"
    TOO_MANY = "too_many"
    UNKNOWN = "unknown"


def check_choice(values: list[str]) -> tuple[list[str], ChoiceError | None]:
    """The distinct, known element ids among `values` (in vocabulary order), and what is
    wrong with them: exactly three are needed."""
    known = {e.value for e in ElementId}
    unknown = any(v not in known for v in values)
    chosen: list[str] = [e.value for e in ElementId if e.value in set(values)]
    if unknown:
        return chosen, ChoiceError.UNKNOWN
    if len(chosen) < CHOICES:
        return chosen, ChoiceError.TOO_FEW
    if len(chosen) > CHOICES:
        return chosen, ChoiceError.TOO_MANY
    return chosen, None


def vote_of(session: Session, round_: TrainingRound, token: str | None) -> TrainingVote | None:
    """This participant's vote in the round, if any."""
    if not token:
        return None
    return session.exec(
        select(TrainingVote).where(
            TrainingVote.round_id == round_.id,
            TrainingVote.participant_hash == secret_hash(token),
        )
    ).first()


def cast_vote(
    session: Session, round_: TrainingRound, token: str, elements: list[str]
) -> TrainingVote:
    """Store the participant's three elements, replacing an earlier vote of theirs."""
    assert round_.id is not None
    for _ in range(2):
        vote = vote_of(session, round_, token)
        if vote is None:
            vote = TrainingVote(round_id=round_.id, participant_hash=secret_hash(token))
        vote.elements = list(elements)
        vote.created_at = _now()
        session.add(vote)
        try:
            session.commit()
        except IntegrityError:  # a second tab of the same browser voted at the same moment
            session.rollback()
            continue
        return vote
    raise RuntimeError("the vote could not be stored")


def reveal(session: Session, round_: TrainingRound) -> None:
    round_.status = RoundStatus.REVEALED
    session.add(round_)
    session.commit()


def close_round(session: Session, round_: TrainingRound) -> None:
    """End a round now: it and its votes are deleted."""
    session.exec(delete(TrainingVote).where(col(TrainingVote.round_id) == round_.id))
    session.delete(round_)
    session.commit()


@dataclass(frozen=True)
class Spread:
    """How many participants voted, and how many chose each element."""

    participants: int
    counts: dict[str, int]

    def ranked(self) -> list[tuple[str, int]]:
        """Every element with its count, most chosen first (vocabulary order on ties)."""
        order = {e.value: i for i, e in enumerate(ElementId)}
        return sorted(self.counts.items(), key=lambda kv: (-kv[1], order[kv[0]]))

    def is_popular(self, element: str) -> bool:
        """Chosen by at least a third of the participants."""
        count = self.counts.get(element, 0)
        return count > 0 and count * 3 >= self.participants


def spread_of(session: Session, round_: TrainingRound) -> Spread:
    rows = session.exec(
        select(TrainingVote.elements).where(TrainingVote.round_id == round_.id)
    ).all()
    known = {e.value for e in ElementId}
    counter: Counter[str] = Counter()
    for elements in rows:
        counter.update(e for e in elements if e in known)
    counts = {e.value: counter.get(e.value, 0) for e in ElementId}
    return Spread(participants=len(rows), counts=counts)


@dataclass(frozen=True)
class Compared:
    """One element as the class chose it, beside what the advice says of it."""

    id: str
    label: str
    count: int
    why: str = ""
    source: str = ""
    # For an element outside the plan: does the advice list it at all ("also possible")?
    in_advice: bool = True


@dataclass(frozen=True)
class Comparison:
    """The class's choices beside the advice for the persona (shown after the reveal).

    agree: in the plan and chosen by at least a third of the class; missed: in the plan
    but chosen by fewer; against: chosen by at least a third although the advice
    discourages it (with the advice's reason); elsewhere: chosen by at least a third,
    neither in the plan nor discouraged (in_advice: the advice lists it as also possible)."""

    plan: list[Compared]
    agree: list[Compared]
    missed: list[Compared]
    against: list[Compared]
    elsewhere: list[Compared]


def compare_with_advice(spread: Spread, advice: Advice, labels: dict[str, str]) -> Comparison:
    """Set the class's spread beside the advice's plan, its reasons and its warnings
    (`labels`: element id → label in the UI language)."""
    items = {item.id: item for item in advice.plan_items}
    plan = []
    for element in advice.plan:
        item = items.get(element)
        label = item.label if item else labels[element]
        plan.append(
            Compared(
                element,
                label,
                spread.counts.get(element, 0),
                item.why if item else "",
                item.source if item else "",
            )
        )
    agree = [c for c in plan if spread.is_popular(c.id)]
    missed = [c for c in plan if not spread.is_popular(c.id)]
    against = []
    for d in advice.discouraged:
        if spread.is_popular(d.id):
            reason = d.reasons[0] if d.reasons else None
            against.append(
                Compared(
                    d.id,
                    d.label,
                    spread.counts[d.id],
                    reason.text if reason else "",
                    reason.source if reason else "",
                )
            )
    against.sort(key=lambda c: -c.count)
    listed = {e.id for e in advice.elements}
    settled = set(advice.plan) | {d.id for d in advice.discouraged}
    elsewhere = [
        Compared(element, labels[element], count, in_advice=element in listed)
        for element, count in spread.ranked()
        if element not in settled and spread.is_popular(element)
    ]
    return Comparison(plan, agree, missed, against, elsewhere)
