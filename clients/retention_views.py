"""Retention pages: what is due, batch approval, the destruction register, legal holds and
erasure requests. Service managers only (the client's counsellor may also record an erasure
request). Each view: access -> form -> service -> response. Cases are named by reference."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from clients import retention, retention_access, services
from clients.models import Client, DestructionRecord, ErasureRequest, LegalHold
from clients.retention_forms import (
    ApproveBatchForm,
    ErasureDecisionForm,
    ErasureRecordForm,
    LegalHoldForm,
)
from practice.accounts.decorators import role_required
from practice.accounts.models import Role, User
from practice.audit.services import record

REGISTER_PAGE_SIZE = 50


def _case_label(case: retention.CaseRetention) -> str:
    return _("%(ref)s: due since %(date)s (%(rule)s)") % {
        "ref": case.client.reference,
        "date": case.due_on.strftime("%d %b %Y") if case.due_on else "?",
        "rule": retention.rule_description(case.rule),
    }


@role_required(Role.MANAGER)
@require_http_methods(["GET", "POST"])
def overview(request: HttpRequest) -> HttpResponse:
    """What is due: closed cases waiting for approval (approve a batch here), process notes
    the next run destroys, destructions waiting for the run, and what a legal hold keeps."""
    user: User = request.user  # type: ignore[assignment]
    retention_access.require_manager(user)
    today = timezone.localdate()
    cases = retention.closed_cases(today)
    due = [case for case in cases if case.is_due(today)]
    approvable = [case for case in due if not case.held]
    form = ApproveBatchForm(
        request.POST if request.method == "POST" else None,
        choices=[(case.client.reference, _case_label(case)) for case in approvable],
    )
    if request.method == "POST" and form.is_valid():
        chosen = set(form.cleaned_data["cases"])
        try:
            batch = services.approve_destruction_batch(
                [case.client for case in approvable if case.client.reference in chosen],
                by=user,
                reason=form.cleaned_data["reason"],
                today=today,
                request=request,
            )
        except services.ClientError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _(
                    "Batch %(ref)s approved: %(count)s case(s) will be destroyed at the next "
                    "retention run."
                )
                % {"ref": batch.reference, "count": batch.records.count()},
            )
            return redirect("clients:retention")
    if request.method == "GET":
        # A minor's due date is their birthday plus the retention age: reading it is reading
        # their date of birth.
        for case in due:
            if case.rule == DestructionRecord.Rule.CLOSED_MINOR:
                record(
                    "retention.due_date.viewed",
                    by=user,
                    target=case.client,
                    client_ref=case.client.reference,
                    request=request,
                    data={"rule": case.rule},
                )
    process_notes = retention.process_notes_due(today)
    return render(
        request,
        "clients/retention_overview.html",
        {
            "form": form,
            "approvable": approvable,
            "held_cases": [case for case in due if case.held],
            "missing_birth_date": [case for case in cases if case.due_on is None],
            "waiting": retention.waiting_destructions().order_by("created_at"),
            "process_notes": [p for p in process_notes if not p.kept],
            "process_notes_held": [p for p in process_notes if p.kept],
            "summary": retention.manager_summary(today),
            "years": settings.RETENTION_YEARS,
            "minor_age": settings.RETENTION_MINOR_UNTIL_AGE,
        },
    )


@role_required(Role.MANAGER)
def register(request: HttpRequest) -> HttpResponse:
    """The destruction register: every tombstone, newest first."""
    user: User = request.user  # type: ignore[assignment]
    records = retention_access.destruction_register(user).order_by("-created_at")
    page = Paginator(records, REGISTER_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "clients/retention_register.html", {"page": page})


# -- legal holds -------------------------------------------------------------------------------


@role_required(Role.MANAGER)
def hold_list(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    retention_access.require_manager(user)
    holds = retention_access.holds_visible_to(user)
    return render(
        request,
        "clients/legalhold_list.html",
        {
            "active": holds.filter(lifted_at__isnull=True).order_by("-placed_at"),
            "lifted": holds.filter(lifted_at__isnull=False).order_by("-lifted_at")[:50],
        },
    )


@role_required(Role.MANAGER)
@require_http_methods(["GET", "POST"])
def hold_place(request: HttpRequest, reference: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    client = retention_access.client_for_hold(user, reference)
    form = LegalHoldForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.place_legal_hold(
                client,
                by=user,
                reason=form.cleaned_data["reason"],
                source=LegalHold.Source.MANAGER,
                request=request,
            )
        except services.ClientError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Legal hold placed: nothing of %(ref)s will be destroyed while it stands.")
                % {"ref": client.reference},
            )
            return redirect(client)
    return render(request, "clients/legalhold_form.html", {"client": client, "form": form})


@role_required(Role.MANAGER)
@require_http_methods(["GET", "POST"])
def hold_lift(request: HttpRequest, hold_id: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    hold = retention_access.hold_for(user, hold_id)
    form = LegalHoldForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and hold.is_active and form.is_valid():
        try:
            services.lift_legal_hold(
                hold, by=user, reason=form.cleaned_data["reason"], request=request
            )
        except services.ClientError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Legal hold lifted."))
            return redirect(hold.client)
    # The hold's reason is clinical text (encrypted): reading it is audited.
    record(
        "legal_hold.viewed",
        by=user,
        target=hold,
        client_ref=hold.client.reference,
        request=request,
    )
    return render(
        request,
        "clients/legalhold_lift.html",
        {
            "hold": hold,
            "client": hold.client,
            "form": form,
            "other_holds": retention.active_holds()
            .filter(client=hold.client)
            .exclude(pk=hold.pk)
            .count(),
            "waiting": retention.waiting_destruction_for(hold.client),
        },
    )


# -- erasure requests --------------------------------------------------------------------------


@role_required(Role.MANAGER)
def erasure_list(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    retention_access.require_manager(user)
    requests = retention_access.erasure_requests_for(user)
    return render(
        request,
        "clients/erasure_list.html",
        {
            "open": requests.filter(status=ErasureRequest.Status.OPEN),
            "decided": requests.exclude(status=ErasureRequest.Status.OPEN)[:100],
        },
    )


@role_required(Role.COUNSELLOR, Role.MANAGER)
@require_http_methods(["GET", "POST"])
def erasure_new(request: HttpRequest, reference: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    client = retention_access.client_for_erasure(user, reference)
    form = ErasureRecordForm(
        request.POST if request.method == "POST" else None,
        initial={"received_on": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            erasure = services.record_erasure_request(
                client,
                by=user,
                received_on=form.cleaned_data["received_on"],
                channel=form.cleaned_data["channel"],
                request=request,
            )
        except services.ClientError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Erasure request %(ref)s recorded: a service manager will decide it.")
                % {"ref": erasure.reference},
            )
            if retention_access.is_manager(user):
                return redirect("clients:erasure_detail", erasure.pk)
            return redirect(client)
    return render(request, "clients/erasure_form.html", {"client": client, "form": form})


@role_required(Role.MANAGER)
@require_http_methods(["GET", "POST"])
def erasure_detail(request: HttpRequest, erasure_id: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    erasure = retention_access.erasure_for(user, erasure_id)
    form = None
    client: Client | None = erasure.client
    if erasure.is_open:
        form = ErasureDecisionForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            approve = form.cleaned_data["decision"] == "approve"
            try:
                services.decide_erasure(
                    erasure,
                    by=user,
                    approve=approve,
                    reason=form.cleaned_data["reason"],
                    exemption=form.cleaned_data["exemption"],
                    request=request,
                )
            except services.ClientError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    _("Erasure approved: the records are destroyed at the next retention run.")
                    if approve
                    else _("Erasure refused. Tell the client why, with the exemption shown."),
                )
                return redirect("clients:erasure_detail", erasure.pk)
    case = None
    holds: list[LegalHold] = []
    if client is not None:
        holds = retention.holds_blocking(client)
        case = retention.retention_of(client)
        if case is not None and case.rule == DestructionRecord.Rule.CLOSED_MINOR:
            record(
                "retention.due_date.viewed",
                by=user,
                target=client,
                client_ref=client.reference,
                request=request,
                data={"rule": case.rule},
            )
    return render(
        request,
        "clients/erasure_detail.html",
        {
            "erasure": erasure,
            "client": client,
            "form": form,
            "holds": holds,
            "case": case,
            "in_retention_period": case is not None and not case.is_due(timezone.localdate()),
            "rule_text": retention.rule_description(case.rule) if case else "",
            "exemption_text": retention.exemption_text(erasure.exemption),
            "exemptions": [
                (label, retention.exemption_text(code))
                for code, label in ErasureRequest.Exemption.choices
            ],
            "records": erasure.records.all(),
        },
    )
