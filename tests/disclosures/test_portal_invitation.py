"""Accepting a portal invitation: the public link and form. Single use, expiring, one calm
answer for every link that cannot be used, and nothing created when the form is refused."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from clients import services as client_services
from clients.models import Client, ClientAccount, PortalInvitation
from practice.accounts.models import User
from practice.audit.models import AuditEvent
from tests.conftest import make_client, verified_client

STRONG = "otter-lantern-quietly-97"
UNUSABLE = "This invitation link cannot be used. It may have expired or already been used"


@pytest.fixture
def invitee(counsellor: User) -> Client:
    return make_client(
        counsellor, given_name="Jordan", family_name="Fielding", email="jordan.f@example.org"
    )


def invite(client: Client, by: User) -> tuple[PortalInvitation, str]:
    issued = client_services.invite_to_portal(
        client, by=by, build_link=lambda token: reverse("portal:invitation", args=[token])
    )
    return issued.invitation, issued.link


def form_data(username: str = "sunflower-42", password: str = STRONG, again: str | None = None):
    return {"username": username, "password": password, "password_again": again or password}


def open_link(link: str) -> tuple[HttpClient, Any]:
    browser = HttpClient()
    response = browser.get(link)
    return browser, response


def unusable_page(response: Any) -> str:
    assert response.status_code == 404
    body = response.content.decode()
    assert UNUSABLE in body
    assert "<form" not in body.split("<main", 1)[1]
    return body.split("<main", 1)[1]


# -- the happy path ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_link_moves_its_secret_out_of_the_address_bar(
    invitee: Client, counsellor: User
) -> None:
    invitation, link = invite(invitee, counsellor)
    token = link.rstrip("/").rsplit("/", 1)[1]
    browser, response = open_link(link)
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:invitation_form")
    assert token not in response["Location"]
    page = browser.get(response["Location"])
    assert page.status_code == 200
    body = page.content.decode()
    assert "Set up your account" in body and "Do not use your name or your e-mail address" in body
    assert token not in body
    # The session holds the secret only encrypted: the sessions table alone cannot accept it.
    for session in Session.objects.all():
        assert token not in str(session.get_decoded())
        assert token not in session.session_data


@pytest.mark.django_db
def test_accepting_creates_the_account_and_goes_to_second_factor_set_up(
    invitee: Client, counsellor: User
) -> None:
    invitation, link = invite(invitee, counsellor)
    browser, _ = open_link(link)
    response = browser.post(reverse("portal:invitation_form"), form_data())
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:enrol")
    user = User.objects.get(username="sunflower-42")
    assert user.is_client_account and user.is_active and not user.is_staff_member
    assert user.check_password(STRONG)
    account = ClientAccount.objects.get(user=user)
    assert account.client == invitee
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None
    # Signed in with the password only: the second factor is set up next.
    assert str(browser.session[SESSION_KEY]) == str(user.pk)
    enrol = browser.get(response["Location"])
    assert enrol.status_code == 200
    assert browser.get(reverse("portal:home")).status_code == 302  # not verified yet
    assert AuditEvent.objects.filter(
        action="portal.invitation.accepted", actor_id=user.pk, client_ref=invitee.reference
    ).exists()


# -- links that cannot be used: one answer for all ------------------------------------------------


@pytest.mark.django_db
def test_every_unusable_link_gets_the_same_calm_page(
    invitee: Client, counsellor: User, manager: User
) -> None:
    bodies = []

    # Used: accepted once, then the same link again.
    _, used_link = invite(invitee, counsellor)
    browser, _ = open_link(used_link)
    browser.post(reverse("portal:invitation_form"), form_data())
    _, response = open_link(used_link)
    bodies.append(unusable_page(HttpClient().get(response["Location"])))
    again, response = open_link(used_link)
    bodies.append(unusable_page(again.get(response["Location"])))

    # Expired, withdrawn and tampered: a second client's invitations.
    other = make_client(counsellor, given_name="Sam", family_name="Rivers")
    expired, expired_link = invite(other, counsellor)
    PortalInvitation.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    browser, response = open_link(expired_link)
    bodies.append(unusable_page(browser.get(response["Location"])))

    withdrawn, withdrawn_link = invite(other, counsellor)
    client_services.withdraw_invitation(withdrawn, by=counsellor)
    browser, response = open_link(withdrawn_link)
    bodies.append(unusable_page(browser.get(response["Location"])))

    # Tampered: one character of an open link's secret changed.
    live, live_link = invite(other, counsellor)
    token = live_link.rstrip("/").rsplit("/", 1)[1]
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    browser, response = open_link(reverse("portal:invitation", args=[tampered]))
    bodies.append(unusable_page(browser.get(response["Location"])))

    # Unknown and absurd links, and the form with nothing in the session.
    browser, response = open_link(reverse("portal:invitation", args=["x" * 500]))
    bodies.append(unusable_page(browser.get(response["Location"])))
    bodies.append(unusable_page(HttpClient().get(reverse("portal:invitation_form"))))
    bodies.append(unusable_page(HttpClient().post(reverse("portal:invitation_form"), form_data())))

    assert all(body == bodies[0] for body in bodies)
    assert ClientAccount.objects.filter(client=other).count() == 0
    live.refresh_from_db()
    assert live.is_open()  # a tampered link does not spend the real one


@pytest.mark.django_db
def test_expiry_is_checked_again_when_the_form_is_sent(invitee: Client, counsellor: User) -> None:
    invitation, link = invite(invitee, counsellor)
    browser, response = open_link(link)
    assert browser.get(response["Location"]).status_code == 200
    PortalInvitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    unusable_page(browser.post(reverse("portal:invitation_form"), form_data()))
    assert not User.objects.filter(username="sunflower-42").exists()


@pytest.mark.django_db
def test_two_browsers_with_the_same_link_only_one_account(
    invitee: Client, counsellor: User
) -> None:
    _, link = invite(invitee, counsellor)
    first, _ = open_link(link)
    second, _ = open_link(link)
    assert first.post(reverse("portal:invitation_form"), form_data()).status_code == 302
    unusable_page(second.post(reverse("portal:invitation_form"), form_data("another-name-7")))
    assert ClientAccount.objects.filter(client=invitee).count() == 1
    assert not User.objects.filter(username="another-name-7").exists()


# -- refused forms create nothing -----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "message"),
    [
        (form_data(password="short"), "too short"),
        (form_data(password="password123456"), "too common"),
        (form_data(again="something-else-entirely"), "The two passwords are not the same."),
        (form_data(username="jordanfielding"), "not your name or e-mail address"),
        (form_data(username="Jordan.F@example.org"), "not your name or e-mail address"),
        (form_data(username="jordan.f"), "not your name or e-mail address"),
        (form_data(username=""), "Choose a username."),
        (form_data(username="has spaces"), "Enter a valid username"),
    ],
    ids=[
        "short",
        "common",
        "mismatch",
        "name",
        "email",
        "email-local-part",
        "no-username",
        "bad-username",
    ],
)
def test_a_refused_form_creates_nothing(
    data: dict[str, str], message: str, invitee: Client, counsellor: User
) -> None:
    invitation, link = invite(invitee, counsellor)
    browser, _ = open_link(link)
    users_before = User.objects.count()
    response = browser.post(reverse("portal:invitation_form"), data)
    assert response.status_code == 200
    body = response.content.decode()
    assert "There is a problem" in body and message in body
    assert f'value="{data["password"]}"' not in body  # passwords are never sent back
    assert User.objects.count() == users_before
    assert not ClientAccount.objects.filter(client=invitee).exists()
    invitation.refresh_from_db()
    assert invitation.is_open()
    # The same browser can try again and succeed.
    response = browser.post(reverse("portal:invitation_form"), form_data())
    assert response.status_code == 302 and response["Location"] == reverse("accounts:enrol")


@pytest.mark.django_db
def test_a_taken_username_is_refused(invitee: Client, counsellor: User) -> None:
    _, link = invite(invitee, counsellor)
    browser, _ = open_link(link)
    response = browser.post(reverse("portal:invitation_form"), form_data(username="CASEY"))
    assert response.status_code == 200
    assert "That username is taken or not allowed" in response.content.decode()
    assert not ClientAccount.objects.filter(client=invitee).exists()


# -- someone already signed in --------------------------------------------------------------------


@pytest.mark.django_db
def test_a_signed_in_user_is_told_and_the_link_is_not_used(
    invitee: Client, counsellor: User
) -> None:
    invitation, link = invite(invitee, counsellor)
    browser = verified_client(counsellor)
    response = browser.get(link)
    assert response.status_code == 200
    assert "You are already signed in" in response.content.decode()
    response = browser.post(reverse("portal:invitation_form"), form_data())
    assert response.status_code == 200
    assert "You are already signed in" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.is_open()
    assert not ClientAccount.objects.filter(client=invitee).exists()
    assert str(browser.session[SESSION_KEY]) == str(counsellor.pk)


@pytest.mark.django_db
def test_a_client_whose_access_was_closed_can_be_invited_back(
    invitee: Client, counsellor: User
) -> None:
    _, link = invite(invitee, counsellor)
    browser, _ = open_link(link)
    browser.post(reverse("portal:invitation_form"), form_data())
    old = User.objects.get(username="sunflower-42")
    client_services.close_portal_account(invitee, by=counsellor)

    _, second_link = invite(invitee, counsellor)
    browser, response = open_link(second_link)
    assert browser.get(response["Location"]).status_code == 200
    response = browser.post(reverse("portal:invitation_form"), form_data("kingfisher-3"))
    assert response.status_code == 302 and response["Location"] == reverse("accounts:enrol")
    account = ClientAccount.objects.get(client=invitee)
    assert account.user.username == "kingfisher-3" and account.user.is_active
    old.refresh_from_db()
    assert not old.is_active


@pytest.mark.django_db
def test_an_open_account_makes_a_stray_invitation_unusable(
    invitee: Client, counsellor: User
) -> None:
    invitation, link = invite(invitee, counsellor)
    # Somehow the client has an open account already (made from another invitation).
    ClientAccount.objects.create(
        user=User.objects.create_user("existing-1", password=STRONG, is_client_account=True),
        client=invitee,
    )
    browser, response = open_link(link)
    unusable_page(browser.get(response["Location"]))
