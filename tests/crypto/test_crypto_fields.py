"""Encrypted fields: round trips, what is stored, and failing closed."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django import forms
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import transaction
from django.utils import timezone

from practice.audit.models import AuditEvent
from practice.crypto import keyring
from practice.crypto.cache import key_cache
from practice.crypto.fields import (
    FORMAT_VERSION,
    HEADER_BYTES,
    NONCE_BYTES,
    TAG_BYTES,
    Sealed,
    header_of,
)
from practice.crypto.keyring import DecryptionError, MissingKeyError
from practice.crypto.models import DataKey

from .conftest import dump_table, stored
from .probe_models import HistoricalProbeNote, ProbeClient, ProbeNote

pytestmark = pytest.mark.usefixtures("probe_db")

MakeNote = Callable[..., ProbeNote]
MakeClient = Callable[..., ProbeClient]


def reload(note: ProbeNote) -> ProbeNote:
    return ProbeNote.objects.get(pk=note.pk)


def failures() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="crypto.decrypt.failed"))


# --- round trips -------------------------------------------------------------------------


def test_every_field_type_round_trips(make_note: MakeNote) -> None:
    note = make_note(
        title="Short title ✓",
        body="Line one\nLine two — ünïcödé, emoji 🙂, NUL \x00 too",
        summary="A summary",
        session_date=datetime.date(2024, 2, 29),
        attachment=b"%PDF-1.7\x00\xff binary",
    )
    fresh = reload(note)
    assert fresh.title == "Short title ✓"
    assert fresh.body == "Line one\nLine two — ünïcödé, emoji 🙂, NUL \x00 too"
    assert fresh.summary == "A summary"
    assert fresh.session_date == datetime.date(2024, 2, 29)
    assert fresh.attachment == b"%PDF-1.7\x00\xff binary"
    client = ProbeClient.objects.get(pk=note.client_id)
    assert client.name == "Alice Example"
    assert client.date_of_birth == datetime.date(1990, 5, 17)


def test_empty_string_is_encrypted_and_stays_empty(make_note: MakeNote) -> None:
    note = make_note(title="", body="", summary="", attachment=b"")
    for field in ("title", "body", "summary", "attachment"):
        data = stored(ProbeNote, note.pk, field)
        assert data is not None, f"{field}: empty became NULL"
        assert len(data) == HEADER_BYTES + NONCE_BYTES + TAG_BYTES  # encrypted, zero-length
    fresh = reload(note)
    assert (fresh.title, fresh.body, fresh.summary, fresh.attachment) == ("", "", "", b"")


def test_none_stays_null(make_note: MakeNote) -> None:
    note = make_note(summary=None, session_date=None, attachment=None)
    for field in ("summary", "session_date", "attachment"):
        assert stored(ProbeNote, note.pk, field) is None
    fresh = reload(note)
    assert (fresh.summary, fresh.session_date, fresh.attachment) == (None, None, None)


def test_values_are_converted_like_django_fields(make_note: MakeNote) -> None:
    note = make_note(session_date="2023-11-05", body=12345)
    fresh = reload(note)
    assert fresh.session_date == datetime.date(2023, 11, 5)
    assert fresh.body == "12345"


def test_reading_after_save_keeps_the_plaintext_on_the_instance(make_note: MakeNote) -> None:
    note = make_note(body="kept")
    assert note.body == "kept"  # pre_save returned bytes for the database only
    assert isinstance(note.__dict__["body"], str)


# --- what is stored ----------------------------------------------------------------------


def test_stored_format_and_no_plaintext_in_any_table(make_note: MakeNote) -> None:
    secret = "the-client-disclosed-XYZZY"
    note = make_note(title="XYZZY title", body=secret, summary=secret, attachment=secret.encode())
    note.body = secret + " edited"
    note.save()
    data = stored(ProbeNote, note.pk, "body")
    assert data is not None
    fmt, domain, version = header_of(data)  # type: ignore[misc]
    assert (fmt, domain, version) == (FORMAT_VERSION, "clinical", 1)
    assert data[0] == FORMAT_VERSION
    assert len(data) == HEADER_BYTES + NONCE_BYTES + len(secret + " edited") + TAG_BYTES
    for model in (ProbeNote, HistoricalProbeNote, ProbeClient):
        dump = dump_table(model)
        assert b"XYZZY" not in dump
        assert b"Alice" not in dump
        assert b"1990-05-17" not in dump
    assert HistoricalProbeNote.objects.filter(id=note.pk).count() == 2


def test_each_save_uses_a_fresh_nonce(make_note: MakeNote) -> None:
    note = make_note(body="same")
    first = stored(ProbeNote, note.pk, "body")
    note.save()
    assert stored(ProbeNote, note.pk, "body") != first


def test_loading_does_not_decrypt_until_read(
    make_note: MakeNote, monkeypatch: pytest.MonkeyPatch
) -> None:
    note = make_note()
    calls: list[str] = []
    real = ProbeNote._meta.get_field("body").unseal

    def counting(data: bytes, ctx: Any) -> Any:
        calls.append("body")
        return real(data, ctx)

    monkeypatch.setattr(ProbeNote._meta.get_field("body"), "unseal", counting)
    fresh = reload(note)
    assert calls == []
    assert isinstance(fresh.__dict__["body"], Sealed)
    assert fresh.body == note.body
    assert fresh.body == note.body
    assert calls == ["body"]  # decrypted once, then kept


def test_sealed_never_shows_ciphertext(make_note: MakeNote) -> None:
    value = ProbeNote.objects.values_list("body", flat=True).get(pk=make_note().pk)
    assert isinstance(value, Sealed)
    assert str(value).startswith("<Sealed: ") and repr(value) == str(value)


def test_deferred_field_loads_and_decrypts(make_note: MakeNote) -> None:
    note = make_note(body="deferred text")
    fresh = ProbeNote.objects.defer("body").get(pk=note.pk)
    assert "body" in fresh.get_deferred_fields()
    assert fresh.body == "deferred text"


# --- refusing unsafe writes and lookups -----------------------------------------------------


def test_queryset_update_and_lookups_with_plaintext_are_refused(make_note: MakeNote) -> None:
    note = make_note()
    # (Each in its own atomic block: the error marks the enclosing transaction as failed.)
    with pytest.raises(TypeError, match="encrypted"), transaction.atomic():
        ProbeNote.objects.filter(pk=note.pk).update(body="plaintext into the column")
    with pytest.raises(TypeError, match="blind index"), transaction.atomic():
        list(ProbeNote.objects.filter(body="x"))
    note.body = "changed"
    with pytest.raises(TypeError), transaction.atomic():
        ProbeNote.objects.bulk_update([note], ["body"])
    assert reload(note).body == "Client spoke about the move to Leeds."


def test_char_field_limits_plaintext_length(make_note: MakeNote) -> None:
    note = make_note()
    note.title = "x" * 21
    with pytest.raises(ValidationError):
        note.full_clean()
    with pytest.raises(ValueError, match="20 characters"), transaction.atomic():
        note.save()
    note.title = "x" * 20
    note.full_clean()
    note.save()
    assert reload(note).title == "x" * 20


def test_choices_and_text_length_reach_forms() -> None:
    from practice.crypto.fields import EncryptedCharField, EncryptedTextField

    risk = EncryptedCharField(max_length=5, choices=[("low", "Low"), ("high", "High")])
    field = risk.formfield()
    assert isinstance(field, forms.TypedChoiceField) and isinstance(field.widget, forms.Select)
    with pytest.raises(ValidationError):
        risk.clean("other", None)
    text = EncryptedTextField(max_length=10)
    assert text.formfield().max_length == 10
    with pytest.raises(ValidationError):
        text.clean("x" * 11, None)
    assert text.clean("x" * 10, None) == "x" * 10


def test_form_fields_match_the_plaintext_type() -> None:
    assert isinstance(ProbeNote._meta.get_field("body").formfield().widget, forms.Textarea)
    title = ProbeNote._meta.get_field("title").formfield()
    assert isinstance(title, forms.CharField) and title.max_length == 20
    assert isinstance(ProbeNote._meta.get_field("session_date").formfield(), forms.DateField)
    assert ProbeNote._meta.get_field("attachment").editable is False


def test_serialisation_is_refused(make_note: MakeNote) -> None:
    with pytest.raises(ImproperlyConfigured, match="not serialised"):
        ProbeNote._meta.get_field("body").value_to_string(make_note())


def test_unique_encrypted_field_is_refused() -> None:
    from practice.crypto.fields import EncryptedTextField

    with pytest.raises(ImproperlyConfigured, match="blind index"):
        EncryptedTextField(unique=True)


# --- failing closed ------------------------------------------------------------------------


def corrupt(model: Any, pk: Any, field: str, data: bytes) -> None:
    model._base_manager.filter(pk=pk).update(**{field: Sealed(data)})


def test_flipped_byte_raises_and_is_audited(make_note: MakeNote) -> None:
    note = make_note(body="do not leak this")
    data = bytearray(stored(ProbeNote, note.pk, "body") or b"")
    data[-5] ^= 0x01
    corrupt(ProbeNote, note.pk, "body", bytes(data))
    fresh = reload(note)
    with pytest.raises(DecryptionError) as caught:
        _ = fresh.body
    message = str(caught.value)
    assert message == f"Could not decrypt crypto.probenote.body of row {note.pk} (tag_mismatch)."
    assert "leak" not in message
    assert caught.value.reason == "tag_mismatch"
    [event] = failures()
    assert (event.target_kind, event.target_id) == ("crypto.probenote", str(note.pk))
    assert event.data == {"field": "body", "reason": "tag_mismatch"}
    # The other fields of the row are still readable.
    assert fresh.title == "First session"


@pytest.mark.parametrize("where", ["header", "nonce", "tag"])
def test_any_flipped_region_fails(make_note: MakeNote, where: str) -> None:
    note = make_note()
    data = bytearray(stored(ProbeNote, note.pk, "body") or b"")
    index = {"header": 5, "nonce": HEADER_BYTES + 3, "tag": len(data) - 1}[where]
    data[index] ^= 0x80
    corrupt(ProbeNote, note.pk, "body", bytes(data))
    with pytest.raises(DecryptionError):
        _ = reload(note).body


def test_truncated_or_foreign_bytes_fail(make_note: MakeNote) -> None:
    note = make_note()
    for data, reason in [(b"plain text", "bad_format"), (b"\x02" + b"\x00" * 40, "bad_format")]:
        corrupt(ProbeNote, note.pk, "body", data)
        with pytest.raises(DecryptionError) as caught:
            _ = reload(note).body
        assert caught.value.reason == reason


def test_ciphertext_moved_to_another_row_fails(
    make_client: MakeClient, make_note: MakeNote
) -> None:
    client = make_client()
    first, second = make_note(client, body="first"), make_note(client, body="second")
    corrupt(ProbeNote, second.pk, "body", stored(ProbeNote, first.pk, "body") or b"")
    with pytest.raises(DecryptionError) as caught:
        _ = reload(second).body
    assert caught.value.reason == "tag_mismatch"
    assert reload(first).body == "first"


def test_ciphertext_moved_to_another_field_fails(make_note: MakeNote) -> None:
    note = make_note(body="body text", summary="summary text")
    corrupt(ProbeNote, note.pk, "summary", stored(ProbeNote, note.pk, "body") or b"")
    with pytest.raises(DecryptionError):
        _ = reload(note).summary


def test_ciphertext_moved_to_another_owner_fails(
    make_client: MakeClient, make_note: MakeNote
) -> None:
    alice, bob = make_client("C-A"), make_client("C-B", name="Bob")
    note = make_note(alice, body="about alice")
    make_note(bob)  # bob has a clinical key too
    # Same row and field, but the row now claims to belong to Bob.
    ProbeNote.objects.filter(pk=note.pk).update(client=bob)
    with pytest.raises(DecryptionError):
        _ = reload(note).body
    # Identity ciphertext of one client copied onto another client.
    corrupt(ProbeClient, bob.pk, "name", stored(ProbeClient, alice.pk, "name") or b"")
    with pytest.raises(DecryptionError):
        _ = ProbeClient.objects.get(pk=bob.pk).name


def test_ciphertext_moved_between_models_fails(make_note: MakeNote) -> None:
    note = make_note(title="Alice Example")
    client = ProbeClient.objects.get(pk=note.client_id)
    corrupt(ProbeClient, client.pk, "name", stored(ProbeNote, note.pk, "title") or b"")
    with pytest.raises(DecryptionError) as caught:
        _ = ProbeClient.objects.get(pk=client.pk).name
    assert caught.value.reason == "wrong_domain"


def test_shredded_owner_fails_with_no_data_key(make_note: MakeNote) -> None:
    note = make_note()
    DataKey.objects.filter(owner=note.client_id).delete()
    with pytest.raises(DecryptionError) as caught:
        _ = reload(note).body
    assert caught.value.reason == "no_data_key"


def test_missing_master_key_fails_clearly(make_note: MakeNote, settings: Any) -> None:
    note = make_note()
    original_id = settings.CLINICAL_MASTER_KEYS[0][0]
    settings.CLINICAL_MASTER_KEYS = [("k9", b"\x01" * 32)]
    with pytest.raises(DecryptionError) as caught:
        _ = reload(note).body
    assert caught.value.reason == "no_master_key"
    cause = caught.value.__cause__
    assert isinstance(cause, MissingKeyError)
    assert f"'{original_id}'" in str(cause) and "CLINICAL_MASTER_KEYS" in str(cause)


def test_wrong_master_key_with_the_same_id_fails(make_note: MakeNote, settings: Any) -> None:
    note = make_note()
    key_id = settings.CLINICAL_MASTER_KEYS[0][0]
    settings.CLINICAL_MASTER_KEYS = [(key_id, b"\x02" * 32)]
    with pytest.raises(DecryptionError) as caught:
        _ = reload(note).body
    assert caught.value.reason == "unwrap_failed"


def test_saving_an_unreadable_value_fails_rather_than_copying_it(make_client: MakeClient) -> None:
    client = make_client()
    data = bytearray(stored(ProbeClient, client.pk, "name") or b"")
    data[-1] ^= 1
    corrupt(ProbeClient, client.pk, "name", bytes(data))
    fresh = ProbeClient.objects.get(pk=client.pk)
    fresh.reference = "C-NEW"
    with pytest.raises(DecryptionError), transaction.atomic():
        fresh.save()
    # Fields that are readable can still be changed (a model with history also needs every
    # field readable, because the history row copies them all).
    fresh.save(update_fields=["reference"])
    assert ProbeClient.objects.get(pk=client.pk).reference == "C-NEW"


# --- context changes on a loaded instance -------------------------------------------------


def test_moving_a_loaded_row_to_another_owner_reencrypts(
    make_client: MakeClient, make_note: MakeNote
) -> None:
    alice, bob = make_client("C-A"), make_client("C-B")
    note = make_note(alice, body="moved note")
    fresh = reload(note)  # body not read yet: still sealed under Alice's key
    fresh.client = bob
    fresh.save()
    moved = reload(note)
    assert moved.client_id == bob.pk and moved.body == "moved note"


def test_copying_a_row_under_a_new_id_reencrypts(make_note: MakeNote) -> None:
    note = make_note(body="copied")
    copy = reload(note)
    copy.pk = copy.id = uuid.uuid4()
    copy._state.adding = True
    copy.save()
    assert reload(copy).body == "copied"
    assert reload(note).body == "copied"


def test_row_without_owner_cannot_be_encrypted(make_client: MakeClient) -> None:
    note = ProbeNote(body="orphan")
    with pytest.raises(ValueError, match="owner"):
        ProbeNote._meta.get_field("body").pre_save(note, add=True)


# --- history -------------------------------------------------------------------------------


def test_history_rows_decrypt_with_the_source_context(make_note: MakeNote) -> None:
    note = make_note(body="version one")
    note.body = "version two"
    note.save()
    bodies = [h.body for h in note.history.order_by("history_date")]
    assert bodies == ["version one", "version two"]
    field = HistoricalProbeNote._meta.get_field("body")
    assert field.crypto_meta().label == "crypto.probenote"
    assert field.crypto_meta().where == "crypto.historicalprobenote"
    # Same associated data as the live row: the live ciphertext copied verbatim into the
    # history row decrypts there (and the history row's own ciphertext into the live row).
    latest = note.history.latest()
    HistoricalProbeNote.objects.filter(pk=latest.pk).update(
        body=Sealed(stored(ProbeNote, note.pk, "body") or b"")
    )
    assert HistoricalProbeNote.objects.get(pk=latest.pk).body == "version two"
    first = note.history.earliest()
    corrupt(ProbeNote, note.pk, "body", stored(HistoricalProbeNote, first.pk, "body") or b"")
    assert reload(note).body == "version one"
    # diff_against works on plaintext.
    delta = latest.diff_against(first)
    assert [c.field for c in delta.changes] == ["body"]


def test_history_snapshots_decrypt(make_note: MakeNote) -> None:
    note = make_note(body="first words")
    middle = timezone.now()
    note.body = "later words"
    note.save()
    # most_recent() builds a live-model instance from history ciphertext (values()): it
    # decrypts because history rows share the live row's associated data.
    assert note.history.most_recent().body == "later words"
    assert note.history.as_of(middle).body == "first words"
    assert ProbeNote.history.as_of(middle).get(pk=note.pk).body == "first words"


def test_history_row_failure_names_the_history_row(make_note: MakeNote) -> None:
    note = make_note()
    record = note.history.get()
    data = bytearray(stored(HistoricalProbeNote, record.pk, "body") or b"")
    data[-1] ^= 1
    corrupt(HistoricalProbeNote, record.pk, "body", bytes(data))
    with pytest.raises(DecryptionError, match="crypto.historicalprobenote.body"):
        _ = HistoricalProbeNote.objects.get(pk=record.pk).body


def test_history_of_another_row_does_not_decrypt_here(
    make_client: MakeClient, make_note: MakeNote
) -> None:
    client = make_client()
    first, second = make_note(client), make_note(client)
    history_bytes = stored(HistoricalProbeNote, first.history.get().pk, "body") or b""
    corrupt(HistoricalProbeNote, second.history.get().pk, "body", history_bytes)
    with pytest.raises(DecryptionError):
        _ = HistoricalProbeNote.objects.get(pk=second.history.get().pk).body


# --- auditing failures --------------------------------------------------------------------


def _broken_note(make_note: MakeNote) -> ProbeNote:
    note = make_note()
    data = bytearray(stored(ProbeNote, note.pk, "body") or b"")
    data[-1] ^= 1
    corrupt(ProbeNote, note.pk, "body", bytes(data))
    return reload(note)


def test_failure_event_survives_the_callers_rollback_in_a_scope(make_note: MakeNote) -> None:
    note = _broken_note(make_note)
    with key_cache():
        with pytest.raises(DecryptionError), transaction.atomic():
            _ = note.body  # the error rolls back this block, and the audit row with it
        assert failures() == []
    [event] = failures()  # written again when the scope ended
    assert event.data == {"field": "body", "reason": "tag_mismatch", "after_rollback": True}


def test_failure_event_is_written_once_when_nothing_rolls_back(make_note: MakeNote) -> None:
    note = _broken_note(make_note)
    with key_cache():
        for _attempt in range(3):
            with pytest.raises(DecryptionError):
                _ = note.body
    [event] = failures()  # one per place and reason within a scope
    assert "after_rollback" not in event.data


def test_failure_outside_a_scope_is_audited_each_time(make_note: MakeNote) -> None:
    note = _broken_note(make_note)
    for _attempt in range(2):
        with pytest.raises(DecryptionError):
            _ = note.body
    assert len(failures()) == 2


def test_master_key_ring_errors_are_clear(settings: Any) -> None:
    settings.IDENTITY_MASTER_KEYS = []
    with pytest.raises(MissingKeyError, match="IDENTITY_MASTER_KEYS"):
        keyring.current_master_key("identity")
