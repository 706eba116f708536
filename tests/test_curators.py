"""Issue 11, item 3: curators log in, verify stale records, manage users; nobody else gets in.

Run on SQLite and, when a server answers, on PostgreSQL (TEST_POSTGRES_URL, as in
tests/test_postgres.py).
"""

from __future__ import annotations

import html
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from httpx2 import Response
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import create_engine, text
from sqlmodel import Session, col, select

from app.auth import passwords
from app.auth.models import AuditEntry, CuratorUser, Role
from app.auth.service import create_user
from app.auth.sessions import SESSION_COOKIE
from app.catalogue.freshness import months_before, stale_since, today_in_belgium
from app.catalogue.models import Initiative
from app.catalogue.version import read_version
from app.core.config import REPO_ROOT, Settings
from app.core.db import make_engine
from app.main import create_app
from tests.test_migrations import assert_curator_revision_keeps_the_catalogue
from tests.test_postgres import scratch_schema

SECRET = "test-secret-key-for-curator-sessions"
ADMIN = ("beheer@gemeente.be", "lang genoeg wachtwoord 1")
CURATOR = ("curator@gemeente.be", "ander geheim wachtwoord 2")
TOKEN = re.compile(r'name="csrf" value="([^"]+)"')
LOGIN_FAILED = "Dit e-mailadres en wachtwoord horen niet bij elkaar"
LOCKED = "Te veel mislukte pogingen"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


# --- fixtures --------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database: an SQLite file, or a new PostgreSQL schema dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'curators.db'}"
        return
    with scratch_schema("ezw_cur") as url:
        yield url


@dataclass
class Site:
    app: FastAPI
    client: TestClient

    def session(self) -> Session:
        return Session(self.app.state.engine)

    def other_client(self, **kwargs: object) -> TestClient:
        """A second browser on the same running application."""
        return TestClient(self.app, raise_server_exceptions=False, **kwargs)  # type: ignore[arg-type]


