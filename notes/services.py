"""Verbs that change notes and supervision records: atomic, audited, keyword-only ``by``.

Each verb re-checks who may act (the views already did, through notes.access; a service is
also called from elsewhere, and a second look costs one query) and every rule about the
input, so a caller that skips the forms still cannot store a bad note. A refused change
raises :class:`NoteError` and, because each verb runs in one transaction, stores nothing.

Audit events and simple-history change reasons carry ids, codes and counts only, never the
text of a note, an entry or an amendment reason.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from clients.access import Purpose, can
from clients.models import Client, JointCase
from notes import access
from notes.models import (
    MAX_NOTE_TEXT,
    NoteAmendment,
    NoteEntry,
    SessionNote,
    SupervisionPoint,
    SupervisionSession,
)
from practice.accounts.models import Role, User
from practice.audit.services import record

MIN_DURATION = 1
MAX_DURATION = 600  # minutes: a long group day, and no more
MAX_SOURCE = 200
MAX_REASON = 2000
MAX_POINT_TEXT = 5000
MAX_ENTRIES = 50


class NoteError(Exception):
    """A change to a note or supervision record that the rules refuse.

    The message is safe to show to the user and never contains note text. ``blocker`` says
    where to go to put it right, when there is such a place.
    """

    def __init__(self, message: str, *, blocker: Blocker | None = None) -> None:
        super().__init__(message)
        self.blocker = blocker


@dataclass(frozen=True)
class EntryInput:
    """One entry as the author wrote it.

    ``entry_id`` names an existing entry of the note being edited or amended (None for a new
    one); ``remove`` deletes that entry (its earlier versions stay in the history).
    ``about`` is the member of a joint case the entry is about, or None for the whole
    couple/group; for an individual client's note it is ignored (the entry is about them).
    """

    text: str
    provenance: str = NoteEntry.Provenance.COUNSELLOR
    third_party_source: str = ""
    about: Client | None = None
    entry_id: uuid.UUID | None = None
    remove: bool = False


# -- the seam for the consent issue ---------------------------------------------------------


@dataclass(frozen=True)
class Blocker:
    """Why something cannot be done yet, and where to go to put it right."""

    message: str
    action_url: str = ""
    action_label: str = ""


# Checks that must pass before a factual note is written for a client. Apps above notes
# register theirs at start-up (consent: contracting is recorded before the first note,
# DESIGN.md §7), so notes never imports them.
_FACTUAL_NOTE_PRECONDITIONS: list[Callable[[Client], Blocker | None]] = []


def register_factual_note_precondition(check: Callable[[Client], Blocker | None]) -> None:
    if check not in _FACTUAL_NOTE_PRECONDITIONS:
        _FACTUAL_NOTE_PRECONDITIONS.append(check)


def factual_note_blocker(client: Client) -> Blocker | None:
    """Why a factual note may not be written for ``client`` yet, or None when it may."""
    for check in _FACTUAL_NOTE_PRECONDITIONS:
        blocker = check(client)
        if blocker is not None:
            return blocker
    return None


# -- notes -----------------------------------------------------------------------------------


@transaction.atomic
def create_note(
    *,
    by: User,
    kind: str,
    session_date: datetime.date,
    duration_minutes: int,
    attendance: str,
    entries: Sequence[EntryInput],
    client: Client | None = None,
    joint_case: JointCase | None = None,
    request: HttpRequest | None = None,
) -> SessionNote:
    """Write a draft note for one client or for a joint case (exactly one of the two)."""
    if (client is None) == (joint_case is None):
        raise NoteError("A note belongs to one client or to one couple or group.")
    if client is not None and not can(by, client, Purpose.NOTES_WRITE):
        raise NoteError("You cannot write notes for this client.")
    if joint_case is not None and not _is_joint_counsellor(by, joint_case):
        raise NoteError("You cannot write notes for this couple or group.")
    if kind not in SessionNote.Kind.values:
        raise NoteError("Choose whether this is a factual note or a process note.")
    _check_session(session_date, duration_minutes, attendance)
    members = _members(client, joint_case)
    if kind == SessionNote.Kind.FACTUAL:
        for member in members:
            blocker = factual_note_blocker(member)
            if blocker is not None:
                raise NoteError(blocker.message, blocker=blocker)
    new_entries = [e for e in entries if not e.remove and e.entry_id is None]
    if len(new_entries) != len(entries):
        raise NoteError("A new note has no earlier entries to change or remove.")
    _check_entries(new_entries, kept_texts=[], members=members, joint=joint_case is not None)

    note = SessionNote(
        client=client,
        joint_case=joint_case,
        kind=kind,
        session_date=session_date,
        duration_minutes=duration_minutes,
        attendance=attendance,
        author=by,
    )
    _mark(note, "created", by)
    note.save()
    for position, entry in enumerate(new_entries):
        _new_entry(note, entry, position, action="created", by=by)
    record(
        "note.created",
        by=by,
        target=note,
        client_ref=note.case.reference,
        request=request,
        data={"kind": kind, "entries": len(new_entries)},
    )
    return note


@transaction.atomic
def update_note(
    note: SessionNote,
    *,
    by: User,
    session_date: datetime.date,
    duration_minutes: int,
    attendance: str,
    entries: Sequence[EntryInput],
    request: HttpRequest | None = None,
) -> SessionNote:
    """Edit a draft. A signed note is never edited in place: amend it instead."""
    note = _locked_for_change(note, by)
    if note.is_signed:
        raise NoteError("This note is signed and cannot be edited. Amend it instead.")
    _check_session(session_date, duration_minutes, attendance)
    changed = _apply_session(note, session_date, duration_minutes, attendance)
    changed |= _apply_entries(note, entries, action="edited", by=by)
    if changed:
        _mark(note, "edited", by)
        note.save()
        record(
            "note.updated",
            by=by,
            target=note,
            client_ref=note.case.reference,
            request=request,
            data={"entries": note.entries.count()},
        )
    return note


@transaction.atomic
def sign_note(note: SessionNote, *, by: User, request: HttpRequest | None = None) -> SessionNote:
    """Sign a draft: from now on it changes only by amendment."""
    note = _locked_for_change(note, by)
    if note.is_signed:
        raise NoteError("This note is already signed.")
    if not note.entries.exists():
        raise NoteError("A note needs at least one entry before it can be signed.")
    note.status, note.signed_at = SessionNote.Status.SIGNED, timezone.now()
    _mark(note, "signed", by)
    note.save()
    record(
        "note.signed",
        by=by,
        target=note,
        client_ref=note.case.reference,
        request=request,
        data={"version": note.version},
    )
    return note


@transaction.atomic
def amend_note(
    note: SessionNote,
    *,
    by: User,
    reason: str,
    session_date: datetime.date,
    duration_minutes: int,
    attendance: str,
    entries: Sequence[EntryInput],
    request: HttpRequest | None = None,
) -> SessionNote:
    """Amend a signed note: a new version, with the reason recorded (encrypted).

    The note row is saved with its new version number *before* its entries change, so every
    entry history row written by this amendment is later than the note's history row for
    the new version: :func:`note_versions` relies on that order to rebuild each version.
    """
    note = _locked_for_change(note, by)
    if not note.is_signed:
        raise NoteError("Only a signed note is amended. Edit the draft instead.")
    reason = (reason or "").strip()
    if not reason:
        raise NoteError("Give the reason for the amendment.")
    if len(reason) > MAX_REASON:
        raise NoteError(f"The reason can be up to {MAX_REASON:,} characters.")
    _check_session(session_date, duration_minutes, attendance)
    new_version = note.version + 1
    note.version = new_version
    session_changed = _apply_session(note, session_date, duration_minutes, attendance)
    _mark(note, f"amended to v{new_version}", by)
    note.save()
    entries_changed = _apply_entries(note, entries, action="amended", by=by)
    if not (session_changed or entries_changed):
        # Rolls back the version bump above: an amendment has to change something.
        raise NoteError("Nothing was changed. Change the note to amend it.")
    NoteAmendment.objects.create(note=note, version=new_version, reason=reason, amended_by=by)
    record(
        "note.amended",
        by=by,
        target=note,
        client_ref=note.case.reference,
        request=request,
        data={"version": new_version, "entries": note.entries.count()},
    )
    return note


def _mark(instance: SessionNote | NoteEntry, reason: str, by: User) -> None:
    """Label the history row the next save writes: who, and a short code for why.

    The reason is a fixed phrase or a version number, never text from the note.
    """
    instance._change_reason = reason  # type: ignore[union-attr]
    instance._history_user = by  # type: ignore[union-attr]


def _is_joint_counsellor(user: User, case: JointCase) -> bool:
    return bool(user.is_active and user.has_role(Role.COUNSELLOR) and case.counsellor_id == user.pk)


def _locked_for_change(note: SessionNote, by: User) -> SessionNote:
    if not access.may_change(by, note):
        raise NoteError("Only the author of this note, while allocated the case, can change it.")
    # The row lock makes a concurrent sign and edit (or two amendments) take turns. No
    # select_related: PostgreSQL cannot lock the nullable side of an outer join.
    return SessionNote.objects.select_for_update().get(pk=note.pk)


def _members(client: Client | None, joint_case: JointCase | None) -> list[Client]:
    if joint_case is not None:
        return list(joint_case.members.all())
    assert client is not None
    return [client]


def _check_session(session_date: datetime.date, duration_minutes: int, attendance: str) -> None:
    if session_date is None:
        raise NoteError("Enter the date of the session.")
    if session_date > timezone.localdate():
        raise NoteError("The session date cannot be in the future.")
    if duration_minutes is None or not MIN_DURATION <= duration_minutes <= MAX_DURATION:
        raise NoteError(
            f"The length of the session must be between {MIN_DURATION} and {MAX_DURATION} minutes."
        )
    if attendance not in SessionNote.Attendance.values:
        raise NoteError("Choose whether the client attended.")


def _check_entries(
    entries: Iterable[EntryInput], *, kept_texts: Iterable[str], members: list[Client], joint: bool
) -> None:
    """The rules every note's entries keep, whoever calls."""
    entries = list(entries)
    kept = list(kept_texts)
    if not kept and not any(e.text.strip() for e in entries):
        raise NoteError("Write at least one entry.")
    if len(entries) + len(kept) > MAX_ENTRIES:
        raise NoteError(f"A note can have up to {MAX_ENTRIES} entries.")
    for number, entry in enumerate(entries, start=1):
        if not entry.text.strip():
            raise NoteError(f"Entry {number} has no text.")
        if entry.provenance not in NoteEntry.Provenance.values:
            raise NoteError(f"Entry {number}: choose where the information came from.")
        if entry.provenance == NoteEntry.Provenance.THIRD_PARTY:
            if not entry.third_party_source.strip():
                raise NoteError(f"Entry {number}: say who the third-party information came from.")
            if len(entry.third_party_source.strip()) > MAX_SOURCE:
                raise NoteError(f"Entry {number}: the source can be up to {MAX_SOURCE} characters.")
        if joint and entry.about is not None and entry.about not in members:
            raise NoteError(f"Entry {number} is about someone who is not in this couple or group.")
    total = sum(len(e.text) for e in entries) + sum(len(t) for t in kept)
    if total > MAX_NOTE_TEXT:
        raise NoteError(f"A note can hold up to {MAX_NOTE_TEXT:,} characters of text in all.")


