"""Clients: a pseudonymous case, and the client's identity kept apart and encrypted.

``Client`` holds nothing that identifies a person: a random reference (``C-7KQ3``), who the
case is allocated to, its status and dates. Everything that says who the client is lives in
``ClientIdentity``, a separate table encrypted under the client's own identity key. Clinical
records hang off ``Client`` and never hold identity.

Every field is classified in ``SENSITIVITY`` (see tests/test_field_classification.py): a new
field cannot be added without saying whether it is identifying, clinical or operational.
"""

from __future__ import annotations

import datetime
import secrets
import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from practice.crypto.blind_index import blind_index
from practice.crypto.fields import (
    EncryptedCharField,
    EncryptedDateField,
    EncryptedTextField,
)
from practice.crypto.keyring import Domain

IDENTIFYING = "identifying"
CLINICAL = "clinical"
OPERATIONAL = "operational"
BLIND_INDEX = "blind index"  # a keyed HMAC of an identifying value, for exact-match search

_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I


def age_on(born: datetime.date, day: datetime.date) -> int:
    """Age in whole years on ``day``."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def new_reference(prefix: str = "C") -> str:
    """A random reference: it says nothing about the person and cannot be derived from them."""
    return f"{prefix}-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(4))


class Client(models.Model):
    """A client's case, known by its reference. Nothing here identifies the person."""

    class Status(models.TextChoices):
        REFERRED = "referred", _("Referred")
        ACTIVE = "active", _("Active")
        ENDED = "ended", _("Ended")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(_("reference"), max_length=8, unique=True)
    counsellor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="caseload",
        verbose_name=_("allocated counsellor"),
    )
    status = models.CharField(max_length=10, choices=Status, default=Status.REFERRED)
    opened_on = models.DateField(_("opened on"), default=datetime.date.today)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    is_minor = models.BooleanField(_("under 18"), default=False)
    is_joint_work = models.BooleanField(_("couple or group work"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    SENSITIVITY = {
        "id": OPERATIONAL,
        "reference": OPERATIONAL,
        "counsellor": OPERATIONAL,
        "status": OPERATIONAL,
        "opened_on": OPERATIONAL,
        "ended_on": OPERATIONAL,
        "is_minor": OPERATIONAL,
        "is_joint_work": OPERATIONAL,
        "created_at": OPERATIONAL,
        "updated_at": OPERATIONAL,
    }

    class Meta:
        ordering = ["reference"]
        constraints = [
            models.CheckConstraint(
                name="client_ended_on_with_status",
                condition=(Q(status="ended") & Q(ended_on__isnull=False))
                | (~Q(status="ended") & Q(ended_on__isnull=True)),
            ),
            models.CheckConstraint(
                name="client_ends_after_it_opens",
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("opened_on")),
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.reference:
            self.reference = unused_reference(Client, "C")
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("clients:detail", args=[self.reference])


def unused_reference(model: type[models.Model], prefix: str) -> str:
    for _attempt in range(50):
        reference = new_reference(prefix)
        if model.objects.filter(reference=reference).exists():  # type: ignore[attr-defined]
            continue
        if model in (Client, JointCase) and (
            DestructionRecord.objects.filter(subject_reference=reference).exists()
        ):
            continue  # a destroyed case's reference stays in the register: never reuse it
        return reference
    raise RuntimeError("Could not find an unused reference; the reference space is nearly full.")


class ClientIdentity(models.Model):
    """Who the client is. Encrypted under the client's identity key; shown only to those
    whose role needs it (the allocated counsellor, a manager allocating the case)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.OneToOneField(Client, on_delete=models.CASCADE, related_name="identity")
    given_name = EncryptedCharField(_("first name"), max_length=100)
    family_name = EncryptedCharField(_("last name"), max_length=100)
    preferred_name = EncryptedCharField(_("preferred name"), max_length=100, blank=True)
    date_of_birth = EncryptedDateField(_("date of birth"), null=True, blank=True)
    pronouns = EncryptedCharField(_("pronouns"), max_length=40, blank=True)
    address = EncryptedTextField(_("address"), max_length=500, blank=True)
    phone = EncryptedCharField(_("phone"), max_length=40, blank=True)
    email = EncryptedCharField(_("e-mail"), max_length=254, blank=True)
    gp_details = EncryptedTextField(_("GP"), max_length=500, blank=True)
    emergency_contact = EncryptedTextField(_("emergency contact"), max_length=500, blank=True)
    parental_contacts = EncryptedTextField(
        _("people with parental responsibility"), max_length=1000, blank=True
    )
    family_name_index = models.CharField(max_length=64, db_index=True, editable=False)
    date_of_birth_index = models.CharField(max_length=64, db_index=True, blank=True, editable=False)
    email_index = models.CharField(max_length=64, db_index=True, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    crypto_domain = Domain.IDENTITY
    crypto_owner_field = "client"

    SENSITIVITY = {
        "id": OPERATIONAL,
        "client": OPERATIONAL,
        "given_name": IDENTIFYING,
        "family_name": IDENTIFYING,
        "preferred_name": IDENTIFYING,
        "date_of_birth": IDENTIFYING,
        "pronouns": IDENTIFYING,
        "address": IDENTIFYING,
        "phone": IDENTIFYING,
        "email": IDENTIFYING,
        "gp_details": IDENTIFYING,
        "emergency_contact": IDENTIFYING,
        "parental_contacts": IDENTIFYING,
        "family_name_index": BLIND_INDEX,
        "date_of_birth_index": BLIND_INDEX,
        "email_index": BLIND_INDEX,
        "updated_at": OPERATIONAL,
    }

    class Meta:
        verbose_name_plural = "client identities"

    def __str__(self) -> str:
        return f"identity of {self.client_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.refresh_indexes()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {
                *update_fields,
                "family_name_index",
                "date_of_birth_index",
                "email_index",
            }
        super().save(*args, **kwargs)

    def refresh_indexes(self) -> None:
        self.family_name_index = blind_index("client.family_name", self.family_name)
        self.date_of_birth_index = (
            blind_index("client.date_of_birth", self.date_of_birth) if self.date_of_birth else ""
        )
        self.email_index = blind_index("client.email", self.email) if self.email else ""

    @property
    def display_name(self) -> str:
        first = self.preferred_name or self.given_name
        return f"{first} {self.family_name}".strip()


class JointCase(models.Model):
    """Couple or group work: two or more clients seen together. Each keeps their own
    identity and keys; entries about the whole couple or group are encrypted under the joint
    case's own key, so that no partner's key ever covers another's words."""

    class Kind(models.TextChoices):
        COUPLE = "couple", _("Couple")
        GROUP = "group", _("Group")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(max_length=8, unique=True)
    kind = models.CharField(max_length=10, choices=Kind, default=Kind.COUPLE)
    counsellor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="joint_cases"
    )
    members = models.ManyToManyField(Client, related_name="joint_cases")
    opened_on = models.DateField(default=datetime.date.today)
    created_at = models.DateTimeField(auto_now_add=True)

    SENSITIVITY = {
        "id": OPERATIONAL,
        "reference": OPERATIONAL,
        "kind": OPERATIONAL,
        "counsellor": OPERATIONAL,
        "members": OPERATIONAL,
        "opened_on": OPERATIONAL,
        "created_at": OPERATIONAL,
    }

    class Meta:
        ordering = ["reference"]

    def __str__(self) -> str:
        return self.reference

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.reference:
            self.reference = unused_reference(JointCase, "J")
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("clients:joint_detail", args=[self.reference])


class AccessGrant(models.Model):
    """Access to a client outside one's usual scope: break-glass (60 minutes, with a reason,
    flagged to managers) or professional executor (read-only, activated by a manager)."""

    class Kind(models.TextChoices):
        BREAK_GLASS = "break_glass", _("Break-glass")
        EXECUTOR = "executor", _("Professional executor")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=12, choices=Kind)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="access_grants"
    )
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="access_grants")
    reason = EncryptedTextField(_("reason"), max_length=2000)
    starts_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    crypto_domain = Domain.CLINICAL
    crypto_owner_field = "client"

    SENSITIVITY = {
        "id": OPERATIONAL,
        "kind": OPERATIONAL,
        "user": OPERATIONAL,
        "client": OPERATIONAL,
        "reason": CLINICAL,
        "starts_at": OPERATIONAL,
        "expires_at": OPERATIONAL,
        "reviewed_at": OPERATIONAL,
        "reviewed_by": OPERATIONAL,
    }

    class Meta:
        ordering = ["-starts_at"]
        indexes = [models.Index(fields=["user", "client", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.user_id} on {self.client_id}"

    def is_current(self, at: datetime.datetime | None = None) -> bool:
        at = at or timezone.now()
        return self.starts_at <= at and (self.expires_at is None or at < self.expires_at)


class ProfessionalExecutor(models.Model):
    """Someone a counsellor names in their professional will. They see nothing until a
    service manager activates the appointment (death or incapacity), with a reason."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    counsellor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="named_executors"
    )
    executor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="executorships"
    )
    named_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    activation_reason_code = models.CharField(
        max_length=20,
        blank=True,
        choices=[("death", _("Death")), ("incapacity", _("Incapacity")), ("other", _("Other"))],
    )

    SENSITIVITY = {
        "id": OPERATIONAL,
        "counsellor": OPERATIONAL,
        "executor": OPERATIONAL,
        "named_at": OPERATIONAL,
        "activated_at": OPERATIONAL,
        "activated_by": OPERATIONAL,
        "activation_reason_code": OPERATIONAL,
    }

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["counsellor", "executor"], name="executor_named_once"),
            models.CheckConstraint(
                name="executor_is_not_the_counsellor",
                condition=~Q(counsellor=models.F("executor")),
            ),
            models.CheckConstraint(
                name="executor_activation_fields_together",
                condition=Q(activated_at__isnull=True, activated_by__isnull=True)
                | Q(activated_at__isnull=False, activated_by__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"executor {self.executor_id} for {self.counsellor_id}"

    @property
    def is_active(self) -> bool:
        return self.activated_at is not None


class LegalHold(models.Model):
    """While a hold stands, nothing of the client is destroyed, process notes included (a
    court order discloses whatever exists at the time). Placed automatically by court-order
    and complaint disclosures, or by a manager; lifted only by a manager, with a reason."""

    class Source(models.TextChoices):
        MANAGER = "manager", _("Placed by a service manager")
        COURT_ORDER = "court_order", _("Court order")
        COMPLAINT = "complaint", _("Complaint")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="legal_holds")
    source = models.CharField(max_length=20, choices=Source)
    source_id = models.CharField(max_length=64, blank=True)  # e.g. the disclosure's id
    reason = EncryptedTextField(_("reason"), max_length=2000)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    placed_at = models.DateTimeField(default=timezone.now)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lift_reason = EncryptedTextField(_("reason for lifting"), max_length=2000, blank=True)

    crypto_domain = Domain.CLINICAL
    crypto_owner_field = "client"

    SENSITIVITY = {
        "id": OPERATIONAL,
        "client": OPERATIONAL,
        "source": OPERATIONAL,
        "source_id": OPERATIONAL,
        "reason": CLINICAL,
        "placed_by": OPERATIONAL,
        "placed_at": OPERATIONAL,
        "lifted_at": OPERATIONAL,
        "lifted_by": OPERATIONAL,
        "lift_reason": CLINICAL,
    }

    class Meta:
        ordering = ["-placed_at"]
        constraints = [
            models.CheckConstraint(
                name="legal_hold_lifted_fields_together",
                condition=Q(lifted_at__isnull=True, lifted_by__isnull=True)
                | Q(lifted_at__isnull=False, lifted_by__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"legal hold on {self.client_id}"

    @property
    def is_active(self) -> bool:
        return self.lifted_at is None


# -- client accounts and invitations -----------------------------------------------------------

INVITATION_DAYS = 7


def invitation_token_hash(token: str) -> str:
    """Keyed hash of an invitation link's secret (the secret itself is never stored)."""
    return salted_hmac("clients.portal-invitation", token, algorithm="sha256").hexdigest()


class ClientAccount(models.Model):
    """The link between a client's portal sign-in and their case. One account per client;
    partners in couple work are separate clients, each with their own account."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="client_account"
    )
    client = models.OneToOneField(Client, on_delete=models.PROTECT, related_name="account")
    created_at = models.DateTimeField(auto_now_add=True)

    SENSITIVITY = {
        "id": OPERATIONAL,
        "user": OPERATIONAL,
        "client": OPERATIONAL,
        "created_at": OPERATIONAL,
    }

    def __str__(self) -> str:
        return f"portal account for {self.client_id}"


class PortalInvitation(models.Model):
    """A single-use link that lets a client create their portal account.

    Only a keyed hash of the link's secret is stored, so the database alone cannot be used
    to accept an invitation; the link itself is shown once, to the member of staff who made
    it, and sent to the client.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="invitations")
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    emailed = models.BooleanField(default=False)
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    SENSITIVITY = {
        "id": OPERATIONAL,
        "client": OPERATIONAL,
        "token_hash": OPERATIONAL,
        "created_by": OPERATIONAL,
        "created_at": OPERATIONAL,
        "expires_at": OPERATIONAL,
        "emailed": OPERATIONAL,
        "accepted_at": OPERATIONAL,
        "revoked_at": OPERATIONAL,
        "revoked_by": OPERATIONAL,
    }

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                name="invitation_not_both_accepted_and_revoked",
                condition=Q(accepted_at__isnull=True) | Q(revoked_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"portal invitation {self.pk}"

    def is_open(self, at: datetime.datetime | None = None) -> bool:
        at = at or timezone.now()
        return self.accepted_at is None and self.revoked_at is None and at < self.expires_at

    @property
    def state(self) -> str:
        if self.accepted_at is not None:
            return "accepted"
        if self.revoked_at is not None:
            return "withdrawn"
        return "open" if self.is_open() else "expired"


# -- retention, erasure and the destruction register --------------------------------------------


class DestructionBatch(models.Model):
    """A service manager's approval to destroy a batch of closed cases whose retention period
    has passed. The destruction itself happens at the next retention run.

    The reason is the manager's own operational wording and stays readable after the clients'
    keys are gone, so it is plain text: the form asks managers not to name clients or repeat
    anything from their records.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(max_length=8, unique=True)
    reason = models.TextField(_("reason for the destruction"), max_length=500)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(default=timezone.now)

    SENSITIVITY = {
        "id": OPERATIONAL,
        "reference": OPERATIONAL,
        "reason": OPERATIONAL,
        "approved_by": OPERATIONAL,
        "approved_at": OPERATIONAL,
    }

    class Meta:
        ordering = ["-approved_at"]
        verbose_name_plural = "destruction batches"

    def __str__(self) -> str:
        return self.reference

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.reference:
            self.reference = unused_reference(DestructionBatch, "B")
        super().save(*args, **kwargs)


class ErasureRequest(models.Model):
    """A client's request to have their records erased (UK GDPR Art. 17).

    A service manager decides it. A refusal names the exemption that applies (``Exemption``);
    an approval is carried out through the same destruction path as retention (and waits
    while a legal hold stands). The request outlives the client's records: it keeps only the
    case reference, dates and codes, and the manager's operational reason in plain text.
    """

    class Channel(models.TextChoices):
        PORTAL = "portal", _("In the client portal")
        EMAIL = "email", _("By e-mail")
        LETTER = "letter", _("By letter")
        IN_PERSON = "in_person", _("In person")
        PHONE = "phone", _("By phone")

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for a decision")
        APPROVED = "approved", _("Approved: waiting for the next retention run")
        REFUSED = "refused", _("Refused")
        CARRIED_OUT = "carried_out", _("Carried out: records destroyed")

    class Exemption(models.TextChoices):
        RETENTION_PERIOD = "retention_period", _("Within the retention period")
        LEGAL_HOLD = "legal_hold", _("A legal hold stands")
        LEGAL_CLAIMS = "legal_claims", _("Needed for legal claims")
        LEGAL_OBLIGATION = "legal_obligation", _("Kept to comply with a legal obligation")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(max_length=8, unique=True)
    client = models.ForeignKey(
        Client,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="erasure_requests",
    )
    client_reference = models.CharField(max_length=8)
    received_on = models.DateField(_("date received"))
    channel = models.CharField(_("how it was made"), max_length=10, choices=Channel)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=12, choices=Status, default=Status.OPEN)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    exemption = models.CharField(max_length=20, choices=Exemption, blank=True)
    decision_reason = models.TextField(_("reason"), max_length=500, blank=True)
    carried_out_at = models.DateTimeField(null=True, blank=True)

    SENSITIVITY = {
        "id": OPERATIONAL,
        "reference": OPERATIONAL,
        "client": OPERATIONAL,
        "client_reference": OPERATIONAL,
        "received_on": OPERATIONAL,
        "channel": OPERATIONAL,
        "recorded_by": OPERATIONAL,
        "recorded_at": OPERATIONAL,
        "status": OPERATIONAL,
        "decided_by": OPERATIONAL,
        "decided_at": OPERATIONAL,
        "exemption": OPERATIONAL,
        "decision_reason": OPERATIONAL,
        "carried_out_at": OPERATIONAL,
    }

    class Meta:
        ordering = ["-received_on", "-recorded_at"]
        constraints = [
            models.CheckConstraint(
                name="erasure_decision_fields_together",
                condition=Q(status="open", decided_at__isnull=True, decided_by__isnull=True)
                | (~Q(status="open") & Q(decided_at__isnull=False, decided_by__isnull=False)),
            ),
            models.CheckConstraint(
                name="erasure_refusal_names_exemption",
                condition=~Q(status="refused") | ~Q(exemption=""),
            ),
            models.CheckConstraint(
                name="erasure_carried_out_has_time",
                condition=~Q(status="carried_out") | Q(carried_out_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.reference:
            self.reference = unused_reference(ErasureRequest, "E")
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class DestructionRecord(models.Model):
    """An entry in the destruction register, and the tombstone a destruction leaves.

    It names the case by reference only, with its dates, what was destroyed (row counts per
    model: codes, never content), and the rule or approval that authorised it. There is no
    foreign key to the client, whose row is deleted: ``subject_id`` keeps the id (which the
    audit trail also holds) so an interrupted destruction can be finished.

    A case destruction moves approved -> in progress -> complete. In progress means its keys
    may already be shredded: the next retention run finishes it.
    """

    class Kind(models.TextChoices):
        CASE = "case", _("Case")
        JOINT_CASE = "joint_case", _("Couple or group work")
        PROCESS_NOTES = "process_notes", _("Process notes")

    class Rule(models.TextChoices):
        CLOSED_ADULT = "closed_adult", _("Retention period after counselling ended")
        CLOSED_MINOR = "closed_minor", _("Retention period for a client seen when under 18")
        ERASURE = "erasure", _("Erasure request approved")
        PROCESS_NOTES = "process_notes_supervised", _("Process notes, after supervision")
        JOINT_LAST_MEMBER = "joint_last_member", _("Joint work whose last member was destroyed")

    class Status(models.TextChoices):
        APPROVED = "approved", _("Approved: waiting for the next retention run")
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETE = "complete", _("Destroyed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=16, choices=Kind)
    rule = models.CharField(max_length=30, choices=Rule)
    status = models.CharField(max_length=12, choices=Status, default=Status.APPROVED)
    subject_reference = models.CharField(max_length=8, db_index=True)
    subject_id = models.UUIDField(db_index=True)
    opened_on = models.DateField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    due_on = models.DateField(null=True, blank=True)
    batch = models.ForeignKey(
        DestructionBatch,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="records",
    )
    erasure = models.ForeignKey(
        ErasureRequest,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="records",
    )
    # Process notes: the supervision session that made them due (an id: no foreign key to
    # notes, which depends on this app, not the other way round).
    supervision_session_id = models.UUIDField(null=True, blank=True)
    # A joint case destroyed with its last member points to that member's destruction.
    part_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="parts"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    categories = models.JSONField(default=dict, blank=True)  # {"app.model": rows destroyed}
    keys_shredded = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    SENSITIVITY = {
        "id": OPERATIONAL,
        "kind": OPERATIONAL,
        "rule": OPERATIONAL,
        "status": OPERATIONAL,
        "subject_reference": OPERATIONAL,
        "subject_id": OPERATIONAL,
        "opened_on": OPERATIONAL,
        "ended_on": OPERATIONAL,
        "due_on": OPERATIONAL,
        "batch": OPERATIONAL,
        "erasure": OPERATIONAL,
        "supervision_session_id": OPERATIONAL,
        "part_of": OPERATIONAL,
        "approved_by": OPERATIONAL,
        "approved_at": OPERATIONAL,
        "categories": OPERATIONAL,
        "keys_shredded": OPERATIONAL,
        "created_at": OPERATIONAL,
        "started_at": OPERATIONAL,
        "completed_at": OPERATIONAL,
    }

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # A case (or joint case) is destroyed once: the register cannot hold two.
            models.UniqueConstraint(
                fields=["subject_id"],
                condition=Q(kind__in=["case", "joint_case"]),
                name="destruction_of_a_case_once",
            ),
            models.CheckConstraint(
                name="destruction_complete_has_time",
                condition=Q(status="complete", completed_at__isnull=False)
                | (~Q(status="complete") & Q(completed_at__isnull=True)),
            ),
            # A closed case is destroyed only on a manager's approval: a batch or an erasure.
            models.CheckConstraint(
                name="destruction_of_a_case_is_approved",
                condition=~Q(kind="case")
                | Q(batch__isnull=False, erasure__isnull=True, approved_by__isnull=False)
                | Q(batch__isnull=True, erasure__isnull=False, approved_by__isnull=False),
            ),
        ]
        indexes = [models.Index(fields=["kind", "status"])]

    def __str__(self) -> str:
        return f"destruction of {self.subject_reference}"

    @property
    def is_complete(self) -> bool:
        return self.status == self.Status.COMPLETE

    @property
    def authority(self) -> str:
        """What authorised it, as a reference or code (never free text)."""
        if self.batch_id:
            return self.batch.reference  # type: ignore[union-attr]
        if self.erasure_id:
            return self.erasure.reference  # type: ignore[union-attr]
        if self.part_of_id:
            return self.part_of.subject_reference  # type: ignore[union-attr]
        return self.rule

    @property
    def rows_destroyed(self) -> int:
        return sum(int(n) for n in (self.categories or {}).values())
