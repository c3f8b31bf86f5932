"""The consent pages as the counsellor and the service manager use them."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from clients.models import Client, JointCase
from consent import services
from consent.models import ConsentEvent, Contracting, DocumentVersion, Scope
from notes.models import SessionNote
from practice.accounts.models import User
from practice.audit.models import AuditEvent
from practice.uploads import MAX_UPLOAD_BYTES
from tests.conftest import verified_client
from tests.consent.conftest import (
    MATERIAL,
    PDF,
    PURPOSE,
    RECIPIENT,
    disclosure_form_data,
    give,
    grant_form_data,
    pdf_upload,
    raw_rows,
)
from tests.notes.conftest import note_form_data

pytestmark = pytest.mark.django_db

ERROR_SUMMARY = "There is a problem"
POINTS = ("explained_limits", "explained_supervision", "explained_storage", "explained_access")


def consent_url(client: Client) -> str:
    return reverse("consent:client", args=[client.reference])


def grant_url(client: Client, scope: str = Scope.RECORD_KEEPING) -> str:
    return reverse("consent:grant", args=[client.reference]) + f"?scope={scope}"


def contracting_data(client: Client, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "contracted_on": client.opened_on.isoformat(),
        "agreement": DocumentVersion.current(DocumentVersion.Kind.AGREEMENT).pk,  # type: ignore[union-attr]
        "privacy_notice": DocumentVersion.current(DocumentVersion.Kind.PRIVACY_NOTICE).pk,  # type: ignore[union-attr]
        "delivered": "paper",
        **dict.fromkeys(POINTS, "on"),
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def assert_no_content_in_audit(*texts: str) -> None:
    for event in AuditEvent.objects.all():
        flat = repr(event.data) + event.action + event.client_ref + event.target_id
        for text in texts:
            assert text not in flat, event.action


# -- the first factual note waits for contracting --------------------------------------------


def test_the_first_factual_note_waits_for_contracting(
    counsellor: User, uncontracted: Client
) -> None:
    browser = verified_client(counsellor)
    note_url = reverse("notes:new", args=[uncontracted.reference]) + "?kind=factual"
    page = browser.get(note_url).content.decode()
    assert "Record contracting first" in page
    link = f'href="/consent/client/{uncontracted.reference}/contracting/"'
    assert link in page

    response = browser.post(note_url, note_form_data())
    assert response.status_code == 200
    assert "Record contracting first" in response.content.decode()
    assert not SessionNote.objects.exists()

    # Follow the link, record contracting, and the note can be saved.
    assert browser.get(f"/consent/client/{uncontracted.reference}/contracting/").status_code == 200
    response = browser.post(
        reverse("consent:contracting", args=[uncontracted.reference]),
        contracting_data(uncontracted),
    )
    assert response.status_code == 302 and response["Location"] == consent_url(uncontracted)
    assert "Record contracting first" not in browser.get(note_url).content.decode()
    browser.post(note_url, note_form_data(session_date=uncontracted.opened_on))
    assert SessionNote.objects.filter(client=uncontracted).count() == 1


# -- the contracting form --------------------------------------------------------------------


def test_the_contracting_form_offers_the_current_published_versions(
    counsellor: User, manager: User, uncontracted: Client
) -> None:
    draft = services.draft_document(
        by=manager, kind="agreement", version="2-draft", title="Agreement", text="Not yet"
    )
    page = verified_client(counsellor).get(
        reverse("consent:contracting", args=[uncontracted.reference])
    )
    html = page.content.decode()
    current = DocumentVersion.current(DocumentVersion.Kind.AGREEMENT)
    assert current is not None
    assert f'<option value="{current.pk}" selected>' in html
    assert f'value="{draft.pk}"' not in html
    for point in POINTS:
        assert f'name="{point}"' in html


def test_recording_contracting(counsellor: User, uncontracted: Client) -> None:
    browser = verified_client(counsellor)
    response = browser.post(
        reverse("consent:contracting", args=[uncontracted.reference]),
        contracting_data(uncontracted, delivered="portal"),
    )
    assert response.status_code == 302
    contracting = Contracting.objects.get(client=uncontracted)
    assert (contracting.counsellor, contracting.delivered) == (counsellor, "portal")
    page = browser.get(consent_url(uncontracted)).content.decode()
    assert "In the client portal" in page and "Contracting has not been recorded" not in page
    assert AuditEvent.objects.filter(action="consent.contracting.recorded").count() == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"contracted_on": "tomorrow"},
            "cannot be in the future",
        ),
        ({"explained_limits": None}, "Explain this and tick it"),
        ({"explained_access": None}, "Explain this and tick it"),
        ({"delivered": None}, "Say how the client was given the documents"),
        ({"delivered": "pigeon"}, "Select a valid choice"),
        ({"contracted_on": "not a date"}, "Enter a valid date"),
    ],
)
def test_the_contracting_form_refuses_and_records_nothing(
    counsellor: User, uncontracted: Client, overrides: dict[str, Any], message: str
) -> None:
    if overrides.get("contracted_on") == "tomorrow":
        # Worked out when the test runs, not when it is collected (a run may cross midnight).
        tomorrow = timezone.localdate() + datetime.timedelta(days=1)
        overrides = {"contracted_on": tomorrow.isoformat()}
    response = verified_client(counsellor).post(
        reverse("consent:contracting", args=[uncontracted.reference]),
        contracting_data(uncontracted, **overrides),
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert ERROR_SUMMARY in html and message in html
    assert not Contracting.objects.filter(client=uncontracted).exists()


def test_the_contracting_form_refuses_an_unpublished_document(
    counsellor: User, manager: User, uncontracted: Client
) -> None:
    draft = services.draft_document(
        by=manager, kind="agreement", version="2", title="Agreement", text="Not yet"
    )
    notice = DocumentVersion.current(DocumentVersion.Kind.PRIVACY_NOTICE)
    assert notice is not None
    for field, value, message in [
        ("agreement", draft.pk, "Choose a published version of the agreement"),
        ("agreement", notice.pk, "Choose a published version of the agreement"),
        ("privacy_notice", draft.pk, "Choose a published version of the privacy notice"),
    ]:
        response = verified_client(counsellor).post(
            reverse("consent:contracting", args=[uncontracted.reference]),
            contracting_data(uncontracted, **{field: value}),
        )
        assert message in response.content.decode()
    assert not Contracting.objects.filter(client=uncontracted).exists()


# -- giving consent --------------------------------------------------------------------------


def test_without_a_scope_the_page_asks_which(counsellor: User, client_record: Client) -> None:
    page = verified_client(counsellor).get(reverse("consent:grant", args=[client_record.reference]))
    html = page.content.decode()
    for scope in Scope:
        assert f"?scope={scope.value}" in html


def test_an_unknown_scope_is_not_found(counsellor: User, client_record: Client) -> None:
    browser = verified_client(counsellor)
    assert browser.get(grant_url(client_record, "marketing")).status_code == 404
    assert browser.post(grant_url(client_record, "marketing"), grant_form_data()).status_code == 404


def test_the_form_explains_the_scope_and_asks_only_what_applies(
    counsellor: User, client_record: Client
) -> None:
    browser = verified_client(counsellor)
    html = browser.get(grant_url(client_record, Scope.SUPERVISION)).content.decode()
    assert "knows you only by a reference number" in html
    assert 'name="recipient"' not in html and 'name="minor_basis"' not in html
    assert 'enctype="multipart/form-data"' in html
    html = browser.get(grant_url(client_record, Scope.DISCLOSURE)).content.decode()
    for name in ("recipient", "purpose", "material", "valid_until", "capacity"):
        assert f'name="{name}"' in html
    # Staff pages never offer the client's own e-signature (that is the portal's).
    assert 'value="e_signature"' not in html


def test_uploading_a_signed_consent(counsellor: User, client_record: Client) -> None:
    browser = verified_client(counsellor)
    response = browser.post(grant_url(client_record), grant_form_data(evidence_file=pdf_upload()))
    grant = ConsentEvent.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("consent:detail", args=[grant.pk])
    assert (grant.scope, grant.evidence, grant.recorded_by) == (
        "record_keeping",
        "signed_form",
        counsellor,
    )
    assert (grant.capacity, grant.capacity_assessed_by) == ("has_capacity", counsellor)
    assert services.covers(client_record, Scope.RECORD_KEEPING)
    page = browser.get(consent_url(client_record)).content.decode()
    row = page.split('data-scope="record_keeping"')[1].split("</tr>")[0]
    assert "Given" in row


def test_the_upload_is_stored_encrypted_and_downloads_identical(
    counsellor: User, client_record: Client
) -> None:
    browser = verified_client(counsellor)
    browser.post(
        grant_url(client_record),
        grant_form_data(evidence_file=pdf_upload("Jordan Fielding consent.pdf")),
    )
    grant = ConsentEvent.objects.get()
    dump = raw_rows(ConsentEvent._meta.db_table)
    assert PDF not in dump and b"7f3a9c21e5" not in dump and b"Fielding" not in dump

    response = browser.get(reverse("consent:evidence", args=[grant.pk]))
    assert response.status_code == 200
    assert response.content == PDF
    assert response["Content-Type"] == "application/pdf"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    # The uploaded file's name may carry the client's name: it is not sent back in a header.
    assert "Fielding" not in disposition and client_record.reference in disposition
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(action="consent.evidence.downloaded")
    assert (event.target_id, event.actor_id, event.client_ref) == (
        str(grant.pk),
        counsellor.pk,
        client_record.reference,
    )


def test_evidence_is_not_found_for_others_or_when_there_is_none(
    counsellor: User,
    colleague: User,
    supervisor: User,
    manager: User,
    client_record: Client,
) -> None:
    grant = give(client_record, counsellor)
    url = reverse("consent:evidence", args=[grant.pk])
    for user in (colleague, supervisor, manager):
        assert verified_client(user).get(url).status_code == 404
    verbal = give(
        client_record,
        counsellor,
        Scope.TRAINING,
        evidence=ConsentEvent.Evidence.VERBAL_WITNESSED,
        upload=None,
        witness=colleague,
    )
    browser = verified_client(counsellor)
    assert browser.get(reverse("consent:evidence", args=[verbal.pk])).status_code == 404
    assert not AuditEvent.objects.filter(action="consent.evidence.downloaded").exists()


@pytest.mark.parametrize(
    ("name", "content", "content_type", "message"),
    [
        (
            "consent.pdf",
            b"MZ\x90\x00\x03\x00 an executable, renamed",
            "application/pdf",
            "PDF, PNG",
        ),
        ("consent.pdf", b"<html><script>alert(1)</script></html>", "application/pdf", "PDF, PNG"),
        ("consent.png", b"GIF89a\x01\x00", "image/png", "PDF, PNG"),
        ("consent.pdf", b"", "application/pdf", "empty"),
        (
            "consent.pdf",
            b"%PDF-1.4\n" + b"0" * MAX_UPLOAD_BYTES,
            "application/pdf",
            "larger than 10 MB",
        ),
    ],
)
def test_the_upload_form_refuses_anything_but_a_pdf_png_or_jpeg(
    counsellor: User,
    client_record: Client,
    name: str,
    content: bytes,
    content_type: str,
    message: str,
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(name, content, content_type=content_type)
    response = verified_client(counsellor).post(
        grant_url(client_record), grant_form_data(evidence_file=upload)
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert ERROR_SUMMARY in html
    assert message in html or "The submitted file is empty" in html
    assert not ConsentEvent.objects.exists()
    assert not AuditEvent.objects.filter(action="consent.granted").exists()


def test_a_signed_form_consent_needs_the_file(counsellor: User, client_record: Client) -> None:
    response = verified_client(counsellor).post(grant_url(client_record), grant_form_data())
    assert "Upload the signed form" in response.content.decode()
    assert not ConsentEvent.objects.exists()


def test_urgent_verbal_consent_needs_a_witness_who_is_someone_else(
    counsellor: User, colleague: User, client_record: Client
) -> None:
    browser = verified_client(counsellor)
    verbal = grant_form_data(evidence=ConsentEvent.Evidence.VERBAL_WITNESSED, urgent="on")
    html = browser.post(grant_url(client_record), verbal).content.decode()
    assert "Choose the member of staff who witnessed it" in html
    html = browser.post(grant_url(client_record), {**verbal, "witness": counsellor.pk})
    assert "Select a valid choice" in html.content.decode()
    no_urgency = {**verbal, "witness": colleague.pk}
    del no_urgency["urgent"]
    html = browser.post(grant_url(client_record), no_urgency).content.decode()
    assert "Verbal consent is only for urgent cases" in html
    assert not ConsentEvent.objects.exists()

    response = browser.post(grant_url(client_record), {**verbal, "witness": colleague.pk})
    assert response.status_code == 302
    grant = ConsentEvent.objects.get()
    assert (grant.evidence, grant.witness, grant.evidence_file) == (
        "verbal_witnessed",
        colleague,
        None,
    )
    page = browser.get(reverse("consent:detail", args=[grant.pk])).content.decode()
    assert "Urgent: verbal, witnessed" in page and colleague.get_full_name() in page


@pytest.mark.parametrize("missing", ["recipient", "purpose", "material", "capacity"])
def test_a_disclosure_consent_needs_recipient_purpose_material_and_capacity(
    counsellor: User, client_record: Client, missing: str
) -> None:
    data = disclosure_form_data(evidence_file=pdf_upload())
    del data[missing]
    response = verified_client(counsellor).post(grant_url(client_record, Scope.DISCLOSURE), data)
    assert ERROR_SUMMARY in response.content.decode()
    assert not ConsentEvent.objects.exists()


def test_recording_a_disclosure_consent(counsellor: User, client_record: Client) -> None:
    browser = verified_client(counsellor)
    until = timezone.localdate() + datetime.timedelta(days=30)
    response = browser.post(
        grant_url(client_record, Scope.DISCLOSURE),
        disclosure_form_data(evidence_file=pdf_upload(), valid_until=until.isoformat()),
    )
    assert response.status_code == 302
    grant = ConsentEvent.objects.get()
    assert (grant.recipient, grant.purpose, grant.material, grant.valid_until) == (
        RECIPIENT,
        PURPOSE,
        MATERIAL,
        until,
    )
    assert services.covers(client_record, Scope.DISCLOSURE, recipient=RECIPIENT, purpose=PURPOSE)
    page = browser.get(reverse("consent:detail", args=[grant.pk])).content.decode()
    assert RECIPIENT in page and PURPOSE in page and MATERIAL in page
    # What the consent names never reaches the URL or the audit trail.
    assert RECIPIENT not in response["Location"]
    assert_no_content_in_audit(RECIPIENT, PURPOSE, MATERIAL, "signed-consent.pdf")


def test_a_client_who_lacks_capacity_cannot_be_recorded_as_consenting(
    counsellor: User, client_record: Client
) -> None:
    response = verified_client(counsellor).post(
        grant_url(client_record, Scope.DISCLOSURE),
        disclosure_form_data(
            evidence_file=pdf_upload(), capacity=ConsentEvent.Capacity.LACKS_CAPACITY
        ),
    )
    assert "cannot make this decision now cannot give consent" in response.content.decode()
    assert not ConsentEvent.objects.exists()


def test_an_end_date_in_the_past_is_refused(counsellor: User, client_record: Client) -> None:
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    response = verified_client(counsellor).post(
        grant_url(client_record),
        grant_form_data(evidence_file=pdf_upload(), valid_until=yesterday.isoformat()),
    )
    assert "The end date is already past" in response.content.decode()
    assert not ConsentEvent.objects.exists()


def test_a_young_persons_consent_says_how_they_consented(counsellor: User, minor: Client) -> None:
    browser = verified_client(counsellor)
    url = grant_url(minor, Scope.SUPERVISION)
    assert 'name="minor_basis"' in browser.get(url).content.decode()
    html = browser.post(url, grant_form_data(evidence_file=pdf_upload())).content.decode()
    assert "Say how a client under 18 consented" in html
    html = browser.post(
        url, grant_form_data(evidence_file=pdf_upload(), minor_basis="parental")
    ).content.decode()
    assert "Name the person with parental responsibility" in html
    assert not ConsentEvent.objects.exists()

    response = browser.post(
        url,
        grant_form_data(
            evidence_file=pdf_upload(), minor_basis="parental", parental_consent_by="Pat Young"
        ),
    )
    assert response.status_code == 302
    grant = ConsentEvent.objects.get()
    assert (grant.minor_basis, grant.parental_consent_by) == ("parental", "Pat Young")
    response = browser.post(
        grant_url(minor, Scope.TRAINING),
        grant_form_data(
            evidence_file=pdf_upload(), minor_basis="competent", parental_consent_by="Ignored"
        ),
    )
    competent = ConsentEvent.objects.get(scope=Scope.TRAINING)
    assert (competent.minor_basis, competent.parental_consent_by) == ("competent", "")
    assert services.covers(minor, Scope.TRAINING)


# -- withdrawing -----------------------------------------------------------------------------


def test_the_withdrawal_page_explains_what_withdrawing_means(
    counsellor: User, client_record: Client
) -> None:
    grant = give(client_record, counsellor, Scope.DISCLOSURE)
    html = (
        verified_client(counsellor)
        .get(reverse("consent:withdraw", args=[grant.pk]))
        .content.decode()
    )
    assert "What withdrawing means" in html
    assert "nothing more is shared with this recipient" in html
    assert "takes effect as soon as it is recorded" in html
    assert RECIPIENT in html
    assert ConsentEvent.objects.count() == 1  # GET changes nothing


def test_withdrawing_a_consent(counsellor: User, client_record: Client) -> None:
    browser = verified_client(counsellor)
    grant = give(client_record, counsellor, Scope.DISCLOSURE)
    url = reverse("consent:withdraw", args=[grant.pk])
    html = browser.post(url, {}).content.decode()
    assert "Say how the client withdrew their consent" in html
    assert ConsentEvent.objects.count() == 1

    response = browser.post(url, {"evidence": ConsentEvent.Evidence.WRITTEN})
    assert response.status_code == 302 and response["Location"] == consent_url(client_record)
    withdrawal = ConsentEvent.objects.get(action="withdrawn")
    assert (withdrawal.withdraws, withdrawal.evidence) == (grant, "written")
    assert not services.covers(client_record, Scope.DISCLOSURE, recipient=RECIPIENT)
    page = browser.get(consent_url(client_record)).content.decode()
    row = page.split('data-scope="disclosure"')[1].split("</tr>")[0]
    assert "Withdrawn" in row and "Given</strong>" not in row.split("<td>")[1]

    # A second attempt changes nothing and says why.
    response = browser.post(url, {"evidence": ConsentEvent.Evidence.VERBAL}, follow=True)
    assert "already been withdrawn" in response.content.decode()
    assert ConsentEvent.objects.count() == 2
    detail = browser.get(reverse("consent:detail", args=[grant.pk])).content.decode()
    assert reverse("consent:withdraw", args=[grant.pk]) not in detail


def test_a_withdrawal_event_cannot_itself_be_withdrawn(
    counsellor: User, client_record: Client
) -> None:
    grant = give(client_record, counsellor)
    withdrawal = services.withdraw(grant, by=counsellor, evidence=ConsentEvent.Evidence.VERBAL)
    response = verified_client(counsellor).post(
        reverse("consent:withdraw", args=[withdrawal.pk]), {"evidence": "verbal"}
    )
    assert response.status_code == 302
    assert ConsentEvent.objects.count() == 2


# -- the consent page ------------------------------------------------------------------------


def test_the_consent_page_shows_every_scope_and_the_history(
    counsellor: User, colleague: User, client_record: Client
) -> None:
    give(client_record, counsellor, Scope.RECORD_KEEPING)
    shared = give(client_record, counsellor, Scope.DISCLOSURE)
    services.withdraw(shared, by=counsellor, evidence=ConsentEvent.Evidence.VERBAL)
    html = verified_client(counsellor).get(consent_url(client_record)).content.decode()
    for scope in Scope:
        assert f'data-scope="{scope.value}"' in html
    history = html.split('id="history-title"')[1]
    assert history.count("<li>") == 3
    assert "Record contracting again" in html


def test_in_a_couple_each_partners_page_shows_only_their_own_consent(
    counsellor: User, client_record: Client, partner: Client, couple: JointCase
) -> None:
    browser = verified_client(counsellor)
    browser.post(
        grant_url(client_record, Scope.DISCLOSURE),
        disclosure_form_data(evidence_file=pdf_upload()),
    )
    assert ConsentEvent.objects.get().client == client_record
    html = browser.get(consent_url(partner)).content.decode()
    assert "Their consent covers only themselves" in html
    assert RECIPIENT not in html
    row = html.split('data-scope="disclosure"')[1].split("</tr>")[0]
    assert "Not given" in row
    assert not services.covers(partner, Scope.DISCLOSURE, recipient=RECIPIENT)


def test_the_consent_page_says_when_contracting_is_missing(
    counsellor: User, uncontracted: Client
) -> None:
    html = verified_client(counsellor).get(consent_url(uncontracted)).content.decode()
    assert "Contracting has not been recorded" in html
    assert reverse("consent:contracting", args=[uncontracted.reference]) in html


def test_reading_consent_is_audited_without_its_content(
    counsellor: User, client_record: Client
) -> None:
    grant = give(client_record, counsellor, Scope.DISCLOSURE)
    browser = verified_client(counsellor)
    browser.get(consent_url(client_record))
    browser.get(reverse("consent:detail", args=[grant.pk]))
    viewed = list(AuditEvent.objects.filter(action="consent.viewed").order_by("seq"))
    assert [(e.target_kind, e.target_id, e.data) for e in viewed] == [
        ("clients.client", str(client_record.pk), {"via": "allocated", "view": "client"}),
        ("consent.consentevent", str(grant.pk), {"via": "allocated", "view": "detail"}),
    ]
    assert all(e.actor_id == counsellor.pk for e in viewed)
    assert_no_content_in_audit(RECIPIENT, PURPOSE, MATERIAL)


# -- the agreement and the privacy notice ----------------------------------------------------


def test_a_manager_writes_and_publishes_a_new_version(manager: User) -> None:
    browser = verified_client(manager)
    listing = browser.get(reverse("consent:documents")).content.decode()
    assert "Confidentiality agreement" in listing and "Privacy notice" in listing
    assert "Current" in listing

    response = browser.post(
        reverse("consent:document_new"),
        {"kind": "agreement", "version": "2", "title": "Our agreement", "text": "New words."},
    )
    draft = DocumentVersion.objects.get(kind="agreement", version="2")
    assert response["Location"] == reverse("consent:document", args=[draft.pk])
    page = browser.get(response["Location"]).content.decode()
    assert "Draft" in page and reverse("consent:document_publish", args=[draft.pk]) in page
    assert "Draft" in browser.get(reverse("consent:documents")).content.decode()

    response = browser.post(reverse("consent:document_publish", args=[draft.pk]))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.published_by == manager and draft.published_at is not None
    assert DocumentVersion.current(DocumentVersion.Kind.AGREEMENT) == draft
    assert {e.action for e in AuditEvent.objects.filter(target_id=str(draft.pk))} == {
        "consent.document.drafted",
        "consent.document.published",
    }
    # Publishing again changes nothing and says why.
    again = browser.post(reverse("consent:document_publish", args=[draft.pk]), follow=True)
    assert "already published" in again.content.decode()


def test_a_new_version_can_start_from_an_existing_one(manager: User) -> None:
    current = DocumentVersion.current(DocumentVersion.Kind.PRIVACY_NOTICE)
    assert current is not None
    html = (
        verified_client(manager)
        .get(reverse("consent:document_new") + f"?from={current.pk}")
        .content.decode()
    )
    assert "Information Commissioner" in html


def test_a_version_number_is_not_reused(manager: User) -> None:
    response = verified_client(manager).post(
        reverse("consent:document_new"),
        {"kind": "agreement", "version": "1", "title": "Again", "text": "Words"},
    )
    assert "already used" in response.content.decode()
    assert DocumentVersion.objects.filter(kind="agreement").count() == 1


def test_counsellors_read_published_versions_but_not_drafts(
    counsellor: User, manager: User
) -> None:
    current = DocumentVersion.current(DocumentVersion.Kind.AGREEMENT)
    assert current is not None
    draft = services.draft_document(by=manager, kind="agreement", version="2", title="A", text="B")
    browser = verified_client(counsellor)
    page = browser.get(reverse("consent:document", args=[current.pk]))
    assert page.status_code == 200 and "What you say in counselling" in page.content.decode()
    assert reverse("consent:document_publish", args=[current.pk]) not in page.content.decode()
    assert browser.get(reverse("consent:document", args=[draft.pk])).status_code == 404
