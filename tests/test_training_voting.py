"""Class voting (issue 12, item 5): a round with three simulated participants, each in a
browser of its own (a TestClient with its own cookie jar)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session, select

from app.advice.engine import advise
from app.advice.knowledge import Knowledge
from app.core.rate_limit import SlidingWindowLimiter
from app.domain.vocabulary import ElementId
from app.training.personas import load_personas
from app.training.voting import (
    CODE_ALPHABET,
    Spread,
    TrainingRound,
    TrainingVote,
    compare_with_advice,
    normalise_code,
    purge_expired,
    secret_hash,
)
from tests.conftest import post_form

PERSONA = load_personas()[0]
ENGLISH = load_personas("en")[0]


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "the page has no form token"
    return match.group(1)


def words(html: str) -> str:
    """The page's text, tags left out and spaces collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def start_round(trainer: TestClient) -> str:
    token = csrf_of(trainer.get("/training/stemmen").text)
    r = trainer.post(
        "/training/stemmen",
        data={"csrf": token, "persona_id": PERSONA.id},
        follow_redirects=False,
    )
    assert r.status_code == 303
    match = re.fullmatch(r"/training/stemmen/([A-Z0-9]{5})/beheer", r.headers["location"])
    assert match
    return match.group(1)


def participant(trainer: TestClient) -> TestClient:
    """A phone of its own: same app, empty cookie jar."""
    return TestClient(trainer.app, raise_server_exceptions=False)


def vote(phone: TestClient, code: str, elements: list[str]) -> httpx.Response:
    page = phone.get(f"/stem/{code}")
    assert page.status_code == 200
    pairs = [("csrf", csrf_of(page.text)), *(("elements", e) for e in elements)]
    response: httpx.Response = post_form(phone, f"/stem/{code}", pairs)
    return response


def spread_counts(trainer: TestClient, code: str) -> dict[str, int]:
    r = trainer.get(f"/training/stemmen/{code}/spreiding", headers={"HX-Request": "true"})
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store"
    rows = re.findall(
        r'<span class="bar-label">(.*?)</span>\s*<span class="bar-count">(\d+)</span>', r.text, re.S
    )
    return {" ".join(re.sub(r"<[^>]+>", " ", label).split()): int(n) for label, n in rows}


def expire(client: TestClient, code: str) -> None:
    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        round_ = session.exec(select(TrainingRound).where(TrainingRound.code == code)).one()
        round_.expires_at = datetime.now(UTC) - timedelta(minutes=1)
        session.add(round_)
        session.commit()


def test_codes_are_typed_leniently() -> None:
    assert set(CODE_ALPHABET).isdisjoint("0O1I")
    assert normalise_code(" k7q m3 ") == "K7QM3"
    assert normalise_code("k7-qm3") == "K7QM3"
    assert normalise_code("K7QM") is None
    assert normalise_code("K7QM0") is None


