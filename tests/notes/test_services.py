"""The verbs that change notes: rules, versions, history, encryption and audit."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from clients.models import Client, JointCase
from notes import services
from notes.models import MAX_NOTE_TEXT, NoteAmendment, NoteEntry, SessionNote
from notes.services import EntryInput, NoteError
from practice.accounts.models import User
from practice.audit.models import AuditEvent
from tests.notes.conftest import SECRET, SECRET_2, write_note, yesterday

pytestmark = pytest.mark.django_db

THIRD = NoteEntry.Provenance.THIRD_PARTY


def session(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "session_date": yesterday(),
        "duration_minutes": 50,
        "attendance": SessionNote.Attendance.ATTENDED,
    }
    return {**values, **overrides}


def unchanged(note: SessionNote) -> list[EntryInput]:
    return [
        EntryInput(
            text=e.text,
            provenance=e.provenance,
            third_party_source=e.third_party_source,
            about=e.about,
            entry_id=e.pk,
        )
        for e in note.entries.all()
    ]


def raw_column_bytes(table: str) -> bytes:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
        chunks = []
        for row in cursor.fetchall():
            for value in row:
                if isinstance(value, bytes | memoryview | bytearray):
                    chunks.append(bytes(value))
                else:
                    chunks.append(str(value).encode())
    return b"\x1e".join(chunks)


# -- writing ---------------------------------------------------------------------------------


def test_counsellor_writes_a_draft_with_entries_of_each_provenance(
    counsellor: User, client_record: Client
) -> None:
    note = write_note(
        counsellor,
        client=client_record,
        entries=[
            EntryInput(text=SECRET),
            EntryInput(text=SECRET_2, provenance=NoteEntry.Provenance.CLIENT),
            EntryInput(text="GP reports new medication", provenance=THIRD, third_party_source="GP"),
        ],
    )
    note.refresh_from_db()
    assert (note.status, note.version, note.author) == ("draft", 1, counsellor)
    assert note.key_owner == client_record.pk
    entries = list(note.entries.all())
    assert [e.text for e in entries] == [SECRET, SECRET_2, "GP reports new medication"]
    assert [e.provenance for e in entries] == ["counsellor", "client", "third_party"]
    assert entries[2].third_party_source == "GP"
    # An individual client's entries are about that client, under the client's key.
    assert all(e.about == client_record and e.key_owner == client_record.pk for e in entries)


def test_note_text_is_stored_only_as_ciphertext(counsellor: User, client_record: Client) -> None:
    note = write_note(counsellor, client=client_record, sign=True)
    services.amend_note(
        note,
        by=counsellor,
        reason="Corrected the reason for the amendment here",
        entries=[EntryInput(text=SECRET_2)],
        **session(),
    )
    for model in (NoteEntry, NoteEntry.history.model, NoteAmendment):
        dump = raw_column_bytes(model._meta.db_table)
        assert SECRET.encode() not in dump
        assert SECRET_2.encode() not in dump
        assert b"Corrected the reason" not in dump


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"session_date": "tomorrow"}, "future"),
        ({"duration_minutes": 0}, "between 1 and 600"),
        ({"duration_minutes": 601}, "between 1 and 600"),
        ({"attendance": "maybe"}, "attended"),
    ],
)
def test_bad_session_details_are_refused(
    counsellor: User, client_record: Client, overrides: dict[str, Any], message: str
) -> None:
    if overrides.get("session_date") == "tomorrow":
        # Worked out when the test runs, not when it is collected (a run may cross midnight).
        overrides = {"session_date": timezone.localdate() + datetime.timedelta(days=1)}
    with pytest.raises(NoteError, match=message):
        services.create_note(
            by=counsellor,
            kind="factual",
            client=client_record,
            entries=[EntryInput(text=SECRET)],
            **session(**overrides),
        )
    assert not SessionNote.objects.exists()


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([], "at least one entry"),
        ([EntryInput(text="   ")], "at least one entry"),
        ([EntryInput(text=SECRET), EntryInput(text="")], "no text"),
        ([EntryInput(text=SECRET, provenance=THIRD)], "third-party"),
        ([EntryInput(text=SECRET, provenance=THIRD, third_party_source="  ")], "third-party"),
        ([EntryInput(text=SECRET, provenance="rumour")], "came from"),
        ([EntryInput(text="x" * (MAX_NOTE_TEXT + 1))], "100,000"),
        ([EntryInput(text="x" * 60_000), EntryInput(text="y" * 60_000)], "100,000"),
    ],
    ids=[
        "none",
        "blank",
        "one-empty",
        "third-party-no-source",
        "third-party-blank-source",
        "bad-provenance",
        "too-long",
        "too-long-in-all",
    ],
)
def test_bad_entries_are_refused_and_nothing_is_stored(
    counsellor: User, client_record: Client, entries: list[EntryInput], message: str
) -> None:
    with pytest.raises(NoteError, match=message):
        services.create_note(
            by=counsellor, kind="factual", client=client_record, entries=entries, **session()
        )
    assert not SessionNote.objects.exists()
    assert not NoteEntry.objects.exists()
    assert not AuditEvent.objects.filter(action="note.created").exists()


def test_a_note_of_exactly_the_limit_is_accepted(counsellor: User, client_record: Client) -> None:
    note = write_note(counsellor, client=client_record, texts=["x" * MAX_NOTE_TEXT])
    assert len(note.entries.get().text) == MAX_NOTE_TEXT


def test_only_the_allocated_counsellor_writes_notes(
    colleague: User, supervisor: User, manager: User, client_record: Client
) -> None:
    for user in (colleague, supervisor, manager):
        with pytest.raises(NoteError):
            write_note(user, client=client_record)
    assert not SessionNote.objects.exists()


def test_the_contracting_seam_can_refuse_a_factual_note(
    counsellor: User, client_record: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[Client] = []

    def blocker(client: Client) -> services.Blocker | None:
        asked.append(client)
        return services.Blocker("Record contracting with this client before the first note.")

    monkeypatch.setattr(services, "_FACTUAL_NOTE_PRECONDITIONS", [blocker])
    with pytest.raises(NoteError, match="Record contracting"):
        write_note(counsellor, client=client_record)
    assert asked == [client_record]
    assert not SessionNote.objects.exists()
    # The seam is about the factual record: process notes are not held up by it.
    write_note(counsellor, client=client_record, kind=SessionNote.Kind.PROCESS)


def test_with_no_precondition_registered_nothing_blocks(
    client_record: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "_FACTUAL_NOTE_PRECONDITIONS", [])
    assert services.factual_note_blocker(client_record) is None


# -- editing, signing, amending --------------------------------------------------------------


def test_a_draft_can_be_edited_and_entries_added_and_removed(
    counsellor: User, draft: SessionNote
) -> None:
    [first] = draft.entries.all()
    services.update_note(
        draft,
        by=counsellor,
        entries=[
            EntryInput(text="", entry_id=first.pk, remove=True),
            EntryInput(text=SECRET_2, provenance=NoteEntry.Provenance.CLIENT),
        ],
        **session(duration_minutes=60),
    )
    draft.refresh_from_db()
    assert draft.duration_minutes == 60
    assert [e.text for e in draft.entries.all()] == [SECRET_2]
    assert draft.version == 1
    assert AuditEvent.objects.filter(action="note.updated", target_id=str(draft.pk)).exists()


def test_editing_cannot_remove_every_entry(counsellor: User, draft: SessionNote) -> None:
    [first] = draft.entries.all()
    with pytest.raises(NoteError, match="at least one entry"):
        services.update_note(
            draft,
            by=counsellor,
            entries=[EntryInput(text="", entry_id=first.pk, remove=True)],
            **session(),
        )
    assert draft.entries.count() == 1


def test_an_entry_of_another_note_cannot_be_changed(
    counsellor: User, client_record: Client, draft: SessionNote
) -> None:
    other = write_note(counsellor, client=client_record, texts=[SECRET_2])
    [foreign] = other.entries.all()
    with pytest.raises(NoteError, match="does not belong"):
        services.update_note(
            draft, by=counsellor, entries=[EntryInput(text="x", entry_id=foreign.pk)], **session()
        )
    assert other.entries.get().text == SECRET_2


def test_signing_locks_the_note(counsellor: User, draft: SessionNote) -> None:
    services.sign_note(draft, by=counsellor)
    draft.refresh_from_db()
    assert draft.is_signed and draft.signed_at is not None
    with pytest.raises(NoteError, match="signed"):
        services.update_note(
            draft, by=counsellor, entries=[EntryInput(text="changed")], **session()
        )
    with pytest.raises(NoteError, match="already signed"):
        services.sign_note(draft, by=counsellor)
    assert [e.text for e in draft.entries.all()] == [SECRET]


def test_only_the_author_changes_a_note(
    counsellor: User, colleague: User, draft: SessionNote, client_record: Client
) -> None:
    with pytest.raises(NoteError):
        services.sign_note(draft, by=colleague)
    with pytest.raises(NoteError):
        services.update_note(draft, by=colleague, entries=[EntryInput(text="x")], **session())
    draft.refresh_from_db()
    assert not draft.is_signed


def test_amending_makes_a_new_version_with_the_reason(
    counsellor: User, signed: SessionNote
) -> None:
    [entry] = signed.entries.all()
    services.amend_note(
        signed,
        by=counsellor,
        reason="Misheard the relationship; corrected",
        entries=[EntryInput(text=SECRET_2, entry_id=entry.pk)],
        **session(),
    )
    signed.refresh_from_db()
    assert signed.version == 2 and signed.is_signed
    assert signed.entries.get().text == SECRET_2
    amendment = signed.amendments.get()
    assert (amendment.version, amendment.amended_by) == (2, counsellor)
    assert amendment.reason == "Misheard the relationship; corrected"
    # Every version of the entry is kept, as ciphertext that still decrypts.
    texts = [h.text for h in NoteEntry.history.filter(id=entry.pk).order_by("history_date")]
    assert texts == [SECRET, SECRET_2]
    assert [h.version for h in signed.history.order_by("history_date")] == [1, 1, 2]


@pytest.mark.parametrize("reason", ["", "   "])
def test_an_amendment_needs_a_reason(counsellor: User, signed: SessionNote, reason: str) -> None:
    with pytest.raises(NoteError, match="reason"):
        services.amend_note(
            signed, by=counsellor, reason=reason, entries=[EntryInput(text=SECRET_2)], **session()
        )
    signed.refresh_from_db()
    assert signed.version == 1
    assert [e.text for e in signed.entries.all()] == [SECRET]
    assert not NoteAmendment.objects.exists()


def test_an_amendment_must_change_something(counsellor: User, signed: SessionNote) -> None:
    with pytest.raises(NoteError, match="Nothing was changed"):
        services.amend_note(
            signed, by=counsellor, reason="no change", entries=unchanged(signed), **session()
        )
    signed.refresh_from_db()
    assert signed.version == 1
    assert not NoteAmendment.objects.exists()


def test_a_draft_is_edited_not_amended(counsellor: User, draft: SessionNote) -> None:
    with pytest.raises(NoteError, match="draft"):
        services.amend_note(
            draft, by=counsellor, reason="why", entries=[EntryInput(text="x")], **session()
        )


def test_versions_rebuild_every_version_from_history(counsellor: User, signed: SessionNote) -> None:
    [entry] = signed.entries.all()
    services.amend_note(
        signed,
        by=counsellor,
        reason="first amendment",
        entries=[
            EntryInput(text=SECRET_2, entry_id=entry.pk),
            EntryInput(text="Letter from GP", provenance=THIRD, third_party_source="GP"),
        ],
        **session(),
    )
    signed.refresh_from_db()
    gp = signed.entries.get(provenance=THIRD)
    services.amend_note(
        signed,
        by=counsellor,
        reason="second amendment",
        entries=[EntryInput(text="", entry_id=gp.pk, remove=True)],
        **session(duration_minutes=40),
    )
    signed.refresh_from_db()
    versions = services.note_versions(signed)
    assert [v.version for v in versions] == [3, 2, 1]
    assert [[e.text for e in v.entries] for v in versions] == [
        [SECRET_2],
        [SECRET_2, "Letter from GP"],
        [SECRET],
    ]
    assert [v.reason for v in versions] == ["second amendment", "first amendment", ""]
    assert [v.duration_minutes for v in versions] == [40, 50, 50]
    assert versions[1].entries[1].is_third_party
    assert versions[1].entries[1].third_party_source == "GP"


def test_history_change_reasons_hold_no_note_text(counsellor: User, signed: SessionNote) -> None:
    [entry] = signed.entries.all()
    services.amend_note(
        signed,
        by=counsellor,
        reason="Reason with words " + SECRET_2,
        entries=[EntryInput(text=SECRET_2, entry_id=entry.pk)],
        **session(),
    )
    reasons = list(SessionNote.history.values_list("history_change_reason", flat=True)) + list(
        NoteEntry.history.values_list("history_change_reason", flat=True)
    )
    assert reasons and all(reasons)
    for reason in reasons:
        assert SECRET not in reason and SECRET_2 not in reason and "Reason with" not in reason
    assert set(SessionNote.history.values_list("history_change_reason", flat=True)) == {
        "created",
        "signed",
        "amended to v2",
    }


# -- audit -----------------------------------------------------------------------------------


def test_changes_are_audited_without_note_text(counsellor: User, client_record: Client) -> None:
    note = write_note(counsellor, client=client_record, sign=True)
    services.amend_note(
        note, by=counsellor, reason="The reason", entries=[EntryInput(text=SECRET_2)], **session()
    )
    events = AuditEvent.objects.filter(target_id=str(note.pk)).order_by("seq")
    assert [e.action for e in events] == ["note.created", "note.signed", "note.amended"]
    for event in events:
        assert event.client_ref == client_record.reference
        assert event.actor_id == counsellor.pk
        flat = repr(event.data)
        assert SECRET not in flat and SECRET_2 not in flat and "The reason" not in flat
    assert events.last().data == {"version": 2, "entries": 2}  # type: ignore[union-attr]


# -- couples and groups ----------------------------------------------------------------------


def test_joint_entries_are_encrypted_under_whom_they_are_about(
    counsellor: User, joint_case: JointCase, client_record: Client, partner: Client
) -> None:
    note = write_note(
        counsellor,
        joint_case=joint_case,
        entries=[
            EntryInput(text="About the first partner", about=client_record),
            EntryInput(text="About the second partner", about=partner),
            EntryInput(text="About the couple", about=None),
        ],
    )
    note.refresh_from_db()
    assert note.client is None and note.key_owner == joint_case.pk
    first, second, couple = note.entries.all()
    assert (first.about, first.key_owner) == (client_record, client_record.pk)
    assert (second.about, second.key_owner) == (partner, partner.pk)
    assert (couple.about, couple.key_owner) == (None, joint_case.pk)
    # Each decrypts under its own owner's key.
    fresh = {e.pk: e.text for e in NoteEntry.objects.filter(note=note)}
    assert fresh[first.pk] == "About the first partner"
    assert fresh[couple.pk] == "About the couple"


def test_joint_entries_cannot_be_about_an_outsider(counsellor: User, joint_case: JointCase) -> None:
    stranger = Client.objects.create(counsellor=counsellor)
    with pytest.raises(NoteError, match="not in this couple"):
        write_note(
            counsellor, joint_case=joint_case, entries=[EntryInput(text="x", about=stranger)]
        )
    assert not SessionNote.objects.exists()


def test_only_the_joint_case_counsellor_writes_its_notes(
    colleague: User, joint_case: JointCase
) -> None:
    with pytest.raises(NoteError):
        write_note(colleague, joint_case=joint_case)


def test_the_contracting_seam_asks_about_every_member(
    counsellor: User,
    joint_case: JointCase,
    client_record: Client,
    partner: Client,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[Client] = []
    monkeypatch.setattr(services, "_FACTUAL_NOTE_PRECONDITIONS", [lambda c: asked.append(c)])
    write_note(counsellor, joint_case=joint_case)
    assert sorted(c.pk for c in asked) == sorted([client_record.pk, partner.pk])


def test_a_note_belongs_to_one_case(
    counsellor: User, client_record: Client, joint_case: JointCase
) -> None:
    with pytest.raises(NoteError, match="one client"):
        write_note(counsellor, client=client_record, joint_case=joint_case)
