"""The manager's page for the legal references cited for each disclosure category."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from disclosures import services
from disclosures.categories import CATEGORIES
from practice.accounts.decorators import role_required
from practice.accounts.models import Role, User


@role_required(Role.MANAGER)
@require_http_methods(["GET", "POST"])
def statutes(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if request.method == "POST":
        code = request.POST.get("category_code", "")
        if code not in CATEGORIES:
            messages.error(request, _("Choose a category."))
        else:
            try:
                services.set_statute(
                    code, by=user, text=request.POST.get("text", ""), request=request
                )
            except services.DisclosureError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, _("Legal reference saved."))
                return redirect("disclosures:statutes")
    rows = [
        (code, cat, services.statute_for(code), cat.statute) for code, cat in CATEGORIES.items()
    ]
    return render(request, "disclosures/statutereference_list.html", {"rows": rows})
