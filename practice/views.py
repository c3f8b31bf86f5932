"""The role home pages, which gather from every app, and the health check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from practice.accounts.decorators import role_required
from practice.accounts.models import Role


def home(request: HttpRequest) -> HttpResponse:
    name = request.user.home_url_name  # type: ignore[union-attr]
    if name is None:
        raise Http404
    return redirect(name)


@role_required(Role.COUNSELLOR)
def counsellor_home(request: HttpRequest) -> HttpResponse:
    return render(request, "practice/home_counsellor.html", {})


@role_required(Role.SUPERVISOR)
def supervisor_home(request: HttpRequest) -> HttpResponse:
    return render(request, "practice/home_supervisor.html", {})


@role_required(Role.MANAGER)
def manager_home(request: HttpRequest) -> HttpResponse:
    return render(request, "practice/home_manager.html", {})


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
