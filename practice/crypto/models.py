"""Per-client data keys, stored only in wrapped form.

Deliberately without django-simple-history: a history table of keys would keep copies that
survive crypto-shredding. Rotation needs no state table of its own: an owner+domain with more
than one version is a rotation in progress (see ``practice.crypto.rotation``).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from practice.crypto.keyring import Domain


class DataKey(models.Model):
    # The client id, without a foreign key: the foundation imports no domain app, and the
    # key must be deletable (shredded) independently of the client row.
    owner = models.UUIDField()
    domain = models.CharField(max_length=16, choices=Domain.choices)
    version = models.PositiveIntegerField()
    master_key_id = models.CharField(max_length=16)
    wrapped = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "domain", "version"], name="crypto_datakey_one_per_version"
            ),
            models.CheckConstraint(
                condition=models.Q(version__gte=1), name="crypto_datakey_version_positive"
            ),
        ]
        indexes = [models.Index(fields=["domain", "master_key_id"], name="crypto_dk_master")]

    def __str__(self) -> str:
        return f"{self.domain} data key v{self.version} of {self.owner} ({self.master_key_id})"
