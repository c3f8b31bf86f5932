"""Pages for session notes and supervision: access → form → service → redirect.

Every note is fetched through notes.access (404 outside one's scope, audited when its content
is shown); every change goes through notes.services (atomic, audited). Note text never goes
into a URL, a message or a log line.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from clients.models import Client, JointCase
from notes import access, services
from notes.forms import (
    AmendForm,
    ErrorSummary,
    NoteForm,
    SupervisionGivenForm,
    SupervisionPointForm,
    SupervisionReceivedForm,
    entry_formset,
    entry_initial,
    note_initial,
)
from notes.models import SessionNote
from notes.services import NoteError
from practice.accounts.decorators import role_required
from practice.accounts.models import Role, User

GET_POST = ["GET", "POST"]


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _group_label(case: JointCase) -> str:
    return _("The whole couple") if case.kind == JointCase.Kind.COUPLE else _("The whole group")


def _case_context(case: Client | JointCase) -> dict[str, Any]:
    """The case and the link back to its notes, for the breadcrumbs."""
    if isinstance(case, JointCase):
        return {"case": case, "case_url": reverse("notes:joint", args=[case.reference])}
    return {"case": case, "case_url": reverse("notes:client", args=[case.reference])}


def _read_only_route(user: User, client: Client | None) -> str:
    """The route when it is not the allocation (shown as a read-only banner), else ""."""
    if client is None:
        return ""
    route = access.route_to(user, client)
    return "" if route == "allocated" else route


# -- a case's notes --------------------------------------------------------------------------


@role_required(Role.COUNSELLOR)
@require_http_methods(["GET"])
def client_notes(request: HttpRequest, reference: str) -> HttpResponse:
    """A client's notes, factual and process apart, newest first (metadata only)."""
    user = _user(request)
    client = access.client_for_reading(user, reference)
    return render(
        request,
        "notes/sessionnote_list.html",
        {
            **_case_context(client),
            "client": client,
            "factual": access.notes_of_client(user, client, SessionNote.Kind.FACTUAL),
            "process": access.notes_of_client(user, client, SessionNote.Kind.PROCESS),
            "may_write": access.may_write_notes(user, client),
            "read_only_route": _read_only_route(user, client),
        },
    )


@role_required(Role.COUNSELLOR)
@require_http_methods(["GET"])
def joint_notes(request: HttpRequest, reference: str) -> HttpResponse:
    user = _user(request)
    case = access.joint_case_for_notes(user, reference)
    return render(
        request,
        "notes/sessionnote_list.html",
        {
            **_case_context(case),
            "joint_case": case,
            "members": case.members.order_by("reference"),
            "factual": access.notes_of_joint_case(user, case, SessionNote.Kind.FACTUAL),
            "process": access.notes_of_joint_case(user, case, SessionNote.Kind.PROCESS),
            "may_write": True,  # joint_case_for admits only the joint case's own counsellor
            "read_only_route": "",
        },
    )


def _kind(request: HttpRequest) -> str:
    kind = request.GET.get("kind", SessionNote.Kind.FACTUAL)
    if kind not in SessionNote.Kind.values:
        raise Http404
    return kind


@role_required(Role.COUNSELLOR)
@require_http_methods(GET_POST)
def note_new(request: HttpRequest, reference: str) -> HttpResponse:
    client = access.client_for_writing(_user(request), reference)
    return _new_note_page(request, client=client)


@role_required(Role.COUNSELLOR)
@require_http_methods(GET_POST)
def joint_note_new(request: HttpRequest, reference: str) -> HttpResponse:
    case = access.joint_case_for_notes(_user(request), reference)
    return _new_note_page(request, joint_case=case)


