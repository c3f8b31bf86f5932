"""Idle sessions end after 15 minutes; sign-out ends the session on the server."""

from __future__ import annotations

import time

import pytest
import time_machine
from django.contrib.sessions.models import Session

from practice.accounts.models import Role
from practice.audit.models import AuditEvent
from tests.conftest import make_user, verified_client

pytestmark = pytest.mark.django_db


def test_activity_within_the_idle_limit_keeps_the_session() -> None:
    client = verified_client(make_user("casey", Role.COUNSELLOR))
    start = time.time()
    with time_machine.travel(start, tick=False):
        assert client.get("/counsellor/").status_code == 200
    with time_machine.travel(start + 14 * 60, tick=False):
        assert client.get("/counsellor/").status_code == 200
    with time_machine.travel(start + 28 * 60, tick=False):
        assert client.get("/counsellor/").status_code == 200


def test_fifteen_idle_minutes_end_the_session() -> None:
    client = verified_client(make_user("casey", Role.COUNSELLOR))
    start = time.time()
    with time_machine.travel(start, tick=False):
        client.get("/counsellor/")
    with time_machine.travel(start + 15 * 60 + 1, tick=False):
        response = client.get("/counsellor/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?timeout=1"
    assert AuditEvent.objects.filter(action="auth.session.expired").exists()
    # the session is gone server-side: coming back later does not revive it
    assert client.get("/counsellor/")["Location"].startswith("/accounts/login/")


def test_idle_limit_is_configurable(settings) -> None:
    settings.SESSION_IDLE_SECONDS = 300
    client = verified_client(make_user("casey", Role.COUNSELLOR))
    start = time.time()
    with time_machine.travel(start, tick=False):
        client.get("/counsellor/")
    with time_machine.travel(start + 301, tick=False):
        assert client.get("/counsellor/").status_code == 302


def test_sessions_end_after_the_absolute_limit_even_when_active(settings) -> None:
    settings.SESSION_COOKIE_AGE = 3600
    client = verified_client(make_user("casey", Role.COUNSELLOR))
    start = time.time()
    for minutes in range(0, 60, 10):
        with time_machine.travel(start + minutes * 60, tick=False):
            assert client.get("/counsellor/").status_code == 200
    with time_machine.travel(start + 3601, tick=False):
        assert client.get("/counsellor/").status_code == 302


def test_pages_carry_the_idle_warning_hooks() -> None:
    client = verified_client(make_user("casey", Role.COUNSELLOR))
    body = client.get("/counsellor/").content
    assert b'data-idle-seconds="900"' in body
    assert b'id="session-warning"' in body
    assert b"js/session.js" in body
    assert b'<noscript><meta http-equiv="refresh" content="905"></noscript>' in body


def test_keepalive_counts_as_activity() -> None:
    client = verified_client(make_user("casey", Role.COUNSELLOR))
    start = time.time()
    with time_machine.travel(start, tick=False):
        client.get("/counsellor/")
    with time_machine.travel(start + 10 * 60, tick=False):
        assert client.post("/accounts/session/keepalive/").status_code == 204
    with time_machine.travel(start + 20 * 60, tick=False):
        assert client.get("/counsellor/").status_code == 200


def test_sign_out_ends_the_session_server_side() -> None:
    client = verified_client(make_user("casey", Role.COUNSELLOR))
    cookie = client.cookies["sessionid"].value
    response = client.post("/accounts/logout/")
    assert response["Location"] == "/accounts/login/?signed_out=1"
    assert "cache" in response["Clear-Site-Data"]
    assert not Session.objects.filter(session_key=cookie).exists()
    replay = verified_client(make_user("other", Role.COUNSELLOR))
    replay.cookies["sessionid"] = cookie
    assert replay.get("/counsellor/")["Location"].startswith("/accounts/login/")
    assert AuditEvent.objects.filter(action="auth.logout").exists()


def test_sign_out_needs_a_post() -> None:
    client = verified_client(make_user("casey", Role.COUNSELLOR))
    assert client.get("/accounts/logout/").status_code == 200
    assert client.get("/counsellor/").status_code == 200
