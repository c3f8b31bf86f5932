"""Data keys: create, fetch (unwrapped, cached per scope), shred; and failure auditing."""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction

from practice.crypto import keyring
from practice.crypto.cache import (
    KeyCache,
    PendingAudit,
    UnwrappedKey,
    current_cache,
    forget_owner,
    key_created,
)
from practice.crypto.keyring import CryptoError, Domain
from practice.crypto.models import DataKey

if TYPE_CHECKING:
    from practice.audit.models import AuditEvent

logger = logging.getLogger("practice.crypto")

DEFAULT_OWNER_MODEL = "clients.Client"


class DataKeyNotFoundError(CryptoError):
    """No data key of that owner, domain and version: shredded, or removed after rotation."""


def as_owner(owner: uuid.UUID | str) -> uuid.UUID:
    """Owner ids are UUIDs; accept their text form too, so cache keys and AAD agree."""
    return owner if isinstance(owner, uuid.UUID) else uuid.UUID(str(owner))


def owner_model_label() -> str:
    """The audit target kind for an owner: the lower-case label of CRYPTO_OWNER_MODEL."""
    return str(getattr(settings, "CRYPTO_OWNER_MODEL", DEFAULT_OWNER_MODEL)).lower()


def _unwrap(
    owner: uuid.UUID, domain: str, version: int, master_key_id: str, wrapped: Any
) -> UnwrappedKey:
    # Looked up on the module at call time so tests can count unwraps.
    key = keyring.unwrap_data_key(domain, owner, version, master_key_id, bytes(wrapped))
    cache = current_cache()
    if cache is not None:
        cache.unwraps += 1
    return UnwrappedKey(version, key)


def _cache_for(owner: uuid.UUID, domain: str) -> KeyCache | None:
    cache = current_cache()
    if cache is not None:
        cache.drop_if_rolled_back(owner, domain)
    return cache


def unwrapped_key(owner: uuid.UUID | str, domain: str, version: int) -> UnwrappedKey:
    """The data key of (owner, domain, version), from the scope cache when there is one."""
    owner, domain = as_owner(owner), Domain(domain).value
    cache = _cache_for(owner, domain)
    if cache is not None:
        hit = cache.get_cipher(owner, domain, version)
        if hit is not None:
            return hit
    row = (
        DataKey.objects.filter(owner=owner, domain=domain, version=version)
        .values_list("master_key_id", "wrapped")
        .first()
    )
    if row is None:
        raise DataKeyNotFoundError(
            f"There is no {domain} data key v{version} for owner {owner} "
            "(it was shredded, or removed after a rotation)."
        )
    entry = _unwrap(owner, domain, version, row[0], row[1])
    if cache is not None:
        cache.put_cipher(owner, domain, version, entry)
    return entry


def current_key(owner: uuid.UUID | str, domain: str) -> UnwrappedKey:
    """The newest data key of (owner, domain), creating version 1 on first use."""
    owner, domain = as_owner(owner), Domain(domain).value
    cache = _cache_for(owner, domain)
    if cache is not None:
        version = cache.get_current(owner, domain)
        if version is not None:
            hit = cache.get_cipher(owner, domain, version)
            if hit is not None:
                return hit
    row = (
        DataKey.objects.filter(owner=owner, domain=domain)
        .order_by("-version")
        .values_list("version", "master_key_id", "wrapped")
        .first()
    )
    if row is None:
        entry = _create_first_key(owner, domain)
    else:
        cached = cache.get_cipher(owner, domain, row[0]) if cache is not None else None
        entry = cached or _unwrap(owner, domain, row[0], row[1], row[2])
    if cache is not None:
        cache.put_cipher(owner, domain, entry.version, entry)
        cache.put_current(owner, domain, entry.version)
    return entry


def _create_first_key(owner: uuid.UUID, domain: str) -> UnwrappedKey:
    key = keyring.new_data_key()
    master_key_id, wrapped = keyring.wrap_data_key(domain, owner, 1, key)
    try:
        # A savepoint, so losing the race below leaves the caller's transaction usable.
        with transaction.atomic():
            DataKey.objects.create(
                owner=owner, domain=domain, version=1, master_key_id=master_key_id, wrapped=wrapped
            )
    except IntegrityError:
        # Another request created the client's first key at the same moment: use theirs.
        return current_key_uncached(owner, domain)
    key_created(owner, domain)
    return UnwrappedKey(1, key)


