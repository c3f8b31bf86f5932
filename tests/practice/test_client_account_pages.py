"""A client account outside /portal/: only the few account pages shared with staff."""

from __future__ import annotations

import pytest
from django.urls import reverse

from clients.models import ClientAccount
from practice.accounts.models import Role, User
from tests.conftest import make_client, make_user, verified_client


@pytest.fixture
def portal_user(counsellor: User) -> User:
    user = make_user("c-shared", Role.CLIENT)
    ClientAccount.objects.create(user=user, client=make_client(counsellor))
    return user


def test_a_client_keeps_their_session_alive_and_manages_backup_codes(portal_user: User) -> None:
    browser = verified_client(portal_user)
    assert browser.post(reverse("accounts:keepalive")).status_code == 204
    page = browser.get(reverse("accounts:backup_codes"))
    assert page.status_code == 200
    issued = browser.post(reverse("accounts:backup_codes"))
    assert issued.status_code == 200 and reverse("portal:home") in issued.content.decode()
    home = browser.get(reverse("home"))
    assert home.status_code == 302 and home["Location"] == reverse("portal:home")


@pytest.mark.parametrize(
    "name",
    [
        "counsellor_home",
        "manager_home",
        "clients:caseload",
        "disclosures:list",
        "accounts:policies",
    ],
)
def test_every_other_page_outside_the_portal_is_a_404_for_a_client(
    portal_user: User, name: str
) -> None:
    assert verified_client(portal_user).get(reverse(name)).status_code == 404


def test_a_clients_navigation_calls_their_portal_home_home(portal_user: User) -> None:
    page = verified_client(portal_user).get(reverse("portal:home")).content.decode()
    assert f'<a href="{reverse("portal:home")}" aria-current="page">Home</a>' in page
    assert ">Client</a>" not in page
