"""Staff and client accounts, their roles, and hashed single-use backup codes."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.mail import send_mail
from django.db import models, transaction
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin
from django_otp.plugins.otp_email.models import EmailDevice


class Role(models.TextChoices):
    COUNSELLOR = "counsellor", _("Counsellor")
    SUPERVISOR = "supervisor", _("Supervisor")
    MANAGER = "manager", _("Service manager")
    ADMINISTRATOR = "administrator", _("Administrator")
    CLIENT = "client", _("Client")


STAFF_ROLES = (Role.COUNSELLOR, Role.SUPERVISOR, Role.MANAGER, Role.ADMINISTRATOR)

# Where each role lands after signing in; the order is the order of preference for a staff
# member who holds several roles.
ROLE_HOME_URL_NAMES = {
    Role.COUNSELLOR: "counsellor_home",
    Role.SUPERVISOR: "supervisor_home",
    Role.MANAGER: "manager_home",
    Role.ADMINISTRATOR: "administrator_home",
    Role.CLIENT: "portal:home",
}


class User(AbstractUser):
    """A person who signs in: a member of staff holding one or more roles, or a client.

    A client account never holds a staff role (a database constraint says so), and it
    carries no name or contact details: those live encrypted in the client's identity.
    """

    is_counsellor = models.BooleanField(_("counsellor"), default=False)
    is_supervisor = models.BooleanField(_("supervisor"), default=False)
    is_service_manager = models.BooleanField(_("service manager"), default=False)
    is_administrator = models.BooleanField(_("administrator"), default=False)
    is_client_account = models.BooleanField(_("client account"), default=False)
    # A counsellor's clinical supervisor: sees their cases by reference only.
    supervisor = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="supervisees",
        verbose_name=_("clinical supervisor"),
    )

    objects = UserManager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="user_client_account_has_no_staff_role",
                condition=models.Q(is_client_account=False)
                | models.Q(
                    is_counsellor=False,
                    is_supervisor=False,
                    is_service_manager=False,
                    is_administrator=False,
                    is_staff=False,
                    is_superuser=False,
                ),
            ),
            # Nobody supervises their own caseload.
            models.CheckConstraint(
                name="user_does_not_supervise_self",
                condition=~models.Q(supervisor=models.F("id")),
            ),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def roles(self) -> list[Role]:
        held = {
            Role.COUNSELLOR: self.is_counsellor,
            Role.SUPERVISOR: self.is_supervisor,
            Role.MANAGER: self.is_service_manager,
            Role.ADMINISTRATOR: self.is_administrator,
            Role.CLIENT: self.is_client_account,
        }
        return [role for role in ROLE_HOME_URL_NAMES if held[role]]

    def set_roles(self, roles: Iterable[Role]) -> None:
        """Hold exactly these roles (not saved here)."""
        wanted = set(roles)
        self.is_counsellor = Role.COUNSELLOR in wanted
        self.is_supervisor = Role.SUPERVISOR in wanted
        self.is_service_manager = Role.MANAGER in wanted
        self.is_administrator = Role.ADMINISTRATOR in wanted
        self.is_client_account = Role.CLIENT in wanted

    def has_role(self, role: Role) -> bool:
        return role in self.roles

    @property
    def is_staff_member(self) -> bool:
        return any(self.has_role(role) for role in STAFF_ROLES)

    @property
    def home_url_name(self) -> str | None:
        roles = self.roles
        return ROLE_HOME_URL_NAMES[roles[0]] if roles else None


BACKUP_CODE_COUNT = 10
_BACKUP_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread


def normalise_backup_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def hash_backup_code(code: str) -> str:
    """Keyed hash of a backup code, so the database alone cannot be used to sign in."""
    normalised = normalise_backup_code(code)
    return salted_hmac("practice.accounts.backup-code", normalised, algorithm="sha256").hexdigest()


def new_backup_code() -> str:
    raw = "".join(secrets.choice(_BACKUP_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


class BackupCodeDevice(ThrottlingMixin, Device):
    """Single-use backup codes, stored only as keyed hashes (django-otp's own static
    tokens are stored in clear)."""

    class Meta(Device.Meta):
        verbose_name = "backup code set"

    def get_throttle_factor(self) -> int:
        return 1

    def verify_token(self, token: Any) -> bool:
        allowed, _ = self.verify_is_allowed()
        if not allowed:
            return False
        code_hash = hash_backup_code(str(token))
        with transaction.atomic():
            # Deleting is the check: of two concurrent uses of one code only one deletes it.
            deleted, _ = BackupCode.objects.filter(device=self, code_hash=code_hash).delete()
        if deleted:
            self.throttle_reset()
            return True
        self.throttle_increment()
        return False

    def replace_codes(self, codes: list[str]) -> None:
        with transaction.atomic():
            self.codes.all().delete()
            BackupCode.objects.bulk_create(
                BackupCode(device=self, code_hash=hash_backup_code(code)) for code in codes
            )

    def remaining(self) -> int:
        return self.codes.count()


# Where a one-time code by e-mail goes. Accounts hold no contact details (a client's e-mail
# address lives encrypted in their identity), so the apps that hold them register a lookup
# at start-up (clients.apps); the foundation never imports a domain app.
_ADDRESS_LOOKUPS: list[Callable[[User], str]] = []


def register_address_lookup(lookup: Callable[[User], str]) -> None:
    if lookup not in _ADDRESS_LOOKUPS:
        _ADDRESS_LOOKUPS.append(lookup)


def email_address_for(user: User) -> str:
    for lookup in _ADDRESS_LOOKUPS:
        address = lookup(user)
        if address:
            return address
    return ""


class PrivateEmailDevice(EmailDevice):
    """django-otp's e-mail device, sending to the address held encrypted elsewhere and never
    storing it in the device row. The message holds the code and nothing else."""

    class Meta:
        proxy = True

    @classmethod
    def of(cls, device: EmailDevice) -> PrivateEmailDevice:
        return cls.objects.get(pk=device.pk)

    def get_subject(self) -> str:
        return "Your sign-in code"

    def send_mail(self, body: str, **kwargs: Any) -> None:
        address = email_address_for(self.user)
        if not address:
            raise EmailNotAvailable
        send_mail(
            self.get_subject(),
            f"Your sign-in code is {self.token}. It works once, for the next 5 minutes.\n\n"
            "If you did not try to sign in, someone may know your password: change it, or "
            "tell the service.",
            None,
            [address],
        )


class EmailNotAvailable(Exception):
    """There is no e-mail address to send a code to."""


class BackupCode(models.Model):
    device = models.ForeignKey(BackupCodeDevice, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["device", "code_hash"], name="backup_code_unique")
        ]

    def __str__(self) -> str:
        return f"backup code #{self.pk}"


class StaffPolicy(models.Model):
    """A version of the practice's confidentiality policy for staff and volunteers.

    Everyone with a staff role accepts the current version before they can open any client
    data; publishing a new version asks everyone again (policy S003: all staff and
    volunteers understand and sign acceptance of the Confidentiality Policy).
    """

    version = models.CharField(max_length=20, unique=True)
    title = models.CharField(max_length=200)
    text = models.TextField()
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    published_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-published_at"]
        verbose_name_plural = "staff policies"

    def __str__(self) -> str:
        return f"{self.title} (version {self.version})"

    @classmethod
    def current(cls) -> StaffPolicy | None:
        return cls.objects.filter(published_at__isnull=False).order_by("-published_at").first()


class PolicyAcceptance(models.Model):
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="policy_acceptances")
    policy = models.ForeignKey(StaffPolicy, on_delete=models.PROTECT, related_name="acceptances")
    accepted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "policy"], name="policy_accepted_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} accepted {self.policy_id}"


def has_accepted_current_policy(user: User) -> bool:
    """True when the user holds no staff role, when no policy is published, or when they
    have accepted the current version."""
    if not user.is_staff_member:
        return True
    current = StaffPolicy.current()
    if current is None:
        return True
    return PolicyAcceptance.objects.filter(user=user, policy=current).exists()
