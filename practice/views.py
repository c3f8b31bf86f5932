"""The role home pages, which gather from every app, and the health check."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from clients import access as client_access
from clients import retention
from clients.models import Client
from disclosures import queues, sar_access
from disclosures.models import SubjectAccessRequest
from notes import access as note_access
from notes.models import SessionNote
from practice.accounts.decorators import open_to_clients, role_required
from practice.accounts.models import Role, User
from practice.audit.services import manager_summary as audit_summary


@open_to_clients
def home(request: HttpRequest) -> HttpResponse:
    """The site name links here: each person's own home page, the portal for a client."""
    name = request.user.home_url_name  # type: ignore[union-attr]
    if name is None:
        raise Http404
    return redirect(name)


@dataclass(frozen=True)
class AccessRequestPanel:
    """The home page's subject access panel: open requests, overdue ones first."""

    open: list[SubjectAccessRequest]
    overdue: list[SubjectAccessRequest]
    shown: list[tuple[SubjectAccessRequest, datetime.date, bool]]


def _access_requests(user: User, limit: int = 5) -> AccessRequestPanel:
    today = timezone.localdate()
    requests = sar_access.open_requests_visible_to(user)
    return AccessRequestPanel(
        open=requests,
        overdue=[sar for sar in requests if sar.is_overdue(today)],
        shown=[(sar, sar.due_on(today), sar.is_overdue(today)) for sar in requests[:limit]],
    )


@role_required(Role.COUNSELLOR)
def counsellor_home(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    caseload = client_access.caseload(user)
    return render(
        request,
        "practice/home_counsellor.html",
        {
            "active_count": caseload.exclude(status=Client.Status.ENDED).count(),
            "draft_count": SessionNote.objects.filter(
                author=user, status=SessionNote.Status.DRAFT
            ).count(),
            "break_glass": client_access.break_glass_client_ids(user).count(),
            "waiting": queues.waiting_for(user),
            "blocked": queues.blocked_for(user),
            "reviews": queues.emergency_reviews_due(user),
            "access_requests": _access_requests(user),
        },
    )


@role_required(Role.SUPERVISOR)
def supervisor_home(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    cases = note_access.supervision_cases(user, request=request)
    return render(
        request,
        "practice/home_supervisor.html",
        {
            "cases": cases,
            "waiting": queues.waiting_for(user),
            "reviews": queues.emergency_reviews_due(user),
        },
    )


@role_required(Role.MANAGER)
def manager_home(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    return render(
        request,
        "practice/home_manager.html",
        {
            "unallocated": Client.objects.filter(counsellor__isnull=True).count(),
            "break_glass": list(client_access.break_glass_for_review(user)[:20]),
            "waiting": queues.waiting_for(user),
            "reviews": queues.emergency_reviews_due(user),
            "access_requests": _access_requests(user),
            "retention": retention.manager_summary(),
            "audit_summary": audit_summary(),
        },
    )


@role_required(Role.ADMINISTRATOR)
def administrator_home(request: HttpRequest) -> HttpResponse:
    return render(request, "practice/home_administrator.html", {})


@login_not_required
@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers, 503 when it does not; nothing else is revealed."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})
