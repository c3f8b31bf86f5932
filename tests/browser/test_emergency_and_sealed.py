"""In a real browser: an emergency serious-harm release reviewed afterwards by the supervisor
and a manager, and a sealed terrorism disclosure that a colleague cannot find."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.utils import timezone

from disclosures import services
from disclosures.models import DisclosureRequest, RegisterEntry, Status
from notes import services as note_services
from notes.services import EntryInput
from practice.accounts.models import Role
from tests.browser.conftest import follow, sign_in, sign_in_again, sign_out
from tests.conftest import make_client, make_user
from tests.consent.conftest import restore_first_documents

pytestmark = pytest.mark.browser


def signed_entry(counsellor: Any, client: Any, text: str) -> Any:
    note = note_services.create_note(
        by=counsellor,
        kind="factual",
        client=client,
        session_date=timezone.localdate(),
        duration_minutes=50,
        attendance="attended",
        entries=[EntryInput(text=text)],
    )
    note_services.sign_note(note, by=counsellor)
    return note.entries.get()


def test_emergency_release_then_reviews_and_a_sealed_request_stays_hidden(page: Any) -> None:
    restore_first_documents()
    supervisor = make_user("suki", Role.SUPERVISOR)
    counsellor = make_user("casey", Role.COUNSELLOR, supervisor=supervisor)
    colleague = make_user("cole", Role.COUNSELLOR)
    manager = make_user("max", Role.MANAGER)
    client = make_client(counsellor, given_name="Wren", family_name="Aldous")
    entry = signed_entry(counsellor, client, "Said they had a plan to end their life tonight.")

    # Serious harm: raised and chosen through the services, released through the page.
    req = services.raise_request(
        by=counsellor,
        client=client,
        category_code="serious_harm",
        requester_kind="practice",
        requester="The practice",
        recipient="Ambulance service",
        purpose="Immediate risk to life",
        asked_for="What the client said about their plan",
        received_on=timezone.localdate(),
    )
    services.choose_content(req, by=counsellor, entry_ids=[entry.pk])
    detail = f"/disclosures/{req.pk}/"
    sign_in(page, counsellor)
    page.wait_for_url(re.compile(r"/counsellor/$"))
    page.goto(detail)
    page.locator("#id_emergency-reason").fill("Risk to life tonight; supervisor unreachable")
    follow(page, page.get_by_role("button", name="Release now (emergency)"))
    page.wait_for_url(re.compile(rf"{detail}$"))
    req.refresh_from_db()
    assert req.status == Status.RELEASED and req.is_emergency
    assert RegisterEntry.objects.filter(request=req, emergency=True).exists()
    sign_out(page)

    # The supervisor and a manager see it flagged on their home pages and review it.
    for person, home in ((supervisor, "/supervisor/"), (manager, "/manager/")):
        sign_in(page, person)
        page.wait_for_url(re.compile(rf"{home}$"))
        assert "Emergency releases to review" in page.content()
        follow(page, page.get_by_role("link", name=req.reference).first)
        page.locator("#id_review-reason").fill("The right call in the circumstances")
        follow(page, page.get_by_role("button", name="Record my review"))
        page.wait_for_url(re.compile(rf"{detail}$"))
        sign_out(page)
    assert services.reviews_due(DisclosureRequest.objects.get(pk=req.pk)) == []

    # A sealed terrorism disclosure: consent must not be sought, the client is never told,
    # and a colleague cannot even find it.
    sealed = services.raise_request(
        by=counsellor,
        client=client,
        category_code="terrorism",
        requester_kind="practice",
        requester="The practice",
        recipient="Counter Terrorism Policing",
        purpose="Terrorism Act 2000 s.38B",
        asked_for="Relevant information",
        received_on=timezone.localdate(),
    )
    sign_in_again(page, counsellor)
    page.wait_for_url(re.compile(r"/counsellor/$"))
    page.goto(f"/disclosures/{sealed.pk}/")
    assert "Sealed" in page.content()
    sign_out(page)
    sign_in(page, colleague)
    page.wait_for_url(re.compile(r"/counsellor/$"))
    response = page.goto(f"/disclosures/{sealed.pk}/")
    assert response is not None and response.status == 404
    page.goto("/disclosures/")
    assert sealed.reference not in page.content()
    assert not DisclosureRequest.objects.get(pk=sealed.pk).notify_client
    assert RegisterEntry.objects.visible_to_client().filter(request=sealed).count() == 0
