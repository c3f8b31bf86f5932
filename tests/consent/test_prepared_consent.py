"""Consents the counsellor prepares for the client to sign in the portal: the staff pages."""

from __future__ import annotations

import json
from typing import Any

import pytest

from clients.models import ClientAccount
from consent.models import PreparedConsent, Scope
from practice.accounts.models import Role, User
from practice.audit.models import AuditEvent
from tests.conftest import make_user
from tests.consent.conftest import MATERIAL, PURPOSE, RECIPIENT, tomorrow

pytestmark = pytest.mark.django_db

CAPACITY = "Talked it through; understood, weighed it up and decided freely"


def with_account(client: Any, username: str = "c-portal-prep") -> User:
    user = make_user(username, Role.CLIENT)
    ClientAccount.objects.create(user=user, client=client)
    return user


def prepare_url(client: Any) -> str:
    return f"/consent/client/{client.reference}/prepare/"


def disclosure_data(**overrides: str) -> dict[str, str]:
    data = {
        "scope": Scope.DISCLOSURE,
        "recipient": RECIPIENT,
        "purpose": PURPOSE,
        "material": MATERIAL,
        "valid_until": tomorrow().isoformat(),
        "capacity_note": CAPACITY,
    }
    data.update(overrides)
    return data


def test_counsellor_prepares_a_consent_to_share(
    counsellor: User, client_record: Any, as_user: Any
) -> None:
    with_account(client_record)
    browser = as_user(counsellor)
    form = browser.get(prepare_url(client_record))
    assert form.status_code == 200 and b"capacity" in form.content
    response = browser.post(prepare_url(client_record), disclosure_data())
    assert response["Location"] == f"/consent/client/{client_record.reference}/"
    assert RECIPIENT not in response["Location"]
    prepared = PreparedConsent.objects.get(client=client_record)
    assert prepared.is_waiting and prepared.scope == Scope.DISCLOSURE
    assert prepared.recipient == RECIPIENT and prepared.capacity_note == CAPACITY
    assert prepared.prepared_by == counsellor and prepared.valid_until == tomorrow()
    event = AuditEvent.objects.get(action="consent.prepared")
    assert event.data == {"scope": "disclosure"}
    for secret in (RECIPIENT, PURPOSE, MATERIAL, CAPACITY):
        assert secret not in json.dumps(event.data)
    # Listed, with a way to cancel it, on the client's consent page.
    page = browser.get(f"/consent/client/{client_record.reference}/").content.decode()
    assert f'data-prepared="{prepared.pk}"' in page
    assert RECIPIENT in page
    assert f"/consent/client/{client_record.reference}/prepared/{prepared.pk}/cancel/" in page


def test_a_scope_without_a_recipient_keeps_no_recipient(
    counsellor: User, client_record: Any, as_user: Any
) -> None:
    with_account(client_record)
    as_user(counsellor).post(
        prepare_url(client_record),
        {"scope": Scope.RESEARCH, "recipient": "Somebody", "capacity_note": CAPACITY},
    )
    prepared = PreparedConsent.objects.get()
    assert prepared.scope == Scope.RESEARCH and prepared.recipient == ""


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"capacity_note": ""}, "capacity"),
        ({"capacity_note": "   "}, "capacity"),
        ({"recipient": ""}, "Name who the information may be shared with"),
        ({"material": ""}, "Say what may be shared"),
        ({"valid_until": "2001-01-01"}, "already past"),
        ({"scope": ""}, "Choose what the consent is for"),
        ({"scope": "everything"}, "Select a valid choice"),
    ],
)
def test_bad_input_is_refused_and_prepares_nothing(
    counsellor: User, client_record: Any, as_user: Any, overrides: dict[str, str], message: str
) -> None:
    with_account(client_record)
    response = as_user(counsellor).post(prepare_url(client_record), disclosure_data(**overrides))
    assert response.status_code == 200
    body = response.content.decode()
    assert "There is a problem" in body and message in body
    assert not PreparedConsent.objects.exists()
    assert not AuditEvent.objects.filter(action="consent.prepared").exists()


