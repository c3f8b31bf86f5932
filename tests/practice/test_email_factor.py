"""One-time codes by e-mail, for clients without an authenticator app (django-otp's e-mail
device, sending to the address held encrypted in the client's identity)."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_email.models import EmailDevice

from clients.models import ClientAccount
from practice.accounts.models import Role, User
from tests.conftest import PASSWORD, make_client, make_user


@pytest.fixture
def portal_user(counsellor: User) -> User:
    client = make_client(counsellor, given_name="Nia", family_name="Rowe", email="nia@example.org")
    user = make_user("c-mail", Role.CLIENT, with_device=False)
    ClientAccount.objects.create(user=user, client=client)
    return user


def _signed_in_with_password(user: User) -> Client:
    browser = Client()
    response = browser.post(
        reverse("accounts:login"), {"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    return browser


def _code(mail: Any) -> str:
    match = re.search(r"\b(\d{6})\b", mail.body)
    assert match, "the e-mail carries the code"
    return match.group(1)


def test_a_client_sets_up_email_codes_and_signs_in_with_one(
    portal_user: User, mailoutbox: list[Any]
) -> None:
    browser = _signed_in_with_password(portal_user)
    enrol = browser.get(reverse("accounts:enrol"))
    assert reverse("accounts:enrol_email") in enrol.content.decode()

    page = browser.post(reverse("accounts:enrol_email"), {"send_code": "1"})
    assert "We have sent a code" in page.content.decode()
    assert [m.to for m in mailoutbox] == [["nia@example.org"]]
    mail = mailoutbox[0]
    # The code and nothing else: no name, no mention of counselling.
    assert "Nia" not in mail.body and "Rowe" not in mail.body
    assert "counsel" not in (mail.subject + mail.body).lower()
    assert EmailDevice.objects.get(user=portal_user).email is None  # no address stored

    wrong = browser.post(reverse("accounts:enrol_email"), {"otp_token": "000000"})
    assert "did not match" in wrong.content.decode()
    # A wrong code slows the next try down (django-otp's throttling): wait a little.
    with time_machine.travel(datetime.timedelta(seconds=5)):
        done = browser.post(reverse("accounts:enrol_email"), {"otp_token": _code(mail)})
    assert "backup codes" in done.content.decode().lower()
    assert browser.get(reverse("portal:home")).status_code == 200

    # Next time: password, then a fresh code by e-mail.
    again = _signed_in_with_password(portal_user)
    verify = again.get(reverse("accounts:verify"))
    assert "E-mail me a code" in verify.content.decode()
    mailoutbox.clear()
    from django_otp.plugins.otp_email.models import EmailDevice as Device

    Device.objects.filter(user=portal_user).update(last_generated_timestamp=None)
    again.post(reverse("accounts:verify"), {"send_code": "1"})
    response = again.post(reverse("accounts:verify"), {"otp_token": _code(mailoutbox[0])})
    assert response.status_code == 302
    assert again.get(reverse("portal:home")).status_code == 200


def test_a_code_cannot_be_used_twice(portal_user: User, mailoutbox: list[Any]) -> None:
    browser = _signed_in_with_password(portal_user)
    browser.post(reverse("accounts:enrol_email"), {"send_code": "1"})
    code = _code(mailoutbox[0])
    browser.post(reverse("accounts:enrol_email"), {"otp_token": code})
    again = _signed_in_with_password(portal_user)
    response = again.post(reverse("accounts:verify"), {"otp_token": code})
    assert response.status_code == 200 and "not accepted" in response.content.decode()


def test_codes_cannot_be_requested_in_a_flood(portal_user: User, mailoutbox: list[Any]) -> None:
    browser = _signed_in_with_password(portal_user)
    browser.post(reverse("accounts:enrol_email"), {"send_code": "1"})
    second = browser.post(reverse("accounts:enrol_email"), {"send_code": "1"})
    assert "could not send a code just now" in second.content.decode()
    assert len(mailoutbox) == 1


def test_staff_and_clients_without_an_address_use_an_authenticator(
    counsellor: User, mailoutbox: list[Any]
) -> None:
    staff = make_user("newstaff", Role.COUNSELLOR, with_device=False)
    browser = _signed_in_with_password(staff)
    assert (
        reverse("accounts:enrol_email")
        not in browser.get(reverse("accounts:enrol")).content.decode()
    )
    response = browser.post(reverse("accounts:enrol_email"), {"send_code": "1"})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:enrol")

    client = make_client(counsellor, given_name="No", family_name="Mail")
    user = make_user("c-nomail", Role.CLIENT, with_device=False)
    ClientAccount.objects.create(user=user, client=client)
    browser = _signed_in_with_password(user)
    response = browser.get(reverse("accounts:enrol_email"))
    assert response.status_code == 302
    assert mailoutbox == []
    assert not EmailDevice.objects.exists()


def test_once_enrolled_a_second_device_cannot_be_added_with_only_a_password(
    portal_user: User, mailoutbox: list[Any]
) -> None:
    browser = _signed_in_with_password(portal_user)
    browser.post(reverse("accounts:enrol_email"), {"send_code": "1"})
    browser.post(reverse("accounts:enrol_email"), {"otp_token": _code(mailoutbox[0])})
    thief = _signed_in_with_password(portal_user)
    for name in ("accounts:enrol", "accounts:enrol_email"):
        response = thief.get(reverse(name))
        assert response.status_code == 302 and response["Location"] == reverse("accounts:verify")
