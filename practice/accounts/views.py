"""Sign-in in two steps (password, then second factor), enrolment, backup codes, sign-out."""

from __future__ import annotations

import base64
from typing import Any

import segno
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_email.models import EmailDevice

from practice.accounts import services
from practice.accounts.decorators import open_to_clients, otp_not_required
from practice.accounts.forms import EnrolForm, PasswordStepForm, TokenForm
from practice.accounts.models import BackupCodeDevice, User
from practice.audit.services import record

NEXT_SESSION_KEY = "practice_next"


def _home_for(user: User) -> str:
    name = user.home_url_name
    return reverse(name) if name else reverse("accounts:login")


def _after_sign_in(request: HttpRequest) -> HttpResponseRedirect:
    target = request.session.pop(NEXT_SESSION_KEY, "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(_home_for(request.user))  # type: ignore[arg-type]


@login_not_required
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.is_authenticated and user.is_verified():  # type: ignore[union-attr]
        return redirect(_home_for(user))  # type: ignore[arg-type]
    form = PasswordStepForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        signed_in = authenticate(
            request,
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password"],
        )
        if signed_in is not None:
            next_url = request.GET.get("next", "")
            login(request, signed_in)  # a new session key: no fixation across the step
            request.session[NEXT_SESSION_KEY] = next_url
            record("auth.login.password_accepted", by=signed_in, request=request)
            if services.has_confirmed_device(signed_in):
                return redirect("accounts:verify")
            return redirect("accounts:enrol")
        # One message whether or not the username exists.
        form.add_error(None, _("That username and password did not match an account."))
    return render(
        request,
        "accounts/login.html",
        {
            "form": form,
            "timed_out": "timeout" in request.GET,
            "signed_out": "signed_out" in request.GET,
        },
    )


@otp_not_required
@require_http_methods(["GET", "POST"])
def verify_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if user.is_verified():  # type: ignore[attr-defined]
        return redirect(_home_for(user))
    if not services.has_confirmed_device(user):
        return redirect("accounts:enrol")
    email_device = EmailDevice.objects.filter(user=user, confirmed=True).first()
    if request.method == "POST" and "send_code" in request.POST and email_device is not None:
        sent = services.send_email_code(email_device, request=request)
        return render(
            request,
            "accounts/verify.html",
            {
                "form": TokenForm(),
                "email_device": email_device,
                "code_sent": sent,
                "code_not_sent": not sent,
            },
        )
    form = TokenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        credentials = {"username": user.get_username()}
        if not AxesProxyHandler.is_allowed(request, credentials):
            return _end_locked_session(request)
        if form.is_valid():
            device = _verify_token(user, form.cleaned_data["otp_token"])
            if device is not None:
                otp_login(request, device)
                request.session.cycle_key()
                record(
                    "auth.login.succeeded",
                    by=user,
                    request=request,
                    data={
                        "factor": "backup_code" if isinstance(device, BackupCodeDevice) else "totp"
                    },
                )
                return _after_sign_in(request)
            record("auth.otp.failed", by=user, request=request)
            # Wrong codes count towards the same username+IP lockout as wrong passwords.
            user_login_failed.send(
                sender=__name__, credentials={**credentials, "factor": "otp"}, request=request
            )
            if getattr(request, "axes_locked_out", False):
                return _end_locked_session(request)
            form.add_error("otp_token", _("That code was not accepted. Check it and try again."))
    return render(request, "accounts/verify.html", {"form": form, "email_device": email_device})


def _verify_token(user: User, token: str) -> Any:
    """Try the code against the devices it could belong to.

    Six digits is an authenticator code; anything else is a backup code. Trying only the
    matching kind keeps a typo in one from throttling the other.
    """
    is_totp = token.isdigit() and len(token) == 6
    for device in devices_for_user(user, confirmed=True):
        if isinstance(device, BackupCodeDevice) == is_totp:
            continue
        if device.verify_token(token):
            return device
    return None


def _end_locked_session(request: HttpRequest) -> HttpResponse:
    logout(request)
    return locked_out(request)


@otp_not_required
@require_http_methods(["GET", "POST"])
def enrol_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if services.has_confirmed_device(user):
        # Adding a device needs the existing second factor first: otherwise a stolen
        # password alone could enrol the thief's phone.
        return redirect("accounts:verify")
    device = services.pending_totp_device(user)
    form = EnrolForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["otp_token"]):
            codes = services.confirm_totp_device(device, by=user, request=request)
            otp_login(request, device)
            request.session.cycle_key()
            record("auth.login.succeeded", by=user, request=request, data={"factor": "totp"})
            return render(
                request,
                "accounts/backup_codes.html",
                {"codes": codes, "continue_url": _after_sign_in(request).url, "first_time": True},
            )
        form.add_error(
            "otp_token", _("That code did not match. Check the time on your phone and try again.")
        )
    secret = base64.b32encode(device.bin_key).decode()
    return render(
        request,
        "accounts/enrol.html",
        {
            "form": form,
            "email_possible": services.can_use_email_codes(user),
            "qr_svg": segno.make(device.config_url, error="m").svg_inline(
                scale=4,
                dark="#1b1b1b",
                light="#ffffff",
                title=_("QR code for your authenticator app"),
            ),
            "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
        },
    )