def test_a_round_with_three_participants(client: TestClient) -> None:
    code = start_round(client)
    screen = client.get(f"/training/stemmen/{code}/beheer")
    assert screen.status_code == 200
    assert screen.headers["cache-control"] == "no-store"
    text_ = words(screen.text)
    assert code in text_ and PERSONA.name in text_
    assert "<svg" in screen.text and f"QR-code naar http://testserver/stem/{code}" in text_
    assert "0 deelnemers hebben gestemd" in text_
    assert 'hx-trigger="every 2s"' in screen.text
    # The whole story, folded, on the projected screen; no link to the persona page, which
    # would show the class the advice before it votes.
    assert PERSONA.paragraphs[-1] in text_
    assert f'href="/training/persona/{PERSONA.id}"' not in screen.text

    phones = [participant(client) for _ in range(3)]
    choices = [
        ["meeting", "befriending", "practical_support"],
        ["meeting", "befriending", "leisure"],
        ["meeting", "psychoeducation", "leisure"],
    ]
    for phone, chosen in zip(phones, choices, strict=True):
        r = vote(phone, code, chosen)
        assert r.status_code == 200
        assert "Uw stem is geteld." in words(r.text)
        # Participants choose knowing the whole story, not its first paragraph alone.
        assert all(paragraph in words(r.text) for paragraph in PERSONA.paragraphs)

    counts = spread_counts(client, code)
    assert counts == {
        "Ontmoeten / sociaal contact": 3,
        "Vriendschaps-/buddy-interventies (befriending)": 2,
        "Vrije tijd": 2,
        "Psycho-educatie": 1,
        "Praktisch ondersteunen": 1,
    }
    assert "3 deelnemers hebben gestemd" in words(
        client.get(f"/training/stemmen/{code}/beheer").text
    )

    # A participant re-votes before the reveal: their choice is replaced, not added.
    r = vote(phones[2], code, ["meeting", "psychoeducation", "mindfulness"])
    assert "U koos: Mindfulness, Psycho-educatie, Ontmoeten / sociaal contact." in words(r.text)
    counts = spread_counts(client, code)
    assert counts["Vrije tijd"] == 1 and counts["Mindfulness"] == 1
    assert sum(counts.values()) == 9

    # Only the trainer's browser reveals: a participant gets 403 and nothing changes.
    page = phones[0].get(f"/stem/{code}")
    refused = phones[0].post(f"/training/stemmen/{code}/tonen", data={"csrf": csrf_of(page.text)})
    assert refused.status_code == 403
    assert "Alleen voor de trainer" in words(refused.text)
    assert phones[0].get(f"/training/stemmen/{code}/beheer").status_code == 403
    assert phones[0].get(f"/training/stemmen/{code}/spreiding").status_code == 403
    assert "Het advies naast de keuzes" not in phones[0].get(f"/stem/{code}").text

    # The trainer's button without the form token is refused too.
    assert client.post(f"/training/stemmen/{code}/tonen", data={}).status_code == 403

    assert phones[0].get(f"/stem/{code}/status").status_code == 204  # still waiting
    late_phone = participant(client)
    late_token = csrf_of(late_phone.get(f"/stem/{code}").text)
    screen = client.get(f"/training/stemmen/{code}/beheer").text
    # 'Advies tonen' sits at the top, in sight on a projector, not below the spread.
    reveal_at = screen.index(f'action="/training/stemmen/{code}/tonen"')
    assert reveal_at < screen.index('id="join-title"')
    token = csrf_of(screen)
    r = client.post(f"/training/stemmen/{code}/tonen", data={"csrf": token})
    assert r.status_code == 200 and r.url.path == f"/training/stemmen/{code}/beheer"
    # The projector jumps to the outcome, which starts below the fold at 1280x720.
    assert r.history[0].headers["location"].endswith("/beheer#reveal-title")
    assert 'id="reveal-title"' in r.text
    shown = words(r.text)
    assert "Deze richting is een afleiding door dit project" in shown
    assert "Het advies naast de keuzes van de klas" in shown
    assert "Het plan van het advies" in shown
    assert 'hx-trigger="every' not in r.text  # polling stops after the reveal
    assert f'href="/training/persona/{PERSONA.id}"' in r.text  # now it spoils nothing
    status = phones[0].get(f"/stem/{code}/status")
    assert (status.status_code, status.headers["hx-refresh"]) == (200, "true")
    fragment = client.get(f"/training/stemmen/{code}/spreiding")
    assert "hx-trigger" not in fragment.text

    # Participants now see the spread and the advice; voting is closed.
    after = words(phones[1].get(f"/stem/{code}").text)
    assert "Het advies naast de keuzes van de klas" in after
    assert "Uw keuze: Ontmoeten / sociaal contact, Vriendschaps-/buddy-interventies" in after
    late = post_form(
        late_phone,
        f"/stem/{code}",
        [
            ("csrf", late_token),
            ("elements", "meeting"),
            ("elements", "leisure"),
            ("elements", "other"),
        ],
    )
    assert late.status_code == 409
    assert "stemmen kan niet meer" in words(late.text)
    assert "3 deelnemers hebben gestemd" in words(late.text)


def test_exactly_three_elements_and_the_ticks_stay(client: TestClient) -> None:
    code = start_round(client)
    phone = participant(client)
    r = vote(phone, code, ["meeting", "leisure"])
    assert r.status_code == 400
    assert "Kies precies 3 elementen: u koos er 2." in words(r.text)
    assert re.search(r'value="meeting"[^>]*checked', r.text)
    assert re.search(r'value="leisure"[^>]*checked', r.text)
    assert not re.search(r'value="mindfulness"[^>]*checked', r.text)
    r = vote(phone, code, ["meeting", "leisure", "mindfulness", "befriending"])
    assert r.status_code == 400
    assert "u koos er 4" in words(r.text)
    r = vote(phone, code, ["meeting", "leisure", "bogus"])
    assert "Kies alleen elementen uit de lijst." in words(r.text)
    assert spread_counts(client, code) == {}


