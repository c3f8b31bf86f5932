"""A per-request (or per-command) cache of unwrapped data keys.

A page listing fifty notes of one client should unwrap that client's clinical key once, not
fifty times. The cache lives in a ContextVar, so each request/thread/task has its own and
nothing outlives the scope: ``KeyCacheMiddleware`` opens a fresh scope per request, commands
use ``with key_cache():``. Outside a scope every use unwraps again (correct, just slower).

The scope also carries the decryption-failure audit events that may still be lost to a
rollback (see ``practice.crypto.services.report_decryption_failure``).
"""

from __future__ import annotations

import contextvars
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.db import transaction

logger = logging.getLogger("practice.crypto")

# How long a scope trusts its idea of an owner's newest data-key version before asking the
# database again. Bounds how stale a long-running command's writes can be while a rotation
# runs elsewhere; the rotation's grace period (see rotation.py) is chosen well above it.
CURRENT_VERSION_TTL_SECONDS = 5.0


class UnwrappedKey:
    """A data key and its AES-GCM object (built once: the key schedule is not free)."""

    __slots__ = ("aead", "key", "version")

    def __init__(self, version: int, key: bytes) -> None:
        self.version = version
        self.key = key
        self.aead = AESGCM(key)

    def __repr__(self) -> str:
        return f"<UnwrappedKey v{self.version}>"  # never the key bytes


@dataclass
class PendingAudit:
    """A decryption-failure event not yet known to be durable."""

    label: str
    row_id: str
    field: str
    reason: str
    mac: str | None = None  # set once written; used to see whether a rollback removed it


@dataclass
class KeyCache:
    ciphers: dict[tuple[uuid.UUID, str, int], UnwrappedKey] = field(default_factory=dict)
    current: dict[tuple[uuid.UUID, str], tuple[int, float]] = field(default_factory=dict)
    failures_seen: set[tuple[str, str, str, str]] = field(default_factory=set)
    pending_audit: list[PendingAudit] = field(default_factory=list)
    # (owner, domain) pairs whose key was created in a transaction not yet committed, with
    # the on_commit marker registered then (see key_created).
    uncommitted: dict[tuple[uuid.UUID, str], Callable[[], None]] = field(default_factory=dict)
    # The request being served (set by KeyCacheMiddleware), so audit events name the actor.
    request: Any = None
    # How many data keys this scope unwrapped (for tests and command summaries).
    unwraps: int = 0

    def get_cipher(self, owner: uuid.UUID, domain: str, version: int) -> UnwrappedKey | None:
        return self.ciphers.get((owner, domain, version))

    def put_cipher(self, owner: uuid.UUID, domain: str, version: int, key: UnwrappedKey) -> None:
        self.ciphers[(owner, domain, version)] = key

    def get_current(self, owner: uuid.UUID, domain: str) -> int | None:
        entry = self.current.get((owner, domain))
        if entry is None or time.monotonic() - entry[1] > CURRENT_VERSION_TTL_SECONDS:
            return None
        return entry[0]

    def put_current(self, owner: uuid.UUID, domain: str, version: int) -> None:
        self.current[(owner, domain)] = (version, time.monotonic())

    def drop_if_rolled_back(self, owner: uuid.UUID, domain: str) -> None:
        """Forget (owner, domain) if the transaction that created its key rolled back."""
        marker = self.uncommitted.get((owner, domain))
        if marker is None or _pending_on_commit(marker):
            return  # committed, or the creating transaction is still open: entries are good
        # The key row is gone with the rollback: what was cached must never be used again.
        self.forget(owner, domain)
        del self.uncommitted[(owner, domain)]

    def forget(self, owner: uuid.UUID, domain: str | None = None) -> None:
        """Drop cached keys of an owner (after shredding or rotation)."""
        for key in [k for k in self.ciphers if k[0] == owner and domain in (None, k[1])]:
            del self.ciphers[key]
        for key in [k for k in self.current if k[0] == owner and domain in (None, k[1])]:
            del self.current[key]

    def clear(self) -> None:
        self.ciphers.clear()
        self.current.clear()
        self.failures_seen.clear()
        self.uncommitted.clear()


_scope: contextvars.ContextVar[KeyCache | None] = contextvars.ContextVar(
    "practice_crypto_key_cache", default=None
)


def current_cache() -> KeyCache | None:
    return _scope.get()


def forget_owner(owner: uuid.UUID, domain: str | None = None) -> None:
    cache = _scope.get()
    if cache is not None:
        cache.forget(owner, domain)


def key_created(owner: uuid.UUID, domain: str) -> None:
    """Note that a data key of (owner, domain) was just inserted.

    Inside a transaction, the cached key is only trusted while the block that inserted it is
    open or once it committed: a key cached from a rolled-back insert would encrypt later
    writes of the same scope under a key that exists nowhere (unreadable data).
    """
    cache = _scope.get()
    if cache is None:
        return
    cache.forget(owner, domain)
    if not transaction.get_connection().in_atomic_block:
        return
    pair = (owner, domain)

    def committed() -> None:
        cache.uncommitted.pop(pair, None)

    cache.uncommitted[pair] = committed
    transaction.on_commit(committed)


def _pending_on_commit(marker: Callable[[], None]) -> bool:
    # Django drops a callback when the savepoint or transaction it was registered in rolls
    # back, and runs it on commit; so "still pending" means "the creating block is still
    # open". (connection.run_on_commit holds (savepoint ids, callback, robust) tuples; if its
    # shape ever changes this answers False, which only costs cache hits.)
    pending = getattr(transaction.get_connection(), "run_on_commit", ())
    return any(len(item) > 1 and item[1] is marker for item in pending)


@contextmanager
def key_cache(*, fresh: bool = False) -> Iterator[KeyCache]:
    """Cache unwrapped data keys for the duration of the block.

    Nested use shares the enclosing scope unless ``fresh`` (the middleware always starts
    fresh, so nothing leaks from one request to the next on a reused thread).
    """
    enclosing = _scope.get()
    if enclosing is not None and not fresh:
        yield enclosing
        return
    cache = KeyCache()
    token = _scope.set(cache)
    try:
        yield cache
    finally:
        try:
            _settle_pending_audit(cache)
        finally:
            cache.clear()
            _scope.reset(token)


def _settle_pending_audit(cache: KeyCache) -> None:
    """Re-record failure events that a rollback removed (or that could not be written)."""
    if not cache.pending_audit:
        return
    from practice.crypto.services import write_failure_event  # services imports this module

    pending, cache.pending_audit = cache.pending_audit, []
    for event in pending:
        try:
            if event.mac is not None and _audit_event_exists(event.mac):
                continue
            write_failure_event(event, after_rollback=True)
        except Exception:
            logger.exception(
                "Could not record crypto.decrypt.failed for %s row %s field %s (%s).",
                event.label,
                event.row_id,
                event.field,
                event.reason,
            )


def _audit_event_exists(mac: str) -> bool:
    from practice.audit.models import AuditEvent

    return AuditEvent.objects.filter(mac=mac).exists()
