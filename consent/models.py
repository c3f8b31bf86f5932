"""Contracting and consent.

Contracting: at the first session, before personal material is discussed, the counsellor
explains confidentiality and its limits, supervision, where notes are kept and for how long,
and the client's right to see their records, and gives the versioned agreement and privacy
notice (policies S000, S001, S003). It is recorded before the first factual note.

Consent: explicit, written, scoped and withdrawable. Granting and withdrawing are separate,
append-only events; nothing is edited or deleted, and the current state of each scope is
derived from them. Consent to one scope never implies another. Each client consents for
themselves only: a partner's consent is never recorded on the other's behalf.

What a consent names (recipient, purpose, material), its evidence (a signed form, a typed
signature) and any capacity notes are clinical data, encrypted under the client's key.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import CLINICAL, OPERATIONAL, Client
from practice.crypto.fields import (
    EncryptedBinaryField,
    EncryptedCharField,
    EncryptedTextField,
)
from practice.crypto.keyring import Domain


class DocumentVersion(models.Model):
    """A version of the client confidentiality agreement or the privacy notice, maintained
    by a service manager. Practice documents: no client data."""

    class Kind(models.TextChoices):
        AGREEMENT = "agreement", _("Confidentiality agreement")
        PRIVACY_NOTICE = "privacy_notice", _("Privacy notice")

    kind = models.CharField(max_length=20, choices=Kind)
    version = models.CharField(max_length=20)
    title = models.CharField(max_length=200)
    text = models.TextField()
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    SENSITIVITY = {
        "id": OPERATIONAL,
        "kind": OPERATIONAL,
        "version": OPERATIONAL,
        "title": OPERATIONAL,
        "text": OPERATIONAL,
        "published_at": OPERATIONAL,
        "published_by": OPERATIONAL,
        "created_at": OPERATIONAL,
    }

    class Meta:
        ordering = ["kind", "-published_at", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="document_version_once")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A published version is what clients were given: it never changes afterwards. A new
        # wording is a new version.
        if not self._state.adding:
            before = DocumentVersion.objects.filter(pk=self.pk).first()
            if before is not None and before.published_at is not None:
                same = (before.kind, before.version, before.title, before.text) == (
                    self.kind,
                    self.version,
                    self.title,
                    self.text,
                )
                if not same:
                    raise AppendOnlyError(
                        "A published document cannot change; write a new version."
                    )
        super().save(*args, **kwargs)

    @classmethod
    def current(cls, kind: str) -> DocumentVersion | None:
        return (
            cls.objects.filter(kind=kind, published_at__isnull=False)
            .order_by("-published_at")
            .first()
        )


class Contracting(models.Model):
    """The record that confidentiality and its limits were explained at the first session."""

    class Delivery(models.TextChoices):
        PAPER = "paper", _("On paper")
        EMAIL = "email", _("By e-mail")
        PORTAL = "portal", _("In the client portal")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="contracting")
    contracted_on = models.DateField(_("date of the first session"))
    counsellor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    agreement = models.ForeignKey(DocumentVersion, on_delete=models.PROTECT, related_name="+")
    privacy_notice = models.ForeignKey(DocumentVersion, on_delete=models.PROTECT, related_name="+")
    delivered = models.CharField(_("how the documents were given"), max_length=10, choices=Delivery)
    explained_limits = models.BooleanField(
        _("the limits of confidentiality, including the legal exceptions")
    )
    explained_supervision = models.BooleanField(_("that the work is discussed in supervision"))
    explained_storage = models.BooleanField(_("where and how notes are kept, and for how long"))
    explained_access = models.BooleanField(_("the client's right to see their records"))
    recorded_at = models.DateTimeField(auto_now_add=True)

    SENSITIVITY = {
        "id": OPERATIONAL,
        "client": OPERATIONAL,
        "contracted_on": OPERATIONAL,
        "counsellor": OPERATIONAL,
        "agreement": OPERATIONAL,
        "privacy_notice": OPERATIONAL,
        "delivered": OPERATIONAL,
        "explained_limits": OPERATIONAL,
        "explained_supervision": OPERATIONAL,
        "explained_storage": OPERATIONAL,
        "explained_access": OPERATIONAL,
        "recorded_at": OPERATIONAL,
    }

    class Meta:
        ordering = ["-contracted_on", "-recorded_at"]
        verbose_name_plural = "contracting records"
        constraints = [
            # Every point must have been explained for the record to count (policy S001).
            models.CheckConstraint(
                name="contracting_every_point_explained",
                condition=Q(
                    explained_limits=True,
                    explained_supervision=True,
                    explained_storage=True,
                    explained_access=True,
                ),
            )
        ]

    def __str__(self) -> str:
        return f"contracting for {self.client_id} on {self.contracted_on}"


class Scope(models.TextChoices):
    RECORD_KEEPING = "record_keeping", _("Keeping records")
    SUPERVISION = "supervision", _("Discussing the work in supervision")
    DISCLOSURE = "disclosure", _("Sharing information with a named recipient")
    PUBLICATION = "publication", _("Publication")
    TRAINING = "training", _("Training")
    RESEARCH = "research", _("Research")
    IDENTIFIABLE_REFERENCE = (
        "identifiable_reference",
        _("Being identifiable in the practice's communications"),
    )


class AppendOnlyError(Exception):
    """Consent events are never changed or deleted; a withdrawal is a new event."""


class ConsentEventQuerySet(models.QuerySet["ConsentEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("Consent events are append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Consent events are append-only.")

    def grants(self) -> ConsentEventQuerySet:
        return self.filter(action=ConsentEvent.Action.GRANTED)


class ConsentEvent(models.Model):
    class Action(models.TextChoices):
        GRANTED = "granted", _("Given")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Evidence(models.TextChoices):
        SIGNED_FORM = "signed_form", _("Signed paper form (uploaded)")
        E_SIGNATURE = "e_signature", _("Signed by the client in the portal")
        VERBAL_WITNESSED = "verbal_witnessed", _("Verbal, witnessed (urgent cases only)")
        VERBAL = "verbal", _("Told the counsellor (withdrawal)")
        WRITTEN = "written", _("In writing (withdrawal)")

    class Capacity(models.TextChoices):
        HAS_CAPACITY = "has_capacity", _("Has capacity to consent to this now")
        LACKS_CAPACITY = "lacks_capacity", _("Lacks capacity to consent to this now")

    class MinorBasis(models.TextChoices):
        COMPETENT = "competent", _("The young person is competent to consent (Gillick)")
        PARENTAL = "parental", _("Someone with parental responsibility consented")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="consent_events")
    scope = models.CharField(max_length=30, choices=Scope)
    action = models.CharField(max_length=10, choices=Action)
    withdraws = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="withdrawal",
    )
    # What a disclosure consent covers: a named recipient, a stated purpose, stated material.
    recipient = EncryptedCharField(_("recipient"), max_length=200, blank=True)
    purpose = EncryptedTextField(_("purpose"), max_length=2000, blank=True)
    material = EncryptedTextField(_("what may be shared"), max_length=2000, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    # The evidence.
    evidence = models.CharField(max_length=20, choices=Evidence)
    evidence_file = EncryptedBinaryField(null=True, blank=True)
    evidence_filename = EncryptedCharField(max_length=120, blank=True)
    evidence_content_type = models.CharField(max_length=40, blank=True)
    signature_name = EncryptedCharField(
        _("full name typed by the client"), max_length=200, blank=True
    )
    signature_ip = EncryptedCharField(max_length=45, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    witness = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Capacity, considered at the time, by whom, with the outcome (policy S001).
    capacity_assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    capacity = models.CharField(max_length=20, choices=Capacity, blank=True)
    capacity_note = EncryptedTextField(
        _("how capacity was considered"), max_length=2000, blank=True
    )
    # Young people: competent themselves, or consent from someone with parental responsibility.
    minor_basis = models.CharField(max_length=10, choices=MinorBasis, blank=True)
    parental_consent_by = EncryptedCharField(
        _("name of the person with parental responsibility"), max_length=200, blank=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = ConsentEventQuerySet.as_manager()

    crypto_domain = Domain.CLINICAL
    crypto_owner_field = "client"

    SENSITIVITY = {
        "id": OPERATIONAL,
        "client": OPERATIONAL,
        "scope": OPERATIONAL,
        "action": OPERATIONAL,
        "withdraws": OPERATIONAL,
        "recipient": CLINICAL,
        "purpose": CLINICAL,
        "material": CLINICAL,
        "valid_until": OPERATIONAL,
        "evidence": OPERATIONAL,
        "evidence_file": CLINICAL,
        "evidence_filename": CLINICAL,
        "evidence_content_type": OPERATIONAL,
        "signature_name": CLINICAL,
        "signature_ip": CLINICAL,
        "signed_at": OPERATIONAL,
        "witness": OPERATIONAL,
        "capacity_assessed_by": OPERATIONAL,
        "capacity": OPERATIONAL,
        "capacity_note": CLINICAL,
        "minor_basis": OPERATIONAL,
        "parental_consent_by": CLINICAL,
        "recorded_by": OPERATIONAL,
        "recorded_at": OPERATIONAL,
    }

    class Meta:
        ordering = ["-recorded_at"]
        constraints = [
            # A withdrawal names the grant it withdraws; a grant withdraws nothing.
            models.CheckConstraint(
                name="consent_withdrawal_names_its_grant",
                condition=Q(action="granted", withdraws__isnull=True)
                | Q(action="withdrawn", withdraws__isnull=False),
            ),
            # Verbal consent counts only when a second member of staff witnessed it.
            models.CheckConstraint(
                name="consent_verbal_is_witnessed",
                condition=~Q(evidence="verbal_witnessed") | Q(witness__isnull=False),
            ),
            models.CheckConstraint(
                name="consent_capacity_has_assessor",
                condition=Q(capacity="") | Q(capacity_assessed_by__isnull=False),
            ),
        ]
        indexes = [models.Index(fields=["client", "scope", "action"])]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.get_scope_display()} ({self.client_id})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("Consent events are append-only; record a withdrawal instead.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Consent events are append-only.")

    @property
    def is_grant(self) -> bool:
        return self.action == self.Action.GRANTED

    def withdrawal_event(self) -> ConsentEvent | None:
        try:
            return self.withdrawal
        except ConsentEvent.DoesNotExist:
            return None

    def is_current(self, at: datetime.datetime | None = None) -> bool:
        """Granted at or before ``at``, not withdrawn by then, not expired."""
        at = at or timezone.now()
        if not self.is_grant or self.recorded_at > at:
            return False
        withdrawal = self.withdrawal_event()
        if withdrawal is not None and withdrawal.recorded_at <= at:
            return False
        return self.valid_until is None or self.valid_until >= timezone.localdate(at)


class PreparedConsent(models.Model):
    """A consent the counsellor has written out for the client to sign in the portal.

    The counsellor considers capacity when preparing it (policy S001); the client signs by
    typing their full name and ticking to agree, which records an e-signed ConsentEvent.
    """

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting for the client's signature")
        SIGNED = "signed", _("Signed")
        CANCELLED = "cancelled", _("Cancelled")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="prepared_consents")
    scope = models.CharField(max_length=30, choices=Scope)
    recipient = EncryptedCharField(_("recipient"), max_length=200, blank=True)
    purpose = EncryptedTextField(_("purpose"), max_length=2000, blank=True)
    material = EncryptedTextField(_("what may be shared"), max_length=2000, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    capacity_note = EncryptedTextField(
        _("how capacity was considered"), max_length=2000, blank=True
    )
    status = models.CharField(max_length=10, choices=Status, default=Status.WAITING)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    prepared_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    signed_event = models.OneToOneField(
        ConsentEvent, on_delete=models.PROTECT, null=True, blank=True, related_name="prepared"
    )

    crypto_domain = Domain.CLINICAL
    crypto_owner_field = "client"

    SENSITIVITY = {
        "id": OPERATIONAL,
        "client": OPERATIONAL,
        "scope": OPERATIONAL,
        "recipient": CLINICAL,
        "purpose": CLINICAL,
        "material": CLINICAL,
        "valid_until": OPERATIONAL,
        "capacity_note": CLINICAL,
        "status": OPERATIONAL,
        "prepared_by": OPERATIONAL,
        "prepared_at": OPERATIONAL,
        "closed_at": OPERATIONAL,
        "signed_event": OPERATIONAL,
    }

    class Meta:
        ordering = ["-prepared_at"]
        constraints = [
            models.CheckConstraint(
                name="prepared_consent_signed_has_event",
                condition=~Q(status="signed") | Q(signed_event__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"prepared {self.scope} consent ({self.client_id})"

    @property
    def is_waiting(self) -> bool:
        return self.status == self.Status.WAITING