def current_key_uncached(owner: uuid.UUID, domain: str) -> UnwrappedKey:
    row = (
        DataKey.objects.filter(owner=owner, domain=domain)
        .order_by("-version")
        .values_list("version", "master_key_id", "wrapped")
        .first()
    )
    if row is None:
        raise DataKeyNotFoundError(f"There is no {domain} data key for owner {owner}.")
    return _unwrap(owner, domain, row[0], row[1], row[2])


def data_key_for_encryption(owner: uuid.UUID | str, domain: str) -> tuple[int, bytes]:
    """(version, key) of the owner's newest data key in ``domain``; creates v1 on first use."""
    entry = current_key(owner, domain)
    return entry.version, entry.key


def data_key(owner: uuid.UUID | str, domain: str, version: int) -> bytes:
    """The owner's data key of that version; DataKeyNotFoundError once shredded or retired."""
    return unwrapped_key(owner, domain, version).key


def create_next_version(owner: uuid.UUID | str, domain: str) -> int:
    """Add a new data-key version (the start of a data-key rotation); return its number."""
    owner, domain = as_owner(owner), Domain(domain).value
    for _attempt in range(3):
        newest = (
            DataKey.objects.filter(owner=owner, domain=domain)
            .order_by("-version")
            .values_list("version", flat=True)
            .first()
        )
        version = (newest or 0) + 1
        master_key_id, wrapped = keyring.wrap_data_key(
            domain, owner, version, keyring.new_data_key()
        )
        try:
            with transaction.atomic():
                DataKey.objects.create(
                    owner=owner,
                    domain=domain,
                    version=version,
                    master_key_id=master_key_id,
                    wrapped=wrapped,
                )
        except IntegrityError:
            continue  # someone else added that version meanwhile; look again
        key_created(owner, domain)
        return version
    raise CryptoError(f"Could not add a {domain} data-key version for owner {owner}.")


def shred(owner: uuid.UUID | str, *, by: Any = None) -> int:
    """Delete every data key of ``owner``: all their ciphertext, everywhere, becomes unreadable.

    Live rows, history rows and stored exports of that owner cannot be decrypted afterwards
    (database backups still hold the wrapped keys until they expire: keep backup retention
    short). Returns how many keys were destroyed; the event is audited in the caller's
    transaction, so a rolled-back erasure leaves both keys and audit trail unchanged.
    """
    from practice.audit.services import record

    owner = as_owner(owner)
    with transaction.atomic():
        count, _ = DataKey.objects.filter(owner=owner).delete()
        record(
            "crypto.keys.shredded", by=by, target=(owner_model_label(), owner), data={"keys": count}
        )
    # Also after commit would be neater, but a shredded key must not be served from this
    # scope's cache even before the transaction ends.
    forget_owner(owner)
    return count


# --- auditing failed decryptions -------------------------------------------------------------


def report_decryption_failure(label: str, row_id: str, field: str, reason: str) -> None:
    """Log and audit one failed decryption (ids and a reason code only).

    Durability: outside a transaction the event is committed at once. Inside one, it is
    written in the caller's transaction (so it is visible there), and, when a key-cache scope
    is open (every request through KeyCacheMiddleware, every ``with key_cache():``), it is
    also remembered: at the end of the scope, if a rollback removed it, it is written again.
    A DecryptionError usually propagates and rolls back the surrounding atomic block, so this
    is what keeps the event. Without a scope, inside a transaction that later rolls back,
    only the WARNING log line remains.
    """
    logger.warning("Decryption failed: %s row %s field %s (%s).", label, row_id, field, reason)
    cache = current_cache()
    if cache is not None:
        seen = (label, row_id, field, reason)
        if seen in cache.failures_seen:
            return  # one event per place and reason per request is enough
        cache.failures_seen.add(seen)
    event = PendingAudit(label=label, row_id=row_id, field=field, reason=reason)
    in_transaction = transaction.get_connection().in_atomic_block
    try:
        event.mac = write_failure_event(event).mac
    except Exception:
        logger.exception("Could not record crypto.decrypt.failed now; will retry at scope end.")
        if cache is not None:
            cache.pending_audit.append(event)
        return
    if in_transaction and cache is not None:
        cache.pending_audit.append(event)


def write_failure_event(event: PendingAudit, *, after_rollback: bool = False) -> AuditEvent:
    from practice.audit.services import record

    data: dict[str, Any] = {"field": event.field, "reason": event.reason}
    if after_rollback:
        data["after_rollback"] = True
    cache = current_cache()
    request = getattr(cache, "request", None)
    return record(
        "crypto.decrypt.failed",
        target=(event.label, event.row_id),
        data=data,
        request=request,
    )