@otp_not_required
@require_http_methods(["GET", "POST"])
def enrol_email_view(request: HttpRequest) -> HttpResponse:
    """For clients without an authenticator app: a one-time code by e-mail at each sign-in.
    Setting it up proves the address works, with a first code."""
    user: User = request.user  # type: ignore[assignment]
    if services.has_confirmed_device(user):
        return redirect("accounts:verify")
    if not services.can_use_email_codes(user):
        return redirect("accounts:enrol")
    device = services.pending_email_device(user)
    form = EnrolForm(request.POST if "otp_token" in request.POST else None)
    code_sent = code_not_sent = False
    if request.method == "POST" and "send_code" in request.POST:
        code_sent = services.send_email_code(device, request=request)
        code_not_sent = not code_sent
    elif request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["otp_token"]):
            codes = services.confirm_email_device(device, by=user, request=request)
            otp_login(request, device)
            request.session.cycle_key()
            record("auth.login.succeeded", by=user, request=request, data={"factor": "email"})
            return render(
                request,
                "accounts/backup_codes.html",
                {"codes": codes, "continue_url": _after_sign_in(request).url, "first_time": True},
            )
        form.add_error("otp_token", _("That code did not match. Send a new code and try again."))
    return render(
        request,
        "accounts/enrol_email.html",
        {"form": form, "code_sent": code_sent, "code_not_sent": code_not_sent},
    )


@open_to_clients
@require_http_methods(["GET", "POST"])
def backup_codes_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if request.method == "POST":
        codes = services.issue_backup_codes(user, by=user, request=request)
        return render(
            request,
            "accounts/backup_codes.html",
            {"codes": codes, "continue_url": _home_for(user), "first_time": False},
        )
    device = BackupCodeDevice.objects.filter(user=user).first()
    return render(
        request,
        "accounts/backup_codes_manage.html",
        {"remaining": device.remaining() if device else 0},
    )


@otp_not_required
@require_http_methods(["GET", "POST"])
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, "accounts/logout.html")
    record("auth.logout", request=request)
    logout(request)  # deletes the session row: the old cookie is worthless
    response = redirect(reverse("accounts:login") + "?signed_out=1")
    response["Clear-Site-Data"] = '"cache", "storage"'
    return response


@open_to_clients
@require_POST
def keepalive_view(request: HttpRequest) -> HttpResponse:
    """The page's script calls this while the user is typing, so a long note is not lost."""
    return HttpResponse(status=204)


def locked_out(
    request: HttpRequest, response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """What a locked-out username+IP sees (also django-axes' AXES_LOCKOUT_CALLABLE).

    The page is the same whether or not the username exists.
    """
    minutes = round(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    return render(request, "accounts/locked_out.html", {"minutes": minutes}, status=429)
