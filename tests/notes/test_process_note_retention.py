"""Process notes are kept only until the supervision session that follows the counselling
session they are about; the next retention run destroys them (unless a legal hold stands)."""

from __future__ import annotations

import datetime

from django.utils import timezone

from clients import retention
from clients import services as client_services
from clients.models import Client, DestructionRecord, JointCase
from disclosures.models import DisclosureRequest, ReleaseItem
from notes import services
from notes.models import NoteEntry, SessionNote
from notes.services import EntryInput
from practice.accounts.models import Role, User
from practice.audit.models import AuditEvent
from tests.clients.retention_helpers import audit_head, on, run, table_counts
from tests.conftest import make_client, make_user
from tests.notes.conftest import write_note

START = datetime.date(2024, 1, 2)
SESSION = datetime.date(2024, 1, 5)
SUPERVISION = datetime.date(2024, 1, 10)


def supervise(counsellor: User, *cases: Client, held_on: datetime.date = SUPERVISION) -> None:
    with on(held_on):
        services.record_supervision(
            by=counsellor, counsellor=counsellor, held_on=held_on, cases=list(cases)
        )


def process_note(counsellor: User, client: Client, day: datetime.date, text: str) -> SessionNote:
    with on(day):
        return write_note(counsellor, client=client, kind="process", texts=[text], session_date=day)


def test_process_notes_go_at_the_first_run_after_the_next_supervision(
    counsellor: User,
) -> None:
    with on(START):
        client = make_client(counsellor)
    before = process_note(counsellor, client, SESSION, "Before supervision")
    same_day = process_note(counsellor, client, SUPERVISION, "On the day of supervision")
    with on(SESSION):
        factual = write_note(counsellor, client=client, session_date=SESSION)

    with on(SUPERVISION - datetime.timedelta(days=1)):
        assert "Nothing is due" in run()  # no supervision yet: nothing goes
    supervise(counsellor, client)
    after = process_note(counsellor, client, datetime.date(2024, 1, 12), "After supervision")
    assert SessionNote.objects.filter(pk=before.pk).exists()  # recording it destroys nothing

    with on(datetime.date(2024, 1, 15)):
        output = run()
    assert f"Destroyed: process notes of {client.reference}" in output
    assert not SessionNote.objects.filter(pk=before.pk).exists()
    remaining = set(SessionNote.objects.values_list("pk", flat=True))
    assert remaining == {same_day.pk, after.pk, factual.pk}
    tombstone = DestructionRecord.objects.get()
    assert (tombstone.kind, tombstone.rule, tombstone.status) == (
        "process_notes",
        "process_notes_supervised",
        "complete",
    )
    assert tombstone.subject_reference == client.reference and tombstone.due_on == SUPERVISION
    assert tombstone.supervision_session_id is not None and tombstone.approved_by is None
    assert tombstone.categories["notes.sessionnote"] == 1
    assert AuditEvent.objects.filter(action="retention.process_notes.destroyed").count() == 1

    # The next supervision takes the next ones.
    supervise(counsellor, client, held_on=datetime.date(2024, 1, 20))
    with on(datetime.date(2024, 1, 21)):
        run()
    assert set(SessionNote.objects.values_list("pk", flat=True)) == {factual.pk}


def test_a_case_not_discussed_keeps_its_process_notes(counsellor: User) -> None:
    with on(START):
        discussed = make_client(counsellor)
        other = make_client(counsellor)
    process_note(counsellor, discussed, SESSION, "Discussed")
    kept = process_note(counsellor, other, SESSION, "Not discussed")
    supervise(counsellor, discussed)
    with on(SUPERVISION):
        run()
    assert list(SessionNote.objects.values_list("pk", flat=True)) == [kept.pk]


def test_a_note_written_after_the_supervision_waits_for_the_next_one(counsellor: User) -> None:
    with on(START):
        client = make_client(counsellor)
    supervise(counsellor, client)
    with on(datetime.date(2024, 1, 12)):  # about the 5 January session, written afterwards
        late = write_note(
            counsellor, client=client, kind="process", texts=["Late"], session_date=SESSION
        )
        run()
    assert SessionNote.objects.filter(pk=late.pk).exists()
    supervise(counsellor, client, held_on=datetime.date(2024, 1, 17))
    with on(datetime.date(2024, 1, 17)):
        run()
    assert not SessionNote.objects.filter(pk=late.pk).exists()


