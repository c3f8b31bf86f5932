"""Retention of notes: which process notes are due, and deleting notes of a destroyed client.

Plugged into ``clients.retention`` from ``NotesConfig.ready`` (clients never imports notes).
Everything here deletes through ``clients.retention.destroy_rows``, which works only inside a
destruction that ``clients.retention`` started (and audits, and leaves a tombstone for).
"""

from __future__ import annotations

import datetime
import uuid
from collections import defaultdict

from django.db.models import Exists, OuterRef, Subquery
from django.db.models.functions import TruncDate

from clients.models import Client, JointCase
from clients.retention import ProcessNotesDue, destroy_rows
from notes.models import NoteEntry, SessionNote, SupervisionPoint, SupervisionSession


def _sessions_after(today: datetime.date) -> tuple[object, object]:
    """Supervision sessions that make a process note due: held after the note's session
    date, on or after the day the note was written (a note written after a supervision has
    not been to it yet), and not after ``today``, discussing its case. For a joint case's
    note, discussing any member's case is enough.

    Whoever the supervisee was: only the case's counsellor can take it to supervision, so
    after a reallocation it is the new counsellor's supervision that follows."""
    base = SupervisionSession.objects.filter(
        held_on__gt=OuterRef("session_date"),
        held_on__gte=OuterRef("written_on"),
        held_on__lte=today,
    ).order_by("held_on", "recorded_at")
    individual = base.filter(cases=OuterRef("client"))
    joint = base.filter(cases__joint_cases=OuterRef("joint_case"))
    return individual, joint


def due_process_notes(today: datetime.date) -> list[ProcessNotesDue]:
    """Process notes due for destruction on ``today``, grouped by case and by the (first)
    supervision session that made them due.

    A process note (``kind=process``) is due when a supervision session held after the
    note's session date, and not before the note was written, discussed its case
    (``SupervisionSession.cases``). A note of a couple or group is due when the case of any
    member was discussed. A note dated on or after the supervision, or written after it,
    stays until the next one. Legal holds are applied by the caller.
    """
    individual, joint = _sessions_after(today)
    notes = (
        SessionNote.objects.filter(kind=SessionNote.Kind.PROCESS)
        .annotate(written_on=TruncDate("created_at"))
        .annotate(
            individual_session=Subquery(individual.values("pk")[:1]),
            joint_session=Subquery(joint.values("pk")[:1]),
        )
        .filter(Exists(individual) | Exists(joint))
        .values_list("pk", "client_id", "joint_case_id", "individual_session", "joint_session")
    )
    groups: dict[tuple[str, uuid.UUID, uuid.UUID], list[uuid.UUID]] = defaultdict(list)
    for pk, client_id, joint_case_id, individual_session, joint_session in notes:
        if client_id is not None and individual_session is not None:
            groups[("client", client_id, individual_session)].append(pk)
        elif joint_case_id is not None and joint_session is not None:
            groups[("joint_case", joint_case_id, joint_session)].append(pk)
    if not groups:
        return []
    sessions = dict(
        SupervisionSession.objects.filter(pk__in={key[2] for key in groups}).values_list(
            "pk", "held_on"
        )
    )
    clients = dict(
        Client.objects.filter(pk__in={k[1] for k in groups if k[0] == "client"}).values_list(
            "pk", "reference"
        )
    )
    joint_cases = {
        case.pk: case
        for case in JointCase.objects.filter(
            pk__in={k[1] for k in groups if k[0] == "joint_case"}
        ).prefetch_related("members")
    }
    due = []
    for (kind, subject_id, session_id), note_ids in sorted(
        groups.items(), key=lambda item: (sessions[item[0][2]], str(item[0][1]))
    ):
        if kind == "client":
            reference, members = clients[subject_id], (subject_id,)
        else:
            case = joint_cases[subject_id]
            reference = case.reference
            members = tuple(member.pk for member in case.members.all())
        due.append(
            ProcessNotesDue(
                subject_kind=kind,
                subject_id=subject_id,
                subject_reference=reference,
                note_ids=tuple(sorted(note_ids, key=str)),
                supervision_session_id=session_id,
                supervised_on=sessions[session_id],
                member_ids=members,
            )
        )
    return due


def destroy_process_notes(due: ProcessNotesDue) -> None:
    """Delete the process notes of one due group: entries, amendments and history go with
    them (and any selection of their entries in an unreleased disclosure)."""
    destroy_rows(SessionNote.objects.filter(pk__in=due.note_ids, kind=SessionNote.Kind.PROCESS))


def destroy_client_notes(client: Client, joint_cases: list[JointCase]) -> None:
    """Everything of the notes app about a client being destroyed: their notes (factual and
    process, with entries, amendments and history), the entries about them in their couple's
    or group's notes (only those: the joint case's own entries stay while another member
    remains), the notes of the joint cases going with them, and their supervision points.
    Their place in supervision sessions goes with the client row (the session itself names
    no client and stays)."""
    destroy_rows(SessionNote.objects.filter(client=client))
    destroy_rows(NoteEntry.objects.filter(about=client))
    if joint_cases:
        destroy_rows(SessionNote.objects.filter(joint_case__in=joint_cases))
    destroy_rows(SupervisionPoint.objects.filter(client=client))
