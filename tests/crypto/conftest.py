"""Fixtures for the crypto tests: tables for the probe models, and small factories."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection

from .probe_models import PROBE_MODELS, ProbeClient, ProbeNote


@pytest.fixture(scope="session")
def probe_tables(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    # Created outside the per-test transaction: SQLite's schema editor refuses to run inside
    # one. Each test's rows are still rolled back with its transaction.
    with django_db_blocker.unblock():
        existing = set(connection.introspection.table_names())
        with connection.schema_editor() as editor:
            for model in reversed(PROBE_MODELS):
                if model._meta.db_table in existing:  # left over from a --reuse-db run
                    editor.delete_model(model)
            for model in PROBE_MODELS:
                editor.create_model(model)
    yield
    with django_db_blocker.unblock(), connection.schema_editor() as editor:
        for model in reversed(PROBE_MODELS):
            editor.delete_model(model)


@pytest.fixture
def probe_db(probe_tables: None, db: None) -> None:
    """The database with the probe tables, rolled back after each test."""


@pytest.fixture
def make_client(probe_db: None) -> Callable[..., ProbeClient]:
    def make(reference: str = "C-TEST", **fields: Any) -> ProbeClient:
        fields.setdefault("name", "Alice Example")
        fields.setdefault("date_of_birth", datetime.date(1990, 5, 17))
        return ProbeClient.objects.create(reference=reference, **fields)

    return make


@pytest.fixture
def make_note(make_client: Callable[..., ProbeClient]) -> Callable[..., ProbeNote]:
    def make(client: ProbeClient | None = None, **fields: Any) -> ProbeNote:
        fields.setdefault("title", "First session")
        fields.setdefault("body", "Client spoke about the move to Leeds.")
        return ProbeNote.objects.create(client=client or make_client(), **fields)

    return make


def stored(model: Any, pk: Any, field: str) -> bytes | None:
    """The bytes in the database column (what a dump would show), via the ORM."""
    value = model._base_manager.filter(pk=pk).values_list(field, flat=True).get()
    return None if value is None else value.data


def dump_table(model: Any) -> bytes:
    """Every column of every row of ``model``'s table, as raw SQL returns it, as bytes."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(model._meta.db_table)}")
        chunks: list[bytes] = []
        for row in cursor.fetchall():
            for value in row:
                if isinstance(value, bytes | memoryview | bytearray):
                    chunks.append(bytes(value))
                else:
                    chunks.append(str(value).encode())
    return b"\x1e".join(chunks)