def _apply_session(
    note: SessionNote, session_date: datetime.date, duration_minutes: int, attendance: str
) -> bool:
    new = (session_date, duration_minutes, attendance)
    if (note.session_date, note.duration_minutes, note.attendance) == new:
        return False
    note.session_date, note.duration_minutes, note.attendance = new
    return True


def _entry_values(note: SessionNote, entry: EntryInput) -> tuple[Client | None, str, str]:
    """(about, provenance, source) as stored: an individual note's entries are about its
    client; only third-party entries keep a source."""
    about = note.client if note.client_id else entry.about
    source = (
        entry.third_party_source.strip()
        if entry.provenance == NoteEntry.Provenance.THIRD_PARTY
        else ""
    )
    return about, entry.provenance, source


def _new_entry(
    note: SessionNote, entry: EntryInput, position: int, *, action: str, by: User
) -> NoteEntry:
    about, provenance, source = _entry_values(note, entry)
    row = NoteEntry(
        note=note,
        position=position,
        about=about,
        provenance=provenance,
        third_party_source=source,
        text=entry.text,
    )
    _mark(row, f"v{note.version} {action}", by)
    row.save()
    return row


def _apply_entries(
    note: SessionNote, entries: Sequence[EntryInput], *, action: str, by: User
) -> bool:
    """Change, remove and add entries of an existing note; True when anything changed.

    Entries the input does not mention are kept as they are.
    """
    existing = {entry.pk: entry for entry in note.entries.select_related("about")}
    seen: set[uuid.UUID] = set()
    for entry in entries:
        if entry.entry_id is not None:
            if entry.entry_id not in existing or entry.entry_id in seen:
                raise NoteError("An entry in the form does not belong to this note.")
            seen.add(entry.entry_id)
        elif entry.remove:
            raise NoteError("Only an existing entry can be removed.")
    removed = {e.entry_id for e in entries if e.entry_id is not None and e.remove}
    changes = [e for e in entries if not e.remove]
    untouched = [row for pk, row in existing.items() if pk not in seen]
    if not changes and not untouched:
        raise NoteError("Write at least one entry.")
    _check_entries(
        changes,
        kept_texts=[row.text for row in untouched],
        members=_members(note.client, note.joint_case),
        joint=note.joint_case_id is not None,
    )
    changed = False
    for entry_id in removed:
        row = existing[entry_id]
        _mark(row, f"v{note.version} removed", by)
        row.delete()
        changed = True
    next_position = max((row.position for row in existing.values()), default=-1) + 1
    for entry in changes:
        if entry.entry_id is None:
            _new_entry(note, entry, next_position, action=action, by=by)
            next_position += 1
            changed = True
            continue
        row = existing[entry.entry_id]
        about, provenance, source = _entry_values(note, entry)
        new = (about.pk if about else None, provenance, source, entry.text)
        if (row.about_id, row.provenance, row.third_party_source, row.text) == new:
            continue
        row.about, row.provenance, row.third_party_source, row.text = (
            about,
            provenance,
            source,
            entry.text,
        )
        _mark(row, f"v{note.version} {action}", by)
        row.save()
        changed = True
    return changed


