"""The role home pages, which gather from every app, and the health check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from clients import access as client_access
from clients.models import Client
from disclosures import queues
from notes import access as note_access
from notes.models import SessionNote
from practice.accounts.decorators import open_to_clients, role_required
from practice.accounts.models import Role, User


@open_to_clients
def home(request: HttpRequest) -> HttpResponse:
    """The site name links here: each person's own home page, the portal for a client."""
    name = request.user.home_url_name  # type: ignore[union-attr]
    if name is None:
        raise Http404
    return redirect(name)


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
