"""Verbs for accounts and second factors: each audited, each with a keyword-only ``by``."""

from __future__ import annotations

import uuid

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp import devices_for_user
from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from practice.accounts.models import (
    BACKUP_CODE_COUNT,
    BackupCodeDevice,
    EmailNotAvailable,
    PolicyAcceptance,
    PrivateEmailDevice,
    StaffPolicy,
    User,
    email_address_for,
    new_backup_code,
)
from practice.audit.services import record


def has_confirmed_device(user: User) -> bool:
    return any(True for _ in devices_for_user(user, confirmed=True))


def pending_totp_device(user: User) -> TOTPDevice:
    """The unconfirmed authenticator being set up, created on first visit."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


@transaction.atomic
def confirm_totp_device(device: TOTPDevice, *, by: User, request: HttpRequest) -> list[str]:
    """Confirm a new authenticator and issue a fresh set of backup codes (returned once)."""
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=device.user, confirmed=False).delete()
    codes = issue_backup_codes(device.user, by=by, request=request)
    record("auth.otp.enrolled", by=by, target=device.user, request=request)
    return codes


def can_use_email_codes(user: User) -> bool:
    """Codes by e-mail are for clients without an authenticator app, and need an address."""
    return user.is_client_account and bool(email_address_for(user))


def pending_email_device(user: User) -> PrivateEmailDevice:
    device = EmailDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = EmailDevice.objects.create(user=user, name="E-mail", confirmed=False)
    return PrivateEmailDevice.of(device)


def send_email_code(device: EmailDevice, *, request: HttpRequest | None = None) -> bool:
    """Send a one-time code (django-otp's cooldown stops a flood); True when one was sent."""
    private = PrivateEmailDevice.of(device)
    allowed, _ = private.generate_is_allowed()
    if not allowed:
        return False
    try:
        private.generate_challenge()
    except EmailNotAvailable:
        return False
    record("auth.otp.email_sent", by=device.user, target=device.user, request=request)
    return True


@transaction.atomic
def confirm_email_device(device: EmailDevice, *, by: User, request: HttpRequest) -> list[str]:
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    EmailDevice.objects.filter(user=device.user, confirmed=False).delete()
    TOTPDevice.objects.filter(user=device.user, confirmed=False).delete()
    codes = issue_backup_codes(device.user, by=by, request=request)
    record(
        "auth.otp.enrolled", by=by, target=device.user, request=request, data={"factor": "email"}
    )
    return codes


@transaction.atomic
def issue_backup_codes(user: User, *, by: User, request: HttpRequest | None = None) -> list[str]:
    """Replace the user's backup codes; the plain codes are shown once and never stored."""
    device, _ = BackupCodeDevice.objects.get_or_create(
        user=user, defaults={"name": "Backup codes", "confirmed": True}
    )
    codes = [new_backup_code() for _ in range(BACKUP_CODE_COUNT)]
    device.replace_codes(codes)
    record("auth.backup_codes.issued", by=by, target=user, request=request)
    return codes


@transaction.atomic
def reset_second_factor(user: User, *, by: User, request: HttpRequest | None = None) -> None:
    """Remove every device (a lost phone); the user enrols again at the next sign-in."""
    for device in list(devices_for_user(user, confirmed=None)):
        device.delete()
    record("auth.otp.reset", by=by, target=user, request=request)


def retire_sign_in(user: User) -> None:
    """Leave a sign-in nobody will use again with nothing to sign in with or recognise it by:
    no second factor, no password, a meaningless username. The row stays for whatever still
    points at it (the audit trail keeps the username it had at the time)."""
    for device in list(devices_for_user(user, confirmed=None)):
        device.delete()
    User._base_manager.filter(pk=user.pk).update(
        username=f"retired-{uuid.uuid4().hex[:12]}",
        email="",
        first_name="",
        last_name="",
        is_active=False,
        password=make_password(None),
    )


# -- the staff confidentiality policy --------------------------------------------------------


@transaction.atomic
def accept_policy(policy: StaffPolicy, *, by: User, request: HttpRequest | None = None) -> None:
    """Record that ``by`` accepted this version; accepting twice changes nothing."""
    _, created = PolicyAcceptance.objects.get_or_create(user=by, policy=policy)
    if created:
        record(
            "policy.accepted",
            by=by,
            target=policy,
            request=request,
            data={"version": policy.version},
        )


@transaction.atomic
def draft_policy(
    *, by: User, version: str, title: str, text: str, request: HttpRequest | None = None
) -> StaffPolicy:
    draft = StaffPolicy.objects.create(version=version, title=title, text=text)
    record("policy.drafted", by=by, target=draft, request=request, data={"version": version})
    return draft


@transaction.atomic
def publish_policy(policy: StaffPolicy, *, by: User, request: HttpRequest | None = None) -> None:
    """Publishing asks every member of staff to accept the new version before client data."""
    policy.published_at, policy.published_by = timezone.now(), by
    policy.save(update_fields=["published_at", "published_by"])
    record(
        "policy.published", by=by, target=policy, request=request, data={"version": policy.version}
    )
