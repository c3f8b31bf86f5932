"""Writing and verifying the audit trail."""

from __future__ import annotations

import hmac
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone

from practice.audit.models import AuditEvent, AuditHead

GENESIS_MAC = "0" * 64

# Keys whose values could carry confidential text are refused outright: audit data holds
# ids, references, counts, field names and short codes only.
_FORBIDDEN_DATA_KEYS = {"text", "body", "content", "note", "name", "password", "token", "otp_token"}
_MAX_DATA_VALUE_LENGTH = 200


def record(
    action: str,
    *,
    by: Any = None,
    target: models.Model | tuple[str, Any] | None = None,
    client_ref: str = "",
    data: Mapping[str, Any] | None = None,
    request: HttpRequest | None = None,
    username: str = "",
) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction if there is one.

    ``action`` is dotted (``auth.login.failed``, ``note.viewed``). ``target`` is a model
    instance or a (kind, id) pair. ``data`` must hold ids and codes only.
    """
    clean_data = _check_data(dict(data or {}))
    actor = by if by is not None else _request_user(request)
    if isinstance(target, models.Model):
        target_kind, target_id = target._meta.label_lower, str(target.pk)
    elif target is not None:
        target_kind, target_id = target[0], str(target[1])
    else:
        target_kind, target_id = "", ""
    ip = None
    if request is not None:
        from practice.accounts.ip import client_ip

        ip = client_ip(request)

    with transaction.atomic():
        AuditHead.objects.get_or_create(id=1)
        # Taking the head row first serialises writers on every database.
        AuditHead.objects.filter(id=1).update(seq=models.F("seq"))
        head = AuditHead.objects.select_for_update().get(id=1)
        event = AuditEvent(
            seq=head.seq + 1,
            at=timezone.now(),
            actor_id=getattr(actor, "pk", None),
            actor_username=getattr(actor, "username", "") or username,
            action=action,
            target_kind=target_kind,
            target_id=target_id,
            client_ref=client_ref or "",
            ip=ip,
            data=clean_data,
            prev_mac=head.mac,
        )
        event.mac = event.compute_mac(settings.AUDIT_HMAC_KEY)
        event.save()
        head.seq, head.mac = event.seq, event.mac
        head.save(update_fields=["seq", "mac"])
    return event


def _request_user(request: HttpRequest | None) -> Any:
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def _check_data(data: dict[str, Any]) -> dict[str, Any]:
    for key, value in data.items():
        if key.lower() in _FORBIDDEN_DATA_KEYS:
            raise ValueError(f"Audit data may not carry a '{key}' value.")
        if isinstance(value, str) and len(value) > _MAX_DATA_VALUE_LENGTH:
            raise ValueError(f"Audit data value for '{key}' is too long to be an id or code.")
    return data


@dataclass(frozen=True)
class ChainProblem:
    seq: int | None
    reason: str


def verify_chain(key: bytes | None = None, *, chunk_size: int = 2000) -> ChainProblem | None:
    """Walk the whole chain; return the first problem, or None when it is intact."""
    key = key or settings.AUDIT_HMAC_KEY
    head = AuditHead.objects.filter(id=1).first()
    # Archiving removes the oldest events; the chain then starts where the archive ended.
    last_seq = head.archived_seq if head else 0
    prev_mac = head.archived_mac if head else GENESIS_MAC
    expected_seq = last_seq + 1
    for event in _iterate(chunk_size, after=last_seq):
        if event.seq != expected_seq:
            return ChainProblem(expected_seq, "an event is missing (gap in sequence)")
        if not hmac.compare_digest(event.prev_mac, prev_mac):
            return ChainProblem(event.seq, "does not follow the event before it")
        if not hmac.compare_digest(event.mac, event.compute_mac(key)):
            return ChainProblem(event.seq, "its content or MAC was changed")
        prev_mac, last_seq = event.mac, event.seq
        expected_seq += 1
    if head is not None and (head.seq != last_seq or not hmac.compare_digest(head.mac, prev_mac)):
        return ChainProblem(
            last_seq + 1, "events after this point were removed (chain head mismatch)"
        )
    return None


def _iterate(chunk_size: int, *, after: int) -> Iterator[AuditEvent]:
    while True:
        chunk = list(AuditEvent.objects.filter(seq__gt=after).order_by("seq")[:chunk_size])
        if not chunk:
            return
        yield from chunk
        after = chunk[-1].seq


def mark_verified(ok: bool) -> None:
    AuditHead.objects.get_or_create(id=1)
    AuditHead.objects.filter(id=1).update(last_verified_at=timezone.now(), last_verified_ok=ok)
