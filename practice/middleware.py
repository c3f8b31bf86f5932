"""Cross-cutting request rules: default deny, idle sign-out, and response headers."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from practice.accounts.models import has_accepted_current_policy
from practice.accounts.signals import SESSION_STARTED_KEY
from practice.audit.services import record
from practice.crypto.keyring import CryptoError

LAST_ACTIVITY_KEY = "practice_last_activity"
PORTAL_NAMESPACE = "portal"
# Pages that show client data: staff must have accepted the current confidentiality policy.
CLIENT_DATA_NAMESPACES = {"clients", "notes", "consent", "disclosures"}


class RequireVerifiedUserMiddleware:
    """Every view needs a signed-in user who passed the second factor.

    The exceptions are marked on the view itself: Django's ``login_not_required`` for the
    public pages (sign-in, health check) and ``otp_not_required`` for the steps between the
    password and the second factor. Client accounts reach only the portal, and staff never
    do: anything else is a 404, as for a page that does not exist.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        if getattr(view_func, "login_required", True) is False:
            return None
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse(settings.LOGIN_URL))
        if not user.is_verified():  # type: ignore[union-attr]
            if getattr(view_func, "otp_required", True) is False:
                return None
            return redirect("accounts:verify")
        if getattr(view_func, "otp_required", True) is False:
            return None
        in_portal = request.resolver_match is not None and (
            PORTAL_NAMESPACE in request.resolver_match.namespaces
        )
        shared = getattr(view_func, "open_to_clients", False) is True
        if user.is_client_account != in_portal and not shared:  # type: ignore[union-attr]
            raise Http404
        namespaces = set(request.resolver_match.namespaces) if request.resolver_match else set()
        if namespaces & CLIENT_DATA_NAMESPACES and not has_accepted_current_policy(user):  # type: ignore[arg-type]
            return redirect_to_login(request.get_full_path(), reverse("accounts:policy"), "next")
        return None


class IdleTimeoutMiddleware:
    """End a signed-in session after SESSION_IDLE_SECONDS without a request, and after
    SESSION_COOKIE_AGE in all, whatever the activity."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            now = time.time()
            last = request.session.get(LAST_ACTIVITY_KEY, now)
            started = request.session.setdefault(SESSION_STARTED_KEY, now)
            idle = now - last > settings.SESSION_IDLE_SECONDS
            too_old = now - started > settings.SESSION_COOKIE_AGE
            if idle or too_old:
                record("auth.session.expired", by=user, request=request, data={"idle": idle})
                logout(request)
                return redirect(reverse("accounts:login") + "?timeout=1")
            request.session[LAST_ACTIVITY_KEY] = now
        return self.get_response(request)


class SecurityHeadersMiddleware:
    """Headers Django's SecurityMiddleware does not set.

    Every response rendered by the application says ``no-store``: pages about clients must not
    stay in a browser or proxy cache after sign-out. Static files are served before this
    middleware and stay cacheable.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response["Cache-Control"] = "no-store"
        response["Pragma"] = "no-cache"
        response.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
        )
        response.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response


class DecryptionFailureMiddleware:
    """A record that cannot be decrypted (tampered with, moved, or its key destroyed) shows a
    calm page instead of a traceback; the field layer has already audited the failure."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, CryptoError):
            return render(request, "errors/decryption.html", status=500)
        return None
