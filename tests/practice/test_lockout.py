"""django-axes locks a username+IP after 5 failures (wrong passwords or codes) for 15 minutes."""

from __future__ import annotations

import time

import pytest
import time_machine
from axes.models import AccessAttempt
from django.test import Client

from practice.accounts.models import Role
from practice.audit.models import AuditEvent
from tests.conftest import PASSWORD, current_code, make_user

pytestmark = pytest.mark.django_db


def attempt(username: str, password: str, ip: str = "10.0.0.1", **headers: str) -> object:
    return Client(REMOTE_ADDR=ip, **headers).post(
        "/accounts/login/", {"username": username, "password": password}
    )


def fail(username: str, times: int, ip: str = "10.0.0.1", **headers: str) -> None:
    for _ in range(times):
        attempt(username, "wrong-password-guess", ip, **headers)


def test_fifth_failure_locks_and_even_the_right_password_is_refused() -> None:
    make_user("casey", Role.COUNSELLOR)
    fail("casey", 4)
    assert attempt("casey", PASSWORD).status_code == 302, "four failures do not lock"
    # success resets the count (AXES_RESET_ON_SUCCESS); five more failures lock
    fail("casey", 5)
    response = attempt("casey", PASSWORD)
    assert response.status_code == 429
    assert b"Sign-in paused" in response.content
    assert AuditEvent.objects.filter(action="auth.lockout").exists()


def test_lock_is_for_that_username_and_address_only() -> None:
    make_user("casey", Role.COUNSELLOR)
    make_user("cole", Role.COUNSELLOR)
    fail("casey", 5, ip="10.0.0.1")
    assert attempt("casey", PASSWORD, ip="10.0.0.2").status_code == 302
    assert attempt("cole", PASSWORD, ip="10.0.0.1").status_code == 302


def test_lock_lifts_fifteen_minutes_after_the_last_attempt() -> None:
    make_user("casey", Role.COUNSELLOR)
    start = time.time()
    fail("casey", 5)
    with time_machine.travel(start + 14 * 60, tick=False):
        # still locked; and trying again while locked restarts the fifteen minutes
        assert attempt("casey", PASSWORD).status_code == 429
    with time_machine.travel(start + 16 * 60, tick=False):
        assert attempt("casey", PASSWORD).status_code == 429
    with time_machine.travel(start + 32 * 60, tick=False):
        assert attempt("casey", PASSWORD).status_code == 302


def test_rotating_x_forwarded_for_does_not_escape_the_lock() -> None:
    make_user("casey", Role.COUNSELLOR)
    for n in range(5):
        attempt("casey", "wrong-password-guess", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    assert attempt("casey", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.99").status_code == 429


def test_unknown_usernames_lock_the_same_way() -> None:
    make_user("casey", Role.COUNSELLOR)
    fail("casey", 5)
    fail("nobody", 5)
    known = attempt("casey", "wrong-password-guess")
    unknown = attempt("nobody", "wrong-password-guess")
    assert known.status_code == unknown.status_code == 429
    assert known.content == unknown.content


def test_wrong_codes_count_towards_the_lock() -> None:
    user = make_user("casey", Role.COUNSELLOR)
    client = Client(REMOTE_ADDR="10.0.0.1")
    client.post("/accounts/login/", {"username": "casey", "password": PASSWORD})
    start = time.time()
    last = None
    for n in range(5):
        # step past django-otp's own back-off so each wrong code reaches the check
        with time_machine.travel(start + 40 * (n + 1), tick=False):
            last = client.post("/accounts/verify/", {"otp_token": "000000"})
    assert last is not None and last.status_code == 429
    assert AuditEvent.objects.filter(action="auth.otp.failed").count() == 5
    # the half-signed-in session was ended
    assert client.get("/counsellor/")["Location"].startswith("/accounts/login/")
    # and the password step is locked too, even with the right password and a right code
    with time_machine.travel(start + 300, tick=False):
        assert attempt("casey", PASSWORD).status_code == 429
    assert current_code(user)


def test_axes_never_stores_codes_or_passwords_in_clear() -> None:
    make_user("casey", Role.COUNSELLOR)
    client = Client(REMOTE_ADDR="10.0.0.1")
    client.post("/accounts/login/", {"username": "casey", "password": PASSWORD})
    client.post("/accounts/verify/", {"otp_token": "123456"})
    attempt("casey", "my-Secret-Guess-99")
    stored = " ".join(AccessAttempt.objects.values_list("post_data", flat=True))
    assert "123456" not in stored
    assert "my-Secret-Guess-99" not in stored
    assert PASSWORD not in stored
