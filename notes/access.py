"""Who may see and change which notes. Views obtain notes and supervision records only here.

The rules (DESIGN.md §1, §2.3):

- reading a client's notes follows ``clients.access.can(user, client, Purpose.NOTES_READ)``:
  the allocated counsellor, an active break-glass holder, an activated professional executor;
- writing follows ``Purpose.NOTES_WRITE``: the allocated counsellor only. Changing an existing
  note (edit a draft, sign, amend) is further limited to its author: a note's words are its
  author's, and a successor counsellor writes a new note rather than finishing someone else's;
- a joint case's (couple or group) notes belong to the joint case's counsellor alone;
- supervisors, managers, administrators and clients never reach note content;
- anything outside these rules is a 404, exactly like a note that does not exist.

Supervisors see their supervisees' cases through :func:`supervision_cases`, which reads the
case reference, note metadata and shared supervision points, and never the client's identity.
"""

from __future__ import annotations

import datetime
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Q, QuerySet
from django.http import Http404, HttpRequest

from clients.access import (
    Purpose,
    access_route,
    can,
    client_for,
    clients_visible_to,
    joint_case_for,
    joint_cases_visible_to,
)
from clients.models import Client, JointCase
from notes.models import SessionNote, SupervisionPoint, SupervisionSession
from practice.accounts.models import Role, User, has_accepted_current_policy
from practice.audit.services import record

# -- clients and joint cases, for the notes pages ------------------------------------------


def client_for_reading(user: User, reference: str) -> Client:
    """The client whose notes ``user`` may read; 404 otherwise."""
    return client_for(user, reference, Purpose.NOTES_READ)


def client_for_writing(user: User, reference: str) -> Client:
    """The client ``user`` may write notes (and supervision points) about; 404 otherwise."""
    return client_for(user, reference, Purpose.NOTES_WRITE)


def joint_case_for_notes(user: User, reference: str) -> JointCase:
    """A couple or group case: only its own counsellor reaches its notes."""
    if not _is_active_staff(user):
        raise Http404
    return joint_case_for(user, reference)


def may_write_notes(user: User, client: Client) -> bool:
    return can(user, client, Purpose.NOTES_WRITE)


def _is_active_staff(user: User) -> bool:
    """Signed in, active, not a client, and (like clients.access) has accepted the current
    confidentiality policy: no clinical data before that."""
    return bool(
        user.is_authenticated
        and user.is_active
        and not user.is_client_account
        and has_accepted_current_policy(user)
    )


# -- notes -----------------------------------------------------------------------------------


def _joint_cases_of(user: User) -> QuerySet[JointCase]:
    if not _is_active_staff(user):
        return JointCase.objects.none()
    return joint_cases_visible_to(user)


def readable_notes(user: User) -> QuerySet[SessionNote]:
    """Every note ``user`` may read."""
    clients = clients_visible_to(user, Purpose.NOTES_READ).values("pk")
    joint = _joint_cases_of(user).values("pk")
    return SessionNote.objects.filter(Q(client__in=clients) | Q(joint_case__in=joint))


def writable_notes(user: User) -> QuerySet[SessionNote]:
    """Every note on a case ``user`` may write to (not necessarily one they wrote)."""
    clients = clients_visible_to(user, Purpose.NOTES_WRITE).values("pk")
    joint = _joint_cases_of(user).values("pk")
    return SessionNote.objects.filter(Q(client__in=clients) | Q(joint_case__in=joint))


def changeable_notes(user: User) -> QuerySet[SessionNote]:
    """Notes ``user`` may edit, sign or amend: on a case they write to, and their own."""
    return writable_notes(user).filter(author=user)


def _with_related(notes: QuerySet[SessionNote]) -> QuerySet[SessionNote]:
    return notes.select_related("client", "joint_case", "author").prefetch_related(
        "entries__about", "amendments__amended_by"
    )


def _get(notes: QuerySet[SessionNote], note_id: uuid.UUID | str) -> SessionNote:
    note = _with_related(notes).filter(pk=note_id).first()
    if note is None:
        raise Http404
    return note


def note_for_reading(
    user: User, note_id: uuid.UUID | str, *, request: HttpRequest | None, view: str = "detail"
) -> SessionNote:
    """A note ``user`` may read, its viewing audited (the page will show its content)."""
    note = _get(readable_notes(user), note_id)
    note_viewed(user, note, request=request, view=view)
    return note


