"""The staff side of portal accounts: inviting a client, withdrawing, closing access.

The invitation link is shown once, in the response to the POST that makes it; only a keyed
hash of its secret is stored, and nothing of it reaches the audit trail. The e-mail says only
that an invitation is waiting: no name, no reference.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse
from django_otp import devices_for_user
from django_otp.plugins.otp_totp.models import TOTPDevice

from clients import services
from clients.models import ClientAccount, PortalInvitation
from practice.accounts.models import User
from practice.audit.models import AuditEvent
from tests.conftest import PASSWORD, make_client

pytestmark = pytest.mark.django_db

LINK = re.compile(r'value="(http://testserver/portal/invitation/([^/"]+)/)"')

NOT_ALLOWED = ["colleague", "supervisor", "administrator", "outsider", "client_user"]


def invite_url(client: Any) -> str:
    return f"/clients/{client.reference}/portal/invite/"


def invite(browser: Any, client: Any) -> tuple[Any, str, str]:
    """POST the invitation; return the response, the link and its secret."""
    response = browser.post(invite_url(client))
    assert response.status_code == 200, response.status_code
    found = LINK.search(response.content.decode())
    assert found, "the page shows the link"
    return response, found.group(1), found.group(2)


def everything_in_the_database() -> str:
    """Every value of every row of every table, as text, for looking for a secret."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, bytes | memoryview | bytearray):
                        chunks.append(bytes(value).decode("latin-1"))
                    else:
                        chunks.append(str(value))
    return "\x1e".join(chunks)


@pytest.fixture
def emailed_client(counsellor: User) -> Any:
    return make_client(
        counsellor, given_name="Quentin", family_name="Marchbanks", email="qm@example.org"
    )


@pytest.mark.parametrize("persona", ["counsellor", "manager"])
def test_counsellor_and_manager_invite_and_see_the_link_once(
    persona: str, request: pytest.FixtureRequest, client_record: Any, as_user: Any
) -> None:
    browser = as_user(request.getfixturevalue(persona))
    detail = browser.get(f"/clients/{client_record.reference}/").content.decode()
    assert "Client portal" in detail and "Invite to the portal" in detail

    response, link, token = invite(browser, client_record)
    assert "Location" not in response  # shown on the POST response, not through a redirect
    invitation = PortalInvitation.objects.get(client=client_record)
    assert invitation.state == "open"
    assert invitation.created_by == request.getfixturevalue(persona)
    assert link == "http://testserver" + reverse("portal:invitation", args=[token])
    body = response.content.decode()
    assert "only time the link is shown" in body and "7 days" in body
    assert 'data-emailed="no"' in body  # this client has no e-mail address
    # Stored only as a keyed hash: the secret is nowhere in the database.
    assert invitation.token_hash != token and len(token) >= 40
    assert token not in everything_in_the_database()
    event = AuditEvent.objects.get(action="portal.invitation.created")
    assert token not in json.dumps(event.data) and token not in str(event.target_id)
    assert event.data == {"emailed": False}
    # The client's page afterwards shows the open invitation, but never the link again.
    again = browser.get(f"/clients/{client_record.reference}/").content.decode()
    assert token not in again and "Withdraw invitation" in again


def test_the_link_works_for_the_client(client_record: Any, counsellor: User, as_user: Any) -> None:
    _, _, token = invite(as_user(counsellor), client_record)
    user = services.accept_invitation(token, username="harbour-light", password=PASSWORD)
    assert ClientAccount.objects.get(client=client_record).user == user


