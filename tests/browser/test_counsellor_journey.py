"""A counsellor's day in a real browser: sign in, register a client, write and sign notes of
both kinds, amend a signed note, record supervision."""

from __future__ import annotations

import re
from typing import Any

import pytest

from clients.models import Client
from notes.models import NoteAmendment, SessionNote, SupervisionSession
from practice.accounts.models import Role
from tests.browser.conftest import follow, sign_in
from tests.conftest import make_user, record_contracting

pytestmark = pytest.mark.browser


def write_note(page: Any, reference: str, kind: str, text: str) -> None:
    page.goto(f"/notes/client/{reference}/new/?kind={kind}")
    page.locator("#id_entries-0-text").fill(text)
    follow(page, page.get_by_role("button", name="Save as draft"))


def test_counsellor_journey(page: Any) -> None:
    supervisor = make_user("suki", Role.SUPERVISOR)
    counsellor = make_user("casey", Role.COUNSELLOR, supervisor=supervisor)
    sign_in(page, counsellor)
    page.wait_for_url(re.compile(r"/counsellor/$"))

    follow(page, page.get_by_role("link", name="Register a client").first)
    page.get_by_label("First name").fill("Wren")
    page.get_by_label("Last name").fill("Aldous")
    page.get_by_label("Date of birth").fill("1987-02-14")
    follow(page, page.get_by_role("button", name="Register client"))
    page.wait_for_url(re.compile(r"/clients/C-[A-Z0-9]{4}/$"))
    client = Client.objects.get()
    assert "Wren Aldous" in page.content()
    # Contracting comes before the first factual note; its own journey is in
    # test_consent_journey.py, so here it is recorded directly.
    record_contracting(client, by=counsellor)

    write_note(page, client.reference, "factual", "Talked about the move to a new flat.")
    page.wait_for_url(re.compile(r"/notes/[0-9a-f-]{36}/$"))
    factual = SessionNote.objects.get(kind="factual")
    page.goto(f"/notes/{factual.pk}/sign/")
    follow(page, page.get_by_role("button", name=re.compile("Sign")).last)
    factual.refresh_from_db()
    assert factual.is_signed

    write_note(page, client.reference, "process", "I felt hurried; take to supervision.")
    assert SessionNote.objects.filter(kind="process").exists()

    page.goto(f"/notes/{factual.pk}/amend/")
    page.locator("#id_entries-0-text").fill("Talked about the move to a new flat and a new job.")
    page.get_by_label(re.compile("Reason")).fill("Added what was missed")
    follow(page, page.get_by_role("button", name="Save the amendment"))
    page.wait_for_url(re.compile(rf"/notes/{factual.pk}/$"))
    factual.refresh_from_db()
    assert factual.version == 2 and NoteAmendment.objects.filter(note=factual).exists()
    assert "new job" in page.content()

    page.goto("/notes/supervision/")
    page.get_by_label(re.compile("Date")).first.fill(factual.session_date.isoformat())
    page.get_by_label(client.reference).check()
    follow(page, page.get_by_role("button", name=re.compile("Record")).first)
    assert SupervisionSession.objects.filter(counsellor=counsellor, cases=client).exists()

    # and the supervisor sees the case by reference, never the name
    follow(page, page.get_by_role("button", name="Sign out"))
    sign_in(page, supervisor)
    page.wait_for_url(re.compile(r"/supervisor/$"))
    body = page.content()
    assert client.reference in body and "Aldous" not in body
