"""Helpers for the retention tests: moving time, closed cases, runs, raw database scans."""

from __future__ import annotations

import datetime
import io
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import time_machine
from django.core.management import call_command
from django.db import connection

from clients import services as client_services
from clients.models import Client
from practice.accounts.models import User
from practice.audit.models import AuditHead
from tests.conftest import make_client


@contextmanager
def on(day: datetime.date) -> Iterator[None]:
    """Run the block at midday (UK time is then the same date) on ``day``."""
    moment = datetime.datetime(day.year, day.month, day.day, 12, 0, tzinfo=datetime.UTC)
    with time_machine.travel(moment):
        yield


def closed_client(
    counsellor: User,
    *,
    opened: datetime.date,
    ended: datetime.date,
    is_minor: bool = False,
    **identity: Any,
) -> Client:
    """A client registered on ``opened`` whose counselling ended on ``ended``."""
    with on(opened):
        client = make_client(counsellor, **identity)
        if is_minor:
            Client.objects.filter(pk=client.pk).update(is_minor=True)
            client.refresh_from_db()
    with on(ended):
        return client_services.end_counselling(client, by=counsellor, ended_on=ended)


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("apply_retention", *args, stdout=out)
    return out.getvalue()


def table_counts() -> dict[str, int]:
    counts = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
            counts[table] = cursor.fetchone()[0]
    return counts


def audit_head() -> tuple[int, str]:
    head = AuditHead.objects.filter(id=1).first()
    return (head.seq, head.mac) if head else (0, "")


def _as_bytes(value: Any) -> bytes:
    if value is None:
        return b""
    if isinstance(value, memoryview | bytearray):
        return bytes(value)
    if isinstance(value, bytes):
        return value
    return str(value).encode()


def rows_containing(
    needles: Iterable[bytes], *, exclude: Iterable[str] = ()
) -> list[tuple[str, bytes]]:
    """Every (table, needle) where some column of some row of ``table`` contains ``needle``:
    a raw scan of the whole database with a cursor, below the ORM and its guards."""
    needles = [n for n in needles if n]
    skip = set(exclude)
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            if table in skip:
                continue
            cursor.execute(f'SELECT * FROM "{table}"')
            for row in cursor.fetchall():
                for value in row:
                    data = _as_bytes(value)
                    for needle in needles:
                        if needle in data:
                            found.append((table, needle))
    return found


def id_forms(value: uuid.UUID) -> list[bytes]:
    """How a UUID may be stored: 32 hex digits (SQLite), or with dashes (PostgreSQL, JSON)."""
    return [value.hex.encode(), str(value).encode()]


# The tables that may name a destroyed case by id: the audit trail (append-only, ids only) and
# the destruction register itself.
MAY_NAME_THE_CASE = {"audit_auditevent", "clients_destructionrecord"}
