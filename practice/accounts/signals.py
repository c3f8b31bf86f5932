"""Audit receivers for sign-in events raised by Django and django-axes."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from practice.audit.services import record

SESSION_STARTED_KEY = "practice_session_started"


@receiver(user_login_failed)
def audit_login_failed(sender: Any, credentials: dict, request: Any = None, **kwargs: Any) -> None:
    if credentials.get("factor") == "otp":
        return  # the second-factor step records its own event
    # The typed username is recorded only when it names an account: people sometimes type
    # their password into the username box, and that must not reach the audit trail.
    username = credentials.get("username") or ""
    user = get_user_model().objects.filter(username=username).first() if username else None
    record(
        "auth.login.failed",
        by=user,
        request=request,
        data={"username_known": user is not None},
    )


@receiver(user_locked_out)
def audit_locked_out(sender: Any, request: Any = None, username: str = "", **kwargs: Any) -> None:
    user = get_user_model().objects.filter(username=username).first() if username else None
    record("auth.lockout", by=user, request=request, data={"username_known": user is not None})


@receiver(user_logged_in)
def mark_session_start(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        import time

        request.session[SESSION_STARTED_KEY] = time.time()
