"""System checks: every model with encrypted fields can actually encrypt, and keys exist.

Run by ``manage.py check``, ``migrate``, ``runserver`` and the test runner, so a model that
forgot ``crypto_owner_field`` fails at start-up rather than on its first save.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.apps import apps as django_apps
from django.core import checks
from django.db import models

from practice.crypto.fields import EncryptedField, history_source
from practice.crypto.keyring import Domain, MissingKeyError, master_keys


@checks.register(checks.Tags.models)
def check_encrypted_models(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if app_configs is None:
        candidates: Iterable[type[models.Model]] = django_apps.get_models()
    else:
        candidates = [m for config in app_configs for m in config.get_models()]
    return check_models(candidates)


@checks.register()
def check_master_keys(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    for domain in Domain:
        try:
            master_keys(domain)
        except MissingKeyError as exc:
            errors.append(checks.Error(str(exc), id="crypto.E010"))
    return errors


def check_models(candidates: Iterable[type[models.Model]]) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    for model in candidates:
        fields = [f for f in model._meta.local_concrete_fields if isinstance(f, EncryptedField)]
        if not fields or model._meta.proxy:
            continue
        source = history_source(model)
        if source is not None:
            errors += _check_historical(model, source)
        else:
            errors += _check_source(model)
    return errors


def _check_source(model: type[models.Model]) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    label = model._meta.label
    domain = getattr(model, "crypto_domain", None)
    if domain not in Domain.values:
        errors.append(
            checks.Error(
                f"{label} has encrypted fields but no valid crypto_domain.",
                hint="Add crypto_domain = Domain.CLINICAL (or Domain.IDENTITY) to the model.",
                obj=model,
                id="crypto.E001",
            )
        )
    owner_name = getattr(model, "crypto_owner_field", None)
    owner_field = _concrete_field(model, owner_name)
    if owner_field is None:
        errors.append(
            checks.Error(
                f"{label} has encrypted fields but crypto_owner_field ({owner_name!r}) does not "
                "name one of its fields.",
                hint='Add crypto_owner_field = "client" (the field giving the owner\'s UUID).',
                obj=model,
                id="crypto.E002",
            )
        )
    elif not _is_uuid(owner_field):
        errors.append(
            checks.Error(
                f"{label}.{owner_field.name} (crypto_owner_field) must be a UUIDField or a "
                "foreign key to a model with a UUID primary key.",
                obj=model,
                id="crypto.E002",
            )
        )
    pk = model._meta.pk
    if not isinstance(pk, models.UUIDField) or not (pk.has_default() and callable(pk.default)):
        errors.append(
            checks.Error(
                f"{label} has encrypted fields, so its primary key must be a UUIDField with a "
                "default assigned in Python: the row id is part of the associated data and "
                "must be known before the INSERT.",
                hint="id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)",
                obj=model,
                id="crypto.E003",
            )
        )
    return errors


def _check_historical(
    model: type[models.Model], source: type[models.Model]
) -> list[checks.CheckMessage]:
    # The source model is checked on its own; here only what history needs in addition:
    # the owner and the source row id must be copied onto the historical rows.
    errors: list[checks.CheckMessage] = []
    owner_field = _concrete_field(source, getattr(source, "crypto_owner_field", None))
    attnames = {f.attname for f in model._meta.concrete_fields}
    needed = [source._meta.pk.attname]
    if owner_field is not None:
        needed.append(owner_field.attname)
    for attname in needed:
        if attname not in attnames:
            errors.append(
                checks.Error(
                    f"{model._meta.label} lacks {attname!r}: history rows of {source._meta.label} "
                    "cannot be decrypted without the source row id and owner.",
                    hint="Keep the owner and the primary key out of excluded_fields.",
                    obj=model,
                    id="crypto.E004",
                )
            )
    return errors


def _concrete_field(model: type[models.Model], name: Any) -> models.Field | None:
    if not isinstance(name, str) or not name:
        return None
    for f in model._meta.concrete_fields:
        if name in (f.name, f.attname):
            return f
    return None


def _is_uuid(field: models.Field) -> bool:
    if isinstance(field, models.UUIDField):
        return True
    target = getattr(field, "target_field", None) if field.is_relation else None
    return isinstance(target, models.UUIDField)