def make_settings(url: str, tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": url,
        "secret_key": SECRET,
        "secret_key_file": tmp_path / "secret_key",
        "save_limit_per_client": 1000,
        "save_limit_overall": 1000,
        "catalogue_check_seconds": 0,
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 with small parameters: the suite logs in some hundred times, and the real
    ones (64 MiB, 3 passes) cost about a second each on a busy test machine. The
    parameters themselves are checked in test_real_hashes_use_argon2id_with_64_mib."""
    hasher = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
    dummy = hasher.hash("dummy")
    monkeypatch.setattr(passwords, "_hasher", lambda: hasher)
    monkeypatch.setattr(passwords, "_dummy_hash", lambda: dummy)


@pytest.fixture
def site(db_url: str, tmp_path: Path, cheap_hashing: None) -> Iterator[Site]:
    app = create_app(make_settings(db_url, tmp_path))
    with TestClient(app, raise_server_exceptions=False) as client:
        with Session(app.state.engine) as session:
            create_user(session, email=ADMIN[0], password=ADMIN[1], role=Role.ADMIN)
            create_user(
                session,
                email=CURATOR[0],
                password=CURATOR[1],
                role=Role.CURATOR,
                display_name="Cora Curator",
            )
        yield Site(app, client)
    app.state.engine.dispose()


def token_of(client: TestClient, path: str) -> str:
    r = client.get(path)
    assert r.status_code == 200, (path, r.status_code)
    match = TOKEN.search(r.text)
    assert match, path
    return html.unescape(match.group(1))


def login(client: TestClient, email: str, password: str, next_path: str = "") -> Response:
    token = token_of(client, "/beheer/login")
    return client.post(
        "/beheer/login",
        data={"email": email, "password": password, "csrf": token, "volgende": next_path},
        follow_redirects=False,
    )


def logged_in(client: TestClient, who: tuple[str, str]) -> TestClient:
    r = login(client, *who)
    assert r.status_code == 303, r.text
    return client


def visible_text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def beheer_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path template) under /beheer, read from the application's routes
    (of any kind and through every included router; a route without methods counts as GET)."""
    found = []
    for route in iter_route_contexts(app.routes):
        path = route.path or ""
        if path == "/beheer" or path.startswith("/beheer/"):
            methods = getattr(route, "methods", None) or {"GET"}
            found += [(m, path) for m in sorted(methods) if m != "HEAD"]
    return found


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def request(client: TestClient, method: str, path: str, data: dict[str, str]) -> Response:
    if method == "GET":
        return client.get(path, follow_redirects=False)
    return client.request(method, path, data=data, follow_redirects=False)


OPEN_ROUTES = {("GET", "/beheer/login"), ("POST", "/beheer/login")}


# --- schema ------------------------------------------------------------------------------


def test_revision_0005_adds_the_curator_tables_and_keeps_the_catalogue(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        assert_curator_revision_keeps_the_catalogue(engine)
    finally:
        engine.dispose()


# --- who gets in -----------------------------------------------------------------------


def test_every_beheer_route_refuses_anonymous_users(site: Site) -> None:
    routes = beheer_routes(site.app)
    assert len(routes) >= 10
    assert set(routes) >= OPEN_ROUTES
    for method, path in routes:
        if (method, path) in OPEN_ROUTES:
            continue
        r = request(site.client, method, concrete(path), {"csrf": "x"})
        assert r.status_code in (303, 401, 403), (method, path, r.status_code)
        if r.status_code == 303:
            assert r.headers["location"].startswith("/beheer/login"), (method, path)
        assert "<main" not in r.text, (method, path)
        assert "Aangemeld als" not in r.text


def test_anonymous_users_are_sent_to_login_and_back(site: Site) -> None:
    r = site.client.get("/beheer/audit?pagina=2", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/beheer/login?volgende=/beheer/audit%3Fpagina%3D2"
    r = login(site.client, *CURATOR, next_path="/beheer/audit?pagina=2")
    assert r.headers["location"] == "/beheer/audit?pagina=2"


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/landschap"])
def test_login_only_returns_to_pages_under_beheer(site: Site, target: str) -> None:
    r = login(site.client, *CURATOR, next_path=target)
    assert r.headers["location"] == "/beheer"


def test_curators_get_403_on_every_admin_route_and_in_elsewhere(site: Site) -> None:
    client = logged_in(site.client, CURATOR)
    token = token_of(client, "/beheer")
    for method, path in beheer_routes(site.app):
        if (method, path) in OPEN_ROUTES or path == "/beheer/logout":
            continue
        r = request(client, method, concrete(path), {"csrf": token})
        if path.startswith("/beheer/gebruikers"):
            assert r.status_code == 403, (method, path)
            assert "alleen voor beheerders" in visible_text(r.text)
        else:
            # 404: the list, saying that record 1 does not exist (no silent redirect).
            assert r.status_code in (200, 303, 400, 404), (method, path, r.status_code)
            assert not r.headers.get("location", "").startswith("/beheer/login"), path
    with site.session() as session:
        # Nothing a refused request could have changed did change.
        users = session.exec(select(CuratorUser)).all()
        assert all(u.active and u.session_counter == 0 for u in users)


def test_admins_reach_every_route(site: Site) -> None:
    client = logged_in(site.client, ADMIN)
    for path in ("/beheer", "/beheer/nagekeken", "/beheer/audit", "/beheer/gebruikers"):
        r = client.get(path)
        assert r.status_code == 200, path
        assert "Aangemeld als beheer@gemeente.be" in visible_text(r.text)
    assert 'href="/beheer/gebruikers"' in client.get("/beheer").text
    curator = logged_in(site.other_client(), CURATOR)
    assert 'href="/beheer/gebruikers"' not in curator.get("/beheer").text


# --- login, lock-out, logout ------------------------------------------------------------


def test_login_with_the_right_password_and_not_with_a_wrong_one(site: Site) -> None:
    r = login(site.client, CURATOR[0].upper(), "fout wachtwoord dat lang is")
    assert r.status_code == 403
    assert LOGIN_FAILED in visible_text(r.text)
    assert SESSION_COOKIE not in r.cookies
    assert site.client.get("/beheer", follow_redirects=False).status_code == 303
    r = login(site.client, " " + CURATOR[0].upper(), CURATOR[1])  # the address in any case
    assert r.status_code == 303
    page = site.client.get("/beheer")
    assert page.status_code == 200
    assert "Welkom, Cora Curator." in visible_text(page.text)


def test_an_unknown_address_gets_the_same_answer_as_a_wrong_password(site: Site) -> None:
    wrong = login(site.client, CURATOR[0], "fout wachtwoord dat lang is")
    unknown = login(site.client, "niemand@gemeente.be", "fout wachtwoord dat lang is")
    assert wrong.status_code == unknown.status_code == 403

    def message(r: Response) -> str:
        found = re.search(r'id="login-error">([^<]*)<', r.text)
        assert found
        return found.group(1)

    assert message(wrong) == message(unknown)


def test_five_failures_lock_the_account_for_fifteen_minutes(site: Site) -> None:
    for attempt in range(4):
        r = login(site.client, CURATOR[0], f"fout wachtwoord nummer {attempt}")
        assert LOGIN_FAILED in visible_text(r.text)
    r = login(site.client, CURATOR[0], "fout wachtwoord nummer 5")
    assert LOCKED in visible_text(r.text) and "15 minuten" in visible_text(r.text)
    # Even the right password does not get in while locked.
    r = login(site.client, *CURATOR)
    assert r.status_code == 403 and LOCKED in visible_text(r.text)
    with site.session() as session:
        user = session.exec(select(CuratorUser).where(CuratorUser.email == CURATOR[0])).one()
        assert user.locked_until is not None
        left = user.locked_until - datetime.now(UTC)
        assert timedelta(minutes=14) < left <= timedelta(minutes=15)
        # A quarter of an hour later:
        user.locked_until = datetime.now(UTC) - timedelta(seconds=1)
        session.add(user)
        session.commit()
    assert login(site.client, *CURATOR).status_code == 303


def test_an_unknown_address_is_locked_out_just_the_same(site: Site) -> None:
    answers = [
        visible_text(login(site.client, "niemand@gemeente.be", f"gok nummer {n:04}").text)
        for n in range(6)
    ]
    assert all(LOGIN_FAILED in a for a in answers[:4])
    assert all(LOCKED in a for a in answers[4:])


def test_login_is_rate_limited(db_url: str, tmp_path: Path) -> None:
    settings = make_settings(db_url, tmp_path, save_limit_per_client=3)
    with TestClient(create_app(settings)) as client:
        answers = [login(client, "niemand@gemeente.be", "wachtwoord123456") for _ in range(4)]
    assert [r.status_code for r in answers] == [403, 403, 403, 429]
    assert "Te veel pogingen in korte tijd" in visible_text(answers[3].text)
    assert answers[3].headers["retry-after"]


def test_logout_ends_the_session_and_a_replayed_cookie_fails(site: Site) -> None:
    client = logged_in(site.client, CURATOR)
    cookie = client.cookies[SESSION_COOKIE]
    other = logged_in(site.other_client(), CURATOR)  # the same user on a second device
    r = client.post(
        "/beheer/logout", data={"csrf": token_of(client, "/beheer")}, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"] == "/beheer/login?afgemeld=1"
    assert "U bent afgemeld." in visible_text(client.get(r.headers["location"]).text)
    assert client.get("/beheer", follow_redirects=False).status_code == 303
    replay = site.other_client()
    replay.cookies.set(SESSION_COOKIE, cookie, path="/beheer")
    r = replay.get("/beheer", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/beheer/login")
    # Logout ends every session of the user: a stolen cookie is worth nothing after it.
    assert other.get("/beheer", follow_redirects=False).status_code == 303


def test_a_forged_or_expired_cookie_is_refused(site: Site, tmp_path: Path) -> None:
    client = logged_in(site.client, CURATOR)
    cookie = client.cookies[SESSION_COOKIE]
    user_id, counter, expires, signature = cookie.split(".")
    forged = [
        f"1.{counter}.{expires}.{signature}",  # another user id, same signature
        f"{user_id}.{counter}.{int(expires) + 999}.{signature}",  # longer life
        f"{user_id}.{counter}.{expires}.{'A' * len(signature)}",
        "garbage",
    ]
    for value in forged:
        probe = site.other_client()
        probe.cookies.set(SESSION_COOKIE, value, path="/beheer")
        assert probe.get("/beheer", follow_redirects=False).status_code == 303, value
    # Signed with another key: refused too.
    other_app = create_app(
        make_settings(
            str(site.app.state.settings.database_url), tmp_path, secret_key="another key entirely"
        )
    )
    with TestClient(other_app) as probe:
        probe.cookies.set(SESSION_COOKIE, cookie, path="/beheer")
        assert probe.get("/beheer", follow_redirects=False).status_code == 303


def test_session_cookie_flags(site: Site) -> None:
    r = login(site.client, *CURATOR)
    header = next(h for h in r.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE))
    parts = {p.strip().split("=")[0].lower(): p.strip() for p in header.split(";")}
    assert "httponly" in parts
    assert parts["samesite"].lower() == "samesite=lax"
    assert parts["path"] == "Path=/beheer"
    assert parts["max-age"] == "Max-Age=28800"  # 8 hours
    assert "secure" not in parts  # plain http (development): the browser would drop it
    # The value holds the user id and counter, signed; no address, name or password.
    value = header.split(";")[0].split("=", 1)[1]
    assert re.fullmatch(r"\d+\.\d+\.\d+\.[A-Za-z0-9_-]+", value)
    assert "curator" not in value.lower()


@pytest.mark.parametrize("how", ["https", "proxy"])
def test_session_cookie_is_secure_behind_tls(site: Site, how: str) -> None:
    if how == "https":
        client = site.other_client(base_url="https://testserver")
        headers: dict[str, str] = {}
    else:
        client = site.other_client()
        headers = {"X-Forwarded-Proto": "https"}
    page = client.get("/beheer/login", headers=headers)
    login_cookie = page.headers["set-cookie"]
    assert "Secure" in login_cookie and "HttpOnly" in login_cookie
    token = html.unescape(TOKEN.search(page.text).group(1))  # type: ignore[union-attr]
    if how == "proxy":
        # The browser reached the proxy over https, so it sends the Secure cookie back; the
        # test client, talking plain http to the app, would not.
        headers["Cookie"] = login_cookie.split(";")[0]
    r = client.post(
        "/beheer/login",
        data={"email": CURATOR[0], "password": CURATOR[1], "csrf": token},
        headers=headers,
        follow_redirects=False,
    )
    assert r.status_code == 303
    header = next(h for h in r.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE))
    assert "Secure" in header and "HttpOnly" in header and "SameSite=lax" in header


# --- form tokens -----------------------------------------------------------------------


def test_every_post_needs_the_form_token(site: Site) -> None:
    client = logged_in(site.client, ADMIN)
    posts = [p for m, p in beheer_routes(site.app) if m == "POST"]
    assert "/beheer/logout" in posts and "/beheer/nagekeken/{initiative_id}" in posts
    other = logged_in(site.other_client(), CURATOR)
    stolen = token_of(other, "/beheer")  # a valid token, of another session
    for path in posts:
        for data in ({}, {"csrf": ""}, {"csrf": "nep"}, {"csrf": stolen}):
            r = request(client, "POST", concrete(path), data)
            assert r.status_code == 403, (path, data)
        # A browser posting from another site is refused before anything else.
        r = client.post(
            concrete(path),
            data={"csrf": token_of(client, "/beheer")},
            headers={"Sec-Fetch-Site": "cross-site"},
            follow_redirects=False,
        )
        assert r.status_code == 403, path
    r = request(client, "POST", "/beheer/nagekeken/1", {})
    assert "Formulier verlopen" in visible_text(r.text)
    # Nothing happened: still logged in, nothing verified, nobody added.
    assert client.get("/beheer", follow_redirects=False).status_code == 200
    with site.session() as session:
        actions = session.exec(select(AuditEntry.action)).all()
        assert set(actions) == {"user_create"} and len(actions) == 2


def test_login_form_needs_its_token(site: Site) -> None:
    r = site.client.post(
        "/beheer/login",
        data={"email": CURATOR[0], "password": CURATOR[1]},
        follow_redirects=False,
    )
    assert r.status_code == 403
    assert "Het formulier was verlopen" in visible_text(r.text)
    assert SESSION_COOKIE not in r.cookies


# --- freshness -------------------------------------------------------------------------


def test_months_before_keeps_the_day_or_takes_the_months_last() -> None:
    assert months_before(date(2026, 12, 7), 12) == date(2025, 12, 7)
    assert months_before(date(2024, 2, 29), 12) == date(2023, 2, 28)
    assert months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert months_before(date(2026, 1, 15), 13) == date(2024, 12, 15)


def test_verify_sets_the_date_writes_the_audit_and_the_advice_sees_it(site: Site) -> None:
    client = logged_in(site.client, CURATOR)
    today = today_in_belgium()
    with site.session() as session:
        total = len(session.exec(select(Initiative)).all())
        recent = Initiative(name="Recent nagekeken", last_verified=today - timedelta(days=30))
        old = Initiative(name="Lang geleden", last_verified=stale_since(today, 12) - timedelta(1))
        session.add_all([recent, old])
        session.commit()
        session.refresh(old)
        old_id, old_date = old.id, old.last_verified
        with site.app.state.engine.connect() as conn:
            version = read_version(conn)
    dashboard = visible_text(client.get("/beheer").text)
    assert f"Initiatieven in de catalogus {total + 2}" in dashboard
    assert f"Niet nagekeken in de laatste 12 maanden {total + 1}" in dashboard
    page = client.get("/beheer/nagekeken")
    assert "Lang geleden" in page.text and "Recent nagekeken" not in page.text
    token = html.unescape(TOKEN.search(page.text).group(1))  # type: ignore[union-attr]
    r = client.post(f"/beheer/nagekeken/{old_id}", data={"csrf": token, "pagina": "1"})
    assert r.status_code == 200
    assert f"Lang geleden is nagekeken op {today.day} " in visible_text(r.text)
    assert f'action="/beheer/nagekeken/{old_id}"' not in r.text
    with site.session() as session:
        row = session.get(Initiative, old_id)
        assert row is not None and row.last_verified == today
        (entry,) = session.exec(select(AuditEntry).where(AuditEntry.action == "verify")).all()
        user = session.exec(select(CuratorUser).where(CuratorUser.email == CURATOR[0])).one()
        assert (entry.user_id, entry.table_name, entry.record_id) == (user.id, "initiative", old_id)
        assert entry.changes == [
            {"field": "last_verified", "before": old_date.isoformat(), "after": today.isoformat()}  # type: ignore[union-attr]
        ]
    # A new catalogue version, already loaded by this worker: advice and landscape use it.
    catalogue = site.app.state.catalogue
    assert catalogue.version == version + 1
    (record,) = [r for r in catalogue.get() if r.id == old_id]
    assert record.last_verified == today
    api = site.client.get(f"/api/v1/initiatives/{old_id}").json()
    assert api["last_verified"] == today.isoformat()
    # The audit log shows it, and can be narrowed to the record.
    log = visible_text(client.get(f"/beheer/audit?tabel=initiative&record={old_id}").text)
    assert "1 wijziging." in log and "Nagekeken" in log and "Cora Curator" in log
    assert "Laatst nagekeken" in log and f"{today.year}" in log
    assert "Nog geen wijzigingen." in client.get("/beheer/audit?record=999999").text


def test_verifying_a_missing_record_changes_nothing(site: Site) -> None:
    client = logged_in(site.client, CURATOR)
    token = token_of(client, "/beheer")
    r = client.post("/beheer/nagekeken/999999", data={"csrf": token}, follow_redirects=False)
    assert r.status_code == 303
    with site.session() as session:
        assert not session.exec(select(AuditEntry).where(AuditEntry.action == "verify")).all()


def test_the_stale_list_pages(site: Site) -> None:
    with site.session() as session:
        session.add_all(Initiative(name=f"Extra {n:02}") for n in range(30))
        session.commit()
        stale = len(session.exec(select(Initiative)).all())
    client = logged_in(site.client, CURATOR)
    first = client.get("/beheer/nagekeken")
    assert f"{stale} initiatieven te bekijken." in visible_text(first.text)
    assert first.text.count('action="/beheer/nagekeken/') == 25
    assert "Pagina 1 van 2" in visible_text(first.text)
    second = client.get("/beheer/nagekeken?pagina=2")
    assert second.text.count('action="/beheer/nagekeken/') == stale - 25
    beyond = client.get("/beheer/nagekeken?pagina=99")
    assert "Pagina 2 van 2" in visible_text(beyond.text)
    assert client.get("/beheer/nagekeken?pagina=x").status_code == 200


# --- users -----------------------------------------------------------------------------


def test_admin_creates_a_user_with_a_password_shown_once(site: Site) -> None:
    client = logged_in(site.client, ADMIN)
    token = token_of(client, "/beheer/gebruikers")
    r = client.post(
        "/beheer/gebruikers",
        data={
            "csrf": token,
            "email": "Nieuw@Gemeente.be",
            "display_name": "Nora",
            "role": "curator",
        },
    )
    assert r.status_code == 200
    shown = re.search(r'<code class="secret">([^<]+)</code>', r.text)
    assert shown and "nieuw@gemeente.be kan zich nu aanmelden." in visible_text(r.text)
    assert r.headers["cache-control"] == "no-store"
    password = html.unescape(shown.group(1))
    assert "secret" not in client.get("/beheer/gebruikers").text  # once
    assert login(site.other_client(), "nieuw@gemeente.be", password).status_code == 303
    # Same address again, or a short password: refused with the reason.
    again = client.post(
        "/beheer/gebruikers",
        data={"csrf": token, "email": "NIEUW@gemeente.be", "role": "admin", "password": "kort"},
    )
    assert again.status_code == 400
    assert "Er is al een gebruiker met dit e-mailadres." in visible_text(again.text)
    assert "Kies een wachtwoord van minstens 12 tekens." in visible_text(again.text)


def test_password_reset_by_an_admin_ends_the_users_sessions(site: Site) -> None:
    curator = logged_in(site.other_client(), CURATOR)
    admin = logged_in(site.client, ADMIN)
    with site.session() as session:
        target = session.exec(select(CuratorUser).where(CuratorUser.email == CURATOR[0])).one()
        before_hash = target.password_hash
    token = token_of(admin, "/beheer/gebruikers")
    new_password = "nieuw en lang genoeg 3"
    r = admin.post(
        f"/beheer/gebruikers/{target.id}/wachtwoord", data={"csrf": token, "password": new_password}
    )
    assert r.status_code == 200 and "is afgemeld" in visible_text(r.text)
    assert curator.get("/beheer", follow_redirects=False).status_code == 303
    assert login(site.other_client(), *CURATOR).status_code == 403
    assert login(site.other_client(), CURATOR[0], new_password).status_code == 303
    with site.session() as session:
        user = session.get(CuratorUser, target.id)
        assert user is not None and user.password_hash != before_hash
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "password_reset")).one()
        assert new_password not in str(entry.changes) and "$argon2" not in str(entry.changes)


def test_deactivated_users_cannot_log_in_and_their_sessions_end(site: Site) -> None:
    curator = logged_in(site.other_client(), CURATOR)
    admin = logged_in(site.client, ADMIN)
    with site.session() as session:
        target = session.exec(select(CuratorUser).where(CuratorUser.email == CURATOR[0])).one()
        me = session.exec(select(CuratorUser).where(CuratorUser.email == ADMIN[0])).one()
    token = token_of(admin, "/beheer/gebruikers")
    r = admin.post(f"/beheer/gebruikers/{target.id}/deactiveren", data={"csrf": token})
    assert "curator@gemeente.be kan zich niet meer aanmelden." in visible_text(r.text)
    assert curator.get("/beheer", follow_redirects=False).status_code == 303
    r = login(site.other_client(), *CURATOR)
    assert r.status_code == 403 and LOGIN_FAILED in visible_text(r.text)
    r = admin.post(f"/beheer/gebruikers/{me.id}/deactiveren", data={"csrf": token})
    assert r.status_code == 400
    admin.post(f"/beheer/gebruikers/{target.id}/activeren", data={"csrf": token})
    assert login(site.other_client(), *CURATOR).status_code == 303


def test_changing_ones_own_password_keeps_this_session_and_ends_the_others(site: Site) -> None:
    here = logged_in(site.client, CURATOR)
    elsewhere = logged_in(site.other_client(), CURATOR)
    token = token_of(here, "/beheer/wachtwoord")
    wrong = here.post(
        "/beheer/wachtwoord",
        data={"csrf": token, "current": "niet het huidige", "new": "kort", "repeat": "kort"},
    )
    assert wrong.status_code == 400
    text_ = visible_text(wrong.text)
    assert "Dit is niet uw huidige wachtwoord." in text_ and "minstens 12 tekens" in text_
    new = "een nieuw wachtwoord 4"
    r = here.post(
        "/beheer/wachtwoord",
        data={"csrf": token, "current": CURATOR[1], "new": new, "repeat": new},
    )
    assert r.status_code == 200 and "Uw wachtwoord is gewijzigd." in visible_text(r.text)
    assert here.get("/beheer").status_code == 200
    assert elsewhere.get("/beheer", follow_redirects=False).status_code == 303
    assert login(site.other_client(), CURATOR[0], new).status_code == 303


def test_real_hashes_use_argon2id_with_64_mib() -> None:
    stored = passwords.hash_password(CURATOR[1])
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert CURATOR[1] not in stored
    assert passwords.verify_password(CURATOR[1], stored) == (True, None)
    assert passwords.verify_password(ADMIN[1], stored)[0] is False


def test_only_an_argon2_hash_is_stored(site: Site) -> None:
    with site.session() as session:
        for user in session.exec(select(CuratorUser)).all():
            assert user.password_hash.startswith("$argon2id$")
    with site.app.state.engine.connect() as conn:
        dump = str(conn.execute(text("SELECT * FROM curator_user")).all())
        dump += str(conn.execute(text("SELECT * FROM audit_entry")).all())
    assert ADMIN[1] not in dump and CURATOR[1] not in dump


# --- command line ----------------------------------------------------------------------


def run_cli(*args: str, database_url: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, "DATABASE_URL": database_url},
        cwd=REPO_ROOT,
        timeout=120,
    )