def test_every_voting_page_offers_the_other_language(client: TestClient) -> None:
    code = start_round(client)
    phone = participant(client)
    for page in (phone.get("/stem").text, phone.get(f"/stem/{code}").text):
        assert 'hreflang="en"' in page and ">English</a>" in page
    for address in ("/training/stemmen", f"/training/stemmen/{code}/beheer"):
        assert 'hreflang="en"' in client.get(address).text
    english = phone.get(f"/stem/{code}?lang=en").text
    assert "Which 3 elements would you propose?" in words(english)
    # The persona's story follows the interface's language.
    assert f'<div class="story"><p>{ENGLISH.paragraphs[0][:30]}' in english


def test_the_persona_follows_the_language_on_every_voting_page(client: TestClient) -> None:
    def assert_english(page: str) -> None:
        text_ = words(page)
        assert f"{ENGLISH.name} – {ENGLISH.title}" in text_
        assert ENGLISH.paragraphs[0] in text_
        assert PERSONA.title not in text_
        assert not [p for p in PERSONA.paragraphs if p in text_]

    start = client.get("/training/stemmen?lang=en").text
    for persona in load_personas("en"):
        assert f">{persona.name} – {persona.title}</option>" in unescape(start)
    assert PERSONA.title not in unescape(start)
    code = start_round(client)  # the `lang` cookie keeps the trainer's screens English
    assert_english(client.get(f"/training/stemmen/{code}/beheer").text)
    phone = participant(client)
    waiting = phone.get(f"/stem/{code}?lang=en").text
    assert_english(waiting)
    assert all(p in words(waiting) for p in ENGLISH.paragraphs)
    r = client.post(
        f"/training/stemmen/{code}/tonen",
        data={"csrf": csrf_of(client.get(f"/training/stemmen/{code}/beheer").text)},
    )
    assert r.status_code == 200
    assert_english(r.text)
    assert_english(phone.get(f"/stem/{code}").text)


