"""Erasure requests: recorded by the client's counsellor or a manager, decided by a manager
with a reason; a refusal names its exemption; an approval destroys through the retention
path at the next run."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from clients import services as client_services
from clients.models import Client, DestructionRecord, ErasureRequest
from practice.accounts.models import User
from practice.audit.models import AuditEvent
from practice.crypto.models import DataKey
from tests.clients.retention_helpers import closed_client, on, run

OPENED = datetime.date(2020, 1, 8)
ENDED = datetime.date(2021, 3, 15)
WITHIN = datetime.date(2023, 6, 1)  # well within seven years of ENDED
PERSONAS = ["supervisor", "administrator", "client_user", "outsider"]


@pytest.fixture
def closed(counsellor: User) -> Client:
    return closed_client(
        counsellor, opened=OPENED, ended=ENDED, given_name="Tamsin", family_name="Oakes"
    )


@pytest.fixture
def erasure(closed: Client, counsellor: User) -> ErasureRequest:
    with on(WITHIN):
        return client_services.record_erasure_request(
            closed, by=counsellor, received_on=WITHIN, channel="email"
        )


# -- who may do what ---------------------------------------------------------------------------


def test_the_counsellor_or_a_manager_records_a_request(
    closed: Client,
    counsellor: User,
    colleague: User,
    manager: User,
    request: pytest.FixtureRequest,
    as_user: Callable[[User], HttpClient],
) -> None:
    url = reverse("clients:erasure_new", args=[closed.reference])
    with on(WITHIN):
        assert as_user(counsellor).get(url).status_code == 200
        assert as_user(manager).get(url).status_code == 200
        for user in [colleague, *(request.getfixturevalue(p) for p in PERSONAS)]:
            assert as_user(user).get(url).status_code == 404, user
            data = {"received_on": WITHIN.isoformat(), "channel": "letter"}
            assert as_user(user).post(url, data).status_code == 404, user
        anonymous = HttpClient().get(url)
        assert anonymous.status_code == 302
        assert anonymous["Location"].startswith("/accounts/login/")
        assert not ErasureRequest.objects.exists()
        done = as_user(counsellor).post(
            url, {"received_on": WITHIN.isoformat(), "channel": "email"}
        )
    assert done.status_code == 302
    made = ErasureRequest.objects.get()
    assert (made.client, made.client_reference, made.status, made.recorded_by) == (
        closed,
        closed.reference,
        "open",
        counsellor,
    )
    assert AuditEvent.objects.filter(action="erasure.recorded").exists()


def test_manager_pages_are_for_service_managers_only(
    erasure: ErasureRequest,
    counsellor: User,
    manager: User,
    request: pytest.FixtureRequest,
    as_user: Callable[[User], HttpClient],
) -> None:
    for url in [
        reverse("clients:erasure_list"),
        reverse("clients:erasure_detail", args=[erasure.pk]),
    ]:
        assert as_user(manager).get(url).status_code == 200, url
        for user in [counsellor, *(request.getfixturevalue(p) for p in PERSONAS)]:
            assert as_user(user).get(url).status_code == 404, (user, url)
        anonymous = HttpClient().get(url)
        assert anonymous.status_code == 302
        assert anonymous["Location"].startswith("/accounts/login/")
    data = {"decision": "approve", "reason": "Asked"}
    url = reverse("clients:erasure_detail", args=[erasure.pk])
    assert as_user(counsellor).post(url, data).status_code == 404
    erasure.refresh_from_db()
    assert erasure.is_open


def test_a_second_open_request_is_refused(
    closed: Client, erasure: ErasureRequest, manager: User
) -> None:
    with on(WITHIN), pytest.raises(client_services.ClientError, match="already waiting"):
        client_services.record_erasure_request(
            closed, by=manager, received_on=WITHIN, channel="letter"
        )


# -- deciding ----------------------------------------------------------------------------------


def test_a_refusal_within_the_retention_period_cites_the_exemption(
    erasure: ErasureRequest, manager: User, as_user: Callable[[User], HttpClient]
) -> None:
    url = reverse("clients:erasure_detail", args=[erasure.pk])
    with on(WITHIN):
        browser = as_user(manager)
        page = browser.get(url).content.decode()
        assert "Within the retention period until 15 March 2028" in page
        no_exemption = browser.post(url, {"decision": "refuse", "reason": "Policy"})
        assert "Name the exemption" in no_exemption.content.decode()
        erasure.refresh_from_db()
        assert erasure.is_open
        done = browser.post(
            url, {"decision": "refuse", "exemption": "retention_period", "reason": "Policy"}
        )
        assert done.status_code == 302
        shown = browser.get(url).content.decode()
    erasure.refresh_from_db()
    assert (erasure.status, erasure.exemption, erasure.decided_by) == (
        "refused",
        "retention_period",
        manager,
    )
    assert "records kept for" not in shown  # the wording is the policy's, below
    assert "Records are kept for 7 years after counselling ends" in shown
    assert "UK GDPR Art. 17(3)(b)/(e)" in shown
    assert Client.objects.filter(pk=erasure.client_id).exists()
    event = AuditEvent.objects.get(action="erasure.refused")
    assert event.data == {"exemption": "retention_period"}


def test_a_refusal_needs_an_exemption_and_an_approval_none(
    erasure: ErasureRequest, manager: User
) -> None:
    with pytest.raises(client_services.ClientError, match="exemption"):
        client_services.decide_erasure(erasure, by=manager, approve=False, reason="No")
    with pytest.raises(client_services.ClientError, match="only when refusing"):
        client_services.decide_erasure(
            erasure, by=manager, approve=True, reason="Yes", exemption="legal_claims"
        )
    erasure.refresh_from_db()
    assert erasure.is_open


def test_only_a_manager_decides_and_only_once(
    erasure: ErasureRequest, counsellor: User, manager: User
) -> None:
    with pytest.raises(client_services.ClientError, match="service manager"):
        client_services.decide_erasure(erasure, by=counsellor, approve=True, reason="Yes")
    client_services.decide_erasure(
        erasure, by=manager, approve=False, reason="No", exemption="legal_claims"
    )
    with pytest.raises(client_services.ClientError, match="already been decided"):
        client_services.decide_erasure(erasure, by=manager, approve=True, reason="Yes")


def test_erasure_of_a_case_still_open_is_not_approved(
    client_record: Client, counsellor: User, manager: User
) -> None:
    erasure = client_services.record_erasure_request(
        client_record, by=counsellor, received_on=client_record.opened_on, channel="in_person"
    )
    with pytest.raises(client_services.ClientError, match="counselling has ended"):
        client_services.decide_erasure(erasure, by=manager, approve=True, reason="Asked")
    assert not DestructionRecord.objects.exists()


def test_an_approved_erasure_is_carried_out_by_the_next_run(
    erasure: ErasureRequest, manager: User, as_user: Callable[[User], HttpClient]
) -> None:
    client = erasure.client
    url = reverse("clients:erasure_detail", args=[erasure.pk])
    with on(WITHIN):
        response = as_user(manager).post(
            url, {"decision": "approve", "reason": "Client asked; nothing needs keeping"}
        )
        assert response.status_code == 302
        erasure.refresh_from_db()
        assert erasure.status == "approved"
        assert Client.objects.filter(pk=client.pk).exists()  # not until the run
        output = run()
        assert run().count("Destroyed") == 0  # a second run has nothing left to do
        page = as_user(manager).get(url).content.decode()
    assert f"Destroyed: case {client.reference}" in output
    assert not Client.objects.filter(pk=client.pk).exists()
    assert not DataKey.objects.filter(owner=client.pk).exists()
    erasure.refresh_from_db()
    assert (erasure.status, erasure.client, erasure.client_reference) == (
        "carried_out",
        None,
        client.reference,
    )
    record = DestructionRecord.objects.get(kind="case")
    assert (record.rule, record.erasure, record.status) == ("erasure", erasure, "complete")
    assert "records destroyed" in page and "Tamsin" not in page
