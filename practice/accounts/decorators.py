"""Markers read by practice.middleware.RequireVerifiedUserMiddleware.

Every view needs a signed-in user who has passed the second factor unless it says otherwise
here. Django's own ``login_not_required`` marks the fully public pages.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.http import Http404, HttpRequest, HttpResponse

from practice.accounts.models import Role

View = TypeVar("View", bound=Callable[..., HttpResponse])


def otp_not_required(view: View) -> View:
    """For the sign-in steps between the password and the second factor."""
    view.otp_required = False  # type: ignore[attr-defined]
    return view


def open_to_clients(view: View) -> View:
    """For the few account pages a client uses as well as staff (keeping the session alive,
    replacing backup codes); every other page outside /portal/ is a 404 for a client."""
    view.open_to_clients = True  # type: ignore[attr-defined]
    return view


def role_required(*roles: Role) -> Callable[[View], View]:
    """Only holders of one of these roles; anyone else gets the same 404 as a missing page."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not any(request.user.has_role(role) for role in roles):  # type: ignore[union-attr]
                raise Http404
            return view(request, *args, **kwargs)

        wrapped.required_roles = roles  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator
