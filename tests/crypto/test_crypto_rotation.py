"""Master-key and client data-key rotation: interruption, resumption, idempotency."""

from __future__ import annotations

import datetime
import io
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from practice.audit.models import AuditEvent
from practice.crypto import keyring, rotation
from practice.crypto.fields import header_of
from practice.crypto.keyring import Domain
from practice.crypto.management.commands import rotate_client_keys
from practice.crypto.models import DataKey

from .conftest import stored
from .probe_models import HistoricalProbeNote, ProbeClient, ProbeNote, probe_apps

pytestmark = pytest.mark.usefixtures("probe_db")

MakeNote = Callable[..., ProbeNote]
MakeClient = Callable[..., ProbeClient]
NEW_KEY = ("k2", b"\x42" * 32)


class Killed(Exception):
    """Stands in for the process being killed half-way."""


def kill_after(monkeypatch: pytest.MonkeyPatch, target: Any, name: str, calls: int) -> None:
    real = getattr(target, name)
    count = {"n": 0}

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        count["n"] += 1
        if count["n"] > calls:
            raise Killed
        return real(*args, **kwargs)

    monkeypatch.setattr(target, name, wrapper)


@pytest.fixture
def population(make_client: MakeClient, make_note: MakeNote) -> list[ProbeClient]:
    clients = [make_client(f"C-{n}", name=f"Client {n}") for n in range(4)]
    for client in clients:
        for n in range(3):
            note = make_note(client, body=f"{client.reference} note {n}")
            note.body += " (edited)"
            note.save()
    return clients


def everything_readable() -> None:
    for client in ProbeClient.objects.all():
        assert client.name.startswith("Client ")
    for note in ProbeNote.objects.all():
        assert note.body.endswith("(edited)")
    for record in HistoricalProbeNote.objects.all():
        assert " note " in record.body


# --- master keys ------------------------------------------------------------------------------


def test_master_rotation_rewraps_every_key_once(population: Any, settings: Any) -> None:
    old_ring = list(settings.CLINICAL_MASTER_KEYS)
    settings.CLINICAL_MASTER_KEYS = [NEW_KEY, *old_ring]
    assert rotation.master_rotation_pending()["clinical"] == ("k2", 4)
    assert rotation.rotate_master_keys(chunk_size=3) == {"identity": 0, "clinical": 4}
    assert set(
        DataKey.objects.filter(domain="clinical").values_list("master_key_id", flat=True)
    ) == {"k2"}
    snapshot = list(DataKey.objects.order_by("pk").values_list("master_key_id", "wrapped"))
    # Idempotent: a second run changes nothing at all.
    assert rotation.rotate_master_keys() == {"identity": 0, "clinical": 0}
    assert list(DataKey.objects.order_by("pk").values_list("master_key_id", "wrapped")) == snapshot
    # The old key can now be removed from the ring.
    settings.CLINICAL_MASTER_KEYS = [NEW_KEY]
    everything_readable()
    assert AuditEvent.objects.filter(action="crypto.master_key.rotated").count() == 1


