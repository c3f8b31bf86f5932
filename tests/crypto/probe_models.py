"""Models with encrypted fields, for the crypto tests only.

They live in an isolated app registry (label "crypto"), so they never appear in the project's
registry, migrations or checks; conftest.py creates their tables in the test database.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.test.utils import isolate_apps
from simple_history.models import HistoricalRecords

from practice.crypto.fields import (
    EncryptedBinaryField,
    EncryptedCharField,
    EncryptedDateField,
    EncryptedTextField,
)
from practice.crypto.keyring import Domain

with isolate_apps("practice.crypto") as probe_apps:

    class ProbeClient(models.Model):
        """An owner that encrypts its own identity fields (crypto_owner_field = "id")."""

        id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
        reference = models.CharField(max_length=16)
        name = EncryptedCharField(max_length=50, blank=True)
        date_of_birth = EncryptedDateField(null=True, blank=True)

        crypto_domain = Domain.IDENTITY
        crypto_owner_field = "id"

        class Meta:
            app_label = "crypto"

        def __str__(self) -> str:
            return str(self.pk)

    class ProbeNote(models.Model):
        """A clinical record of a client, with history, like a session note."""

        id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
        client = models.ForeignKey(ProbeClient, on_delete=models.CASCADE)
        title = EncryptedCharField(max_length=20, blank=True)
        body = EncryptedTextField(blank=True)
        summary = EncryptedTextField(null=True, blank=True)
        session_date = EncryptedDateField(null=True, blank=True)
        attachment = EncryptedBinaryField(null=True, blank=True)
        updated_at = models.DateTimeField(auto_now=True)
        history = HistoricalRecords(
            app="crypto",
            # The real user model is not in this isolated registry: record the id only.
            history_user_id_field=models.BigIntegerField(null=True, blank=True),
        )

        crypto_domain = Domain.CLINICAL
        crypto_owner_field = "client"

        class Meta:
            app_label = "crypto"

        def __str__(self) -> str:
            return str(self.pk)


HistoricalProbeNote = ProbeNote.history.model
PROBE_MODELS = [ProbeClient, ProbeNote, HistoricalProbeNote]
