"""A service manager's retention and audit work in a real browser: places a legal hold on one
closed case and sees it kept; approves destruction of another; after the retention run the
destruction register shows the tombstone; lifts the hold; reviews the audit trail (by client,
the highlights) and records a periodic review, after which the home page stops asking."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.utils import timezone

from clients import access as client_access
from clients.models import Client, DestructionRecord, LegalHold
from practice.accounts.models import Role
from practice.audit.models import AuditReview
from tests.browser.conftest import follow, sign_in
from tests.clients.retention_helpers import closed_client, run
from tests.conftest import make_user
from tests.consent.conftest import restore_first_documents

pytestmark = pytest.mark.browser


def test_a_manager_destroys_a_due_case_holds_another_and_reviews_the_audit_trail(
    page: Any,
) -> None:
    restore_first_documents()
    counsellor = make_user("casey", Role.COUNSELLOR)
    manager = make_user("max", Role.MANAGER)
    long_ago = timezone.localdate() - datetime.timedelta(days=365 * 8 + 10)
    ended = long_ago + datetime.timedelta(days=120)
    due = closed_client(
        counsellor, opened=long_ago, ended=ended, given_name="Ada", family_name="Due"
    )
    held = closed_client(
        counsellor, opened=long_ago, ended=ended, given_name="Hal", family_name="Held"
    )
    # Something for the highlights: a colleague breaks the glass on the held case.
    colleague = make_user("cole", Role.COUNSELLOR)
    from clients import services as client_services

    client_services.break_glass(held, by=colleague, reason="Covering an urgent call")
    client_access.identity_for(colleague, held)

    sign_in(page, manager)
    page.wait_for_url(re.compile(r"/manager/$"))
    home = page.content()
    assert "Retention and destruction" in home
    assert "Periodic review" in home or "review" in home.lower()

    # A legal hold on one case, with a reason.
    page.goto(f"/clients/{held.reference}/")
    follow(page, page.get_by_role("link", name="Place a legal hold"))
    page.get_by_label("Reason").fill("Complaint received by letter; keep everything")
    follow(page, page.get_by_role("button", name="Place the legal hold"))
    page.wait_for_url(re.compile(rf"/clients/{held.reference}/$"))
    hold = LegalHold.objects.get(client=held, lifted_at__isnull=True)

    # The retention page offers only the case without a hold, and says why the other stays.
    page.goto("/clients/retention/")
    overview = page.content()
    assert "Kept because of a legal hold" in overview and held.reference in overview
    page.get_by_label(re.compile(due.reference)).check()
    assert page.get_by_label(re.compile(held.reference)).count() == 0
    page.get_by_label("Reason for the destruction").fill("Seven-year retention period ended")
    page.get_by_label(re.compile("I understand")).check()
    follow(page, page.get_by_role("button", name="Approve destruction of the chosen cases"))
    assert due.reference in page.content()  # waiting for the next run

    # The nightly run destroys it; the held case survives.
    output = run()
    assert due.reference in output
    assert not Client.objects.filter(pk=due.pk).exists()
    assert Client.objects.filter(pk=held.pk).exists()
    page.goto("/clients/retention/register/")
    register = page.content()
    assert due.reference in register and "Ada" not in register
    tombstone = DestructionRecord.objects.get(subject_reference=due.reference)
    assert tombstone.status == DestructionRecord.Status.COMPLETE

    # The hold is lifted, with a reason.
    page.goto(f"/clients/legal-holds/{hold.pk}/lift/")
    page.get_by_label("Reason").fill("Complaint resolved and closed")
    follow(page, page.get_by_role("button", name="Lift the legal hold"))
    hold.refresh_from_db()
    assert hold.lifted_at is not None and hold.lifted_by == manager

    # The audit trail: one client's events, and the highlights.
    page.goto("/audit/")
    page.get_by_role("heading", name="Is the trail intact?").wait_for()
    page.goto("/audit/events/")
    page.get_by_label("Client reference").fill(held.reference)
    follow(page, page.get_by_role("button", name="Filter"))
    events = page.content()
    assert "legal_hold.placed" in events and "legal_hold.lifted" in events
    assert "access.break_glass" in events
    assert "Hal" not in events and "Covering an urgent call" not in events
    page.goto("/audit/highlights/")
    highlights = page.content()
    assert "Break-glass" in highlights or "break-glass" in highlights.lower()

    # A periodic review is recorded; the home page then shows the next one months ahead.
    page.goto("/audit/reviews/new/")
    today = timezone.localdate()
    page.get_by_label("Period reviewed: from").fill(
        (today - datetime.timedelta(days=90)).isoformat()
    )
    page.get_by_label("Period reviewed: to").fill(today.isoformat())
    page.get_by_label("What was looked at").fill("Break-glass use, exports, lockouts")
    page.get_by_label("Findings").fill("One break-glass use, reviewed and justified")
    page.get_by_label("Actions taken or agreed").fill("None needed")
    follow(page, page.get_by_role("button", name="Record the review"))
    review = AuditReview.objects.get()
    assert review.reviewed_by == manager
    page.goto("/manager/")
    assert review.next_due.strftime("%Y") in page.content()
