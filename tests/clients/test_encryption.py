"""Tampering with stored ciphertext is detected on the real models, never shown as text."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from clients.models import ClientIdentity
from notes.models import NoteEntry, SessionNote
from practice.audit.models import AuditEvent
from practice.crypto.keyring import CryptoError
from tests.conftest import make_client

pytestmark = pytest.mark.django_db


def raw(table: str, column: str, row_id: object) -> bytes:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [row_id.hex])  # noqa: S608
        found = cursor.fetchone()
        if found is None:
            cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [str(row_id)])  # noqa: S608
            found = cursor.fetchone()
    return bytes(found[0])


def write_raw(table: str, column: str, row_id: object, value: bytes) -> None:
    with connection.cursor() as cursor:
        for key in (row_id.hex, str(row_id)):
            cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [value, key])  # noqa: S608


def fresh(model: type, pk: object) -> object:
    return model.objects.get(pk=pk)


@pytest.fixture
def two_clients(counsellor):
    first = make_client(counsellor, given_name="Alpha", family_name="One")
    second = make_client(counsellor, given_name="Beta", family_name="Two")
    return first.identity, second.identity


def test_a_flipped_byte_is_rejected_and_audited(two_clients) -> None:
    identity, _ = two_clients
    stored = bytearray(raw("clients_clientidentity", "family_name", identity.pk))
    stored[-1] ^= 0x01
    write_raw("clients_clientidentity", "family_name", identity.pk, bytes(stored))
    with pytest.raises(CryptoError):
        _ = fresh(ClientIdentity, identity.pk).family_name
    assert AuditEvent.objects.filter(action="crypto.decrypt.failed").exists()


def test_ciphertext_moved_to_another_field_is_rejected(two_clients) -> None:
    identity, _ = two_clients
    given = raw("clients_clientidentity", "given_name", identity.pk)
    write_raw("clients_clientidentity", "family_name", identity.pk, given)
    with pytest.raises(CryptoError):
        _ = fresh(ClientIdentity, identity.pk).family_name


def test_ciphertext_moved_to_another_clients_row_is_rejected(two_clients) -> None:
    first, second = two_clients
    write_raw(
        "clients_clientidentity",
        "family_name",
        second.pk,
        raw("clients_clientidentity", "family_name", first.pk),
    )
    with pytest.raises(CryptoError):
        _ = fresh(ClientIdentity, second.pk).family_name


def test_ciphertext_moved_between_rows_of_one_client_is_rejected(counsellor, client_record) -> None:
    note = SessionNote.objects.create(
        client=client_record, kind="factual", session_date=timezone.localdate(), author=counsellor
    )
    first = NoteEntry.objects.create(note=note, about=client_record, text="first entry")
    second = NoteEntry.objects.create(
        note=note, about=client_record, text="second entry", position=1
    )
    write_raw("notes_noteentry", "text", second.pk, raw("notes_noteentry", "text", first.pk))
    with pytest.raises(CryptoError):
        _ = fresh(NoteEntry, second.pk).text


def test_a_wrong_master_key_is_rejected(settings, two_clients) -> None:
    identity, _ = two_clients
    import base64
    import os

    settings.IDENTITY_MASTER_KEYS = [
        (key_id, base64.urlsafe_b64decode(base64.urlsafe_b64encode(os.urandom(32))))
        for key_id, _ in settings.IDENTITY_MASTER_KEYS
    ]
    with pytest.raises(CryptoError):
        _ = fresh(ClientIdentity, identity.pk).family_name


def test_the_record_page_shows_a_calm_error_not_ciphertext(
    counsellor, client_record, as_user
) -> None:
    identity = client_record.identity
    stored = bytearray(raw("clients_clientidentity", "family_name", identity.pk))
    stored[-3] ^= 0xFF
    write_raw("clients_clientidentity", "family_name", identity.pk, bytes(stored))
    response = as_user(counsellor).get(f"/clients/{client_record.reference}/")
    assert response.status_code == 500
    assert b"cannot be shown" in response.content
