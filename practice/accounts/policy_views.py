"""The staff confidentiality policy: accepting it, and managers publishing new versions."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from practice.accounts import services
from practice.accounts.decorators import role_required
from practice.accounts.models import PolicyAcceptance, Role, StaffPolicy, User


class AcceptForm(forms.Form):
    accept = forms.BooleanField(
        label=gettext_lazy("I have read this policy, I understand it, and I will follow it."),
        error_messages={"required": gettext_lazy("Tick the box to accept the policy.")},
    )


class PolicyForm(forms.ModelForm):
    class Meta:
        model = StaffPolicy
        fields = ["version", "title", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 16})}


@require_http_methods(["GET", "POST"])
def accept_policy(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    policy = StaffPolicy.current()
    already = policy is None or PolicyAcceptance.objects.filter(user=user, policy=policy).exists()
    form = AcceptForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and policy is not None and not already and form.is_valid():
        services.accept_policy(policy, by=user, request=request)
        messages.success(request, _("Thank you. You have accepted the confidentiality policy."))
        target = request.GET.get("next", "")
        if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            return redirect(target)
        return redirect("home")
    return render(
        request, "accounts/policy_accept.html", {"policy": policy, "already": already, "form": form}
    )


@role_required(Role.MANAGER)
@require_http_methods(["GET", "POST"])
def policy_versions(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = PolicyForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        services.draft_policy(by=user, request=request, **form.cleaned_data)
        messages.success(request, _("Draft saved. Publish it when it is ready."))
        return redirect("accounts:policies")
    staff = User.objects.filter(is_active=True, is_client_account=False).exclude(
        is_counsellor=False, is_supervisor=False, is_service_manager=False, is_administrator=False
    )
    current = StaffPolicy.current()
    accepted = (
        {a.user_id: a.accepted_at for a in PolicyAcceptance.objects.filter(policy=current)}
        if current
        else {}
    )
    return render(
        request,
        "accounts/policy_versions.html",
        {
            "policies": StaffPolicy.objects.annotate(accepted=Count("acceptances")).order_by(
                "-published_at", "-id"
            ),
            "current": current,
            "staff": [(member, accepted.get(member.pk)) for member in staff.order_by("last_name")],
            "form": form,
        },
    )


@role_required(Role.MANAGER)
@require_POST
def publish_policy(request: HttpRequest, policy_id: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    policy = get_object_or_404(StaffPolicy, pk=policy_id, published_at__isnull=True)
    services.publish_policy(policy, by=user, request=request)
    messages.success(
        request, _("Published. Everyone will be asked to accept it before opening client data.")
    )
    return redirect("accounts:policies")