def note_for_change(user: User, note_id: uuid.UUID | str) -> SessionNote:
    """A note ``user`` may edit, sign or amend; 404 for anyone else, readers included.

    Not audited here: the edit and amend pages call :func:`note_viewed` when they show the
    content, and the service that changes the note audits the change.
    """
    return _get(changeable_notes(user), note_id)


def note_for_versions(
    user: User, note_id: uuid.UUID | str, *, request: HttpRequest | None
) -> SessionNote:
    """Earlier versions are for the case's own counsellor (who writes its notes), not for
    read-only access such as break-glass: they exist to account for changes, not to browse."""
    note = _get(writable_notes(user), note_id)
    note_viewed(user, note, request=request, view="versions")
    return note


def may_change(user: User, note: SessionNote) -> bool:
    return changeable_notes(user).filter(pk=note.pk).exists()


def may_see_versions(user: User, note: SessionNote) -> bool:
    return writable_notes(user).filter(pk=note.pk).exists()


def route_to(user: User, client: Client) -> str:
    """How ``user`` reaches ``client``'s notes: "allocated", "break_glass" or "executor"."""
    return access_route(user, client)


def reading_route(user: User, note: SessionNote) -> str:
    """How ``user`` reaches the note, for the audit trail and the read-only banner."""
    if note.client is not None:
        return access_route(user, note.client)
    # joint_case_for admits only the joint case's counsellor.
    return "allocated"


def note_viewed(
    user: User, note: SessionNote, *, request: HttpRequest | None, view: str = "detail"
) -> None:
    """Audit that ``user`` was shown the content of ``note`` (which page, and by what route)."""
    record(
        "note.viewed",
        by=user,
        target=note,
        client_ref=note.case.reference,
        request=request,
        data={"via": reading_route(user, note), "view": view},
    )


def notes_of_client(user: User, client: Client, kind: str) -> QuerySet[SessionNote]:
    """One kind of a client's notes, newest session first; none unless ``user`` may read."""
    return (
        readable_notes(user)
        .filter(client=client, kind=kind)
        .select_related("author")
        .order_by("-session_date", "-created_at")
    )


def notes_of_joint_case(user: User, case: JointCase, kind: str) -> QuerySet[SessionNote]:
    return (
        readable_notes(user)
        .filter(joint_case=case, kind=kind)
        .select_related("author")
        .order_by("-session_date", "-created_at")
    )


# -- supervision -----------------------------------------------------------------------------


def supervision_received(user: User) -> QuerySet[SupervisionSession]:
    """Supervision sessions ``user`` had as a counsellor."""
    if not _is_active_staff(user) or not user.has_role(Role.COUNSELLOR):
        return SupervisionSession.objects.none()
    return (
        SupervisionSession.objects.filter(counsellor=user)
        .select_related("supervisor")
        .prefetch_related("cases")
    )


def supervision_given(user: User) -> QuerySet[SupervisionSession]:
    """Supervision sessions ``user`` gave as a supervisor."""
    if not _is_active_staff(user) or not user.has_role(Role.SUPERVISOR):
        return SupervisionSession.objects.none()
    return (
        SupervisionSession.objects.filter(supervisor=user)
        .select_related("counsellor")
        .prefetch_related("cases")
    )


def own_cases(user: User) -> QuerySet[Client]:
    """The counsellor's caseload, to choose the cases discussed in supervision."""
    return clients_visible_to(user, Purpose.NOTES_WRITE).filter(counsellor=user)


def supervisees(user: User) -> QuerySet[User]:
    if not _is_active_staff(user) or not user.has_role(Role.SUPERVISOR):
        return User.objects.none()
    return User.objects.filter(supervisor=user, is_active=True, is_counsellor=True).exclude(
        pk=user.pk
    )


def supervisees_cases(user: User) -> QuerySet[Client]:
    """The supervisor's supervisees' clients: references only (never ``.identity``).

    The SUPERVISE scope of a supervisor who also counsels includes their own caseload;
    nobody supervises their own cases, so only cases allocated to a supervisee count.
    """
    if not _is_active_staff(user) or not user.has_role(Role.SUPERVISOR):
        return Client.objects.none()
    return (
        clients_visible_to(user, Purpose.SUPERVISE)
        .filter(counsellor__supervisor=user)
        .exclude(counsellor=user)
        .select_related("counsellor")
    )