def test_cli_creates_an_admin_lists_users_and_resets_a_password(
    db_url: str, tmp_path: Path
) -> None:
    password = "eerste beheerder wachtwoord"
    r = run_cli(
        "users",
        "create",
        "--admin",
        "--email",
        "Eerste@Gemeente.be",
        "--name",
        "Eva",
        "--password-stdin",
        database_url=db_url,
        stdin=password + "\n",
    )
    assert r.returncode == 0, r.stderr
    assert "created admin eerste@gemeente.be" in r.stdout
    assert password not in r.stdout + r.stderr
    again = run_cli(
        "users",
        "create",
        "--email",
        "eerste@gemeente.be",
        "--password-stdin",
        database_url=db_url,
        stdin=password + "\n",
    )
    assert again.returncode == 1 and "exists already" in again.stderr
    short = run_cli(
        "users",
        "create",
        "--email",
        "tweede@gemeente.be",
        "--password-stdin",
        database_url=db_url,
        stdin="kort\n",
    )
    assert short.returncode == 1 and "at least 12" in short.stderr
    listing = run_cli("users", "list", database_url=db_url)
    assert listing.returncode == 0
    assert re.search(r"eerste@gemeente\.be \(Eva\)\tadmin\tactive", listing.stdout)
    app = create_app(make_settings(db_url, tmp_path))
    with TestClient(app) as client:
        assert login(client, "eerste@gemeente.be", password).status_code == 303
        assert client.get("/beheer/gebruikers").status_code == 200
        reset = run_cli(
            "users",
            "reset-password",
            "--email",
            "EERSTE@gemeente.be",
            "--password-stdin",
            database_url=db_url,
            stdin="een ander wachtwoord 5\n",
        )
        assert reset.returncode == 0, reset.stderr
        assert client.get("/beheer", follow_redirects=False).status_code == 303
        assert login(client, "eerste@gemeente.be", "een ander wachtwoord 5").status_code == 303
    app.state.engine.dispose()
    engine = create_engine(db_url)
    try:
        with Session(engine) as session:
            user = session.exec(select(CuratorUser)).one()
            assert user.role == Role.ADMIN.value and user.password_hash.startswith("$argon2id$")
            actions = session.exec(select(AuditEntry.action).order_by(col(AuditEntry.id))).all()
            assert actions == ["user_create", "password_reset"]
    finally:
        engine.dispose()


