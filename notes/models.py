"""Session notes, their entries, amendments, supervision sessions and supervision points.

A note hangs off a client's case (or a couple/group's joint case) and never holds identity.
Its text lives in entries; each entry says who it is about and where it came from, and is
encrypted under the clinical key of the client it is about (or of the joint case, for an
entry about the whole couple or group). A note can be edited until it is signed; after that
it changes only by an amendment, which records the reason and a new version number while
django-simple-history keeps every earlier version, as ciphertext.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from clients.models import CLINICAL, OPERATIONAL, Client, JointCase
from practice.crypto.fields import EncryptedCharField, EncryptedTextField
from practice.crypto.keyring import Domain

MAX_NOTE_TEXT = 100_000  # characters; the policy limit is 100 KB of text


class SessionNote(models.Model):
    class Kind(models.TextChoices):
        FACTUAL = "factual", _("Factual note")
        PROCESS = "process", _("Process note")

    class Attendance(models.TextChoices):
        ATTENDED = "attended", _("Attended")
        CANCELLED = "cancelled", _("Cancelled")
        DID_NOT_ATTEND = "dna", _("Did not attend")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SIGNED = "signed", _("Signed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, null=True, blank=True, related_name="notes"
    )
    joint_case = models.ForeignKey(
        JointCase, on_delete=models.PROTECT, null=True, blank=True, related_name="notes"
    )
    # Whose clinical key encrypts the note's own encrypted fields: the client, or the joint case.
    key_owner = models.UUIDField(editable=False, db_index=True)
    kind = models.CharField(max_length=10, choices=Kind)
    session_date = models.DateField(_("session date"))
    duration_minutes = models.PositiveSmallIntegerField(_("length (minutes)"), default=50)
    attendance = models.CharField(max_length=10, choices=Attendance, default=Attendance.ATTENDED)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="authored_notes"
    )
    status = models.CharField(max_length=10, choices=Status, default=Status.DRAFT)
    signed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    crypto_domain = Domain.CLINICAL
    crypto_owner_field = "key_owner"

    SENSITIVITY = {
        "id": OPERATIONAL,
        "client": OPERATIONAL,
        "joint_case": OPERATIONAL,
        "key_owner": OPERATIONAL,
        "kind": OPERATIONAL,
        "session_date": OPERATIONAL,
        "duration_minutes": OPERATIONAL,
        "attendance": OPERATIONAL,
        "author": OPERATIONAL,
        "status": OPERATIONAL,
        "signed_at": OPERATIONAL,
        "version": OPERATIONAL,
        "created_at": OPERATIONAL,
        "updated_at": OPERATIONAL,
    }

    class Meta:
        ordering = ["-session_date", "-created_at"]
        constraints = [
            models.CheckConstraint(
                name="note_belongs_to_one_case",
                condition=Q(client__isnull=False, joint_case__isnull=True)
                | Q(client__isnull=True, joint_case__isnull=False),
            ),
            models.CheckConstraint(
                name="note_signed_fields_together",
                condition=Q(status="draft", signed_at__isnull=True)
                | Q(status="signed", signed_at__isnull=False),
            ),
        ]
        indexes = [models.Index(fields=["client", "kind", "session_date"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.session_date}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.key_owner = self.client_id or self.joint_case_id  # type: ignore[assignment]
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("notes:detail", args=[self.pk])

    @property
    def case(self) -> Client | JointCase:
        return self.client if self.client_id else self.joint_case  # type: ignore[return-value]

    @property
    def is_signed(self) -> bool:
        return self.status == self.Status.SIGNED

    @property
    def is_process(self) -> bool:
        return self.kind == self.Kind.PROCESS


class NoteEntry(models.Model):
    class Provenance(models.TextChoices):
        COUNSELLOR = "counsellor", _("Counsellor's own record")
        CLIENT = "client", _("From the client")
        THIRD_PARTY = "third_party", _("From a third party")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    note = models.ForeignKey(SessionNote, on_delete=models.CASCADE, related_name="entries")
    position = models.PositiveSmallIntegerField(default=0)
    # The partner or group member this entry is about; empty means the whole couple/group
    # (or, for an individual client's note, the client).
    about = models.ForeignKey(
        Client, on_delete=models.PROTECT, null=True, blank=True, related_name="entries_about"
    )
    key_owner = models.UUIDField(editable=False, db_index=True)
    provenance = models.CharField(max_length=12, choices=Provenance, default=Provenance.COUNSELLOR)
    third_party_source = EncryptedCharField(
        _("who the information came from"), max_length=200, blank=True
    )
    text = EncryptedTextField(_("text"), max_length=MAX_NOTE_TEXT)

    history = HistoricalRecords()

    crypto_domain = Domain.CLINICAL
    crypto_owner_field = "key_owner"

    SENSITIVITY = {
        "id": OPERATIONAL,
        "note": OPERATIONAL,
        "position": OPERATIONAL,
        "about": OPERATIONAL,
        "key_owner": OPERATIONAL,
        "provenance": OPERATIONAL,
        "third_party_source": CLINICAL,
        "text": CLINICAL,
    }

    class Meta:
        ordering = ["position"]
        verbose_name_plural = "note entries"

    def __str__(self) -> str:
        return f"entry {self.position} of {self.note_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.key_owner = self.about_id or self.note.key_owner  # type: ignore[assignment]
        super().save(*args, **kwargs)

    @property
    def is_third_party(self) -> bool:
        return self.provenance == self.Provenance.THIRD_PARTY


class NoteAmendment(models.Model):
    """Why a signed note changed. Append-only; the reason is clinical text, so encrypted."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    note = models.ForeignKey(SessionNote, on_delete=models.CASCADE, related_name="amendments")
    key_owner = models.UUIDField(editable=False)
    version = models.PositiveIntegerField()
    reason = EncryptedTextField(_("reason for the amendment"), max_length=2000)
    amended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    amended_at = models.DateTimeField(auto_now_add=True)

    crypto_domain = Domain.CLINICAL
    crypto_owner_field = "key_owner"

    SENSITIVITY = {
        "id": OPERATIONAL,
        "note": OPERATIONAL,
        "key_owner": OPERATIONAL,
        "version": OPERATIONAL,
        "reason": CLINICAL,
        "amended_by": OPERATIONAL,
        "amended_at": OPERATIONAL,
    }

    class Meta:
        ordering = ["version"]
        constraints = [
            models.UniqueConstraint(fields=["note", "version"], name="amendment_version_once")
        ]

    def __str__(self) -> str:
        return f"amendment v{self.version} of {self.note_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.key_owner = self.note.key_owner
        super().save(*args, **kwargs)


