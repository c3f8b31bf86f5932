"""`manage.py apply_retention`: the dry run changes nothing at all, a real run is idempotent,
and an interrupted destruction is finished by the next run."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.management.base import CommandError

from clients import retention
from clients import services as client_services
from clients.models import Client, ClientIdentity, DestructionRecord
from consent.models import Contracting
from notes import services as note_services
from notes.models import SessionNote
from practice.accounts.models import User
from practice.crypto.models import DataKey
from tests.clients.retention_helpers import (
    audit_head,
    closed_client,
    on,
    run,
    table_counts,
)
from tests.notes.conftest import write_note

OPENED = datetime.date(2018, 1, 8)
ENDED = datetime.date(2019, 3, 15)
DUE = datetime.date(2026, 3, 15)
NAME = "Octavia"


@pytest.fixture
def scene(counsellor: User, manager: User) -> dict[str, Any]:
    """Something of everything the run looks at: due process notes, an approved batch, an
    approved erasure, a case due but not approved, and a case not due yet."""
    approved = closed_client(counsellor, opened=OPENED, ended=ENDED, given_name=NAME)
    erased = closed_client(counsellor, opened=OPENED, ended=ENDED)
    waiting = closed_client(counsellor, opened=OPENED, ended=ENDED)
    young = closed_client(counsellor, opened=OPENED, ended=datetime.date(2024, 1, 1))
    with on(DUE):
        active = closed_client(counsellor, opened=DUE, ended=DUE)
        Client.objects.filter(pk=active.pk).update(status="active", ended_on=None)
        write_note(counsellor, client=active, kind="process", session_date=DUE)
    with on(DUE + datetime.timedelta(days=1)):
        note_services.record_supervision(
            by=counsellor,
            counsellor=counsellor,
            held_on=DUE + datetime.timedelta(days=1),
            cases=[Client.objects.get(pk=active.pk)],
        )
        client_services.approve_destruction_batch([approved], by=manager, reason="Review")
        erasure = client_services.record_erasure_request(
            erased, by=manager, received_on=DUE, channel="letter"
        )
        client_services.decide_erasure(erasure, by=manager, approve=True, reason="Asked")
    return {
        "approved": approved,
        "erased": erased,
        "waiting": waiting,
        "young": young,
        "active": active,
        "day": DUE + datetime.timedelta(days=2),
    }


def test_a_dry_run_lists_everything_and_changes_nothing(scene: dict[str, Any]) -> None:
    counts, head = table_counts(), audit_head()
    with on(scene["day"]):
        output = run("--dry-run")
    assert table_counts() == counts
    assert audit_head() == head
    assert output.startswith("Dry run: nothing was changed.")
    assert f"Would destroy: process notes of {scene['active'].reference}" in output
    assert f"Would destroy: case {scene['approved'].reference} (closed_adult" in output
    assert f"Would destroy: case {scene['erased'].reference} (erasure" in output
    assert f"Due, waiting for a manager's approval: case {scene['waiting'].reference}" in output
    assert scene["young"].reference not in output
    assert NAME not in output


def test_a_real_run_does_it_all_once(scene: dict[str, Any]) -> None:
    with on(scene["day"]):
        output = run()
        assert f"Destroyed: case {scene['approved'].reference}" in output
        assert f"Destroyed: case {scene['erased'].reference}" in output
        assert f"Destroyed: process notes of {scene['active'].reference}" in output
        counts, head = table_counts(), audit_head()
        again = run()
    assert table_counts() == counts and audit_head() == head
    assert "Destroyed" not in again
    assert f"Due, waiting for a manager's approval: case {scene['waiting'].reference}" in again
    assert Client.objects.filter(pk=scene["waiting"].pk).exists()
    assert Client.objects.filter(pk=scene["young"].pk).exists()
    assert not SessionNote.objects.filter(kind="process").exists()
    assert DestructionRecord.objects.filter(status="complete").count() == 3


def _boom(client: Client, joint_cases: list[Any]) -> None:
    raise RuntimeError("interrupted")


def test_an_interrupted_destruction_is_finished_by_the_next_run(
    counsellor: User, manager: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = closed_client(counsellor, opened=OPENED, ended=ENDED)
    identity_id = ClientIdentity.objects.get(client=client).pk
    with on(DUE):
        client_services.approve_destruction_batch([client], by=manager, reason="Review")
        # Fail in the middle of the deletions, after disclosures and consent deleted theirs.
        destroyers = list(retention._CLIENT_DESTROYERS)
        monkeypatch.setattr(
            retention, "_CLIENT_DESTROYERS", [destroyers[0], _boom, *destroyers[1:]]
        )
        with pytest.raises(CommandError, match="1 destruction"):
            run()
        record = DestructionRecord.objects.get()
        assert record.status == "in_progress" and record.started_at is not None
        assert not DataKey.objects.filter(owner=client.pk).exists()  # shredded already
        assert ClientIdentity.objects.filter(pk=identity_id).exists()  # deletions rolled back
        assert Contracting.objects.filter(client=client).exists()
        assert "finishing an interrupted destruction" in run("--dry-run")

        monkeypatch.setattr(retention, "_CLIENT_DESTROYERS", destroyers)
        output = run()
    assert f"Destroyed: case {client.reference}" in output
    record.refresh_from_db()
    assert record.status == "complete"
    assert not Client.objects.filter(pk=client.pk).exists()
    assert not ClientIdentity.history.filter(id=identity_id).exists()


def test_a_run_killed_after_shredding_is_finished_by_the_next(
    counsellor: User, manager: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = closed_client(counsellor, opened=OPENED, ended=ENDED)

    def killed(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    with on(DUE):
        client_services.approve_destruction_batch([client], by=manager, reason="Review")
        monkeypatch.setattr(retention, "_delete_and_complete", killed)
        with pytest.raises(KeyboardInterrupt):
            run()
        monkeypatch.undo()
        assert DestructionRecord.objects.get().status == "in_progress"
        assert Client.objects.filter(pk=client.pk).exists()
        run()
    assert DestructionRecord.objects.get().status == "complete"
    assert not Client.objects.filter(pk=client.pk).exists()


def test_the_date_can_be_given(counsellor: User) -> None:
    client = closed_client(counsellor, opened=OPENED, ended=ENDED)
    assert client.reference not in run("--dry-run", "--today", "2026-03-14")
    assert client.reference in run("--dry-run", "--today", DUE.isoformat())
