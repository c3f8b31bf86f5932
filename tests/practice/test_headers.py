"""Security headers on every response; no-store on every page the application renders."""

from __future__ import annotations

import pytest
from django.test import Client

from practice.accounts.models import Role
from tests.conftest import make_user, verified_client

pytestmark = pytest.mark.django_db


def assert_security_headers(response) -> None:
    csp = response["Content-Security-Policy"]
    for directive in [
        "default-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]:
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Cache-Control"] == "no-store"
    assert "camera=()" in response["Permissions-Policy"]


@pytest.mark.parametrize("url", ["/accounts/login/", "/healthz", "/no-such-page/"])
def test_public_responses_carry_the_headers(url: str) -> None:
    assert_security_headers(Client().get(url))


@pytest.mark.parametrize("url", ["/counsellor/", "/accounts/backup-codes/", "/no-such-page/"])
def test_signed_in_pages_carry_the_headers(url: str) -> None:
    client = verified_client(make_user("casey", Role.COUNSELLOR))
    assert_security_headers(client.get(url))


def test_hsts_is_sent_over_https_in_production(settings) -> None:
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    response = Client().get("/accounts/login/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


def test_pages_load_no_third_party_resources() -> None:
    client = verified_client(make_user("casey", Role.COUNSELLOR))
    for url in ["/accounts/login/", "/counsellor/"]:
        body = client.get(url).content.decode()
        assert "http://" not in body.replace("http://www.w3.org", "")
        assert "https://" not in body


def test_cross_origin_post_is_refused() -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403


def test_no_cors_headers_for_other_origins() -> None:
    response = Client().get("/accounts/login/", HTTP_ORIGIN="https://evil.example")
    assert "Access-Control-Allow-Origin" not in response