class SupervisionSession(models.Model):
    """A supervision session. Cases are named by reference only. Recording one makes the
    process notes of earlier counselling sessions due for destruction (retention)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="supervision_given"
    )
    counsellor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="supervision_received"
    )
    held_on = models.DateField(_("date held"))
    cases = models.ManyToManyField(Client, related_name="supervision_sessions", blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    SENSITIVITY = {
        "id": OPERATIONAL,
        "supervisor": OPERATIONAL,
        "counsellor": OPERATIONAL,
        "held_on": OPERATIONAL,
        "cases": OPERATIONAL,
        "recorded_by": OPERATIONAL,
        "recorded_at": OPERATIONAL,
    }

    class Meta:
        ordering = ["-held_on"]
        constraints = [
            models.CheckConstraint(
                name="supervision_not_of_oneself",
                condition=~Q(supervisor=models.F("counsellor")),
            )
        ]

    def __str__(self) -> str:
        return f"supervision on {self.held_on}"


class SupervisionPoint(models.Model):
    """A discussion point or risk flag the counsellor shares with their supervisor.
    The supervisor reads it next to the case reference, never next to a name."""

    class Risk(models.TextChoices):
        NONE = "", _("No risk flag")
        SELF_HARM = "self_harm", _("Risk to self")
        HARM_TO_OTHERS = "harm_to_others", _("Risk to others")
        SAFEGUARDING = "safeguarding", _("Safeguarding concern")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="supervision_points")
    risk = EncryptedCharField(_("risk flag"), max_length=20, blank=True, choices=Risk)
    text = EncryptedTextField(_("for discussion"), max_length=5000)
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    shared_at = models.DateTimeField(auto_now_add=True)
    discussed_in = models.ForeignKey(
        SupervisionSession, on_delete=models.SET_NULL, null=True, blank=True, related_name="points"
    )

    crypto_domain = Domain.CLINICAL
    crypto_owner_field = "client"

    SENSITIVITY = {
        "id": OPERATIONAL,
        "client": OPERATIONAL,
        "risk": CLINICAL,
        "text": CLINICAL,
        "shared_by": OPERATIONAL,
        "shared_at": OPERATIONAL,
        "discussed_in": OPERATIONAL,
    }

    class Meta:
        ordering = ["-shared_at"]

    def __str__(self) -> str:
        return f"supervision point on {self.client_id}"
