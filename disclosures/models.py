"""Disclosures: every release of client information to anyone outside the practice.

A request names the client, who asked, the recipient, the purpose, the category and what is
asked for. Its category (categories.py) decides the gates: consent (or the recorded reason it
is not needed), supervisor sign-off, service-manager approval, then release. Each gate is a
``GateDecision`` row with who, when and why. The release service (services.release) is the
only code that produces bytes about a client for someone outside the practice; it records
each release in the immutable ``RegisterEntry`` table with the SHA-256 of what was sent.

Ask on the model (``release_blockers``), act in the service, enforce in the database.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import CLINICAL, OPERATIONAL, Client, unused_reference
from consent.models import ConsentEvent
from disclosures.categories import CATEGORY_CHOICES, SEALED_CODES, Category, category
from disclosures.deadlines import due_date
from notes.models import NoteEntry, SupervisionPoint
from practice.crypto.fields import (
    EncryptedBinaryField,
    EncryptedCharField,
    EncryptedTextField,
)
from practice.crypto.keyring import Domain


class Status(models.TextChoices):
    RAISED = "raised", _("Raised")
    CONSENT_CLEARED = "consent_cleared", _("Consent step done")
    SIGNED_OFF = "signed_off", _("Signed off by supervisor")
    APPROVED = "approved", _("Approved by service manager")
    RELEASED = "released", _("Released")
    REFUSED = "refused", _("Refused")


class Action(models.TextChoices):
    CLEAR_CONSENT = "clear_consent", _("Record the consent step")
    SIGN_OFF = "sign_off", _("Supervisor sign-off")
    APPROVE = "approve", _("Service-manager approval")
    RELEASE = "release", _("Release")
    EMERGENCY_RELEASE = "emergency_release", _("Emergency release")
    REFUSE = "refuse", _("Refuse")


# The allowed moves. Anything else is refused by services._move; a test walks every
# state × action × role against this table.
TRANSITIONS: dict[tuple[str, str], str] = {
    (Status.RAISED, Action.CLEAR_CONSENT): Status.CONSENT_CLEARED,
    (Status.CONSENT_CLEARED, Action.SIGN_OFF): Status.SIGNED_OFF,
    (Status.SIGNED_OFF, Action.APPROVE): Status.APPROVED,
    # Categories with no supervisor gate (subject access) go straight to approval.
    (Status.CONSENT_CLEARED, Action.APPROVE): Status.APPROVED,
    (Status.APPROVED, Action.RELEASE): Status.RELEASED,
    # The emergency route: release at once, reviews afterwards (within 72 hours).
    (Status.RAISED, Action.EMERGENCY_RELEASE): Status.RELEASED,
    (Status.CONSENT_CLEARED, Action.EMERGENCY_RELEASE): Status.RELEASED,
    (Status.RAISED, Action.REFUSE): Status.REFUSED,
    (Status.CONSENT_CLEARED, Action.REFUSE): Status.REFUSED,
    (Status.SIGNED_OFF, Action.REFUSE): Status.REFUSED,
    (Status.APPROVED, Action.REFUSE): Status.REFUSED,
}
FINAL_STATES = {Status.RELEASED, Status.REFUSED}


class DisclosureRequest(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(max_length=8, unique=True)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="disclosures")
    category_code = models.CharField(_("category"), max_length=30, choices=CATEGORY_CHOICES)
    requester_kind = models.CharField(_("who asked"), max_length=20)
    requester = EncryptedCharField(_("who asked (name and organisation)"), max_length=300)
    recipient = EncryptedCharField(_("recipient"), max_length=300)
    purpose = EncryptedTextField(_("purpose"), max_length=2000)
    asked_for = EncryptedTextField(_("what is asked for"), max_length=4000)
    received_on = models.DateField(_("date received"))
    due_on = models.DateField(_("due date"), null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status, default=Status.RAISED)
    is_emergency = models.BooleanField(default=False)
    # Whether the client is told before release, and the recorded reason when they are not.
    notify_client = models.BooleanField(default=True)
    no_notify_reason = EncryptedTextField(max_length=2000, blank=True)
    client_notified_at = models.DateTimeField(null=True, blank=True)
    # What is released: selected entries and/or a written report (minimum necessary).
    report_text = EncryptedTextField(_("report"), max_length=100_000, blank=True)
    anonymised = models.BooleanField(default=False)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="disclosures_raised"
    )
    raised_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # A large pack is released by the background worker; this is its task's id.
    release_task_id = models.CharField(max_length=64, blank=True)

    crypto_domain = Domain.CLINICAL
    crypto_owner_field = "client"

    SENSITIVITY = {
        "id": OPERATIONAL,
        "reference": OPERATIONAL,
        "client": OPERATIONAL,
        "category_code": OPERATIONAL,
        "requester_kind": OPERATIONAL,
        "requester": CLINICAL,
        "recipient": CLINICAL,
        "purpose": CLINICAL,
        "asked_for": CLINICAL,
        "received_on": OPERATIONAL,
        "due_on": OPERATIONAL,
        "status": OPERATIONAL,
        "is_emergency": OPERATIONAL,
        "notify_client": OPERATIONAL,
        "no_notify_reason": CLINICAL,
        "client_notified_at": OPERATIONAL,
        "report_text": CLINICAL,
        "anonymised": OPERATIONAL,
        "raised_by": OPERATIONAL,
        "raised_at": OPERATIONAL,
        "updated_at": OPERATIONAL,
        "released_at": OPERATIONAL,
        "released_by": OPERATIONAL,
        "release_task_id": OPERATIONAL,
    }

    class Meta:
        ordering = ["-raised_at"]
        constraints = [
            models.CheckConstraint(
                name="disclosure_released_fields_together",
                condition=Q(status="released", released_at__isnull=False, released_by__isnull=False)
                | (~Q(status="released") & Q(released_at__isnull=True, released_by__isnull=True)),
            ),
        ]
        indexes = [models.Index(fields=["status", "category_code"])]

    def __str__(self) -> str:
        return self.reference

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.reference:
            self.reference = unused_reference(DisclosureRequest, "D")
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("disclosures:detail", args=[self.pk])

    @property
    def category(self) -> Category:
        return category(self.category_code)

    @property
    def is_sealed(self) -> bool:
        return self.category.sealed

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATES

    def decision(self, gate: str) -> GateDecision | None:
        return next((d for d in self.decisions.all() if d.gate == gate), None)


class DisclosureDocument(models.Model):
    """A document received with the request (court order, police request, release form)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    request = models.ForeignKey(
        DisclosureRequest, on_delete=models.CASCADE, related_name="documents"
    )
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20)
    content = EncryptedBinaryField()
    filename = EncryptedCharField(max_length=120)
    content_type = models.CharField(max_length=40)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    crypto_domain = Domain.CLINICAL
    crypto_owner_field = "client"

    SENSITIVITY = {
        "id": OPERATIONAL,
        "request": OPERATIONAL,
        "client": OPERATIONAL,
        "kind": OPERATIONAL,
        "content": CLINICAL,
        "filename": CLINICAL,
        "content_type": OPERATIONAL,
        "uploaded_by": OPERATIONAL,
        "uploaded_at": OPERATIONAL,
    }

    class Meta:
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return f"{self.kind} for {self.request_id}"