def test_email_is_sent_only_when_the_client_has_an_address_and_names_nobody(
    counsellor: User,
    client_record: Any,
    emailed_client: Any,
    as_user: Any,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    browser = as_user(counsellor)
    with django_capture_on_commit_callbacks(execute=True):
        invite(browser, client_record)
    assert mailoutbox == []
    assert PortalInvitation.objects.get(client=client_record).emailed is False

    with django_capture_on_commit_callbacks(execute=True):
        response, link, token = invite(browser, emailed_client)
    assert 'data-emailed="yes"' in response.content.decode()
    assert PortalInvitation.objects.get(client=emailed_client).emailed is True
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["qm@example.org"]
    text = message.subject + message.body
    assert link in message.body
    for secret in ("Quentin", "Marchbanks", emailed_client.reference, "counsell"):
        assert secret.lower() not in text.lower()
    event = AuditEvent.objects.get(
        action="portal.invitation.created", client_ref=emailed_client.reference
    )
    assert event.data == {"emailed": True} and "qm@example.org" not in json.dumps(event.data)


@pytest.mark.parametrize("persona", NOT_ALLOWED)
def test_others_cannot_invite_withdraw_or_close(
    persona: str,
    request: pytest.FixtureRequest,
    counsellor: User,
    client_record: Any,
    as_user: Any,
) -> None:
    issued = services.invite_to_portal(
        client_record, by=counsellor, build_link=lambda token: f"https://x/{token}/"
    )
    browser = as_user(request.getfixturevalue(persona))
    reference = client_record.reference
    assert browser.post(invite_url(client_record)).status_code == 404
    withdraw = f"/clients/{reference}/portal/invitations/{issued.invitation.pk}/withdraw/"
    assert browser.post(withdraw).status_code == 404
    assert browser.get(f"/clients/{reference}/portal/close/").status_code == 404
    assert browser.post(f"/clients/{reference}/portal/close/", {"confirm": "on"}).status_code == 404
    assert PortalInvitation.objects.filter(client=client_record).count() == 1
    issued.invitation.refresh_from_db()
    assert issued.invitation.state == "open"
    page = browser.get(f"/clients/{reference}/")
    assert "Client portal" not in page.content.decode()  # no panel (or no page at all)


def test_break_glass_reader_sees_no_panel_and_cannot_invite(
    colleague: User, client_record: Any, as_user: Any
) -> None:
    services.break_glass(client_record, by=colleague, reason="covering a crisis call")
    browser = as_user(colleague)
    page = browser.get(f"/clients/{client_record.reference}/")
    assert page.status_code == 200 and "Client portal" not in page.content.decode()
    assert browser.post(invite_url(client_record)).status_code == 404
    assert not PortalInvitation.objects.exists()


def test_withdraw_stops_the_link(counsellor: User, client_record: Any, as_user: Any) -> None:
    browser = as_user(counsellor)
    _, _, token = invite(browser, client_record)
    invitation = PortalInvitation.objects.get()
    response = browser.post(
        f"/clients/{client_record.reference}/portal/invitations/{invitation.pk}/withdraw/"
    )
    assert response["Location"] == f"/clients/{client_record.reference}/"
    invitation.refresh_from_db()
    assert invitation.state == "withdrawn" and invitation.revoked_by == counsellor
    assert AuditEvent.objects.filter(action="portal.invitation.withdrawn").count() == 1
    with pytest.raises(services.InvitationInvalid):
        services.accept_invitation(token, username="harbour-light", password=PASSWORD)
    # Withdrawing twice is refused with a message, and changes nothing.
    again = browser.post(
        f"/clients/{client_record.reference}/portal/invitations/{invitation.pk}/withdraw/",
        follow=True,
    )
    assert "no longer open" in again.content.decode()
    assert AuditEvent.objects.filter(action="portal.invitation.withdrawn").count() == 1


def test_a_new_invitation_withdraws_the_previous_one(
    counsellor: User, manager: User, client_record: Any, as_user: Any
) -> None:
    _, _, first = invite(as_user(counsellor), client_record)
    _, _, second = invite(as_user(manager), client_record)
    assert first != second
    states = {i.created_by: i.state for i in PortalInvitation.objects.filter(client=client_record)}
    assert states == {counsellor: "withdrawn", manager: "open"}
    with pytest.raises(services.InvitationInvalid):
        services.accept_invitation(first, username="harbour-light", password=PASSWORD)
    services.accept_invitation(second, username="harbour-light", password=PASSWORD)


def test_no_invitation_while_the_client_has_an_account(
    counsellor: User, client_record: Any, as_user: Any
) -> None:
    browser = as_user(counsellor)
    _, _, token = invite(browser, client_record)
    services.accept_invitation(token, username="harbour-light", password=PASSWORD)
    page = browser.get(f"/clients/{client_record.reference}/").content.decode()
    assert "Active" in page and "Close portal access" in page
    assert "Invite to the portal" not in page
    response = browser.post(invite_url(client_record), follow=True)
    assert "already has a portal account" in response.content.decode()
    assert PortalInvitation.objects.filter(client=client_record).count() == 1


def test_close_portal_access_after_confirming(
    counsellor: User, client_record: Any, as_user: Any
) -> None:
    browser = as_user(counsellor)
    _, _, token = invite(browser, client_record)
    user = services.accept_invitation(token, username="harbour-light", password=PASSWORD)
    url = f"/clients/{client_record.reference}/portal/close/"
    assert browser.get(url).status_code == 200
    unconfirmed = browser.post(url, {})
    assert unconfirmed.status_code == 200 and b"There is a problem" in unconfirmed.content
    user.refresh_from_db()
    assert user.is_active
    response = browser.post(url, {"confirm": "on"})
    assert response["Location"] == f"/clients/{client_record.reference}/"
    user.refresh_from_db()
    assert not user.is_active
    assert AuditEvent.objects.filter(
        action="portal.account.closed", client_ref=client_record.reference
    ).exists()
    page = browser.get(f"/clients/{client_record.reference}/").content.decode()
    assert "Closed" in page and "Close portal access" not in page
    # Nothing left to close: the confirmation page sends the counsellor back.
    assert browser.get(url)["Location"] == f"/clients/{client_record.reference}/"


def test_manager_closes_access(
    counsellor: User, manager: User, client_record: Any, as_user: Any
) -> None:
    _, _, token = invite(as_user(counsellor), client_record)
    user = services.accept_invitation(token, username="harbour-light", password=PASSWORD)
    as_user(manager).post(f"/clients/{client_record.reference}/portal/close/", {"confirm": "on"})
    user.refresh_from_db()
    assert not user.is_active


def test_invitation_pages_are_post_only(counsellor: User, client_record: Any, as_user: Any) -> None:
    browser = as_user(counsellor)
    assert browser.get(invite_url(client_record)).status_code == 405
    assert not PortalInvitation.objects.exists()


def test_a_closed_account_is_replaced_by_accepting_a_new_invitation(
    counsellor: User, client_record: Any, as_user: Any
) -> None:
    browser = as_user(counsellor)
    _, _, token = invite(browser, client_record)
    old = services.accept_invitation(token, username="harbour-light", password=PASSWORD)
    TOTPDevice.objects.create(user=old, name="phone", confirmed=True)
    browser.post(f"/clients/{client_record.reference}/portal/close/", {"confirm": "on"})
    page = browser.get(f"/clients/{client_record.reference}/").content.decode()
    assert "Invite to the portal" in page and "invite them" in page
    _, _, again = invite(browser, client_record)
    new = services.accept_invitation(again, username="harbour-light-2", password=PASSWORD)
    client_record.refresh_from_db()
    assert client_record.account.user == new
    old.refresh_from_db()
    assert not old.is_active  # the closed sign-in stays closed, with nothing to sign in with
    assert not old.has_usable_password() and old.username != "harbour-light"
    assert not list(devices_for_user(old, confirmed=None))
    assert User.objects.filter(username="harbour-light").count() == 0
    with pytest.raises(services.InvitationInvalid):
        services.accept_invitation(again, username="harbour-light-3", password=PASSWORD)