def _new_note_page(
    request: HttpRequest, *, client: Client | None = None, joint_case: JointCase | None = None
) -> HttpResponse:
    kind = _kind(request)
    data = request.POST if request.method == "POST" else None
    form = NoteForm(data, initial={"attendance": SessionNote.Attendance.ATTENDED})
    members = joint_case.members.order_by("reference") if joint_case else None
    label = _group_label(joint_case) if joint_case else ""
    entries = entry_formset(data, members=members, group_label=label)
    # Say before any typing, not after, when a factual note cannot be saved yet.
    blocker = None
    if kind == SessionNote.Kind.FACTUAL:
        for member in [client] if client else list(members or []):
            blocker = blocker or services.factual_note_blocker(member)
    if data is not None and all([form.is_valid(), entries.is_valid()]):
        try:
            note = services.create_note(
                by=_user(request),
                kind=kind,
                client=client,
                joint_case=joint_case,
                entries=entries.entry_inputs(),
                request=request,
                **form.cleaned_data,
            )
        except NoteError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The note was saved as a draft."))
            return redirect(note)
    return render(
        request,
        "notes/sessionnote_form.html",
        {
            **_case_context(client or joint_case),  # type: ignore[arg-type]
            "client": client,
            "joint_case": joint_case,
            "heading": _("New %(kind)s") % {"kind": SessionNote.Kind(kind).label.lower()},
            "blocker": blocker,
            "form": form,
            "entries": entries,
            "summary": ErrorSummary.of(form, entries=entries),
            "mode": "new",
        },
    )


# -- one note --------------------------------------------------------------------------------


@role_required(Role.COUNSELLOR)
@require_http_methods(["GET"])
def note_detail(request: HttpRequest, note_id: uuid.UUID) -> HttpResponse:
    user = _user(request)
    note = access.note_for_reading(user, note_id, request=request)
    return render(
        request,
        "notes/sessionnote_detail.html",
        {
            **_case_context(note.case),
            "note": note,
            "group_label": _group_label(note.joint_case) if note.joint_case else "",
            "may_change": access.may_change(user, note),
            "may_see_versions": access.may_see_versions(user, note),
            "read_only_route": _read_only_route(user, note.client),
        },
    )


def _members_of(note: SessionNote) -> tuple[Any, str]:
    if note.joint_case is None:
        return None, ""
    return note.joint_case.members.order_by("reference"), _group_label(note.joint_case)


@role_required(Role.COUNSELLOR)
@require_http_methods(GET_POST)
def note_edit(request: HttpRequest, note_id: uuid.UUID) -> HttpResponse:
    user = _user(request)
    note = access.note_for_change(user, note_id)
    if note.is_signed:
        # Signed notes are never edited in place (the service refuses too).
        messages.error(request, _("This note is signed and cannot be edited. Amend it instead."))
        return redirect(note)
    members, label = _members_of(note)
    data = request.POST if request.method == "POST" else None
    if data is None:
        access.note_viewed(user, note, request=request, view="edit")
    form = NoteForm(data, initial=note_initial(note))
    entries = entry_formset(data, initial=entry_initial(note), members=members, group_label=label)
    if data is not None and all([form.is_valid(), entries.is_valid()]):
        try:
            services.update_note(
                note, by=user, entries=entries.entry_inputs(), request=request, **form.cleaned_data
            )
        except NoteError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Your changes to the draft were saved."))
            return redirect(note)
    return render(
        request,
        "notes/sessionnote_form.html",
        {
            **_case_context(note.case),
            "note": note,
            "client": note.client,
            "joint_case": note.joint_case,
            "heading": _("Edit the draft"),
            "form": form,
            "entries": entries,
            "summary": ErrorSummary.of(form, entries=entries),
            "mode": "edit",
        },
    )


@role_required(Role.COUNSELLOR)
@require_http_methods(GET_POST)
def note_amend(request: HttpRequest, note_id: uuid.UUID) -> HttpResponse:
    user = _user(request)
    note = access.note_for_change(user, note_id)
    if not note.is_signed:
        messages.info(request, _("This note is still a draft: edit it instead."))
        return redirect("notes:edit", note.pk)
    members, label = _members_of(note)
    data = request.POST if request.method == "POST" else None
    if data is None:
        access.note_viewed(user, note, request=request, view="amend")
    form = AmendForm(data, initial=note_initial(note))
    entries = entry_formset(data, initial=entry_initial(note), members=members, group_label=label)
    if data is not None and all([form.is_valid(), entries.is_valid()]):
        try:
            services.amend_note(
                note, by=user, entries=entries.entry_inputs(), request=request, **form.cleaned_data
            )
        except NoteError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The amendment was saved as a new version."))
            return redirect(note)
    return render(
        request,
        "notes/sessionnote_form.html",
        {
            **_case_context(note.case),
            "note": note,
            "client": note.client,
            "joint_case": note.joint_case,
            "heading": _("Amend the note"),
            "form": form,
            "entries": entries,
            "summary": ErrorSummary.of(form, entries=entries),
            "mode": "amend",
        },
    )


