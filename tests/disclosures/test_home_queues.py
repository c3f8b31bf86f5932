"""Home pages tell people what is waiting for them."""

from __future__ import annotations

import pytest
from django.utils import timezone

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
