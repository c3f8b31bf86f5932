"""Key rotation: master keys (rewrap data keys) and client data keys (re-encrypt rows).

Both are resumable and idempotent without a state table:

* Master rotation rewraps each DataKey row whose ``master_key_id`` is not the current (first)
  key of its domain, one row per owner+domain+version, in atomic chunks. A killed run leaves
  some rows rewrapped and some not; the next run picks up the rest; a run with nothing left
  changes nothing.
* Data-key rotation of one owner+domain adds version N+1, then re-encrypts every row of every
  model (live and historical) of that domain belonging to the owner, in atomic chunks, skipping
  values whose header already names version N+1. While an owner has more than one version a
  rotation is in progress; resuming means running the same pass again. When a complete pass
  finds nothing left on an old version, the old versions are deleted.

Rows are rewritten with ``QuerySet.update()`` guarded by the old ciphertext (compare-and-swap):
no django-simple-history rows, no ``auto_now`` changes, and a row someone saved meanwhile is
left alone (it was re-encrypted with the newest key by its save, or the next pass handles it).

Concurrency caveat, handled by ``grace_seconds``: a request that fetched the owner's newest key
just *before* version N+1 existed may commit a value under version N *after* the final pass.
Old versions are therefore only deleted once version N+1 is ``grace_seconds`` old (longer than
any request or the key cache's 5-second trust in the newest version); the commands wait for it.
"""

from __future__ import annotations

import datetime
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps as django_apps
from django.apps.registry import Apps
from django.db import models, transaction
from django.db.models import Count, Max
from django.utils import timezone

from practice.crypto import keyring
from practice.crypto.cache import forget_owner
from practice.crypto.fields import (
    FORMAT_VERSION,
    CryptoMeta,
    EncryptedField,
    RowContext,
    Sealed,
    header_of,
    row_id_text,
)
from practice.crypto.keyring import DecryptionError, Domain
from practice.crypto.models import DataKey
from practice.crypto.progress import Progress
from practice.crypto.services import as_owner, create_next_version, owner_model_label

logger = logging.getLogger("practice.crypto")

DEFAULT_CHUNK_SIZE = 200
DEFAULT_GRACE_SECONDS = 60
_MAX_PASSES = 5


# --- discovering encrypted models ------------------------------------------------------------


@dataclass(frozen=True)
class EncryptedModel:
    """One table's encrypted fields that share a context (label, owner, row id)."""

    model: type[models.Model]
    meta: CryptoMeta
    fields: tuple[EncryptedField, ...]


def encrypted_models(
    registry: Apps | None = None, *, domain: str | None = None
) -> list[EncryptedModel]:
    """Every installed model (historical ones included) with encrypted fields of its own table."""
    found: list[EncryptedModel] = []
    for model in (registry or django_apps).get_models():
        if model._meta.proxy:
            continue  # same table as its concrete model
        local = [f for f in model._meta.local_concrete_fields if isinstance(f, EncryptedField)]
        groups: dict[CryptoMeta, list[EncryptedField]] = {}
        for f in local:
            groups.setdefault(f.crypto_meta(), []).append(f)
        for meta, fields in groups.items():
            if domain is None or meta.domain == Domain(domain).value:
                found.append(EncryptedModel(model, meta, tuple(fields)))
    return found


# --- master keys -------------------------------------------------------------------------------


def master_rotation_pending() -> dict[str, tuple[str, int]]:
    """{domain: (current master key id, data keys still wrapped by another key)}."""
    pending: dict[str, tuple[str, int]] = {}
    for domain in Domain:
        key_id, _ = keyring.current_master_key(domain)
        count = DataKey.objects.filter(domain=domain).exclude(master_key_id=key_id).count()
        pending[domain.value] = (key_id, count)
    return pending


def rotate_master_keys(
    *, chunk_size: int = 500, stream: Any = None, by: Any = None
) -> dict[str, int]:
    """Rewrap every data key not wrapped by its domain's current master key.

    Returns {domain: rows rewrapped}. Raises MissingKeyError (naming the key id) when a data
    key is wrapped by a master key that is no longer configured; rows done so far stay done.
    """
    from practice.audit.services import record

    done: dict[str, int] = {}
    for domain, (key_id, total) in master_rotation_pending().items():
        done[domain] = 0
        if not total:
            continue
        stale = DataKey.objects.filter(domain=domain).exclude(master_key_id=key_id).order_by("pk")
        progress = Progress(stream, f"Rewrapping {domain} data keys", total) if stream else None
        last_pk = 0
        while True:
            rows = list(
                stale.filter(pk__gt=last_pk).values_list(
                    "pk", "owner", "version", "master_key_id", "wrapped"
                )[:chunk_size]
            )
            if not rows:
                break
            with transaction.atomic():
                for pk, owner, version, old_id, wrapped in rows:
                    key = keyring.unwrap_data_key(domain, owner, version, old_id, bytes(wrapped))
                    new_id, new_wrapped = keyring.wrap_data_key(domain, owner, version, key)
                    # Guarded by the old key id: a concurrent run that got there first wins.
                    done[domain] += DataKey.objects.filter(pk=pk, master_key_id=old_id).update(
                        master_key_id=new_id, wrapped=new_wrapped
                    )
            last_pk = rows[-1][0]
            if progress:
                progress.advance(len(rows))
        if progress:
            progress.close()
        if done[domain]:
            record(
                "crypto.master_key.rotated",
                by=by,
                target=("crypto.datakey", domain),
                data={"domain": domain, "key_id": key_id, "rewrapped": done[domain]},
            )
    return done


# --- client data keys --------------------------------------------------------------------------


@dataclass
class DataKeyRotation:
    owner: uuid.UUID
    domain: str
    version: int | None = None  # the newest version, which every row now uses when finished
    started: bool = False  # this call added the new version
    rows_reencrypted: int = 0
    rows_failed: int = 0  # rows that could not be decrypted: old versions are kept for them
    retired_versions: list[int] = field(default_factory=list)
    pending_until: datetime.datetime | None = None  # old versions kept until the grace ends

    @property
    def finished(self) -> bool:
        return self.rows_failed == 0 and self.pending_until is None


@dataclass
class _PassStats:
    changed: int = 0
    raced: int = 0
    failed: int = 0


def rotate_data_key(
    owner: uuid.UUID | str,
    domain: str,
    *,
    start: bool = True,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    grace_seconds: float = 0,
    registry: Apps | None = None,
    by: Any = None,
) -> DataKeyRotation:
    """Rotate (``start``) or finish rotating the data key of one owner in one domain.

    With ``start`` and a single existing version, adds a new version first; with several
    versions (an interrupted rotation) it resumes towards the newest instead of adding one.
    Safe to run again at any point.
    """
    owner, domain = as_owner(owner), Domain(domain).value
    result = DataKeyRotation(owner=owner, domain=domain)
    versions = list(
        DataKey.objects.filter(owner=owner, domain=domain)
        .order_by("version")
        .values_list("version", flat=True)
    )
    if not versions:
        return result  # nothing was ever encrypted for this owner in this domain
    if start and len(versions) == 1:
        result.version = create_next_version(owner, domain)
        result.started = True
    else:
        result.version = versions[-1]
    forget_owner(owner, domain)
    targets = encrypted_models(registry, domain=domain)
    clean = False
    for _attempt in range(_MAX_PASSES):
        stats = _PassStats()
        for target in targets:
            _reencrypt_table(target, owner, result.version, chunk_size, stats)
        result.rows_reencrypted += stats.changed
        result.rows_failed = stats.failed
        if stats.failed:
            break  # do not retry rows that cannot be decrypted; keep their keys
        if not stats.changed and not stats.raced:
            clean = True  # a complete pass found nothing on an old version
            break
    if clean:
        _retire_old_versions(result, grace_seconds, by)
    return result


def _reencrypt_table(
    target: EncryptedModel, owner: uuid.UUID, newest: int, chunk_size: int, stats: _PassStats
) -> None:
    manager = target.model._base_manager
    rows_of_owner = manager.filter(**{target.meta.owner_attname: owner}).order_by("pk")
    columns = [f.attname for f in target.fields]
    last_pk: Any = None
    while True:
        page = rows_of_owner if last_pk is None else rows_of_owner.filter(pk__gt=last_pk)
        rows = list(page.values_list("pk", target.meta.row_attname, *columns)[:chunk_size])
        if not rows:
            return
        last_pk = rows[-1][0]
        # One transaction per chunk: a kill loses at most the chunk in progress.
        with transaction.atomic():
            for pk, row_id, *values in rows:
                _reencrypt_row(target, owner, newest, pk, row_id, values, stats)


def _reencrypt_row(
    target: EncryptedModel,
    owner: uuid.UUID,
    newest: int,
    pk: Any,
    row_id: Any,
    values: list[Sealed | None],
    stats: _PassStats,
) -> None:
    ctx = RowContext(
        label=target.meta.label,
        domain=target.meta.domain,
        row_id=row_id_text(row_id),
        owner=owner,
        where=target.meta.where,
        where_id=row_id_text(pk),
    )
    old: dict[str, Sealed] = {}
    new: dict[str, Sealed] = {}
    failed = False
    for f, value in zip(target.fields, values, strict=True):
        if value is None:
            continue
        header = header_of(value.data)
        if header == (FORMAT_VERSION, ctx.domain, newest):
            continue  # already on the newest key: this is what makes a re-run resume
        try:
            plaintext = f.unseal(value.data, ctx)
        except DecryptionError:
            failed = True  # audited by unseal; the row keeps its old ciphertext
            continue
        old[f.attname] = value
        new[f.attname] = Sealed(f.seal(plaintext, ctx, version=newest))
    if failed:
        stats.failed += 1
    if new:
        # Compare-and-swap on the old ciphertext: never overwrite a concurrent save.
        if target.model._base_manager.filter(pk=pk, **old).update(**new):
            stats.changed += 1
        else:
            stats.raced += 1


def _retire_old_versions(result: DataKeyRotation, grace_seconds: float, by: Any) -> None:
    from practice.audit.services import record

    assert result.version is not None
    newest = DataKey.objects.get(owner=result.owner, domain=result.domain, version=result.version)
    old = DataKey.objects.filter(
        owner=result.owner, domain=result.domain, version__lt=result.version
    )
    if not old.exists():
        return
    ready_at = newest.created_at + datetime.timedelta(seconds=grace_seconds)
    if timezone.now() < ready_at:
        result.pending_until = ready_at
        return
    with transaction.atomic():
        result.retired_versions = list(old.order_by("version").values_list("version", flat=True))
        old.delete()
        record(
            "crypto.data_key.rotated",
            by=by,
            target=(owner_model_label(), result.owner),
            data={
                "domain": result.domain,
                "version": result.version,
                "retired_versions": result.retired_versions,
            },
        )
    forget_owner(result.owner, result.domain)


def interrupted_rotations(owners: Iterable[uuid.UUID] | None = None) -> list[tuple[uuid.UUID, str]]:
    """(owner, domain) pairs with more than one data-key version: a rotation to finish."""
    pairs = DataKey.objects.values("owner", "domain").annotate(n=Count("id")).filter(n__gt=1)
    if owners is not None:
        pairs = pairs.filter(owner__in=list(owners))
    return [(p["owner"], p["domain"]) for p in pairs.order_by("owner", "domain")]


def due_for_rotation(
    older_than_days: int, owners: Iterable[uuid.UUID] | None = None
) -> list[tuple[uuid.UUID, str]]:
    """(owner, domain) pairs whose newest data key is older than ``older_than_days``."""
    if older_than_days < 1:
        raise ValueError("older_than_days must be at least 1.")
    cutoff = timezone.now() - datetime.timedelta(days=older_than_days)
    pairs = (
        DataKey.objects.values("owner", "domain")
        .annotate(newest=Max("created_at"))
        .filter(newest__lt=cutoff)
    )
    if owners is not None:
        pairs = pairs.filter(owner__in=list(owners))
    return [(p["owner"], p["domain"]) for p in pairs.order_by("owner", "domain")]


def owner_domains(owner: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
    domains = DataKey.objects.filter(owner=owner).values_list("domain", flat=True).distinct()
    return [(owner, d) for d in sorted(domains)]
