"""Demo staff accounts for trying the application (never with DEBUG off).

Secrets are derived from this installation's SECRET_KEY, so they differ between
installations but stay the same when seed_demo runs again: the printed codes keep working.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from practice.accounts.models import (
    BACKUP_CODE_COUNT,
    BackupCodeDevice,
    PolicyAcceptance,
    Role,
    StaffPolicy,
    User,
)

DEMO_PASSWORD = "demo-Counselling-2026"
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass(frozen=True)
class DemoStaff:
    username: str
    first_name: str
    last_name: str
    roles: tuple[Role, ...]


DEMO_STAFF = (
    DemoStaff("alex", "Alex", "Morgan", (Role.COUNSELLOR,)),
    DemoStaff("sam", "Sam", "Okafor", (Role.COUNSELLOR,)),
    DemoStaff("priya", "Priya", "Shah", (Role.COUNSELLOR, Role.SUPERVISOR)),
    DemoStaff("jo", "Jo", "Reid", (Role.SUPERVISOR,)),
    DemoStaff("taylor", "Taylor", "Brooks", (Role.MANAGER,)),
    DemoStaff("robin", "Robin", "Hughes", (Role.ADMINISTRATOR,)),
)


def _derive(label: str) -> bytes:
    return hmac.new(settings.SECRET_KEY.encode(), f"demo:{label}".encode(), hashlib.sha256).digest()


def demo_totp_key(username: str) -> str:
    return _derive(f"totp:{username}")[:20].hex()


def demo_backup_codes(username: str) -> list[str]:
    codes = []
    for index in range(BACKUP_CODE_COUNT):
        raw = "".join(
            _ALPHABET[b % len(_ALPHABET)] for b in _derive(f"backup:{username}:{index}")[:10]
        )
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


@transaction.atomic
def ensure_demo_user(
    username: str, first_name: str, last_name: str, roles: tuple[Role, ...]
) -> User:
    """Create or refresh one demo account with a confirmed TOTP device and backup codes."""
    user, created = User.objects.get_or_create(username=username)
    user.first_name, user.last_name = first_name, last_name
    user.set_roles(roles)
    user.is_active = True
    if created or not user.check_password(DEMO_PASSWORD):
        user.set_password(DEMO_PASSWORD)
    user.save()
    TOTPDevice.objects.update_or_create(
        user=user,
        name="Demo authenticator",
        defaults={"key": demo_totp_key(username), "confirmed": True},
    )
    device, _ = BackupCodeDevice.objects.get_or_create(
        user=user, defaults={"name": "Backup codes", "confirmed": True}
    )
    # Restore the full printed set, so the printed codes work after another run.
    device.replace_codes(demo_backup_codes(username))
    # Demo staff have accepted the current confidentiality policy, so the demo opens at once.
    current = StaffPolicy.current()
    if current is not None and user.is_staff_member:
        PolicyAcceptance.objects.get_or_create(user=user, policy=current)
    return user


def describe(user: User) -> dict[str, object]:
    import base64

    return {
        "username": user.username,
        "password": DEMO_PASSWORD,
        "roles": [str(role.value) for role in user.roles],
        "totp_secret": base64.b32encode(bytes.fromhex(demo_totp_key(user.username))).decode(),
        "backup_codes": demo_backup_codes(user.username),
    }