def test_interrupted_master_rotation_resumes(
    population: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.IDENTITY_MASTER_KEYS = [NEW_KEY, *settings.IDENTITY_MASTER_KEYS]
    kill_after(monkeypatch, keyring, "wrap_data_key", 3)
    with pytest.raises(Killed):
        rotation.rotate_master_keys(chunk_size=2)
    # The first chunk (2 rows) committed; the second died half-way and rolled back.
    ids = list(DataKey.objects.filter(domain="identity").values_list("master_key_id", flat=True))
    assert sorted(ids).count("k2") == 2
    everything_readable()
    monkeypatch.undo()
    settings.IDENTITY_MASTER_KEYS = [NEW_KEY, *settings.IDENTITY_MASTER_KEYS[1:]]
    assert rotation.rotate_master_keys(chunk_size=2)["identity"] == 2
    assert set(
        DataKey.objects.filter(domain="identity").values_list("master_key_id", flat=True)
    ) == {"k2"}
    everything_readable()


def test_master_rotation_command(population: Any, settings: Any) -> None:
    settings.CLINICAL_MASTER_KEYS = [NEW_KEY, *settings.CLINICAL_MASTER_KEYS]
    out, err = io.StringIO(), io.StringIO()
    call_command("rotate_master_keys", "--dry-run", stdout=out, stderr=err)
    assert "clinical: 4 data keys to rewrap with 'k2'" in out.getvalue()
    assert DataKey.objects.filter(master_key_id="k2").count() == 0
    out = io.StringIO()
    call_command("rotate_master_keys", "--chunk-size=1", stdout=out, stderr=err)
    assert "clinical: rewrapped 4 data keys with 'k2'" in out.getvalue()
    assert "Rewrapping clinical data keys: 4/4 (100%)" in err.getvalue()
    out = io.StringIO()
    call_command("rotate_master_keys", stdout=out, stderr=io.StringIO())
    assert "clinical: every data key is already wrapped with 'k2'" in out.getvalue()


def test_master_rotation_without_the_old_key_says_which_is_missing(
    population: Any, settings: Any
) -> None:
    old_id = settings.CLINICAL_MASTER_KEYS[0][0]
    settings.CLINICAL_MASTER_KEYS = [NEW_KEY]
    with pytest.raises(CommandError, match=f"'{old_id}'.*CLINICAL_MASTER_KEYS"):
        call_command("rotate_master_keys", stdout=io.StringIO(), stderr=io.StringIO())


# --- client data keys -------------------------------------------------------------------------


def versions_in_use(client: ProbeClient) -> set[int]:
    found = set()
    for model in (ProbeNote, HistoricalProbeNote):
        for pk in model._base_manager.filter(client=client).values_list("pk", flat=True):
            for field in ("title", "body"):
                data = stored(model, pk, field)
                assert data is not None
                found.add(header_of(data)[2])  # type: ignore[index]
    return found


def test_data_key_rotation_reencrypts_live_and_history_rows(population: list[ProbeClient]) -> None:
    alice, bob = population[0], population[1]
    before = dict(ProbeNote.objects.values_list("pk", "updated_at"))
    history_count = HistoricalProbeNote.objects.count()
    bob_bytes = stored(ProbeNote, ProbeNote.objects.filter(client=bob).first().pk, "body")

    result = rotation.rotate_data_key(alice.pk, Domain.CLINICAL, registry=probe_apps, chunk_size=2)

    assert result.started and result.version == 2 and result.finished
    assert result.rows_reencrypted == 9  # 3 notes + 6 history rows
    assert result.retired_versions == [1]
    assert versions_in_use(alice) == {2}
    assert list(
        DataKey.objects.filter(owner=alice.pk, domain="clinical").values_list("version", flat=True)
    ) == [2]
    everything_readable()
    # No history rows, no auto_now changes, other clients untouched.
    assert HistoricalProbeNote.objects.count() == history_count
    assert dict(ProbeNote.objects.values_list("pk", "updated_at")) == before
    assert stored(ProbeNote, ProbeNote.objects.filter(client=bob).first().pk, "body") == bob_bytes
    assert versions_in_use(bob) == {1}
    event = AuditEvent.objects.get(action="crypto.data_key.rotated")
    assert event.target_id == str(alice.pk)
    assert event.data == {"domain": "clinical", "version": 2, "retired_versions": [1]}


def test_identity_rotation_of_an_owner_model(population: list[ProbeClient]) -> None:
    alice = population[0]
    result = rotation.rotate_data_key(alice.pk, "identity", registry=probe_apps)
    assert result.finished and result.rows_reencrypted == 1
    assert header_of(stored(ProbeClient, alice.pk, "name") or b"")[2] == 2  # type: ignore[index]
    everything_readable()


def test_interrupted_data_key_rotation_resumes(
    population: list[ProbeClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = population[0]
    kill_after(monkeypatch, rotation, "_reencrypt_row", 5)
    with pytest.raises(Killed):
        rotation.rotate_data_key(alice.pk, "clinical", registry=probe_apps, chunk_size=2)
    monkeypatch.undo()
    # Two versions exist (a rotation in progress), rows use both, and all stay readable.
    assert versions_in_use(alice) == {1, 2}
    assert rotation.interrupted_rotations() == [(alice.pk, "clinical")]
    everything_readable()
    # Asking to rotate again resumes the same rotation instead of adding a third version.
    result = rotation.rotate_data_key(alice.pk, "clinical", registry=probe_apps, chunk_size=2)
    assert not result.started and result.version == 2 and result.finished
    assert result.rows_reencrypted == 5  # 4 rows were done before the kill
    assert versions_in_use(alice) == {2}
    assert rotation.interrupted_rotations() == []
    everything_readable()
    # And once finished, finishing again changes nothing.
    again = rotation.rotate_data_key(alice.pk, "clinical", start=False, registry=probe_apps)
    assert again.rows_reencrypted == 0 and again.retired_versions == []


def test_old_versions_wait_for_the_grace_period(population: list[ProbeClient]) -> None:
    alice = population[0]
    result = rotation.rotate_data_key(alice.pk, "clinical", registry=probe_apps, grace_seconds=600)
    assert result.pending_until is not None and not result.finished
    assert versions_in_use(alice) == {2}
    assert DataKey.objects.filter(owner=alice.pk, domain="clinical").count() == 2
    DataKey.objects.filter(owner=alice.pk, version=2).update(
        created_at=timezone.now() - datetime.timedelta(seconds=601)
    )
    later = rotation.rotate_data_key(alice.pk, "clinical", registry=probe_apps, grace_seconds=600)
    assert later.finished and later.retired_versions == [1]


def test_a_row_that_cannot_be_decrypted_keeps_the_old_key(
    population: list[ProbeClient],
) -> None:
    alice = population[0]
    note = ProbeNote.objects.filter(client=alice).first()
    data = bytearray(stored(ProbeNote, note.pk, "body") or b"")
    data[-1] ^= 1
    from practice.crypto.fields import Sealed

    ProbeNote.objects.filter(pk=note.pk).update(body=Sealed(bytes(data)))
    result = rotation.rotate_data_key(alice.pk, "clinical", registry=probe_apps)
    assert result.rows_failed == 1 and not result.finished
    assert DataKey.objects.filter(owner=alice.pk, domain="clinical").count() == 2
    # Every other value moved to the new key, and nothing else became unreadable.
    assert ProbeNote.objects.get(pk=note.pk).title == "First session"
    assert header_of(stored(ProbeNote, note.pk, "title") or b"")[2] == 2  # type: ignore[index]


def test_owner_without_keys_is_a_no_op() -> None:
    result = rotation.rotate_data_key(uuid.uuid4(), "clinical", registry=probe_apps)
    assert result.version is None and result.rows_reencrypted == 0


def test_due_for_rotation_by_age(population: list[ProbeClient]) -> None:
    alice = population[0]
    assert rotation.due_for_rotation(365) == []
    DataKey.objects.filter(owner=alice.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=400)
    )
    assert rotation.due_for_rotation(365) == [(alice.pk, "clinical"), (alice.pk, "identity")]
    assert rotation.due_for_rotation(500) == []
    with pytest.raises(ValueError):
        rotation.due_for_rotation(0)


# --- the rotate_client_keys command -----------------------------------------------------------


@pytest.fixture
def probe_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    # The command discovers models in the project's registry; point it at the probe models.
    monkeypatch.setattr(rotation, "django_apps", probe_apps)


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("rotate_client_keys", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.usefixtures("probe_registry")
def test_command_rotates_old_keys_once(population: list[ProbeClient]) -> None:
    out, _ = run("--grace-seconds=0")
    assert "No client data keys were due" in out
    DataKey.objects.update(created_at=timezone.now() - datetime.timedelta(days=400))
    out, err = run("--grace-seconds=0", "--chunk-size=2")
    assert "ran 8 new rotations; re-encrypted 40 rows" in out
    assert "Rotating client data keys: 8/8 (100%)" in err
    assert set(DataKey.objects.values_list("version", flat=True)) == {2}
    everything_readable()
    snapshot = list(DataKey.objects.order_by("pk").values_list("pk", "wrapped"))
    out, _ = run("--grace-seconds=0")
    assert "No client data keys were due" in out
    assert list(DataKey.objects.order_by("pk").values_list("pk", "wrapped")) == snapshot


@pytest.mark.usefixtures("probe_registry")
def test_command_finishes_interrupted_rotations_first(
    population: list[ProbeClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = population[0]
    kill_after(monkeypatch, rotation, "_reencrypt_row", 2)
    with pytest.raises(Killed):
        rotation.rotate_data_key(alice.pk, "clinical", registry=probe_apps, chunk_size=1)
    monkeypatch.undo()
    monkeypatch.setattr(rotation, "django_apps", probe_apps)
    out, _ = run("--grace-seconds=0")
    assert "Finished 1 interrupted and ran 0 new rotations" in out
    assert versions_in_use(alice) == {2}
    assert rotation.interrupted_rotations() == []


@pytest.mark.usefixtures("probe_registry")
def test_command_one_client_with_force(
    population: list[ProbeClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = population[0]
    monkeypatch.setattr(
        rotate_client_keys, "owner_for_reference", lambda ref: {"C-0": alice.pk}[ref]
    )
    out, _ = run("--client=C-0", "--grace-seconds=0")
    assert "No client data keys were due" in out
    out, _ = run("--client=C-0", "--force", "--grace-seconds=0")
    assert "ran 2 new rotations" in out
    assert versions_in_use(alice) == {2} and versions_in_use(population[1]) == {1}
    everything_readable()


@pytest.mark.usefixtures("probe_registry")
def test_command_waits_for_the_grace_period_then_retires(
    population: list[ProbeClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = population[0]
    monkeypatch.setattr(rotate_client_keys, "owner_for_reference", lambda ref: alice.pk)
    waited: list[float] = []

    def fake_sleep(seconds: float) -> None:
        waited.append(seconds)
        DataKey.objects.filter(owner=alice.pk, version=2).update(
            created_at=timezone.now() - datetime.timedelta(seconds=120)
        )

    monkeypatch.setattr(rotate_client_keys, "sleep", fake_sleep)
    _, err = run("--client=C-0", "--force", "--grace-seconds=60")
    assert len(waited) == 1 and 0 < waited[0] <= 60
    assert "Waiting" in err
    assert set(DataKey.objects.filter(owner=alice.pk).values_list("version", flat=True)) == {2}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--force"], "--client"),
        (["--older-than-days=0"], "at least 1"),
        (["--chunk-size=0"], "at least 1"),
    ],
)
def test_command_rejects_bad_options(args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_unknown_owner_model_is_a_clear_error(settings: Any) -> None:
    settings.CRYPTO_OWNER_MODEL = "nowhere.Nothing"
    with pytest.raises(CommandError, match="CRYPTO_OWNER_MODEL"):
        run("--client=C-1")
