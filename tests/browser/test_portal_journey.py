"""The client portal in a real browser: a manager invites a client; the client accepts,
enrols an authenticator and asks for their records; the counsellor prepares the bundle and a
manager reviews and releases it; the client reads it in the portal and downloads the PDF.
The bundle holds the client's process notes and not the third-party entry, nor any trace of
a sealed disclosure made about them earlier."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from disclosures import services
from disclosures.models import RegisterEntry, SubjectAccessRequest
from notes import services as note_services
from notes.services import EntryInput
from practice.accounts.models import Role, User
from tests.browser.conftest import follow, sign_in, sign_in_again, sign_out
from tests.conftest import PASSWORD, make_client, make_user
from tests.consent.conftest import restore_first_documents

pytestmark = pytest.mark.browser

FACTUAL = "Talked about starting the new job and sleeping better."
PROCESS = "PROCESS: I noticed my own wish to rescue them today."
THIRD_PARTY = "Their brother says the debts are much larger than they admit."
SEALED_RECIPIENT = "Regional Counter Terrorism Unit"
SEALED_PURPOSE = "Information under section 38B"
CLIENT_USERNAME = "kestrel-portal"


def _code(device: TOTPDevice, at: float | None = None) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = at if at is not None else time.time()
    return f"{totp.token():06d}"


def _seed() -> dict[str, Any]:
    restore_first_documents()
    supervisor = make_user("suki", Role.SUPERVISOR)
    counsellor = make_user("casey", Role.COUNSELLOR, supervisor=supervisor)
    manager = make_user("max", Role.MANAGER)
    sealing_manager = make_user("mia", Role.MANAGER)
    client = make_client(counsellor, given_name="Kit", family_name="Marlowe")
    factual = note_services.create_note(
        by=counsellor,
        kind="factual",
        client=client,
        session_date=timezone.localdate(),
        duration_minutes=50,
        attendance="attended",
        entries=[
            EntryInput(text=FACTUAL),
            EntryInput(text=THIRD_PARTY, provenance="third_party", third_party_source="Brother"),
        ],
    )
    note_services.sign_note(factual, by=counsellor)
    note_services.create_note(
        by=counsellor,
        kind="process",
        client=client,
        session_date=timezone.localdate(),
        duration_minutes=50,
        attendance="attended",
        entries=[EntryInput(text=PROCESS)],
    )
    sealed = services.raise_request(
        by=counsellor,
        client=client,
        category_code="terrorism",
        requester_kind="practice",
        requester="Practice",
        recipient=SEALED_RECIPIENT,
        purpose=SEALED_PURPOSE,
        asked_for="Relevant notes",
        received_on=timezone.localdate(),
    )
    services.choose_content(sealed, by=counsellor, entry_ids=[factual.entries.first().pk])
    services.clear_consent(sealed, by=counsellor, outcome="must_not_seek")
    services.sign_off(sealed, by=supervisor)
    services.approve(sealed, by=sealing_manager)
    services.release(sealed, by=sealing_manager)
    return {"counsellor": counsellor, "manager": manager, "client": client, "sealed": sealed}


def _assert_nothing_sealed(text: str, sealed: Any) -> None:
    for secret in (SEALED_RECIPIENT, SEALED_PURPOSE, sealed.reference, "errorism", "38B"):
        assert secret not in text, f"{secret!r} shown to the client"


def test_a_client_is_invited_asks_for_their_records_and_reads_them(
    page: Any, tmp_path: Path
) -> None:
    world = _seed()
    client, sealed = world["client"], world["sealed"]

    # A manager invites the client from the client's page and copies the link.
    sign_in(page, world["manager"])
    page.wait_for_url(re.compile(r"/manager/$"))
    page.goto(f"/clients/{client.reference}/")
    follow(page, page.get_by_role("button", name="Invite to the portal"))
    link = page.locator("#invitation-link").input_value()
    assert "/portal/invitation/" in link
    sign_out(page)

    # The client opens the link: the secret leaves the address bar; they create the account.
    page.goto(link)
    page.wait_for_url(re.compile(r"/portal/invitation/$"))
    page.get_by_label("Choose a username").fill(CLIENT_USERNAME)
    page.get_by_label("Choose a password").fill(PASSWORD)
    page.get_by_label("Type the password again").fill(PASSWORD)
    follow(page, page.get_by_role("button", name="Create my account"))

    # Second factor: an authenticator app (the page offers e-mail codes as well).
    page.wait_for_url(re.compile(r"/accounts/enrol/$"))
    user = User.objects.get(username=CLIENT_USERNAME)
    assert user.is_client_account and user.client_account.client == client
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    page.get_by_label("Code from your authenticator app").fill(_code(device))
    follow(page, page.get_by_role("button", name="Confirm and continue"))
    page.get_by_role("heading", name="Your backup codes").wait_for()
    follow(page, page.get_by_role("link", name=re.compile("continue", re.IGNORECASE)))
    page.wait_for_url(re.compile(r"/portal/$"))
    home = page.content()
    assert "Casey" in home  # their counsellor's first name
    _assert_nothing_sealed(home, sealed)

    # They ask for their records.
    page.goto("/portal/requests/")
    follow(page, page.get_by_role("button", name="Ask for my records"))
    sar = SubjectAccessRequest.objects.get(client=client)
    assert sar.channel == "portal"
    page.get_by_text(sar.reference).first.wait_for()
    due = sar.due_on()
    assert f"{due.day} {due:%B %Y}" in page.content()
    _assert_nothing_sealed(page.content(), sealed)
    page.goto("/portal/shared/")
    _assert_nothing_sealed(page.content(), sealed)
    sign_out(page)

    # The counsellor prepares the bundle and keeps the proposed content.
    sign_in_again(page, world["counsellor"])
    page.goto(f"/disclosures/subject-access/{sar.pk}/")
    follow(page, page.get_by_role("button", name="Prepare the bundle"))
    follow(page, page.get_by_role("link", name="Choose what is in the bundle"))
    follow(page, page.get_by_role("button", name="Save what is in the bundle"))
    sign_out(page)

    # A manager reviews what is in and what is out (without note text) and releases it.
    sign_in_again(page, world["manager"])
    page.goto(f"/disclosures/subject-access/{sar.pk}/review/")
    review = page.content()
    assert PROCESS not in review and THIRD_PARTY not in review
    assert "Brother" in review  # the third-party entry left out, and where it came from
    assert "sealed disclosure about this client is left out" in review
    page.get_by_label(re.compile("I have checked what is in the bundle")).check()
    follow(page, page.get_by_role("button", name="Release to the client"))
    page.wait_for_url(re.compile(rf"/disclosures/subject-access/{sar.pk}/$"))
    sar.refresh_from_db()
    assert sar.status == SubjectAccessRequest.Status.RELEASED
    sign_out(page)

    # The client reads the bundle in the portal and downloads the PDF.
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(CLIENT_USERNAME)
    page.get_by_label("Password").fill(PASSWORD)
    follow(page, page.get_by_role("button", name="Continue"))
    device.refresh_from_db()
    page.get_by_label("Code").fill(_code(device, at=time.time() + 30))
    follow(page, page.get_by_role("button", name="Sign in"))
    page.wait_for_url(re.compile(r"/portal/$"))
    page.goto("/portal/records/")
    follow(page, page.get_by_role("link", name=re.compile("Your records, sent on")).first)
    record = page.content()
    assert PROCESS in record and FACTUAL in record
    assert THIRD_PARTY not in record
    assert "Information Commissioner" in record
    _assert_nothing_sealed(record, sealed)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download as a PDF").click()
    target = tmp_path / "bundle.pdf"
    download_info.value.save_as(target)
    content = target.read_bytes()
    register = RegisterEntry.objects.get(request=sar.bundle)
    assert hashlib.sha256(content).hexdigest() == register.sha256
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", str(target), "-"], capture_output=True, text=True, check=True
        ).stdout
        flat = " ".join(text.split())
        assert "PROCESS: I noticed" in flat and "debts" not in flat
        _assert_nothing_sealed(flat, sealed)