# --- logs ------------------------------------------------------------------------------


def test_passwords_and_session_cookies_never_reach_the_logs(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.clear()
    secrets_seen: list[str] = [ADMIN[1], CURATOR[1]]
    admin = logged_in(site.client, ADMIN)
    secrets_seen.append(admin.cookies[SESSION_COOKIE])
    login(site.other_client(), CURATOR[0], "een foute gok van lengte")
    secrets_seen.append("een foute gok van lengte")
    token = token_of(admin, "/beheer/gebruikers")
    secrets_seen.append(token)
    r = admin.post(
        "/beheer/gebruikers",
        data={"csrf": token, "email": "log@gemeente.be", "role": "curator", "password": ""},
    )
    shown = re.search(r'<code class="secret">([^<]+)</code>', r.text)
    assert shown
    secrets_seen.append(html.unescape(shown.group(1)))
    admin.post(
        "/beheer/wachtwoord",
        data={"csrf": token, "current": ADMIN[1], "new": "x" * 13, "repeat": "x" * 13},
    )
    secrets_seen.append("x" * 13)
    admin.post("/beheer/logout", data={"csrf": token})
    records = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    assert any(r.name == "eenzaamheidswijzer.access" for r in records)
    for record in records:
        logged = " ".join(
            [str(record.msg), record.getMessage(), repr(record.args), record.exc_text or ""]
        )
        for secret in secrets_seen:
            assert secret not in logged, (record.name, logged)


@pytest.mark.parametrize(
    ("email", "password", "said"),
    [("", "", "Vul uw e-mailadres in."), (CURATOR[0], "", "Vul uw wachtwoord in.")],
)
def test_an_empty_login_names_the_missing_field_and_counts_for_nothing(
    site: Site, email: str, password: str, said: str
) -> None:
    for _ in range(12):  # more than the failures that lock an address
        r = login(site.client, email, password)
        assert r.status_code == 400 and said in r.text
        assert "horen niet bij elkaar" not in r.text
        assert f'value="{email}"' in r.text
    assert logged_in(site.client, CURATOR)