class GateDecision(models.Model):
    """One gate passed (or the request refused at it): who, when, why."""

    class Gate(models.TextChoices):
        CONSENT = "consent", _("Consent")
        SUPERVISOR_CONSULTED = "supervisor_consulted", _("Supervisor consulted before action")
        ADVISERS_CONSULTED = "advisers_consulted", _("Advisers consulted")
        SUPERVISOR = "supervisor", _("Supervisor sign-off")
        MANAGER = "manager", _("Service-manager approval")
        REVIEW_SUPERVISOR = "review_supervisor", _("Supervisor's review after an emergency")
        REVIEW_MANAGER = "review_manager", _("Manager's review after an emergency")
        REFUSAL = "refusal", _("Refusal")

    class Outcome(models.TextChoices):
        CONSENTED = "consented", _("The client consented")
        NOT_REQUIRED = "not_required", _("Consent not required (legal obligation)")
        MUST_NOT_SEEK = "must_not_seek", _("Consent must not be sought (tipping off)")
        RAISES_RISK = "raises_risk", _("Seeking consent would raise the risk")
        PROCEED_WITHOUT = "proceed_without", _("Proceeding without consent (recorded reason)")
        ANONYMISED = "anonymised", _("Content anonymised instead")
        NOT_APPLICABLE = "not_applicable", _("Not applicable (the client's own records)")
        DONE = "done", _("Done")
        REFUSED = "refused", _("Refused")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    request = models.ForeignKey(
        DisclosureRequest, on_delete=models.CASCADE, related_name="decisions"
    )
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    gate = models.CharField(max_length=30, choices=Gate)
    outcome = models.CharField(max_length=20, choices=Outcome)
    consent = models.ForeignKey(
        ConsentEvent, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = EncryptedTextField(max_length=4000, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    crypto_domain = Domain.CLINICAL
    crypto_owner_field = "client"

    SENSITIVITY = {
        "id": OPERATIONAL,
        "request": OPERATIONAL,
        "client": OPERATIONAL,
        "gate": OPERATIONAL,
        "outcome": OPERATIONAL,
        "consent": OPERATIONAL,
        "reason": CLINICAL,
        "by": OPERATIONAL,
        "at": OPERATIONAL,
    }

    class Meta:
        ordering = ["at"]

    def __str__(self) -> str:
        return f"{self.gate}: {self.outcome}"


class ReleaseItem(models.Model):
    """A note entry chosen for release (minimum necessary)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    request = models.ForeignKey(DisclosureRequest, on_delete=models.CASCADE, related_name="items")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    entry = models.ForeignKey(NoteEntry, on_delete=models.CASCADE, related_name="+")
    # Third-party information is left out unless a reason to include it is recorded.
    third_party_reason = EncryptedTextField(max_length=2000, blank=True)

    crypto_domain = Domain.CLINICAL
    crypto_owner_field = "client"

    SENSITIVITY = {
        "id": OPERATIONAL,
        "request": OPERATIONAL,
        "client": OPERATIONAL,
        "entry": OPERATIONAL,
        "third_party_reason": CLINICAL,
    }

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["request", "entry"], name="release_item_once")
        ]

    def __str__(self) -> str:
        return f"entry {self.entry_id} in {self.request_id}"


class ReleasedDocument(models.Model):
    """The PDF that was released, encrypted under the client's clinical key."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    request = models.OneToOneField(
        DisclosureRequest, on_delete=models.CASCADE, related_name="released_document"
    )
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    pdf = EncryptedBinaryField()
    # A subject access bundle also keeps what the PDF shows as structured data, so the
    # client can read exactly what was released as accessible HTML in the portal.
    content_json = EncryptedTextField(null=True, blank=True)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    crypto_domain = Domain.CLINICAL
    crypto_owner_field = "client"

    SENSITIVITY = {
        "id": OPERATIONAL,
        "request": OPERATIONAL,
        "client": OPERATIONAL,
        "pdf": CLINICAL,
        "content_json": CLINICAL,
        "sha256": OPERATIONAL,
        "size": OPERATIONAL,
        "created_at": OPERATIONAL,
    }

    def __str__(self) -> str:
        return f"released document of {self.request_id}"


class RegisterQuerySet(models.QuerySet["RegisterEntry"]):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("The register is immutable; record a correction instead.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("The register is immutable; record a correction instead.")

    def visible_to_client(self) -> RegisterQuerySet:
        """What the client's portal and subject access bundle may show: never a sealed
        disclosure (tipping off is an offence), nor one the client was deliberately not told
        about (telling would raise the risk, or a court directed it). Their own bundles
        always show."""
        return (
            self.filter(sealed=False)
            .exclude(category_code__in=SEALED_CODES)
            .filter(Q(request__notify_client=True) | Q(category_code="subject_access"))
        )


class RegisterEntry(models.Model):
    """The register of disclosures: one row per release, never changed (a correction is a
    new row that points to the one it corrects)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    request = models.ForeignKey(
        DisclosureRequest, on_delete=models.PROTECT, related_name="register"
    )
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="register")
    released_at = models.DateTimeField()
    category_code = models.CharField(max_length=30, choices=CATEGORY_CHOICES)
    basis = models.CharField(max_length=200)
    statute = models.CharField(max_length=300, blank=True)
    recipient = EncryptedCharField(max_length=300)
    purpose = EncryptedTextField(max_length=2000)
    approvers = models.JSONField(default=list)  # [{"gate", "user_id", "name", "at"}]
    items = models.JSONField(default=list)  # the released entries' ids
    item_count = models.PositiveIntegerField(default=0)
    included_report = models.BooleanField(default=False)
    sha256 = models.CharField(max_length=64)
    sealed = models.BooleanField(default=False)
    emergency = models.BooleanField(default=False)
    corrects = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections"
    )
    correction = EncryptedTextField(max_length=4000, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    objects = RegisterQuerySet.as_manager()

    crypto_domain = Domain.CLINICAL
    crypto_owner_field = "client"

    SENSITIVITY = {
        "id": OPERATIONAL,
        "request": OPERATIONAL,
        "client": OPERATIONAL,
        "released_at": OPERATIONAL,
        "category_code": OPERATIONAL,
        "basis": OPERATIONAL,
        "statute": OPERATIONAL,
        "recipient": CLINICAL,
        "purpose": CLINICAL,
        "approvers": OPERATIONAL,
        "items": OPERATIONAL,
        "item_count": OPERATIONAL,
        "included_report": OPERATIONAL,
        "sha256": OPERATIONAL,
        "sealed": OPERATIONAL,
        "emergency": OPERATIONAL,
        "corrects": OPERATIONAL,
        "correction": CLINICAL,
        "recorded_by": OPERATIONAL,
        "recorded_at": OPERATIONAL,
    }

    class Meta:
        ordering = ["-released_at"]
        verbose_name_plural = "register entries"

    def __str__(self) -> str:
        return f"register entry for {self.request_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("The register is immutable; record a correction instead.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("The register is immutable; record a correction instead.")


class StatuteReference(models.Model):
    """A service manager's wording of a category's legal reference (statutes change and
    policies cite repealed acts); the rest of the category stays in categories.py."""

    category_code = models.CharField(max_length=30, unique=True, choices=CATEGORY_CHOICES)
    text = models.CharField(max_length=300)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    SENSITIVITY = {
        "id": OPERATIONAL,
        "category_code": OPERATIONAL,
        "text": OPERATIONAL,
        "updated_by": OPERATIONAL,
        "updated_at": OPERATIONAL,
    }

    def __str__(self) -> str:
        return f"{self.category_code}: {self.text}"


# -- subject access ----------------------------------------------------------------------------


class SubjectAccessRequest(models.Model):
    """A client's request for everything held about them (UK GDPR Art. 15).

    Due one calendar month from receipt (deadlines.py), extendable by up to two months with
    a reason and a notice to the client; the clock stops while identity or clarification is
    awaited. The bundle is a DisclosureRequest of category ``subject_access``, released by
    the release service like every other disclosure.
    """

    class Channel(models.TextChoices):
        PORTAL = "portal", _("In the client portal")
        EMAIL = "email", _("By e-mail")
        LETTER = "letter", _("By letter")
        IN_PERSON = "in_person", _("In person")
        PHONE = "phone", _("By phone")

    class Status(models.TextChoices):
        OPEN = "open", _("Being prepared")
        PAUSED = "paused", _("Waiting for your reply")
        RELEASED = "released", _("Records sent")
        CLOSED = "closed", _("Closed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(max_length=8, unique=True)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="access_requests")
    received_on = models.DateField(_("date received"))
    channel = models.CharField(_("how it was made"), max_length=10, choices=Channel)
    details = EncryptedTextField(_("what the client asked for"), max_length=4000, blank=True)
    identity_verified = models.BooleanField(_("identity verified"), default=False)
    identity_verified_how = EncryptedTextField(
        _("how identity was verified"), max_length=1000, blank=True
    )
    extension_months = models.PositiveSmallIntegerField(default=0)
    extension_reason = EncryptedTextField(
        _("reason for the extension"), max_length=2000, blank=True
    )
    extended_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status, default=Status.OPEN)
    bundle = models.OneToOneField(
        DisclosureRequest,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="subject_access",
    )
    close_reason = EncryptedTextField(max_length=2000, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    crypto_domain = Domain.CLINICAL
    crypto_owner_field = "client"

    SENSITIVITY = {
        "id": OPERATIONAL,
        "reference": OPERATIONAL,
        "client": OPERATIONAL,
        "received_on": OPERATIONAL,
        "channel": OPERATIONAL,
        "details": CLINICAL,
        "identity_verified": OPERATIONAL,
        "identity_verified_how": CLINICAL,
        "extension_months": OPERATIONAL,
        "extension_reason": CLINICAL,
        "extended_at": OPERATIONAL,
        "status": OPERATIONAL,
        "bundle": OPERATIONAL,
        "close_reason": CLINICAL,
        "recorded_by": OPERATIONAL,
        "recorded_at": OPERATIONAL,
        "completed_at": OPERATIONAL,
    }

    class Meta:
        ordering = ["-received_on", "-recorded_at"]
        constraints = [
            models.CheckConstraint(
                name="sar_extension_at_most_two_months",
                condition=Q(extension_months__lte=2),
            ),
        ]
        indexes = [models.Index(fields=["status", "received_on"])]

    def __str__(self) -> str:
        return self.reference

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.reference:
            self.reference = unused_reference(SubjectAccessRequest, "S")
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.OPEN, self.Status.PAUSED)

    def pause_spans(self) -> list[tuple[datetime.date, datetime.date | None]]:
        return [(p.started_on, p.ended_on) for p in self.pauses.all()]

    def due_on(self, today: datetime.date | None = None) -> datetime.date:
        """The deadline today: one month, plus any extension, plus the days paused."""
        today = today or timezone.localdate()
        return due_date(
            self.received_on,
            extension_months=self.extension_months,
            pauses=self.pause_spans(),
            today=today,
        )

    def is_overdue(self, today: datetime.date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.is_open and self.status != self.Status.PAUSED and today > self.due_on(today)

    @property
    def open_pause(self) -> SubjectAccessPause | None:
        return next((p for p in self.pauses.all() if p.ended_on is None), None)


class SubjectAccessPause(models.Model):
    """The clock stopped while the client's identity or a clarification was awaited."""

    class Reason(models.TextChoices):
        IDENTITY = "identity", _("Waiting for proof of identity")
        CLARIFICATION = "clarification", _("Waiting for the client to clarify what they want")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    access_request = models.ForeignKey(
        SubjectAccessRequest, on_delete=models.CASCADE, related_name="pauses"
    )
    reason = models.CharField(max_length=20, choices=Reason)
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    paused_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    resumed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    SENSITIVITY = {
        "id": OPERATIONAL,
        "access_request": OPERATIONAL,
        "reason": OPERATIONAL,
        "started_on": OPERATIONAL,
        "ended_on": OPERATIONAL,
        "paused_by": OPERATIONAL,
        "resumed_by": OPERATIONAL,
    }

    class Meta:
        ordering = ["started_on"]
        constraints = [
            models.CheckConstraint(
                name="sar_pause_ends_after_it_starts",
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
            ),
            models.UniqueConstraint(
                fields=["access_request"],
                condition=Q(ended_on__isnull=True),
                name="sar_one_open_pause",
            ),
        ]

    def __str__(self) -> str:
        return f"pause of {self.access_request_id}"


class Withholding(models.Model):
    """A note entry or supervision point kept out of a subject access bundle under an
    exemption, with its basis:

    - serious harm (DPA 2018 Sch. 3 Part 2 para. 5): it would be likely to cause serious harm
      to the physical or mental health of the client or another person, in the opinion of an
      appropriate health professional given no more than six months before;
    - crime (DPA 2018 Sch. 2 para. 2): telling the client would be likely to prejudice the
      prevention or detection of crime, such as revealing a report they must not be told of
      (tipping off)."""

    class Exemption(models.TextChoices):
        SERIOUS_HARM = "serious_harm", _("Serious harm")
        CRIME = "crime", _("Prevention or detection of crime")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    request = models.ForeignKey(
        DisclosureRequest, on_delete=models.CASCADE, related_name="withholdings"
    )
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    entry = models.ForeignKey(
        NoteEntry, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    point = models.ForeignKey(
        SupervisionPoint, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    exemption = models.CharField(
        _("exemption"), max_length=20, choices=Exemption, default=Exemption.SERIOUS_HARM
    )
    basis = EncryptedTextField(_("why it is withheld"), max_length=2000)
    opinion_by = EncryptedCharField(_("health professional consulted"), max_length=200, blank=True)
    opinion_on = models.DateField(_("date of their opinion"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    crypto_domain = Domain.CLINICAL
    crypto_owner_field = "client"

    SENSITIVITY = {
        "id": OPERATIONAL,
        "request": OPERATIONAL,
        "client": OPERATIONAL,
        "entry": OPERATIONAL,
        "point": OPERATIONAL,
        "exemption": OPERATIONAL,
        "basis": CLINICAL,
        "opinion_by": CLINICAL,
        "opinion_on": OPERATIONAL,
        "recorded_by": OPERATIONAL,
        "recorded_at": OPERATIONAL,
    }

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["request", "entry"], name="withholding_once"),
            models.UniqueConstraint(fields=["request", "point"], name="withholding_point_once"),
            models.CheckConstraint(
                name="withholding_of_one_thing",
                condition=Q(entry__isnull=False, point__isnull=True)
                | Q(entry__isnull=True, point__isnull=False),
            ),
            models.CheckConstraint(
                name="withholding_serious_harm_has_an_opinion",
                condition=~Q(exemption="serious_harm") | Q(opinion_on__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"withholding of {self.entry_id or self.point_id} in {self.request_id}"


class BundlePoint(models.Model):
    """A supervision point the counsellor put in a subject access bundle (each of the
    client's points is either here or withheld with its reason)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    request = models.ForeignKey(
        DisclosureRequest, on_delete=models.CASCADE, related_name="bundle_points"
    )
    point = models.ForeignKey(SupervisionPoint, on_delete=models.CASCADE, related_name="+")

    SENSITIVITY = {"id": OPERATIONAL, "request": OPERATIONAL, "point": OPERATIONAL}

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["request", "point"], name="bundle_point_once")
        ]

    def __str__(self) -> str:
        return f"supervision point {self.point_id} in {self.request_id}"