def test_a_young_person_must_be_competent_to_sign_alone(
    counsellor: User, minor: Any, as_user: Any
) -> None:
    with_account(minor)
    browser = as_user(counsellor)
    refused = browser.post(prepare_url(minor), disclosure_data())
    assert refused.status_code == 200 and b"Gillick" in refused.content
    assert not PreparedConsent.objects.exists()
    browser.post(prepare_url(minor), disclosure_data(competent="on"))
    assert PreparedConsent.objects.get(client=minor).is_waiting


def test_without_a_portal_account_the_counsellor_is_sent_to_invite(
    counsellor: User, client_record: Any, as_user: Any
) -> None:
    browser = as_user(counsellor)
    page = browser.get(f"/consent/client/{client_record.reference}/").content.decode()
    assert "no portal account" in page and f"/clients/{client_record.reference}/#portal" in page
    assert prepare_url(client_record) not in page
    form = browser.get(prepare_url(client_record)).content.decode()
    assert "no portal account" in form and f"/clients/{client_record.reference}/#portal" in form
    response = browser.post(prepare_url(client_record), disclosure_data())
    assert response.status_code == 200 and b"There is a problem" in response.content
    assert not PreparedConsent.objects.exists()


def test_a_closed_account_cannot_be_given_a_consent_to_sign(
    counsellor: User, client_record: Any, as_user: Any
) -> None:
    user = with_account(client_record)
    user.is_active = False
    user.save()
    browser = as_user(counsellor)
    assert "access is closed" in browser.get(prepare_url(client_record)).content.decode()
    response = browser.post(prepare_url(client_record), disclosure_data())
    assert response.status_code == 200 and b"There is a problem" in response.content
    assert not PreparedConsent.objects.exists()


@pytest.mark.parametrize(
    "persona", ["colleague", "supervisor", "manager", "administrator", "outsider", "client_user"]
)
def test_only_the_allocated_counsellor_prepares_or_cancels(
    persona: str,
    request: pytest.FixtureRequest,
    counsellor: User,
    client_record: Any,
    as_user: Any,
) -> None:
    with_account(client_record)
    as_user(counsellor).post(prepare_url(client_record), disclosure_data())
    prepared = PreparedConsent.objects.get()
    browser = as_user(request.getfixturevalue(persona))
    assert browser.get(prepare_url(client_record)).status_code == 404
    assert browser.post(prepare_url(client_record), disclosure_data()).status_code == 404
    cancel = f"/consent/client/{client_record.reference}/prepared/{prepared.pk}/cancel/"
    assert browser.post(cancel).status_code == 404
    assert PreparedConsent.objects.count() == 1
    prepared.refresh_from_db()
    assert prepared.is_waiting


def test_cancel_stops_it_being_signed(counsellor: User, client_record: Any, as_user: Any) -> None:
    with_account(client_record)
    browser = as_user(counsellor)
    browser.post(prepare_url(client_record), disclosure_data())
    prepared = PreparedConsent.objects.get()
    cancel = f"/consent/client/{client_record.reference}/prepared/{prepared.pk}/cancel/"
    assert browser.get(cancel).status_code == 405
    response = browser.post(cancel)
    assert response["Location"] == f"/consent/client/{client_record.reference}/"
    prepared.refresh_from_db()
    assert prepared.status == PreparedConsent.Status.CANCELLED and prepared.closed_at
    assert AuditEvent.objects.filter(action="consent.prepared_cancelled").count() == 1
    page = browser.get(f"/consent/client/{client_record.reference}/").content.decode()
    assert f'data-prepared="{prepared.pk}"' not in page
    assert "Nothing is waiting for the client to sign" in page
    again = browser.post(cancel, follow=True).content.decode()
    assert "no longer waiting" in again
    assert AuditEvent.objects.filter(action="consent.prepared_cancelled").count() == 1


def test_cancel_only_reaches_this_clients_consents(
    counsellor: User, client_record: Any, partner: Any, as_user: Any
) -> None:
    with_account(client_record)
    browser = as_user(counsellor)
    browser.post(prepare_url(client_record), disclosure_data())
    prepared = PreparedConsent.objects.get()
    wrong = f"/consent/client/{partner.reference}/prepared/{prepared.pk}/cancel/"
    assert browser.post(wrong).status_code == 404
    prepared.refresh_from_db()
    assert prepared.is_waiting
