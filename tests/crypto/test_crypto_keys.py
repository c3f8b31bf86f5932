"""Keyring, data keys, shredding, the key cache and its middleware."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse

from practice.audit.models import AuditEvent
from practice.crypto import keyring, services
from practice.crypto.cache import current_cache, key_cache
from practice.crypto.keyring import DecryptionError, Domain, MissingKeyError
from practice.crypto.middleware import KeyCacheMiddleware
from practice.crypto.models import DataKey

from .probe_models import ProbeClient, ProbeNote

OWNER = uuid.UUID("00000000-0000-4000-8000-000000000001")


# --- keyring --------------------------------------------------------------------------------


def test_current_master_key_is_the_first(settings: Any) -> None:
    settings.CLINICAL_MASTER_KEYS = [("new", b"\x01" * 32), ("old", b"\x02" * 32)]
    assert keyring.current_master_key(Domain.CLINICAL) == ("new", b"\x01" * 32)
    assert keyring.master_key(Domain.CLINICAL, "old") == b"\x02" * 32


def test_wrap_unwrap_round_trip_and_binding() -> None:
    key = keyring.new_data_key()
    key_id, wrapped = keyring.wrap_data_key("clinical", OWNER, 3, key)
    assert key not in wrapped and len(wrapped) == 61
    assert keyring.unwrap_data_key("clinical", OWNER, 3, key_id, wrapped) == key
    other_owner = uuid.uuid4()
    for args in [
        ("clinical", other_owner, 3),  # another client
        ("clinical", OWNER, 4),  # another version
    ]:
        with pytest.raises(DecryptionError) as caught:
            keyring.unwrap_data_key(*args, key_id, wrapped)
        assert caught.value.reason == "unwrap_failed"
    # Another domain is another key ring: the same id there is a different key.
    with pytest.raises((DecryptionError, MissingKeyError)):
        keyring.unwrap_data_key("identity", OWNER, 3, key_id, wrapped)


def test_missing_master_key_names_the_id_and_setting(settings: Any) -> None:
    _, wrapped = keyring.wrap_data_key("identity", OWNER, 1, keyring.new_data_key())
    settings.IDENTITY_MASTER_KEYS = [("k2", b"\x03" * 32)]
    with pytest.raises(MissingKeyError) as caught:
        keyring.unwrap_data_key("identity", OWNER, 1, "k1", wrapped)
    assert caught.value.key_id == "k1" and caught.value.setting == "IDENTITY_MASTER_KEYS"
    assert "'k1'" in str(caught.value) and "IDENTITY_MASTER_KEYS" in str(caught.value)


def test_wrong_master_key_is_a_clear_error_without_key_bytes(settings: Any) -> None:
    key = keyring.new_data_key()
    key_id, wrapped = keyring.wrap_data_key("clinical", OWNER, 1, key)
    settings.CLINICAL_MASTER_KEYS = [(key_id, b"\x04" * 32)]
    with pytest.raises(DecryptionError) as caught:
        keyring.unwrap_data_key("clinical", OWNER, 1, key_id, wrapped)
    message = str(caught.value)
    assert key_id in message and "\\x04" not in message and key.hex() not in message


@pytest.mark.parametrize(
    "ring", [[], None, [("k1", b"short")], [("", b"\x01" * 32)], ["not-a-pair"]]
)
def test_bad_key_ring_is_reported(settings: Any, ring: Any) -> None:
    settings.CLINICAL_MASTER_KEYS = ring
    with pytest.raises(MissingKeyError, match="CLINICAL_MASTER_KEYS"):
        keyring.current_master_key("clinical")


def test_check_reports_missing_master_keys(settings: Any) -> None:
    from practice.crypto.checks import check_master_keys

    assert check_master_keys() == []
    settings.IDENTITY_MASTER_KEYS = []
    [error] = check_master_keys()
    assert error.id == "crypto.E010" and "IDENTITY_MASTER_KEYS" in error.msg


# --- data keys --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_first_use_creates_version_one_once() -> None:
    version, key = services.data_key_for_encryption(OWNER, Domain.CLINICAL)
    assert version == 1 and len(key) == 32
    assert services.data_key_for_encryption(str(OWNER), "clinical") == (1, key)
    assert services.data_key(OWNER, "clinical", 1) == key
    row = DataKey.objects.get(owner=OWNER, domain="clinical")
    assert row.version == 1 and key not in bytes(row.wrapped)
    assert row.master_key_id == keyring.current_master_key("clinical")[0]
    # Identity and clinical keys are separate.
    assert services.data_key_for_encryption(OWNER, Domain.IDENTITY)[1] != key


@pytest.mark.django_db
def test_unknown_version_is_a_clear_error() -> None:
    services.data_key_for_encryption(OWNER, "clinical")
    with pytest.raises(services.DataKeyNotFoundError, match="v2"):
        services.data_key(OWNER, "clinical", 2)


@pytest.mark.usefixtures("probe_db")
def test_shred_makes_every_copy_unreadable(
    make_client: Callable[..., ProbeClient], make_note: Callable[..., ProbeNote]
) -> None:
    alice, bob = make_client("C-A"), make_client("C-B", name="Bob")
    note = make_note(alice, body="v1")
    note.body = "v2"
    note.save()
    other = make_note(bob, body="bob's note")
    assert services.shred(alice.pk) == 2  # identity and clinical
    assert not DataKey.objects.filter(owner=alice.pk).exists()
    with pytest.raises(DecryptionError) as caught:
        _ = ProbeNote.objects.get(pk=note.pk).body
    assert caught.value.reason == "no_data_key"
    for record in note.history.all():
        with pytest.raises(DecryptionError):
            _ = record.body
    with pytest.raises(DecryptionError):
        _ = ProbeClient.objects.get(pk=alice.pk).name
    # Other clients are untouched.
    assert ProbeNote.objects.get(pk=other.pk).body == "bob's note"
    event = AuditEvent.objects.get(action="crypto.keys.shredded")
    assert event.target_id == str(alice.pk) and event.data == {"keys": 2}


# --- the key cache ---------------------------------------------------------------------------


@pytest.fixture
def unwraps(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    calls: list[tuple[str, int]] = []
    real = keyring.unwrap_data_key

    def counting(domain: str, owner: Any, version: int, key_id: str, wrapped: bytes) -> bytes:
        calls.append((domain, version))
        return real(domain, owner, version, key_id, wrapped)

    monkeypatch.setattr(keyring, "unwrap_data_key", counting)
    return calls


@pytest.mark.usefixtures("probe_db")
def test_a_scope_unwraps_each_key_once(
    make_client: Callable[..., ProbeClient],
    make_note: Callable[..., ProbeNote],
    unwraps: list[tuple[str, int]],
) -> None:
    client = make_client()
    for n in range(5):
        make_note(client, body=f"note {n}", summary="s")
    unwraps.clear()
    with key_cache() as cache:
        notes = list(ProbeNote.objects.filter(client=client))
        assert sorted(n.body for n in notes) == [f"note {n}" for n in range(5)]
        assert all(n.summary == "s" for n in notes)
        assert ProbeClient.objects.get(pk=client.pk).name == "Alice Example"
        for note in notes:
            note.save()  # encrypting again uses the cached key too
        assert unwraps == [("clinical", 1), ("identity", 1)]
        assert cache.unwraps == 2
    assert current_cache() is None


@pytest.mark.usefixtures("probe_db")
def test_without_a_scope_every_read_unwraps(
    make_note: Callable[..., ProbeNote], unwraps: list[tuple[str, int]]
) -> None:
    note = make_note()
    unwraps.clear()
    for _attempt in range(3):
        assert ProbeNote.objects.get(pk=note.pk).body
    assert len(unwraps) == 3


@pytest.mark.usefixtures("probe_db")
def test_shred_invalidates_the_scope_cache(make_note: Callable[..., ProbeNote]) -> None:
    note = make_note()
    with key_cache():
        assert ProbeNote.objects.get(pk=note.pk).body  # key now cached
        services.shred(note.client_id)
        with pytest.raises(DecryptionError):
            _ = ProbeNote.objects.get(pk=note.pk).body


def test_nested_scopes_share_and_fresh_scopes_do_not() -> None:
    with key_cache() as outer:
        with key_cache() as inner:
            assert inner is outer
        with key_cache(fresh=True) as other:
            assert other is not outer and current_cache() is other
        assert current_cache() is outer
    assert current_cache() is None


def test_middleware_gives_each_request_a_fresh_scope() -> None:
    seen: list[Any] = []

    def view(request: HttpRequest) -> HttpResponse:
        cache = current_cache()
        seen.append(cache)
        assert cache is not None and cache.request is request
        cache.ciphers[(OWNER, "clinical", 1)] = object()  # type: ignore[assignment]
        return HttpResponse("ok")

    middleware = KeyCacheMiddleware(view)
    for _request in range(2):
        assert middleware(HttpRequest()).status_code == 200
    assert seen[0] is not seen[1]
    assert not seen[0].ciphers  # cleared at the end of the request
    assert current_cache() is None


@pytest.mark.usefixtures("probe_db")
def test_a_key_created_in_a_rolled_back_transaction_is_not_reused(
    make_client: Callable[..., ProbeClient],
) -> None:
    from django.db import transaction

    client = make_client()
    with key_cache():
        with pytest.raises(RuntimeError), transaction.atomic():
            ProbeNote.objects.create(client=client, body="rolled back")  # creates clinical v1
            raise RuntimeError
        assert not DataKey.objects.filter(owner=client.pk, domain="clinical").exists()
        kept = ProbeNote.objects.create(client=client, body="kept")
    assert ProbeNote.objects.get(pk=kept.pk).body == "kept"


@pytest.mark.usefixtures("probe_db")
def test_a_key_created_in_an_open_transaction_is_cached(
    make_client: Callable[..., ProbeClient], unwraps: list[tuple[str, int]]
) -> None:
    client = make_client()
    unwraps.clear()
    with key_cache():
        for n in range(5):
            ProbeNote.objects.create(client=client, body=f"note {n}")  # creates clinical v1
        bodies = sorted(n.body for n in ProbeNote.objects.filter(client=client))
        assert bodies == [f"note {n}" for n in range(5)]
    assert unwraps == []  # the new key was kept, never unwrapped again