# -- versions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class EntryVersion:
    position: int
    about: Client | None
    provenance: str
    provenance_label: str
    third_party_source: str
    text: str

    @property
    def is_third_party(self) -> bool:
        return self.provenance == NoteEntry.Provenance.THIRD_PARTY

    def get_provenance_display(self) -> str:
        """As NoteEntry's, so one template shows a live entry and an earlier version."""
        return self.provenance_label


@dataclass(frozen=True)
class NoteVersion:
    version: int
    saved_at: datetime.datetime
    saved_by_id: int | None
    session_date: datetime.date
    duration_minutes: int
    attendance_label: str
    status_label: str
    reason: str  # the amendment's reason; "" for version 1
    entries: tuple[EntryVersion, ...]


def note_versions(note: SessionNote) -> list[NoteVersion]:
    """Every version of a note rebuilt from django-simple-history, newest first.

    A version's entries are the entry history rows written while the note had that version
    number (each entry's last row up to that version; a removal ends it). Reading them
    decrypts the history rows, which hold ciphertext only. Callers obtain ``note`` through
    ``notes.access.note_for_versions``, which audits the viewing.
    """
    note_rows = list(note.history.order_by("history_date", "history_id"))
    if not note_rows:
        return []
    starts = [(row.history_date, row.version) for row in note_rows]

    def version_at(moment: datetime.datetime) -> int:
        current = starts[0][1]
        for when, version in starts:
            if when <= moment:
                current = version
            else:
                break
        return current

    latest_state: dict[int, Any] = {}
    for row in note_rows:
        latest_state[row.version] = row  # the last note row of each version
    entry_rows = list(
        NoteEntry.history.filter(note_id=note.pk).order_by("history_date", "history_id")
    )
    tagged = [(version_at(row.history_date), row) for row in entry_rows]
    reasons = {a.version: a.reason for a in note.amendments.all()}
    about_ids = {row.about_id for row in entry_rows if row.about_id}
    about_by_id = {c.pk: c for c in Client.objects.filter(pk__in=about_ids)}
    versions = []
    for version in sorted(latest_state):
        state: dict[uuid.UUID, Any] = {}
        for row_version, row in tagged:
            if row_version <= version:
                state[row.id] = row
        entries = []
        for row in state.values():
            if row.history_type == "-":
                continue
            entries.append(
                EntryVersion(
                    position=row.position,
                    about=about_by_id.get(row.about_id),
                    provenance=row.provenance,
                    provenance_label=str(NoteEntry.Provenance(row.provenance).label),
                    third_party_source=row.third_party_source,
                    text=row.text,
                )
            )
        entries.sort(key=lambda e: e.position)
        head = latest_state[version]
        versions.append(
            NoteVersion(
                version=version,
                saved_at=head.history_date,
                saved_by_id=head.history_user_id,
                session_date=head.session_date,
                duration_minutes=head.duration_minutes,
                attendance_label=str(SessionNote.Attendance(head.attendance).label),
                status_label=str(SessionNote.Status(head.status).label),
                reason=reasons.get(version, ""),
                entries=tuple(entries),
            )
        )
    versions.reverse()
    return versions


