"""Contracting and consent in a real browser: a new client's first factual note is refused
until contracting is recorded; then a signed record-keeping consent is uploaded, a consent to
share with a named recipient is recorded and withdrawn."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from consent.models import ConsentEvent, Contracting, Scope
from notes.models import SessionNote
from practice.accounts.models import Role
from tests.browser.conftest import follow, sign_in
from tests.conftest import make_client, make_user
from tests.consent.conftest import PDF, restore_first_documents

pytestmark = pytest.mark.browser

RECIPIENT = "Dr Okafor, Elmfield Surgery"


def record_signed_consent(page: Any, signed_form: Path) -> None:
    """Fill the evidence and capacity parts of the consent form and submit it."""
    page.get_by_label("A consent form the client signed on paper (upload it)").check()
    page.get_by_label("The signed form").set_input_files(str(signed_form))
    page.get_by_label("Has capacity to consent to this now").check()
    follow(page, page.get_by_role("button", name="Record consent"))
    page.wait_for_url(re.compile(r"/consent/[0-9a-f-]{36}/$"))


def test_consent_journey(page: Any, tmp_path: Path) -> None:
    restore_first_documents()  # an earlier transactional test may have emptied the tables
    counsellor = make_user("casey", Role.COUNSELLOR, supervisor=make_user("suki", Role.SUPERVISOR))
    client = make_client(counsellor, contracted=False, given_name="Wren", family_name="Aldous")
    signed_form = tmp_path / "signed-consent.pdf"
    signed_form.write_bytes(PDF)
    sign_in(page, counsellor)
    page.wait_for_url(re.compile(r"/counsellor/$"))

    # The first factual note is refused, with the reason and the way forward.
    page.goto(f"/notes/client/{client.reference}/new/?kind=factual")
    assert "Record contracting first" in page.content()
    page.locator("#id_entries-0-text").fill("Talked about the move to a new flat.")
    follow(page, page.get_by_role("button", name="Save as draft"))
    assert "Record contracting first" in page.content()
    assert not SessionNote.objects.exists()

    follow(page, page.get_by_role("link", name="Record contracting"))
    page.wait_for_url(re.compile(rf"/consent/client/{client.reference}/contracting/$"))
    page.get_by_label("On paper").check()
    for point in (
        "The limits of confidentiality, including the legal exceptions",
        "That the work is discussed in supervision",
        "Where and how notes are kept, and for how long",
        "The client's right to see their records",
    ):
        page.get_by_label(point).check()
    follow(page, page.get_by_role("button", name="Record contracting"))
    page.wait_for_url(re.compile(rf"/consent/client/{client.reference}/$"))
    assert Contracting.objects.filter(client=client, counsellor=counsellor).exists()

    # A signed record-keeping consent, uploaded.
    follow(page, page.get_by_role("link", name="Record consent (Keeping records)"))
    assert "What the client is agreeing to" in page.content()
    record_signed_consent(page, signed_form)
    kept = ConsentEvent.objects.get(scope=Scope.RECORD_KEEPING)
    assert bytes(kept.evidence_file) == PDF

    # Consent to share with a named recipient, then withdrawn.
    page.goto(f"/consent/client/{client.reference}/")
    follow(
        page,
        page.get_by_role(
            "link", name="Record consent to share (Sharing information with a named recipient)"
        ),
    )
    page.get_by_label("Who the information may be shared with").fill(RECIPIENT)
    page.get_by_label("Why it is being shared").fill("To arrange a referral for sleep problems")
    page.get_by_label("What may be shared").fill("Dates of sessions attended")
    record_signed_consent(page, signed_form)
    assert RECIPIENT in page.content()

    follow(page, page.get_by_role("link", name="Withdraw this consent"))
    assert "What withdrawing means" in page.content()
    page.get_by_label("They wrote to say so, by letter or e-mail").check()
    follow(page, page.get_by_role("button", name="Withdraw consent"))
    page.wait_for_url(re.compile(rf"/consent/client/{client.reference}/$"))

    keeping = page.locator('tr[data-scope="record_keeping"] td').first
    sharing = page.locator('tr[data-scope="disclosure"] td').first
    assert keeping.inner_text().strip() == "Given"
    assert sharing.inner_text().strip() == "Withdrawn"
    shared = ConsentEvent.objects.get(scope=Scope.DISCLOSURE, action="granted")
    assert shared.withdrawal_event() is not None
