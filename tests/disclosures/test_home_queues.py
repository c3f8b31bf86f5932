"""Home pages tell people what is waiting for them."""

from __future__ import annotations

import pytest
from django.utils import timezone

from clients import services as client_services
from consent import services as consent_services
from disclosures import services
from tests.disclosures.conftest import disclosure_consent, upload

pytestmark = pytest.mark.django_db


def test_a_withdrawn_consent_is_shown_to_the_disclosures_owner(
    counsellor, supervisor, manager, client_record, entries, as_user
) -> None:
    req = services.raise_request(
        by=counsellor,
        client=client_record,
        category_code="client_request",
        requester_kind="client",
        requester="The client",
        recipient="Dr Patel, GP",
        purpose="Continuity of care",
        asked_for="A summary",
        received_on=timezone.localdate(),
        documents=[("release_form", upload())],
    )
    consent = disclosure_consent(counsellor, client_record)
    services.choose_content(req, by=counsellor, entry_ids=[entries[0].pk])
    services.clear_consent(req, by=counsellor, outcome="consented", consent=consent)
    services.sign_off(req, by=supervisor)
    services.approve(req, by=manager)
    home = as_user(counsellor).get("/counsellor/").content.decode()
    assert "can no longer be released" not in home
    consent_services.withdraw(consent, by=counsellor, evidence="verbal")
    home = as_user(counsellor).get("/counsellor/").content.decode()
    assert "can no longer be released" in home and req.reference in home


def test_an_emergency_release_is_flagged_for_supervisor_and_manager(
    counsellor, supervisor, manager, client_record, entries, as_user
) -> None:
    req = services.raise_request(
        by=counsellor,
        client=client_record,
        category_code="serious_harm",
        requester_kind="practice",
        requester="Practice",
        recipient="Ambulance service",
        purpose="Immediate risk to life",
        asked_for="Risk information",
        received_on=timezone.localdate(),
    )
    services.choose_content(req, by=counsellor, entry_ids=[entries[0].pk])
    services.emergency_release(req, by=counsellor, reason="Client said they would act tonight")
    for user, home in ((supervisor, "/supervisor/"), (manager, "/manager/")):
        page = as_user(user).get(home).content.decode()
        assert "Emergency releases to review" in page and req.reference in page
    services.review_emergency(req, by=supervisor, reason="Right call")
    services.review_emergency(req, by=manager, reason="Agreed")
    page = as_user(manager).get("/manager/").content.decode()
    assert "Emergency releases to review" not in page


def _emergency(counsellor, client_record, entries):
    req = services.raise_request(
        by=counsellor,
        client=client_record,
        category_code="child_safeguarding",
        requester_kind="practice",
        requester="Practice",
        recipient="Children's social care",
        purpose="A child at immediate risk",
        asked_for="Risk information",
        received_on=timezone.localdate(),
    )
    services.choose_content(req, by=counsellor, entry_ids=[entries[0].pk])
    return req


def test_an_emergency_release_without_a_consent_step_is_not_told_to_the_client(
    counsellor, client_record, entries, mailoutbox, django_capture_on_commit_callbacks
) -> None:
    from disclosures.models import RegisterEntry

    client_services.update_identity(  # someone to e-mail, were they to be told
        client_record.identity, by=counsellor, changes={"email": "client@example.org"}
    )
    req = _emergency(counsellor, client_record, entries)
    with django_capture_on_commit_callbacks(execute=True):
        services.emergency_release(req, by=counsellor, reason="Risk tonight")
    req.refresh_from_db()
    assert not req.notify_client and req.no_notify_reason
    assert mailoutbox == []
    assert not RegisterEntry.objects.visible_to_client().filter(request=req).exists()


def test_an_emergency_release_after_consent_is_told_to_the_client(
    counsellor, client_record, entries
) -> None:
    from disclosures.models import RegisterEntry

    req = _emergency(counsellor, client_record, entries)
    consent = disclosure_consent(counsellor, client_record, recipient=req.recipient)
    services.record_consultation(
        req, by=counsellor, gate="supervisor_consulted", reason="Agreed to share"
    )
    services.clear_consent(req, by=counsellor, outcome="consented", consent=consent)
    services.emergency_release(req, by=counsellor, reason="Risk tonight")
    req.refresh_from_db()
    assert req.notify_client
    assert RegisterEntry.objects.visible_to_client().filter(request=req).exists()
