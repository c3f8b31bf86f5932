"""The note pages as the counsellor uses them: write, read, edit, sign, amend, versions."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from clients.models import Client, JointCase
from notes.models import MAX_NOTE_TEXT, NoteAmendment, NoteEntry, SessionNote
from practice.accounts.models import User
from practice.audit.models import AuditEvent
from tests.conftest import verified_client
from tests.notes.conftest import SECRET, SECRET_2, existing_rows, note_form_data, write_note

pytestmark = pytest.mark.django_db

ERROR_SUMMARY = "There is a problem"


def new_url(client: Client, kind: str = "factual") -> str:
    return reverse("notes:new", args=[client.reference]) + f"?kind={kind}"


def assert_no_text_in_audit(*texts: str) -> None:
    for event in AuditEvent.objects.all():
        flat = repr(event.data) + event.action + event.client_ref + event.target_id
        for text in texts:
            assert text not in flat


# -- writing ---------------------------------------------------------------------------------


def test_the_new_note_page_offers_empty_entry_rows(counsellor: User, client_record: Client) -> None:
    page = verified_client(counsellor).get(new_url(client_record))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'name="entries-TOTAL_FORMS" value="3"' in html
    assert "entries-2-text" in html
    # An individual client's entries are about that client: no "about" choice.
    assert "entries-0-about" not in html


def test_counsellor_writes_a_factual_note(counsellor: User, client_record: Client) -> None:
    data = note_form_data(
        [
            {"text": SECRET},
            {"text": "Letter says things", "provenance": "third_party", "third_party_source": "GP"},
        ]
    )
    response = verified_client(counsellor).post(new_url(client_record), data)
    note = SessionNote.objects.get()
    assert response.status_code == 302 and response["Location"] == note.get_absolute_url()
    assert SECRET not in response["Location"]
    assert (note.kind, note.status, note.author, note.client) == (
        "factual",
        "draft",
        counsellor,
        client_record,
    )
    # The third row was left empty and is ignored.
    assert [e.provenance for e in note.entries.all()] == ["counsellor", "third_party"]
    event = AuditEvent.objects.get(action="note.created")
    assert (event.target_id, event.client_ref) == (str(note.pk), client_record.reference)
    assert_no_text_in_audit(SECRET, "Letter says things", "GP")


def test_process_notes_are_kept_apart_from_factual_ones(
    counsellor: User, client_record: Client
) -> None:
    browser = verified_client(counsellor)
    browser.post(new_url(client_record, "process"), note_form_data([{"text": SECRET_2}]))
    write_note(counsellor, client=client_record, session_date=timezone.localdate())
    process = SessionNote.objects.get(kind="process")
    html = browser.get(reverse("notes:client", args=[client_record.reference])).content.decode()
    factual_part, process_part = html.split('id="process-title"')
    assert process.get_absolute_url() in process_part
    assert process.get_absolute_url() not in factual_part
    factual = SessionNote.objects.get(kind="factual")
    assert factual.get_absolute_url() in factual_part
    assert "Draft" in html
    # The list shows metadata only.
    assert SECRET not in html and SECRET_2 not in html


def test_an_unknown_kind_is_not_found(counsellor: User, client_record: Client) -> None:
    assert verified_client(counsellor).get(new_url(client_record, "diary")).status_code == 404


def test_the_list_is_newest_first_with_status_tags(counsellor: User, client_record: Client) -> None:
    today = timezone.localdate()
    old = write_note(
        counsellor, client=client_record, sign=True, session_date=today - datetime.timedelta(days=9)
    )
    new = write_note(counsellor, client=client_record, session_date=today)
    html = (
        verified_client(counsellor)
        .get(reverse("notes:client", args=[client_record.reference]))
        .content.decode()
    )
    assert html.index(new.get_absolute_url()) < html.index(old.get_absolute_url())
    assert "tag--amber" in html and "tag--green" in html


# -- bad input -------------------------------------------------------------------------------

BAD_INPUT = {
    "future-date": (
        lambda: note_form_data(session_date=timezone.localdate() + datetime.timedelta(days=1)),
        "cannot be in the future",
    ),
    "no-date": (lambda: note_form_data(session_date=""), "This field is required"),
    "zero-minutes": (lambda: note_form_data(duration=0), "greater than or equal to 1"),
    "too-many-minutes": (lambda: note_form_data(duration=601), "less than or equal to 600"),
    "no-entries": (lambda: note_form_data([]), "Write at least one entry"),
    "too-long": (
        lambda: note_form_data([{"text": "x" * (MAX_NOTE_TEXT + 1)}]),
        "at most 100000 characters",
    ),
    "too-long-in-all": (
        lambda: note_form_data([{"text": "x" * 60_000}, {"text": "y" * 60_000}]),
        "100,000 characters",
    ),
    "third-party-without-source": (
        lambda: note_form_data([{"text": SECRET, "provenance": "third_party"}]),
        "Say who the third-party information came from",
    ),
    "source-without-text": (
        lambda: note_form_data([{"text": SECRET}, {"third_party_source": "GP"}]),
        "Write the entry",
    ),
}


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_re_renders_with_an_error_summary_and_saves_nothing(
    counsellor: User, client_record: Client, case: str
) -> None:
    make_data, message = BAD_INPUT[case]
    response = verified_client(counsellor).post(new_url(client_record), make_data())
    html = response.content.decode()
    assert response.status_code == 200
    assert ERROR_SUMMARY in html
    assert message in html
    assert not SessionNote.objects.exists()
    assert not NoteEntry.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="note.").exists()


def test_the_error_summary_links_to_the_entry_field(
    counsellor: User, client_record: Client
) -> None:
    data = note_form_data([{"text": SECRET}, {"text": "x", "provenance": "third_party"}])
    html = verified_client(counsellor).post(new_url(client_record), data).content.decode()
    assert 'href="#id_entries-1-third_party_source"' in html
    assert "Entry 2" in html
    # What was typed is kept for the counsellor to correct.
    assert SECRET in html


def test_a_refusal_from_the_service_is_shown_as_an_error(
    counsellor: User, client_record: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from notes import services

    monkeypatch.setattr(
        services,
        "_FACTUAL_NOTE_PRECONDITIONS",
        [lambda c: services.Blocker("Record contracting first.", "/somewhere/", "Do it")],
    )
    response = verified_client(counsellor).post(new_url(client_record), note_form_data())
    assert response.status_code == 200
    html = response.content.decode()
    assert ERROR_SUMMARY in html and "Record contracting first." in html
    assert not SessionNote.objects.exists()


# -- reading ---------------------------------------------------------------------------------


def test_reading_a_note_shows_provenance_and_is_audited(
    counsellor: User, client_record: Client
) -> None:
    from notes.services import EntryInput

    note = write_note(
        counsellor,
        client=client_record,
        entries=[
            EntryInput(text=SECRET),
            EntryInput(text=SECRET_2, provenance="third_party", third_party_source="School nurse"),
        ],
    )
    page = verified_client(counsellor).get(note.get_absolute_url())
    html = page.content.decode()
    assert SECRET in html and SECRET_2 in html
    assert "Third-party information" in html and "School nurse" in html
    assert "note__entry--third-party" in html
    assert html.count("Third-party information") == 1
    event = AuditEvent.objects.get(action="note.viewed")
    assert event.target_kind == "notes.sessionnote" and event.target_id == str(note.pk)
    assert event.client_ref == client_record.reference
    assert event.data == {"via": "allocated", "view": "detail"}
    assert_no_text_in_audit(SECRET, SECRET_2, "School nurse")


def test_a_note_page_never_shows_the_clients_name(
    counsellor: User, client_record: Client, draft: SessionNote
) -> None:
    html = verified_client(counsellor).get(draft.get_absolute_url()).content.decode()
    assert client_record.reference in html
    assert "Jordan" not in html and "Fielding" not in html


# -- editing and signing ---------------------------------------------------------------------


def test_the_author_edits_a_draft(counsellor: User, draft: SessionNote) -> None:
    browser = verified_client(counsellor)
    edit = reverse("notes:edit", args=[draft.pk])
    page = browser.get(edit)
    assert SECRET in page.content.decode()
    assert AuditEvent.objects.get(action="note.viewed").data["view"] == "edit"
    rows = existing_rows(draft)
    rows[0]["text"] = SECRET_2
    response = browser.post(edit, note_form_data([*rows, {"text": "Added later"}], initial=1))
    assert response.status_code == 302
    assert [e.text for e in draft.entries.all()] == [SECRET_2, "Added later"]
    assert AuditEvent.objects.filter(action="note.updated").count() == 1


def test_an_entry_can_be_removed_from_a_draft(counsellor: User, client_record: Client) -> None:
    note = write_note(counsellor, client=client_record, texts=[SECRET, SECRET_2])
    rows = existing_rows(note)
    rows[0]["DELETE"] = True
    response = verified_client(counsellor).post(
        reverse("notes:edit", args=[note.pk]), note_form_data(rows, initial=2)
    )
    assert response.status_code == 302
    assert [e.text for e in note.entries.all()] == [SECRET_2]


def test_sign_asks_for_confirmation_then_signs(counsellor: User, draft: SessionNote) -> None:
    browser = verified_client(counsellor)
    sign = reverse("notes:sign", args=[draft.pk])
    page = browser.get(sign)
    assert page.status_code == 200 and "cannot be edited" in page.content.decode()
    draft.refresh_from_db()
    assert not draft.is_signed
    assert browser.post(sign).status_code == 302
    draft.refresh_from_db()
    assert draft.is_signed
    assert AuditEvent.objects.filter(action="note.signed", target_id=str(draft.pk)).exists()


def test_a_signed_note_cannot_be_edited_through_the_page(
    counsellor: User, signed: SessionNote
) -> None:
    browser = verified_client(counsellor)
    edit = reverse("notes:edit", args=[signed.pk])
    assert browser.get(edit)["Location"] == signed.get_absolute_url()
    rows = existing_rows(signed)
    rows[0]["text"] = "rewritten in place"
    response = browser.post(edit, note_form_data(rows, initial=1), follow=True)
    assert "cannot be edited" in response.content.decode()
    signed.refresh_from_db()
    assert signed.version == 1
    assert [e.text for e in signed.entries.all()] == [SECRET]
    assert not AuditEvent.objects.filter(action="note.updated").exists()


# -- amending and versions -------------------------------------------------------------------


def test_the_author_amends_a_signed_note_and_sees_its_versions(
    counsellor: User, signed: SessionNote
) -> None:
    browser = verified_client(counsellor)
    amend = reverse("notes:amend", args=[signed.pk])
    assert SECRET in browser.get(amend).content.decode()
    rows = existing_rows(signed)
    rows[0]["text"] = SECRET_2
    response = browser.post(
        amend, note_form_data(rows, initial=1, reason="Corrected after checking with the client")
    )
    assert response.status_code == 302
    signed.refresh_from_db()
    assert signed.version == 2
    assert NoteAmendment.objects.get().reason == "Corrected after checking with the client"
    detail = browser.get(signed.get_absolute_url()).content.decode()
    assert "Amended v2" in detail and SECRET_2 in detail and SECRET not in detail

    versions = browser.get(reverse("notes:versions", args=[signed.pk]))
    html = versions.content.decode()
    assert versions.status_code == 200
    assert SECRET in html and SECRET_2 in html
    assert html.index("Version 2") < html.index("Version 1")
    assert "Corrected after checking with the client" in html
    views = [e.data["view"] for e in AuditEvent.objects.filter(action="note.viewed")]
    assert views == ["amend", "detail", "versions"]
    assert AuditEvent.objects.filter(action="note.amended").get().data["version"] == 2
    assert_no_text_in_audit(SECRET, SECRET_2, "Corrected after")


def test_an_amendment_without_a_reason_re_renders_and_changes_nothing(
    counsellor: User, signed: SessionNote
) -> None:
    rows = existing_rows(signed)
    rows[0]["text"] = SECRET_2
    response = verified_client(counsellor).post(
        reverse("notes:amend", args=[signed.pk]), note_form_data(rows, initial=1, reason="")
    )
    html = response.content.decode()
    assert response.status_code == 200 and ERROR_SUMMARY in html
    assert "Reason for the amendment" in html
    signed.refresh_from_db()
    assert signed.version == 1
    assert [e.text for e in signed.entries.all()] == [SECRET]
    assert not NoteAmendment.objects.exists()


def test_an_amendment_that_changes_nothing_is_refused(
    counsellor: User, signed: SessionNote
) -> None:
    response = verified_client(counsellor).post(
        reverse("notes:amend", args=[signed.pk]),
        note_form_data(existing_rows(signed), initial=1, reason="typo"),
    )
    assert response.status_code == 200
    assert "Nothing was changed" in response.content.decode()
    signed.refresh_from_db()
    assert signed.version == 1


def test_a_draft_is_not_amended(counsellor: User, draft: SessionNote) -> None:
    response = verified_client(counsellor).get(reverse("notes:amend", args=[draft.pk]))
    assert response["Location"] == reverse("notes:edit", args=[draft.pk])


# -- couples and groups ----------------------------------------------------------------------


def joint_data(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return note_form_data(rows)


def test_joint_note_entries_are_about_a_member_or_the_couple(
    counsellor: User, joint_case: JointCase, client_record: Client, partner: Client
) -> None:
    browser = verified_client(counsellor)
    url = reverse("notes:joint_new", args=[joint_case.reference]) + "?kind=factual"
    form = browser.get(url).content.decode()
    assert client_record.reference in form and partner.reference in form
    assert "The whole couple" in form
    assert "Jordan" not in form and "Alexis" not in form
    response = browser.post(
        url,
        joint_data(
            [
                {"text": "First partner said", "about": client_record.reference},
                {"text": "Second partner said", "about": partner.reference},
                {"text": "Both agreed", "about": ""},
            ]
        ),
    )
    assert response.status_code == 302
    note = SessionNote.objects.get()
    assert (note.joint_case, note.client, note.key_owner) == (joint_case, None, joint_case.pk)
    first, second, both = note.entries.all()
    assert first.key_owner == client_record.pk
    assert second.key_owner == partner.pk
    assert both.about is None and both.key_owner == joint_case.pk

    html = browser.get(note.get_absolute_url()).content.decode()
    assert client_record.reference in html and partner.reference in html
    assert "The whole couple" in html
    for name in ("Jordan", "Fielding", "Alexis", "Partridge"):
        assert name not in html
    listing = browser.get(reverse("notes:joint", args=[joint_case.reference])).content.decode()
    assert note.get_absolute_url() in listing
    event = AuditEvent.objects.get(action="note.viewed")
    assert event.client_ref == joint_case.reference


def test_a_joint_entry_about_someone_outside_the_couple_is_refused(
    counsellor: User, joint_case: JointCase, other_client: Client
) -> None:
    url = reverse("notes:joint_new", args=[joint_case.reference])
    response = verified_client(counsellor).post(
        url, joint_data([{"text": "x", "about": other_client.reference}])
    )
    assert response.status_code == 200 and ERROR_SUMMARY in response.content.decode()
    assert not SessionNote.objects.exists()