@role_required(Role.COUNSELLOR)
@require_http_methods(GET_POST)
def note_sign(request: HttpRequest, note_id: uuid.UUID) -> HttpResponse:
    """GET asks for confirmation (metadata only); POST signs."""
    user = _user(request)
    note = access.note_for_change(user, note_id)
    if note.is_signed:
        messages.info(request, _("This note is already signed."))
        return redirect(note)
    error = ""
    if request.method == "POST":
        try:
            services.sign_note(note, by=user, request=request)
        except NoteError as exc:
            error = str(exc)
        else:
            messages.success(
                request, _("The note is signed. From now on it changes only by amendment.")
            )
            return redirect(note)
    return render(
        request,
        "notes/sessionnote_confirm_sign.html",
        {**_case_context(note.case), "note": note, "error": error},
    )


@role_required(Role.COUNSELLOR)
@require_http_methods(["GET"])
def note_versions(request: HttpRequest, note_id: uuid.UUID) -> HttpResponse:
    user = _user(request)
    note = access.note_for_versions(user, note_id, request=request)
    versions = services.note_versions(note)
    authors = {u.pk: u for u in User.objects.filter(pk__in={v.saved_by_id for v in versions})}
    return render(
        request,
        "notes/sessionnote_versions.html",
        {
            **_case_context(note.case),
            "note": note,
            "versions": [(version, authors.get(version.saved_by_id)) for version in versions],
            "group_label": _group_label(note.joint_case) if note.joint_case else "",
        },
    )


# -- supervision -----------------------------------------------------------------------------


@role_required(Role.COUNSELLOR, Role.SUPERVISOR)
@require_http_methods(GET_POST)
def supervision(request: HttpRequest) -> HttpResponse:
    """A counsellor's supervision sessions and a form to record one; for a supervisor, the
    sessions they gave, a form to record one and their supervisees' cases by reference."""
    user = _user(request)
    is_counsellor = user.has_role(Role.COUNSELLOR)
    is_supervisor = user.has_role(Role.SUPERVISOR)
    which = request.POST.get("form") if request.method == "POST" else None
    received_form = given_form = None
    if is_counsellor:
        received_form = SupervisionReceivedForm(
            request.POST if which == "received" else None,
            cases=access.own_cases(user),
            prefix="received",
        )
    if is_supervisor:
        given_form = SupervisionGivenForm(
            request.POST if which == "given" else None,
            supervisees=access.supervisees(user),
            cases=access.supervisees_cases(user),
            prefix="given",
        )
    bound = {"received": received_form, "given": given_form}.get(which or "")
    if request.method == "POST" and bound is None:
        raise Http404
    if bound is not None and bound.is_valid():
        counsellor = bound.cleaned_data.get("counsellor", user)
        try:
            services.record_supervision(
                by=user,
                counsellor=counsellor,
                held_on=bound.cleaned_data["held_on"],
                cases=bound.cleaned_data["cases"],
                request=request,
            )
        except NoteError as error:
            bound.add_error(None, str(error))
        else:
            messages.success(request, _("The supervision session was recorded."))
            return redirect("notes:supervision")
    return render(
        request,
        "notes/supervisionsession_list.html",
        {
            "is_counsellor": is_counsellor,
            "is_supervisor": is_supervisor,
            "received": access.supervision_received(user),
            "given": access.supervision_given(user),
            "received_form": received_form,
            "given_form": given_form,
            "received_summary": ErrorSummary.of(received_form),
            "given_summary": ErrorSummary.of(given_form),
            "has_supervisor": user.supervisor_id is not None,
            "cases": access.supervision_cases(user, request=request) if is_supervisor else [],
        },
    )


@role_required(Role.COUNSELLOR)
@require_http_methods(GET_POST)
def share_point(request: HttpRequest, reference: str) -> HttpResponse:
    """Share a discussion point (and a risk flag) about a client for supervision."""
    user = _user(request)
    client = access.client_for_writing(user, reference)
    form = SupervisionPointForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            services.share_supervision_point(
                client,
                by=user,
                text=form.cleaned_data["text"],
                risk=form.cleaned_data["risk"],
                request=request,
            )
        except NoteError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The point was shared with your supervisor."))
            return redirect("notes:share", client.reference)
    return render(
        request,
        "notes/supervisionpoint_form.html",
        {
            **_case_context(client),
            "client": client,
            "form": form,
            "summary": ErrorSummary.of(form),
            "points": access.points_shared_about(user, client, request=request),
            "has_supervisor": user.supervisor_id is not None,
        },
    )