def points_shared_about(
    user: User, client: Client, *, request: HttpRequest | None
) -> list[SupervisionPoint]:
    """The supervision points on a client, for its counsellor's share page (audited: the
    page shows their text)."""
    if not can(user, client, Purpose.NOTES_WRITE):
        return []
    points = list(
        SupervisionPoint.objects.filter(client=client).select_related("shared_by", "discussed_in")
    )
    if points:
        record(
            "supervision.points_viewed",
            by=user,
            target=client,
            client_ref=client.reference,
            request=request,
            data={"via": "allocated", "points": len(points)},
        )
    return points


@dataclass(frozen=True)
class SharedPoint:
    """A point a counsellor shared for supervision, as the supervisor reads it."""

    shared_at: datetime.datetime
    shared_by: str
    risk: str  # SupervisionPoint.Risk value; "" for none
    risk_label: str
    text: str
    discussed_on: datetime.date | None


@dataclass(frozen=True)
class SupervisionCase:
    """One supervisee's case on the supervisor's page: reference and metadata, no identity."""

    reference: str
    counsellor_id: int
    counsellor: str
    status: str
    session_count: int  # distinct session dates with a note of either kind
    attended_count: int  # of which the client attended
    last_session_on: datetime.date | None
    last_supervised_on: datetime.date | None
    open_risk_flags: tuple[str, ...]  # labels of risk flags on points not yet discussed
    points: tuple[SharedPoint, ...]  # newest first


def supervision_cases(user: User, *, request: HttpRequest | None = None) -> list[SupervisionCase]:
    """The supervisor's view of their supervisees' cases, for any page that shows it.

    Reads the case (reference, status), session metadata from SessionNote (dates and
    attendance, never entries), supervision sessions and shared points. It never touches
    ClientIdentity. Showing shared points is a read of clinical text, so each case whose
    points are returned is audited as ``supervision.points_viewed``.
    """
    cases = list(supervisees_cases(user).order_by("counsellor__username", "reference"))
    if not cases:
        return []
    ids = [case.pk for case in cases]
    attended = SessionNote.Attendance.ATTENDED
    sessions = {
        row["client_id"]: row
        for row in SessionNote.objects.filter(client_id__in=ids)
        .values("client_id")
        .annotate(
            sessions=Count("session_date", distinct=True),
            attended=Count("session_date", distinct=True, filter=Q(attendance=attended)),
            last=Max("session_date"),
        )
        .order_by()
    }
    supervised = {
        row["cases"]: row["last"]
        for row in SupervisionSession.objects.filter(cases__in=ids, supervisor=user)
        .values("cases")
        .annotate(last=Max("held_on"))
        .order_by()
    }
    points: dict[Any, list[SharedPoint]] = defaultdict(list)
    open_flags: dict[Any, list[str]] = defaultdict(list)
    for point in (
        SupervisionPoint.objects.filter(client_id__in=ids)
        .select_related("shared_by", "discussed_in")
        .order_by("-shared_at")
    ):
        label = str(SupervisionPoint.Risk(point.risk).label) if point.risk else ""
        points[point.client_id].append(
            SharedPoint(
                shared_at=point.shared_at,
                shared_by=_staff_name(point.shared_by),
                risk=point.risk,
                risk_label=label,
                text=point.text,
                discussed_on=point.discussed_in.held_on if point.discussed_in else None,
            )
        )
        still_open = point.risk and point.discussed_in_id is None
        if still_open and label not in open_flags[point.client_id]:
            open_flags[point.client_id].append(label)
    result = []
    for case in cases:
        row = sessions.get(case.pk, {})
        assert case.counsellor is not None  # supervisees_cases filters on the counsellor
        result.append(
            SupervisionCase(
                reference=case.reference,
                counsellor_id=case.counsellor.pk,
                counsellor=_staff_name(case.counsellor),
                status=case.get_status_display(),
                session_count=row.get("sessions", 0),
                attended_count=row.get("attended", 0),
                last_session_on=row.get("last"),
                last_supervised_on=supervised.get(case.pk),
                open_risk_flags=tuple(open_flags[case.pk]),
                points=tuple(points[case.pk]),
            )
        )
        if points[case.pk]:
            record(
                "supervision.points_viewed",
                by=user,
                target=case,
                client_ref=case.reference,
                request=request,
                data={"via": "supervisor", "points": len(points[case.pk])},
            )
    return result


def _staff_name(user: User) -> str:
    return user.get_full_name() or user.get_username()
