"""Staff pages for subject access requests: access → form → service → response.

The client's counsellor and service managers handle a request (``sar_access``; anyone else
gets a 404, the same as a missing request). The counsellor records it, prepares the bundle
and chooses its content entry by entry (they may read the notes); a service manager who did
not prepare it reviews what is in and what is left out, and why, without reading any note
text (``subject_access.overview``), and releases it through the release service.

Every change goes through ``disclosures.subject_access`` (atomic, audited, re-checking every
rule whatever the page showed); its refusals are shown in the error summary and change
nothing. Pages name the client by case reference only. Nothing confidential goes into a URL,
a message or an audit event: URLs carry the request's id or the client's reference.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clients.access import Purpose, can, caseload
from disclosures import sar_access, services, subject_access
from disclosures.deadlines import MAX_EXTENSION_MONTHS, add_months, clock_start, paused_days
from disclosures.models import (
    DisclosureRequest,
    ReleasedDocument,
    Status,
    SubjectAccessPause,
    SubjectAccessRequest,
    Withholding,
)
from disclosures.sar_forms import (
    EXEMPTIONS,
    INCLUDE,
    LEAVE_OUT,
    WITHHOLD,
    WITHHOLD_CRIME,
    BundleContentForm,
    CloseForm,
    ExtendForm,
    FindClientForm,
    PauseForm,
    RecordForm,
    ReleaseForm,
    VerifyForm,
)
from disclosures.services import DisclosureError, ReleaseBlocked
from notes.forms import ErrorSummary
from notes.models import NoteEntry, SessionNote, SupervisionPoint
from practice.accounts.decorators import role_required
from practice.accounts.models import Role, User

HANDLERS = (Role.COUNSELLOR, Role.MANAGER)
GET_POST = ["GET", "POST"]
CONTENT_EDITABLE = (Status.RAISED, Status.CONSENT_CLEARED)
RECENTLY_COMPLETED = 20


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _detail_url(sar: SubjectAccessRequest) -> str:
    return reverse("disclosures:sar_detail", args=[sar.pk])


def _add_service_errors(form: forms.Form, error: DisclosureError) -> None:
    reasons = error.reasons if isinstance(error, ReleaseBlocked) else [str(error)]
    for reason in reasons:
        form.add_error(None, reason)


def _render_failed() -> type[Exception]:
    from disclosures.pdf import PdfRenderError

    return PdfRenderError


# -- the deadline, and how it was worked out --------------------------------------------


@dataclass(frozen=True)
class Deadline:
    received: datetime.date
    clock_started: datetime.date
    one_month: datetime.date
    extension_months: int
    extended_to: datetime.date
    pauses: list[SubjectAccessPause]
    paused_days: int
    due: datetime.date
    overdue: bool
    days_left: int


def deadline(sar: SubjectAccessRequest, today: datetime.date | None = None) -> Deadline:
    today = today or timezone.localdate()
    pauses = list(sar.pauses.all())
    due = sar.due_on(today)
    started, later_pauses = clock_start(sar.received_on, sar.pause_spans(), today)
    return Deadline(
        received=sar.received_on,
        clock_started=started,
        one_month=add_months(started, 1),
        extension_months=sar.extension_months,
        extended_to=add_months(started, 1 + sar.extension_months),
        pauses=pauses,
        paused_days=paused_days(later_pauses, today),
        due=due,
        overdue=sar.is_overdue(today),
        days_left=(due - today).days,
    )


# -- the list --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    sar: SubjectAccessRequest
    due: datetime.date
    overdue: bool
    paused: bool


@dataclass(frozen=True)
class CaseloadRow:
    reference: str
    open_request: SubjectAccessRequest | None


@role_required(*HANDLERS)
@require_GET
def sar_list(request: HttpRequest) -> HttpResponse:
    """Open requests, overdue first; a manager finds a client by reference to record one, a
    counsellor picks from their caseload."""
    user = _user(request)
    is_manager = user.has_role(Role.MANAGER)
    find = FindClientForm(request.GET if "client" in request.GET else None)
    if is_manager and find.is_bound and find.is_valid():
        reference = find.cleaned_data["client"]
        try:
            sar_access.client_for_recording(user, reference)
        except Http404:
            find.add_error("client", _("There is no client with that reference."))
        else:
            return redirect("disclosures:sar_new", reference=reference)
    today = timezone.localdate()
    open_requests = sar_access.open_requests_visible_to(user)
    rows = [
        Row(
            sar=sar,
            due=sar.due_on(today),
            overdue=sar.is_overdue(today),
            paused=sar.status == SubjectAccessRequest.Status.PAUSED,
        )
        for sar in open_requests
    ]
    open_by_client = {sar.client_id: sar for sar in open_requests}
    mine = [
        CaseloadRow(reference=client.reference, open_request=open_by_client.get(client.pk))
        for client in caseload(user).order_by("reference")
    ]
    completed = (
        sar_access.access_requests_visible_to(user)
        .exclude(status__in=subject_access.OPEN_STATUSES)
        .select_related("client")
        .order_by("-completed_at")[:RECENTLY_COMPLETED]
    )
    return render(
        request,
        "disclosures/subjectaccessrequest_list.html",
        {
            "rows": rows,
            "overdue_count": sum(1 for row in rows if row.overdue),
            "caseload": mine,
            "completed": completed,
            "is_manager": is_manager,
            "find": find if is_manager else None,
        },
    )


# -- recording a request ----------------------------------------------------------------------


@role_required(*HANDLERS)
@require_http_methods(GET_POST)
def sar_new(request: HttpRequest, reference: str) -> HttpResponse:
    user = _user(request)
    client = sar_access.client_for_recording(user, reference.strip().upper())
    if not subject_access.may_manage(user, client):
        raise Http404
    in_progress = (
        sar_access.access_requests_visible_to(user)
        .filter(client=client, status__in=subject_access.OPEN_STATUSES)
        .first()
    )
    form = RecordForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            sar = subject_access.request_access(
                client,
                by=user,
                channel=data["channel"],
                received_on=data["received_on"],
                details=data["details"],
                identity_verified=data["identity_verified"],
                identity_verified_how=data["identity_verified_how"],
                request=request,
            )
        except DisclosureError as error:
            _add_service_errors(form, error)
        else:
            if sar.status == SubjectAccessRequest.Status.PAUSED:
                messages.success(
                    request,
                    _(
                        "Request %(reference)s was recorded. The clock is stopped until the "
                        "client's identity is verified."
                    )
                    % {"reference": sar.reference},
                )
            else:
                messages.success(
                    request,
                    _("Request %(reference)s was recorded. It is due by %(due)s.")
                    % {"reference": sar.reference, "due": f"{sar.due_on():%d %B %Y}"},
                )
            return redirect(_detail_url(sar))
    return render(
        request,
        "disclosures/subjectaccessrequest_form.html",
        {"client": client, "form": form, "in_progress": in_progress},
    )


# -- one request ------------------------------------------------------------------------------


@dataclass
class Offers:
    """The action forms offered to this user now. The service decides; these only choose
    which forms to show, using the same rules."""

    verify: VerifyForm | None = None
    pause: PauseForm | None = None
    resume: forms.Form | None = None
    extend: ExtendForm | None = None
    close: CloseForm | None = None
    prepare: forms.Form | None = None
    bound: list[forms.Form] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return any([self.verify, self.pause, self.resume, self.extend, self.close, self.prepare])


def _remaining_extension(sar: SubjectAccessRequest) -> int:
    return MAX_EXTENSION_MONTHS - sar.extension_months


def _may_extend(sar: SubjectAccessRequest, today: datetime.date) -> bool:
    if not sar.is_open or _remaining_extension(sar) < 1:
        return False
    return subject_access.may_still_extend(sar, today)


def _bundle_open(sar: SubjectAccessRequest) -> bool:
    return sar.bundle is not None and sar.bundle.status != Status.REFUSED


def _make_form(key: str, sar: SubjectAccessRequest, data: Any = None) -> forms.Form:
    if key == "verify":
        return VerifyForm(data, prefix="verify")
    if key == "pause":
        return PauseForm(data, prefix="pause")
    if key == "extend":
        return ExtendForm(data, prefix="extend", remaining=max(_remaining_extension(sar), 1))
    if key == "close":
        return CloseForm(data, prefix="close")
    return forms.Form(data, prefix=key)


def _offers(user: User, sar: SubjectAccessRequest, bound: dict[str, forms.Form]) -> Offers:
    today = timezone.localdate()
    is_open, paused = sar.is_open, sar.status == SubjectAccessRequest.Status.PAUSED
    pause_now = sar.open_pause
    wanted = {
        "verify": is_open and not sar.identity_verified,
        "pause": sar.status == SubjectAccessRequest.Status.OPEN and not _bundle_open(sar),
        "resume": pause_now is not None
        and (pause_now.reason != SubjectAccessPause.Reason.IDENTITY or sar.identity_verified),
        "extend": _may_extend(sar, today),
        "close": is_open,
        "prepare": is_open
        and not paused
        and not _bundle_open(sar)
        and can(user, sar.client, Purpose.NOTES_WRITE),
    }
    offers = Offers(bound=list(bound.values()))
    for key, offered in wanted.items():
        if offered or key in bound:
            setattr(offers, key, bound.get(key) or _make_form(key, sar))
    return offers


def _detail(
    request: HttpRequest, sar: SubjectAccessRequest, bound: dict[str, forms.Form] | None = None
) -> HttpResponse:
    user = _user(request)
    bound = bound or {}
    offers = _offers(user, sar, bound)
    bundle = sar.bundle
    writes_notes = can(user, sar.client, Purpose.NOTES_WRITE)
    bundle_open = _bundle_open(sar)
    problems = (
        subject_access.bundle_problems(bundle)
        if bundle is not None and bundle_open and not bundle.is_final
        else []
    )
    released = (
        ReleasedDocument.objects.filter(request=bundle).only("id", "sha256", "size", "created_at")
        if bundle is not None
        else ReleasedDocument.objects.none()
    ).first()
    return render(
        request,
        "disclosures/subjectaccessrequest_detail.html",
        {
            "sar": sar,
            "deadline": deadline(sar),
            "offers": offers,
            "summary": ErrorSummary.of(*offers.bound),
            "bundle": bundle,
            "bundle_open": bundle_open,
            "problems": problems,
            "may_choose": bundle_open
            and bundle is not None
            and bundle.status in CONTENT_EDITABLE
            and writes_notes,
            "may_review": bundle_open,
            "is_manager": user.has_role(Role.MANAGER),
            "writes_notes": writes_notes,
            "release_progress": services.release_progress(bundle) if bundle is not None else None,
            "released": released,
        },
    )


@role_required(*HANDLERS)
@require_GET
def sar_detail(request: HttpRequest, sar_id: uuid.UUID) -> HttpResponse:
    sar = sar_access.access_request_for(_user(request), sar_id, http_request=request)
    return _detail(request, sar)


def _act(
    request: HttpRequest,
    sar_id: uuid.UUID,
    *,
    key: str,
    act: Callable[[SubjectAccessRequest, User, forms.Form], str],
) -> HttpResponse:
    """Fetch (audited), check the form, call the service: on success a message and back to the
    request, otherwise the request page again with the error summary (nothing changed)."""
    user = _user(request)
    sar = sar_access.access_request_for(user, sar_id, http_request=request, view=key)
    form = _make_form(key, sar, request.POST)
    if form.is_valid():
        try:
            done = act(sar, user, form)
        except DisclosureError as error:
            _add_service_errors(form, error)
        else:
            messages.success(request, done)
            return redirect(_detail_url(sar))
    sar.refresh_from_db()
    return _detail(request, sar, {key: form})


@role_required(*HANDLERS)
@require_POST
def sar_verify(request: HttpRequest, sar_id: uuid.UUID) -> HttpResponse:
    def act(sar: SubjectAccessRequest, user: User, form: forms.Form) -> str:
        sar = subject_access.verify_identity(
            sar, by=user, how=form.cleaned_data["how"], request=request
        )
        if sar.status == SubjectAccessRequest.Status.OPEN:
            return _("The client's identity is verified. The clock has restarted.")
        return _("The client's identity is verified.")

    return _act(request, sar_id, key="verify", act=act)


@role_required(*HANDLERS)
@require_POST
def sar_pause(request: HttpRequest, sar_id: uuid.UUID) -> HttpResponse:
    def act(sar: SubjectAccessRequest, user: User, form: forms.Form) -> str:
        subject_access.pause(sar, by=user, reason=form.cleaned_data["reason"], request=request)
        return _(
            "The clock is stopped until the client replies. They have been sent a message "
            "to sign in to the portal or speak to their counsellor."
        )

    return _act(request, sar_id, key="pause", act=act)


@role_required(*HANDLERS)
@require_POST
def sar_resume(request: HttpRequest, sar_id: uuid.UUID) -> HttpResponse:
    def act(sar: SubjectAccessRequest, user: User, form: forms.Form) -> str:
        subject_access.resume(sar, by=user, request=request)
        return _("The clock has restarted; the due date moved by the days it was stopped.")

    return _act(request, sar_id, key="resume", act=act)


@role_required(*HANDLERS)
@require_POST
def sar_extend(request: HttpRequest, sar_id: uuid.UUID) -> HttpResponse:
    def act(sar: SubjectAccessRequest, user: User, form: forms.Form) -> str:
        sar = subject_access.extend(
            sar,
            by=user,
            months=form.cleaned_data["months"],
            reason=form.cleaned_data["reason"],
            request=request,
        )
        return _(
            "The request was extended; it is now due by %(due)s. The client has been sent a "
            "message to sign in to the portal for the details."
        ) % {"due": f"{sar.due_on():%d %B %Y}"}

    return _act(request, sar_id, key="extend", act=act)


@role_required(*HANDLERS)
@require_POST
def sar_close(request: HttpRequest, sar_id: uuid.UUID) -> HttpResponse:
    def act(sar: SubjectAccessRequest, user: User, form: forms.Form) -> str:
        subject_access.close(sar, by=user, reason=form.cleaned_data["reason"], request=request)
        return _("The request was closed. Nothing was released.")

    return _act(request, sar_id, key="close", act=act)


@role_required(*HANDLERS)
@require_POST
def sar_prepare(request: HttpRequest, sar_id: uuid.UUID) -> HttpResponse:
    def act(sar: SubjectAccessRequest, user: User, form: forms.Form) -> str:
        subject_access.prepare_bundle(sar, by=user, request=request)
        return _(
            "The bundle was prepared with every entry except third-party information. Check "
            "it entry by entry, then a service manager reviews and releases it."
        )

    return _act(request, sar_id, key="prepare", act=act)


# -- choosing the bundle's content (the counsellor, who may read the notes) ----------------


@dataclass(frozen=True)
class EntryDecision:
    entry: NoteEntry
    decision: forms.BoundField
    reason: forms.BoundField | None = None
    basis: forms.BoundField | None = None
    opinion_by: forms.BoundField | None = None
    opinion_on: forms.BoundField | None = None


@dataclass(frozen=True)
class PointDecision:
    point: SupervisionPoint
    decision: forms.BoundField
    basis: forms.BoundField
    opinion_by: forms.BoundField
    opinion_on: forms.BoundField


@dataclass(frozen=True)
class NoteDecisions:
    note: SessionNote
    entries: list[EntryDecision]


def _initial_withheld(initial: dict[str, Any], name: dict[str, str], held: Withholding) -> None:
    decisions = {exemption: decision for decision, exemption in EXEMPTIONS.items()}
    initial[name["decision"]] = decisions[held.exemption]
    initial[name["basis"]] = held.basis
    initial[name["opinion_by"]] = held.opinion_by
    initial[name["opinion_on"]] = held.opinion_on


def _initial(
    bundle: DisclosureRequest, entries: list[NoteEntry], points: list[SupervisionPoint]
) -> dict[str, Any]:
    """What is saved now, or the proposal: everything in, third-party information out."""
    items = {item.entry_id: item for item in bundle.items.all()}
    withholdings = list(bundle.withholdings.all())
    withheld = {w.entry_id: w for w in withholdings if w.entry_id}
    initial: dict[str, Any] = {}
    for entry in entries:
        name = BundleContentForm.names(entry)
        if entry.pk in withheld and not entry.is_third_party:
            _initial_withheld(initial, name, withheld[entry.pk])
        elif entry.pk in items:
            initial[name["decision"]] = INCLUDE
            if entry.is_third_party:
                initial[name["reason"]] = items[entry.pk].third_party_reason
        else:
            # Not chosen yet (or written since the bundle was prepared): the proposal.
            initial[name["decision"]] = LEAVE_OUT if entry.is_third_party else INCLUDE
    points_withheld = {w.point_id: w for w in withholdings if w.point_id}
    for point in points:
        name = BundleContentForm.names(point)
        if point.pk in points_withheld:
            _initial_withheld(initial, name, points_withheld[point.pk])
        else:  # in the bundle, or shared since it was prepared: the proposal is to include it
            initial[name["decision"]] = INCLUDE
    return initial


def _point_rows(form: BundleContentForm) -> list[PointDecision]:
    rows = []
    for point in form.points:
        name = form.names(point)
        rows.append(
            PointDecision(
                point=point,
                decision=form[name["decision"]],
                basis=form[name["basis"]],
                opinion_by=form[name["opinion_by"]],
                opinion_on=form[name["opinion_on"]],
            )
        )
    return rows


def _groups(form: BundleContentForm, entries: list[NoteEntry]) -> list[NoteDecisions]:
    groups: list[NoteDecisions] = []
    for entry in entries:
        name = form.names(entry)
        if entry.is_third_party:
            row = EntryDecision(
                entry=entry, decision=form[name["decision"]], reason=form[name["reason"]]
            )
        else:
            row = EntryDecision(
                entry=entry,
                decision=form[name["decision"]],
                basis=form[name["basis"]],
                opinion_by=form[name["opinion_by"]],
                opinion_on=form[name["opinion_on"]],
            )
        if groups and groups[-1].note.pk == entry.note_id:
            groups[-1].entries.append(row)
        else:
            groups.append(NoteDecisions(note=entry.note, entries=[row]))
    return groups


@role_required(Role.COUNSELLOR)
@require_http_methods(GET_POST)
def sar_content(request: HttpRequest, sar_id: uuid.UUID) -> HttpResponse:
    user = _user(request)
    sar = sar_access.access_request_for(user, sar_id, http_request=request, view="content")
    if not can(user, sar.client, Purpose.NOTES_WRITE):
        raise Http404
    bundle = sar.bundle
    if bundle is None or bundle.status == Status.REFUSED:
        messages.info(request, _("Prepare the bundle first."))
        return redirect(_detail_url(sar))
    if bundle.status not in CONTENT_EDITABLE:
        messages.info(request, _("The bundle cannot change once it has been approved."))
        return redirect(_detail_url(sar))
    entries = subject_access.candidate_entries(sar.client)
    points = subject_access.candidate_points(sar.client)
    form = BundleContentForm(
        request.POST if request.method == "POST" else None,
        entries=entries,
        points=points,
        initial=_initial(bundle, entries, points),
    )
    if request.method == "POST" and form.is_valid():
        try:
            subject_access.choose_bundle_content(
                bundle,
                by=user,
                include=form.include(),
                third_party_reasons=form.third_party_reasons(),
                withhold=form.withhold(),
                include_points=form.include_points(),
                withhold_points=form.withhold_points(),
                request=request,
            )
        except DisclosureError as error:
            _add_service_errors(form, error)
        else:
            messages.success(
                request,
                _(
                    "What is in the bundle, and what is left out, was saved. A service manager "
                    "who did not prepare it reviews and releases it."
                ),
            )
            return redirect(_detail_url(sar))
    return render(
        request,
        "disclosures/subjectaccessrequest_content.html",
        {
            "sar": sar,
            "bundle": bundle,
            "form": form,
            "groups": _groups(form, entries),
            "points": _point_rows(form),
            "include": INCLUDE,
            "withholding": [WITHHOLD, WITHHOLD_CRIME],
        },
    )


# -- review and release (a service manager; no note text on this page) -----------------------


def _release(request: HttpRequest, sar: SubjectAccessRequest, user: User) -> str:
    bundle = sar.bundle
    assert bundle is not None
    if services.should_release_in_background(bundle):
        with transaction.atomic():
            if bundle.status == Status.CONSENT_CLEARED:
                services.approve(bundle, by=user, reason="Bundle reviewed.", request=request)
            services.queue_release(bundle, by=user, request=request)
        return _(
            "The bundle is large, so it is being prepared in the background. The request's "
            "page shows when it has been released."
        )
    try:
        subject_access.release_bundle(sar, by=user, request=request)
    except _render_failed() as error:
        raise DisclosureError(
            _("The PDF could not be made safely, so nothing was released.")
        ) from error
    return _(
        "Released. The client has been told: the bundle is in their portal, and an e-mail "
        "with no details asked them to sign in."
    )


@role_required(*HANDLERS)
@require_http_methods(GET_POST)
def sar_review(request: HttpRequest, sar_id: uuid.UUID) -> HttpResponse:
    user = _user(request)
    sar = sar_access.access_request_for(user, sar_id, http_request=request, view="review")
    bundle = sar.bundle
    if bundle is None or bundle.status == Status.REFUSED:
        messages.info(request, _("The bundle has not been prepared yet."))
        return redirect(_detail_url(sar))
    form = ReleaseForm(request.POST if request.method == "POST" else None, prefix="release")
    if request.method == "POST" and form.is_valid():
        try:
            done = _release(request, sar, user)
        except DisclosureError as error:
            _add_service_errors(form, error)
        else:
            messages.success(request, done)
            return redirect(_detail_url(sar))
        bundle = DisclosureRequest.objects.get(pk=bundle.pk)
    may_release_now = (
        bundle.status == Status.CONSENT_CLEARED and services.may_approve(user, bundle)
    ) or (
        bundle.status == Status.APPROVED
        and services.may_release(user, bundle)
        and not bundle.release_task_id
    )
    return render(
        request,
        "disclosures/subjectaccessrequest_review.html",
        {
            "sar": sar,
            "bundle": bundle,
            "overview": subject_access.overview(bundle),
            "problems": [] if bundle.is_final else subject_access.bundle_problems(bundle),
            "form": form,
            "may_release_now": may_release_now,
            "prepared_by_you": bundle.raised_by_id == user.pk,
            "is_manager": user.has_role(Role.MANAGER),
            "release_progress": services.release_progress(bundle),
            "deadline": deadline(sar),
        },
    )
