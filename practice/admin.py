"""The Django admin, for administrators managing staff accounts only.

It is reachable only by a signed-in administrator who passed the second factor; anyone else
gets a 404. No clinical or identity model is registered here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from practice.accounts import services
from practice.accounts.models import User


class PracticeAdminSite(admin.AdminSite):
    site_header = _("Staff accounts")
    site_title = _("Staff accounts")
    index_title = _("Manage staff accounts and roles")

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(
            user.is_active
            and user.is_authenticated
            and user.is_verified()  # type: ignore[union-attr]
            and user.is_administrator  # type: ignore[union-attr]
        )

    def admin_view(self, view: Callable[..., HttpResponse], cacheable: bool = False) -> Any:
        inner = super().admin_view(view, cacheable)

        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not self.has_permission(request):
                raise Http404
            return inner(request, *args, **kwargs)

        return guarded

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        if not self.has_permission(request):
            raise Http404
        return redirect("admin:index")

    def logout(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        return redirect("accounts:logout")


site = PracticeAdminSite(name="admin")


class AdministratorOnly:
    """Object permissions come from the administrator role, not from superuser flags."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_administrator)  # type: ignore[union-attr]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_administrator)  # type: ignore[union-attr]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return bool(request.user.is_administrator)  # type: ignore[union-attr]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_administrator)  # type: ignore[union-attr]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deactivate instead: accounts are referenced by the audit trail


@admin.register(User, site=site)
class StaffAdmin(AdministratorOnly, UserAdmin):
    list_display = ["username", "first_name", "last_name", "role_list", "is_active", "last_login"]
    list_filter = [
        "is_active",
        "is_counsellor",
        "is_supervisor",
        "is_service_manager",
        "is_administrator",
    ]
    search_fields = ["username", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Name and e-mail"), {"fields": ("first_name", "last_name", "email")}),
        (
            _("Roles"),
            {
                "fields": (
                    "is_counsellor",
                    "is_supervisor",
                    "is_service_manager",
                    "is_administrator",
                    "is_active",
                )
            },
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"fields": ("username", "password1", "password2")}),
        (
            _("Roles"),
            {
                "fields": (
                    "is_counsellor",
                    "is_supervisor",
                    "is_service_manager",
                    "is_administrator",
                )
            },
        ),
    )
    readonly_fields = ["last_login", "date_joined"]
    actions = ["reset_second_factor"]

    def get_queryset(self, request: HttpRequest) -> Any:
        # Client portal accounts are managed through the client's record, not here.
        return super().get_queryset(request).filter(is_client_account=False)

    @admin.display(description=_("Roles"))
    def role_list(self, obj: User) -> str:
        return ", ".join(str(role.label) for role in obj.roles)

    @admin.action(description=_("Reset second factor (they enrol again at next sign-in)"))
    def reset_second_factor(self, request: HttpRequest, queryset: Any) -> None:
        for user in queryset:
            services.reset_second_factor(user, by=request.user, request=request)
        messages.success(
            request, _("Second factor reset for %(n)d account(s).") % {"n": len(queryset)}
        )