def test_unknown_and_expired_codes(client: TestClient) -> None:
    r = client.get("/stem?code=ZZZZZ")
    assert r.status_code == 404
    assert "Er is geen stemronde met de code ‘ZZZZZ’." in words(r.text)
    assert 'value="ZZZZZ"' in r.text  # what was typed stays
    assert client.get("/stem/ABC").status_code == 404
    assert client.get("/stem/ZZZZZ/status").status_code == 286  # htmx: stop polling
    assert "Vul de code in" in words(client.get("/stem?code=+").text)

    code = start_round(client)
    phone = participant(client)
    spaced = f"{code[:2].lower()} {code[2:].lower()}"
    r = phone.get("/stem", params={"code": spaced}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/stem/{code}"
    page = phone.get(f"/stem/{code}")
    expire(client, code)
    r = post_form(phone, f"/stem/{code}", [("csrf", csrf_of(page.text)), ("elements", "meeting")])
    assert r.status_code == 410
    assert "Deze stemronde is verlopen: een ronde loopt 4 uur." in words(r.text)
    assert phone.get(f"/stem/{code}").status_code == 410
    assert client.get(f"/training/stemmen/{code}/beheer").status_code == 410
    gone = client.get(f"/training/stemmen/{code}/spreiding")
    assert "verlopen" in gone.text and "hx-trigger" not in gone.text

    # The next round that opens purges the expired one with its votes.
    start_round(client)
    assert client.get(f"/stem/{code}").status_code == 404


def test_nothing_personal_is_stored(client: TestClient) -> None:
    code = start_round(client)
    trainer_key = client.cookies.get("ezw_stemronde_trainer")
    phone = participant(client)
    vote(phone, code, ["meeting", "befriending", "leisure"])
    token = phone.cookies.get("ezw_stem")
    assert trainer_key and token
    with client.app.state.engine.connect() as conn:  # type: ignore[attr-defined]
        (round_row,) = conn.execute(text("SELECT * FROM training_round")).mappings().all()
        (vote_row,) = conn.execute(text("SELECT * FROM training_vote")).mappings().all()
    assert set(round_row) == {
        "id",
        "code",
        "persona_id",
        "trainer_key_hash",
        "status",
        "created_at",
        "expires_at",
    }
    assert round_row["trainer_key_hash"] == secret_hash(trainer_key) != trainer_key
    assert set(vote_row) == {"id", "round_id", "participant_hash", "elements", "created_at"}
    assert vote_row["participant_hash"] == secret_hash(token)
    stored = " ".join(str(v) for v in [*round_row.values(), *vote_row.values()])
    assert token not in stored and trainer_key not in stored and "testclient" not in stored


def test_purge_and_the_trainer_closing_a_round(client: TestClient) -> None:
    code = start_round(client)
    vote(participant(client), code, ["meeting", "befriending", "leisure"])
    token = csrf_of(client.get(f"/training/stemmen/{code}/beheer").text)
    r = client.post(f"/training/stemmen/{code}/sluiten", data={"csrf": token})
    assert r.status_code == 200 and "De stemronde is afgesloten en gewist." in words(r.text)
    engine = client.app.state.engine  # type: ignore[attr-defined]
    with Session(engine) as session:
        assert session.exec(select(TrainingVote)).all() == []
        assert purge_expired(session) == 0


@pytest.mark.parametrize("persona_id", ["", "no-such-persona"])
def test_starting_needs_a_known_persona_and_the_form_token(
    client: TestClient, persona_id: str
) -> None:
    token = csrf_of(client.get("/training/stemmen").text)
    r = client.post("/training/stemmen", data={"csrf": token, "persona_id": persona_id})
    assert r.status_code == 400 and "Kies een persona uit de lijst." in words(r.text)
    # A form without this page's token (another page, an old tab): confirm once, nothing lost.
    r = client.post("/training/stemmen", data={"persona_id": PERSONA.id})
    assert r.status_code == 403
    assert "Bevestig dat u een stemronde wilt starten." in words(r.text)
    assert re.search(rf'value="{PERSONA.id}"\s+selected', r.text)


def test_the_reveal_sets_the_class_beside_the_advice(knowledge: Knowledge) -> None:
    advices = [advise(p.intake_model, knowledge, ()) for p in load_personas()]
    advice = next(a for a in advices if a.discouraged and len(a.plan) >= 2)
    labels = {e.value: knowledge.elements[e].label.get("nl") for e in ElementId}
    first, second = advice.plan[:2]
    warned = advice.discouraged[0].id
    possible = next(e.id for e in advice.elements if e.id not in advice.plan)
    unmentioned = next(
        e.value
        for e in ElementId
        if e.value not in {x.id for x in advice.elements} | {d.id for d in advice.discouraged}
    )
    counts = {e.value: 0 for e in ElementId}
    counts.update({first: 6, second: 1, warned: 4, possible: 3, unmentioned: 2})
    comparison = compare_with_advice(Spread(6, counts), advice, labels)
    assert [c.id for c in comparison.plan] == advice.plan
    assert [c.count for c in comparison.plan][:2] == [6, 1]
    assert [c.id for c in comparison.agree] == [first]
    assert second in [c.id for c in comparison.missed]
    (against,) = comparison.against
    assert (against.id, against.count) == (warned, 4)
    assert against.why == advice.discouraged[0].reasons[0].text
    assert [(c.id, c.in_advice) for c in comparison.elsewhere] == [
        (possible, True),
        (unmentioned, False),
    ]


def test_votes_from_one_address_are_limited(client: TestClient) -> None:
    code = start_round(client)
    client.app.state.training_vote_limiter = SlidingWindowLimiter(1, 100, 60.0)  # type: ignore[attr-defined]
    phone = participant(client)
    assert vote(phone, code, ["meeting", "leisure", "other"]).status_code == 200
    r = vote(phone, code, ["meeting", "leisure", "befriending"])
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    assert "Te veel stemmen in korte tijd." in words(r.text)
    assert re.search(r'value="befriending"[^>]*checked', r.text)  # the new ticks stay
    assert spread_counts(client, code)["Andere (bv. bewustwording, vorming, samenwerking)"] == 1


def test_privacy_page_says_what_a_voting_round_keeps(client: TestClient) -> None:
    page = client.get("/privacy").text
    assert "Stemrondes in een vorming" in page
    assert "Een ronde loopt 4 uur." in page
