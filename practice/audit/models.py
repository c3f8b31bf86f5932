"""The append-only, tamper-evident audit trail.

Each event carries an HMAC over its own content and the previous event's MAC, keyed with
AUDIT_HMAC_KEY, which is not in the database. Someone who can write to the database can
change rows but cannot produce MACs that verify, so `manage.py verify_audit` finds the
first event that was modified, deleted, inserted or reordered.

Events hold ids and references only: never names, note text or anything a client said.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from django.conf import settings
from django.db import models


class AppendOnlyError(Exception):
    """Raised on any attempt to change or delete an audit event."""


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("Audit events are append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Audit events are append-only.")


class AuditEvent(models.Model):
    seq = models.BigIntegerField(unique=True)
    at = models.DateTimeField(db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    actor_username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=80, db_index=True)
    target_kind = models.CharField(max_length=80, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    client_ref = models.CharField(max_length=16, blank=True, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    prev_mac = models.CharField(max_length=64)
    mac = models.CharField(max_length=64)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["seq"]
        # The review pages filter by client, staff member or action and show the newest
        # first: each index ends with seq, so a page is read straight off the index (no sort)
        # even for a staff member with tens of thousands of events a year. (The older
        # single-column indexes stay: dropping db_index would make SQLite rebuild the table,
        # which would also drop its append-only triggers.)
        indexes = [
            models.Index(fields=["target_kind", "target_id"]),
            models.Index(fields=["client_ref", "seq"], name="audit_client_seq_idx"),
            models.Index(fields=["actor_id", "seq"], name="audit_actor_seq_idx"),
            models.Index(fields=["action", "seq"], name="audit_action_seq_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} by {self.actor_username or 'system'}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Audit events are append-only.")

    def canonical(self) -> bytes:
        """The bytes the MAC covers: every field but the MACs, in a fixed form."""
        payload = [
            self.seq,
            self.at.isoformat(timespec="microseconds"),
            self.actor_id,
            self.actor_username,
            self.action,
            self.target_kind,
            self.target_id,
            self.client_ref,
            self.ip,
            self.data,
            self.prev_mac,
        ]
        return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str).encode()

    def compute_mac(self, key: bytes) -> str:
        return hmac.new(key, self.canonical(), hashlib.sha256).hexdigest()


class AuditHead(models.Model):
    """One row holding the end of the chain.

    Writers update this row first, which serialises them (a row lock on PostgreSQL, the
    write lock on SQLite), so two events can never claim the same predecessor.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    mac = models.CharField(max_length=64, default="0" * 64)
    # Where the chain starts after old events were archived (0 and the genesis MAC before).
    archived_seq = models.BigIntegerField(default=0)
    archived_mac = models.CharField(max_length=64, default="0" * 64)
    last_verified_at = models.DateTimeField(null=True, blank=True)
    last_verified_ok = models.BooleanField(null=True)
    # When a manager last asked for a check in the background (the review page shows that a
    # check is on its way until last_verified_at passes this).
    verify_requested_at = models.DateTimeField(null=True, blank=True)
    # Where the last check found the chain broken ("#41: its content or MAC was changed").
    last_verified_problem = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="audithead_single_row")
        ]

    def __str__(self) -> str:
        return f"audit head at #{self.seq}"


class AuditReview(models.Model):
    """A service manager's periodic review of the audit trail: what period and what was looked
    at, what was found and what was done about it. Written by managers in plain text; the form
    asks for client references and staff usernames, never names or anything a client said."""

    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField()
    period_start = models.DateField()
    period_end = models.DateField()
    scope = models.TextField(max_length=4000)
    findings = models.TextField(max_length=4000)
    actions = models.TextField(max_length=4000, blank=True)
    next_due = models.DateField()

    class Meta:
        ordering = ["-reviewed_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="auditreview_period_in_order",
            )
        ]

    def __str__(self) -> str:
        return f"audit review {self.period_start}–{self.period_end}"
