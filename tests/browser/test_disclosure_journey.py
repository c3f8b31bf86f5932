"""A court order in a real browser: the counsellor raises it with the order attached and
chooses one of two entries, records the consent step (not required: a court order), the
supervisor signs it off, a manager approves it, the counsellor releases it and downloads the
PDF, whose SHA-256 is the register's and whose text holds the chosen entry only."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from disclosures.models import DisclosureRequest, RegisterEntry, Status
from notes import services as note_services
from notes.services import EntryInput
from practice.accounts.models import Role
from tests.browser.conftest import follow, sign_in, sign_in_again, sign_out
from tests.conftest import make_client, make_user
from tests.consent.conftest import restore_first_documents

pytestmark = pytest.mark.browser

ORDER = b"%PDF-1.7\n% the court order itself\n"
CHOSEN = "Spoke about the accident and how it affected sleep."
LEFT_OUT = "Talked about a new relationship at work."


def test_a_court_order_from_request_to_released_pdf(page: Any, tmp_path: Path) -> None:
    restore_first_documents()  # an earlier transactional test may have emptied the tables
    supervisor = make_user("suki", Role.SUPERVISOR)
    counsellor = make_user("casey", Role.COUNSELLOR, supervisor=supervisor)
    manager = make_user("max", Role.MANAGER)
    client = make_client(counsellor, given_name="Wren", family_name="Aldous")
    note = note_services.create_note(
        by=counsellor,
        kind="factual",
        client=client,
        session_date=timezone.localdate(),
        duration_minutes=50,
        attendance="attended",
        entries=[EntryInput(text=CHOSEN), EntryInput(text=LEFT_OUT)],
    )
    note_services.sign_note(note, by=counsellor)

    # The counsellor raises the request, with the order attached.
    sign_in(page, counsellor)
    page.wait_for_url(re.compile(r"/counsellor/$"))
    page.goto(f"/disclosures/new/?client={client.reference}")
    page.get_by_label("Court order or witness summons", exact=True).check()
    page.get_by_label("Who asked", exact=True).select_option("court")
    page.get_by_label("Name and organisation of who asked").fill("County Court at Exampleton")
    page.get_by_label("Who will receive it").fill("County Court at Exampleton")
    page.get_by_label("Purpose").fill("Family proceedings")
    page.get_by_label("What is asked for").fill("Notes of the sessions about the accident")
    page.locator("#id_document").set_input_files(
        {"name": "order.pdf", "mimeType": "application/pdf", "buffer": ORDER}
    )
    page.locator("#id_document_kind").select_option("court_order")
    follow(page, page.get_by_role("button", name="Raise the request"))
    page.wait_for_url(re.compile(r"/disclosures/[0-9a-f-]{36}/$"))
    req = DisclosureRequest.objects.get()
    detail = f"/disclosures/{req.pk}/"
    assert bytes(req.documents.get().content) == ORDER
    assert "Aldous" not in page.content()

    # ... chooses one of the two entries ...
    follow(page, page.get_by_role("link", name="Choose what would be released"))
    assert "A report is advised" in page.content()
    entries = {e.text: e for e in note.entries.all()}
    page.locator(f"#entry-{entries[CHOSEN].pk}").check()
    follow(page, page.get_by_role("button", name="Save what would be released"))
    page.wait_for_url(re.compile(rf"{detail}$"))
    assert CHOSEN in page.content() and LEFT_OUT not in page.content()

    # ... and records the consent step: not required for a court order.
    page.get_by_label("Consent not required (legal obligation)").check()
    page.locator("#id_consent-reason").fill("The order itself was served on the practice")
    follow(page, page.get_by_role("button", name="Record the consent step"))
    page.wait_for_url(re.compile(rf"{detail}$"))
    req.refresh_from_db()
    assert req.status == Status.CONSENT_CLEARED
    sign_out(page)

    # The supervisor signs it off, seeing the case by reference only.
    sign_in(page, supervisor)
    page.wait_for_url(re.compile(r"/supervisor/$"))
    page.goto("/disclosures/")
    follow(page, page.get_by_role("link", name=req.reference).first)
    assert client.reference in page.content() and "Aldous" not in page.content()
    follow(page, page.get_by_role("button", name="Sign off"))
    page.wait_for_url(re.compile(rf"{detail}$"))
    req.refresh_from_db()
    assert req.status == Status.SIGNED_OFF
    sign_out(page)

    # A manager approves it.
    sign_in(page, manager)
    page.wait_for_url(re.compile(r"/manager/$"))
    page.goto(detail)
    follow(page, page.get_by_role("button", name="Approve"))
    page.wait_for_url(re.compile(rf"{detail}$"))
    req.refresh_from_db()
    assert req.status == Status.APPROVED
    sign_out(page)

    # The counsellor releases it and downloads the PDF.
    sign_in_again(page, counsellor)
    page.wait_for_url(re.compile(r"/counsellor/$"))
    page.goto(detail)
    follow(page, page.get_by_role("button", name="Release", exact=True))
    page.wait_for_url(re.compile(rf"{detail}$"))
    req.refresh_from_db()
    assert req.status == Status.RELEASED
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the released PDF").click()
    download = download_info.value
    assert download.suggested_filename == f"{req.reference}.pdf"
    saved = tmp_path / "released.pdf"
    download.save_as(saved)
    content = saved.read_bytes()
    register = RegisterEntry.objects.get(request=req)
    assert hashlib.sha256(content).hexdigest() == register.sha256

    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext (poppler-utils) is needed to read the released PDF")
    text = subprocess.run(
        ["pdftotext", str(saved), "-"], capture_output=True, check=True, timeout=60
    ).stdout.decode()
    text = " ".join(text.split())
    assert CHOSEN in text and LEFT_OUT not in text
    assert "Aldous" not in text
