from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from practice.accounts.models import ROLE_HOME_URL_NAMES, Role


def _home_label(role: Role) -> str:
    # Staff may hold several roles, so each home is named after its role; a client has one
    # home, and "Client" would read as a label, not a place.
    return _("Home") if role == Role.CLIENT else str(role.label)


def practice(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    nav = []
    verified = bool(user is not None and user.is_authenticated and user.is_verified())
    if verified:
        nav = [
            {"label": _home_label(role), "url": reverse(ROLE_HOME_URL_NAMES[role])}
            for role in user.roles  # type: ignore[union-attr]
        ]
    return {
        "practice_name": settings.PRACTICE_NAME,
        "signed_in": verified,
        "role_nav": nav,
        "idle_seconds": settings.SESSION_IDLE_SECONDS,
        "idle_minutes": settings.SESSION_IDLE_SECONDS // 60,
        "idle_warning_seconds": settings.SESSION_IDLE_WARNING_SECONDS,
    }
