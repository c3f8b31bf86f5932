"""Every URL needs a signed-in, second-factor-verified user unless it is on the allowlist."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from practice.accounts.models import Role
from tests.conftest import make_user

# The only views reachable before the second factor; each one is marked on the view itself.
PUBLIC = {"accounts:login", "healthz", "portal:invitation", "portal:invitation_form"}
BETWEEN_PASSWORD_AND_CODE = {
    "accounts:verify",
    "accounts:enrol",
    "accounts:enrol_email",
    "accounts:logout",
}


def walk(resolver: URLResolver, namespace: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry, inner)
        else:
            yield f"{namespace}{entry.name}" if entry.name else f"{namespace}<unnamed>", entry


def sample_url(name: str, pattern: URLPattern) -> str | None:
    converters = getattr(pattern.pattern, "converters", {})
    kwargs: dict[str, Any] = {}
    for key, converter in converters.items():
        kind = type(converter).__name__
        kwargs[key] = {"IntConverter": 1, "UUIDConverter": uuid.uuid4()}.get(kind, "x")
    for keyword in pattern.pattern.regex.groupindex:
        kwargs.setdefault(keyword, "x")
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return None


ALL_PATTERNS = list(walk(get_resolver()))


def test_the_walk_finds_the_application() -> None:
    names = {name for name, _ in ALL_PATTERNS}
    assert {"home", "healthz", "accounts:login", "counsellor_home", "admin:index"} <= names
    assert len(ALL_PATTERNS) > 20


@pytest.mark.parametrize(("name", "pattern"), ALL_PATTERNS, ids=[n for n, _ in ALL_PATTERNS])
def test_only_allowlisted_views_skip_the_second_factor(name: str, pattern: URLPattern) -> None:
    view = pattern.callback
    public = getattr(view, "login_required", True) is False
    half = getattr(view, "otp_required", True) is False
    if public:
        assert name in PUBLIC, f"{name} is public but not on the allowlist"
    if half:
        assert name in BETWEEN_PASSWORD_AND_CODE, f"{name} skips the second factor"


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "pattern"), ALL_PATTERNS, ids=[n for n, _ in ALL_PATTERNS])
def test_anonymous_and_half_signed_in_users_are_sent_to_sign_in(
    name: str, pattern: URLPattern
) -> None:
    url = sample_url(name, pattern)
    if url is None or name in PUBLIC:
        pytest.skip("not reversible with sample values" if url is None else "public by design")
    anonymous = Client().get(url)
    assert anonymous.status_code == 302, f"{url} answered {anonymous.status_code} to anonymous"
    assert anonymous["Location"].startswith("/accounts/login/")

    if name in BETWEEN_PASSWORD_AND_CODE:
        return
    user = make_user("halfway", Role.COUNSELLOR, Role.SUPERVISOR, Role.MANAGER, Role.ADMINISTRATOR)
    half = Client()
    half.force_login(user)  # password accepted, no second factor yet
    response = half.get(url)
    assert response.status_code == 302, f"{url} answered {response.status_code} before the code"
    assert response["Location"] == "/accounts/verify/"