def test_after_a_reallocation_the_new_counsellors_supervision_takes_the_old_notes(
    counsellor: User, supervisor: User, manager: User
) -> None:
    colleague = make_user("cole", Role.COUNSELLOR, supervisor=supervisor)
    with on(START):
        client = make_client(counsellor)
    note = process_note(counsellor, client, SESSION, "Before the move")
    with on(datetime.date(2024, 1, 8)):
        client = client_services.allocate(client, to=colleague, by=manager)
    supervise(colleague, client)
    with on(datetime.date(2024, 1, 11)):
        assert f"Destroyed: process notes of {client.reference}" in run()
    assert not SessionNote.objects.filter(pk=note.pk).exists()


def test_a_couples_process_note_goes_when_either_partners_case_is_discussed(
    counsellor: User,
) -> None:
    with on(START):
        one = make_client(counsellor)
        two = make_client(counsellor)
        case = client_services.create_joint_case(by=counsellor, kind="couple", members=[one, two])
    with on(SESSION):
        note = write_note(
            counsellor,
            joint_case=case,
            kind="process",
            session_date=SESSION,
            entries=[EntryInput(text="Both"), EntryInput(text="About two", about=two)],
        )
    supervise(counsellor, two)
    with on(SUPERVISION):
        due = retention.process_notes_due()
        assert [(d.subject_kind, d.subject_reference) for d in due] == [
            ("joint_case", case.reference)
        ]
        assert set(due[0].member_ids) == {one.pk, two.pk}
        run()
    assert not SessionNote.objects.filter(pk=note.pk).exists()
    assert JointCase.objects.filter(pk=case.pk).exists()


def test_the_history_of_a_destroyed_process_note_goes_too(counsellor: User) -> None:
    with on(START):
        client = make_client(counsellor)
    note = process_note(counsellor, client, SESSION, "First thoughts")
    first = note.entries.get()
    with on(SESSION):
        services.update_note(
            note,
            by=counsellor,
            session_date=SESSION,
            duration_minutes=50,
            attendance="attended",
            entries=[
                EntryInput(text="", entry_id=first.pk, remove=True),
                EntryInput(text="Second thoughts"),
            ],
        )
    assert NoteEntry.history.filter(id=first.pk).exists()  # the removed entry's history
    supervise(counsellor, client)
    with on(SUPERVISION):
        run()
    assert not SessionNote.history.filter(id=note.pk).exists()
    assert not NoteEntry.history.filter(note_id=note.pk).exists()
    assert not NoteEntry.history.filter(id=first.pk).exists()


def test_a_selection_in_an_unreleased_disclosure_goes_with_the_entry(counsellor: User) -> None:
    with on(START):
        client = make_client(counsellor)
    note = process_note(counsellor, client, SESSION, "Thoughts")
    with on(SESSION):
        request = DisclosureRequest.objects.create(
            client=client,
            category_code="subject_access",
            requester_kind="client",
            requester="The client",
            recipient="The client",
            purpose="Subject access",
            asked_for="Everything",
            received_on=timezone.localdate(),
            raised_by=counsellor,
        )
        ReleaseItem.objects.create(request=request, client=client, entry=note.entries.get())
    supervise(counsellor, client)
    with on(SUPERVISION):
        run()
    assert not ReleaseItem.objects.exists()
    assert DisclosureRequest.objects.filter(pk=request.pk).exists()


def test_a_dry_run_lists_the_process_notes_and_changes_nothing(counsellor: User) -> None:
    with on(START):
        client = make_client(counsellor)
    process_note(counsellor, client, SESSION, "Thoughts")
    supervise(counsellor, client)
    counts, head = table_counts(), audit_head()
    with on(SUPERVISION):
        output = run("--dry-run")
    assert f"Would destroy: process notes of {client.reference}" in output
    assert "Thoughts" not in output
    assert table_counts() == counts and audit_head() == head
