"""The system check for models with encrypted fields."""

from __future__ import annotations

import uuid

from django.core import checks
from django.db import models
from django.test.utils import isolate_apps
from simple_history.models import HistoricalRecords

from practice.crypto.checks import check_encrypted_models, check_models
from practice.crypto.fields import EncryptedTextField
from practice.crypto.keyring import Domain

from .probe_models import probe_apps


def ids(messages: list[checks.CheckMessage]) -> list[str]:
    return sorted(m.id or "" for m in messages)


def test_probe_models_pass() -> None:
    assert check_models(probe_apps.get_models()) == []


def test_project_models_pass() -> None:
    assert check_encrypted_models() == []


@isolate_apps("practice.crypto")
def test_missing_declarations_are_reported() -> None:
    class NoDeclarations(models.Model):
        body = EncryptedTextField()

        class Meta:
            app_label = "crypto"

        def __str__(self) -> str:
            return str(self.pk)

    class Declared(models.Model):
        id = models.UUIDField(primary_key=True, default=uuid.uuid4)
        owner = models.UUIDField()
        body = EncryptedTextField()
        crypto_domain = Domain.CLINICAL
        crypto_owner_field = "owner"

        class Meta:
            app_label = "crypto"

        def __str__(self) -> str:
            return str(self.pk)

    class WrongOwner(models.Model):
        id = models.UUIDField(primary_key=True)  # no default: id unknown before INSERT
        owner = models.CharField(max_length=10)
        body = EncryptedTextField()
        crypto_domain = "secret"
        crypto_owner_field = "owner"

        class Meta:
            app_label = "crypto"

        def __str__(self) -> str:
            return str(self.pk)

    assert ids(check_models([NoDeclarations])) == ["crypto.E001", "crypto.E002", "crypto.E003"]
    assert check_models([Declared]) == []
    assert ids(check_models([WrongOwner])) == ["crypto.E001", "crypto.E002", "crypto.E003"]


@isolate_apps("practice.crypto")
def test_history_must_keep_the_owner() -> None:
    class Owner(models.Model):
        id = models.UUIDField(primary_key=True, default=uuid.uuid4)

        class Meta:
            app_label = "crypto"

        def __str__(self) -> str:
            return str(self.pk)

    class Tracked(models.Model):
        id = models.UUIDField(primary_key=True, default=uuid.uuid4)
        client = models.ForeignKey(Owner, on_delete=models.CASCADE)
        body = EncryptedTextField()
        history = HistoricalRecords(
            app="crypto",
            excluded_fields=["client"],
            history_user_id_field=models.BigIntegerField(null=True),
        )
        crypto_domain = Domain.CLINICAL
        crypto_owner_field = "client"

        class Meta:
            app_label = "crypto"

        def __str__(self) -> str:
            return str(self.pk)

    assert check_models([Tracked]) == []
    [error] = check_models([Tracked.history.model])
    assert error.id == "crypto.E004" and "client_id" in error.msg