# -- supervision -----------------------------------------------------------------------------


@transaction.atomic
def record_supervision(
    *,
    by: User,
    counsellor: User,
    held_on: datetime.date,
    cases: Iterable[Client],
    request: HttpRequest | None = None,
) -> SupervisionSession:
    """Record a supervision session, by the counsellor or by their supervisor.

    The supervisor is always ``counsellor.supervisor``: nobody picks who supervised them, and
    nobody supervises themselves. Points shared about the cases discussed, up to that day and
    not yet discussed, are marked as discussed in this session.
    """
    cases = list(cases)
    supervisor = counsellor.supervisor
    if by.pk == counsellor.pk:
        if not counsellor.has_role(Role.COUNSELLOR):
            raise NoteError("Only counsellors record the supervision they receive.")
    elif supervisor is None or by.pk != supervisor.pk or not by.has_role(Role.SUPERVISOR):
        raise NoteError("You can only record supervision you gave to your own supervisees.")
    if supervisor is None:
        raise NoteError(
            "No clinical supervisor is recorded for you. Ask a service manager to add one."
        )
    if supervisor.pk == counsellor.pk:
        raise NoteError("Nobody supervises themselves.")
    if held_on is None or held_on > timezone.localdate():
        raise NoteError("The date of the supervision cannot be in the future.")
    if not cases:
        raise NoteError("Choose at least one case you discussed.")
    if any(case.counsellor_id != counsellor.pk for case in cases):
        raise NoteError("Every case discussed must be on the counsellor's caseload.")
    session = SupervisionSession.objects.create(
        supervisor=supervisor, counsellor=counsellor, held_on=held_on, recorded_by=by
    )
    session.cases.set(cases)
    discussed = SupervisionPoint.objects.filter(
        client__in=cases, discussed_in__isnull=True, shared_at__date__lte=held_on
    ).update(discussed_in=session)
    record(
        "supervision.recorded",
        by=by,
        target=session,
        request=request,
        data={
            "counsellor_id": counsellor.pk,
            "supervisor_id": supervisor.pk,
            "cases": len(cases),
            "points_discussed": discussed,
        },
    )
    return session


@transaction.atomic
def share_supervision_point(
    client: Client,
    *,
    by: User,
    text: str,
    risk: str = SupervisionPoint.Risk.NONE,
    request: HttpRequest | None = None,
) -> SupervisionPoint:
    """The allocated counsellor shares a point (and perhaps a risk flag) for supervision."""
    if not can(by, client, Purpose.NOTES_WRITE):
        raise NoteError("You can only share points about your own clients.")
    if by.supervisor_id is None:
        raise NoteError(
            "No clinical supervisor is recorded for you. Ask a service manager to add one."
        )
    text = (text or "").strip()
    if not text:
        raise NoteError("Write the point you want to discuss.")
    if len(text) > MAX_POINT_TEXT:
        raise NoteError(f"A point can be up to {MAX_POINT_TEXT:,} characters.")
    if risk not in SupervisionPoint.Risk.values:
        raise NoteError("Choose a risk flag from the list.")
    point = SupervisionPoint.objects.create(client=client, risk=risk, text=text, shared_by=by)
    record(
        "supervision.point_shared",
        by=by,
        target=point,
        client_ref=client.reference,
        request=request,
        data={"supervisor_id": by.supervisor_id},
    )
    return point
