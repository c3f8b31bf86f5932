"""Archiving old audit events: written to a file first, then removed in one transaction, and
the chain still verifies, in the database from where the archive ends and in the file from
genesis."""

from __future__ import annotations

import datetime
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from practice.audit.models import AuditEvent, AuditHead
from practice.audit.services import (
    GENESIS_MAC,
    archive_cutoff,
    archive_events,
    record,
    verify_archive,
    verify_chain,
)
from tests.practice.test_audit import without_triggers

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2035, 6, 15, 12, tzinfo=datetime.UTC)


def old_and_new(old: int = 10, new: int = 5) -> tuple[list[AuditEvent], list[AuditEvent]]:
    """``old`` events nine years before NOW (past the default eight), ``new`` a month before."""
    with time_machine.travel(NOW - datetime.timedelta(days=9 * 365), tick=False):
        before = [record("test.old", target=("test", n), data={"n": n}) for n in range(old)]
    with time_machine.travel(NOW - datetime.timedelta(days=30), tick=False):
        after = [record("test.new", client_ref="C-NEW1", data={"n": n}) for n in range(new)]
    return before, after


def archive(*args: str) -> str:
    out = io.StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("archive_audit", *args, stdout=out)
    return out.getvalue()


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_archiving_moves_old_events_to_a_file_and_the_chain_still_verifies(
    tmp_path: Path,
) -> None:
    old, new = old_and_new()
    output = tmp_path / "archive.jsonl"
    message = archive("--output", str(output))

    assert "Archived 10 events (#1 to #10)" in message
    remaining = list(AuditEvent.objects.order_by("seq"))
    assert [e.seq for e in remaining[:5]] == [e.seq for e in new]
    assert remaining[-1].action == "audit.archived"
    head = AuditHead.objects.get(id=1)
    assert (head.archived_seq, head.archived_mac) == (old[-1].seq, old[-1].mac)
    assert verify_chain() is None

    # The file holds every field of every archived event, MACs included.
    archived = lines(output)
    assert [line["seq"] for line in archived] == [e.seq for e in old]
    assert set(archived[0]) == {
        "seq",
        "at",
        "actor_id",
        "actor_username",
        "action",
        "target_kind",
        "target_id",
        "client_ref",
        "ip",
        "data",
        "prev_mac",
        "mac",
    }
    assert archived[3]["mac"] == old[3].mac and archived[3]["data"] == {"n": 3}
    assert archived[0]["prev_mac"] == GENESIS_MAC
    assert output.stat().st_mode & 0o777 == 0o600

    # ...and re-verifies from genesis on its own.
    checked = verify_archive(output)
    assert checked.problem is None
    assert (checked.count, checked.first_seq, checked.last_seq) == (10, 1, 10)
    assert checked.last_mac == head.archived_mac

    # The archiving is itself in the trail, with the file's SHA-256.
    event = AuditEvent.objects.get(action="audit.archived")
    assert event.data == {
        "events": 10,
        "first_seq": 1,
        "last_seq": 10,
        "last_mac": old[-1].mac,
        "before": archive_cutoff(NOW).date().isoformat(),
        "sha256": hashlib.sha256(output.read_bytes()).hexdigest(),
    }
    assert event.data["sha256"] in message


def test_the_database_still_refuses_deletes_after_archiving(tmp_path: Path) -> None:
    old_and_new()
    archive("--output", str(tmp_path / "a.jsonl"))
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent")
    if connection.vendor == "sqlite":
        # The archive's one-row permit is gone again once the archive is done.
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM audit_archive_permit")
            assert cursor.fetchone()[0] == 0


def test_tampering_with_a_remaining_event_is_still_found(tmp_path: Path) -> None:
    _, new = old_and_new()
    archive("--output", str(tmp_path / "a.jsonl"))
    without_triggers(
        "UPDATE audit_auditevent SET client_ref = 'C-XXXX' WHERE seq = %s", [new[2].seq]
    )
    problem = verify_chain()
    assert problem is not None and problem.seq == new[2].seq


def test_removing_the_first_remaining_event_is_found(tmp_path: Path) -> None:
    _, new = old_and_new()
    archive("--output", str(tmp_path / "a.jsonl"))
    without_triggers("DELETE FROM audit_auditevent WHERE seq = %s", [new[0].seq])
    problem = verify_chain()
    assert problem is not None and problem.seq == new[0].seq


def test_a_changed_archive_file_is_found(tmp_path: Path) -> None:
    old_and_new()
    output = tmp_path / "a.jsonl"
    archive("--output", str(output))
    archived = lines(output)
    archived[4]["data"] = {"n": 99}
    output.write_text("".join(json.dumps(line) + "\n" for line in archived))
    checked = verify_archive(output)
    assert checked.problem is not None and checked.problem.seq == 5
    assert "content or MAC was changed" in checked.problem.reason
    with pytest.raises(CommandError, match="broken at event #5"):
        archive("--check", str(output))

    del archived[4]
    output.write_text("".join(json.dumps(line) + "\n" for line in archived))
    checked = verify_archive(output)
    assert checked.problem is not None and "missing" in checked.problem.reason


def test_a_dry_run_changes_nothing(tmp_path: Path) -> None:
    old_and_new()
    before = list(AuditEvent.objects.values_list("seq", "mac"))
    head_before = AuditHead.objects.values().get(id=1)
    output = tmp_path / "a.jsonl"
    message = archive("--dry-run", "--output", str(output))
    assert "Would archive 10 events (#1 to #10)" in message
    assert "Nothing was changed" in message
    assert list(AuditEvent.objects.values_list("seq", "mac")) == before
    assert AuditHead.objects.values().get(id=1) == head_before
    assert not output.exists()


def test_nothing_to_archive_changes_nothing(tmp_path: Path) -> None:
    with time_machine.travel(NOW - datetime.timedelta(days=30), tick=False):
        record("test.new")
    output = tmp_path / "a.jsonl"
    assert "Nothing to archive" in archive("--output", str(output))
    assert AuditEvent.objects.count() == 1 and not output.exists()
    assert AuditHead.objects.get(id=1).archived_seq == 0


def test_a_broken_chain_is_not_archived(tmp_path: Path) -> None:
    old, _ = old_and_new()
    without_triggers("UPDATE audit_auditevent SET action = 'edited' WHERE seq = %s", [old[2].seq])
    output = tmp_path / "a.jsonl"
    with pytest.raises(CommandError, match=rf"event #{old[2].seq}.*nothing was archived"):
        archive("--output", str(output))
    assert not output.exists()
    assert AuditEvent.objects.count() == 15
    assert AuditHead.objects.get(id=1).archived_seq == 0


def test_an_existing_file_is_never_overwritten(tmp_path: Path) -> None:
    old_and_new()
    output = tmp_path / "a.jsonl"
    output.write_text("keep me\n")
    with pytest.raises(CommandError, match="already exists: an archive is never overwritten"):
        archive("--output", str(output))
    assert output.read_text() == "keep me\n"
    assert AuditEvent.objects.count() == 15


def test_a_failure_while_deleting_leaves_every_event(tmp_path: Path, monkeypatch: Any) -> None:
    old_and_new()
    monkeypatch.setattr("practice.audit.services._delete_archived", lambda **kwargs: 3)
    output = tmp_path / "a.jsonl"
    with pytest.raises(CommandError, match="nothing was archived"):
        archive("--output", str(output))
    assert not output.exists(), "a file for an archive that did not happen would mislead"
    assert AuditEvent.objects.count() == 15
    assert AuditHead.objects.get(id=1).archived_seq == 0
    assert verify_chain() is None


def test_archives_chain_one_after_another(tmp_path: Path, settings: Any) -> None:
    old_and_new()
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    archive("--output", str(first))
    settings.AUDIT_ARCHIVE_AFTER_YEARS = 1  # now the month-old events are not yet due...
    assert "Nothing to archive" in archive("--output", str(second))
    with time_machine.travel(NOW + datetime.timedelta(days=400), tick=False):
        record("test.later")
        out = io.StringIO()
        call_command("archive_audit", "--output", str(second), stdout=out)
    assert "Archived 6 events (#11 to #16)" in out.getvalue()  # the new ones and audit.archived
    assert verify_chain() is None
    assert verify_archive(second).problem is not None, "the second file does not start at genesis"
    first_check = verify_archive(first)
    assert (
        verify_archive(
            second, after_seq=first_check.last_seq, after_mac=first_check.last_mac
        ).problem
        is None
    )
    message = archive("--check", str(first), str(second))
    assert "first.jsonl: intact, 10 events (#1 to #10)" in message
    assert "second.jsonl: intact, 6 events (#11 to #16)" in message
    assert "The live audit trail continues from the last file." in message
    with pytest.raises(CommandError, match="second.jsonl: broken at event #1"):
        archive("--check", str(second))


def test_the_default_period_is_eight_years(settings: Any) -> None:
    assert settings.AUDIT_ARCHIVE_AFTER_YEARS == 8
    assert archive_cutoff(NOW) == NOW.replace(year=2027)
    leap_day = datetime.datetime(2032, 2, 29, 12, tzinfo=datetime.UTC)
    assert archive_cutoff(leap_day) == datetime.datetime(2024, 2, 29, 12, tzinfo=datetime.UTC)
    settings.AUDIT_ARCHIVE_AFTER_YEARS = 1
    assert archive_cutoff(leap_day) == datetime.datetime(2031, 2, 28, 12, tzinfo=datetime.UTC)


def test_the_service_returns_what_it_did(tmp_path: Path) -> None:
    old, _ = old_and_new()
    with time_machine.travel(NOW, tick=False):
        result = archive_events(output=tmp_path / "a.jsonl")
        assert result.count == 10 and result.last_seq == old[-1].seq
        assert result.last_mac == old[-1].mac and result.path == tmp_path / "a.jsonl"
        assert timezone.now() - result.cutoff > datetime.timedelta(days=8 * 365)


def test_cutting_the_oldest_events_and_moving_the_start_is_found(tmp_path: Path) -> None:
    """Someone with write access deletes the oldest events and points the head's archive
    columns at the last one they deleted: no archive ended there, and the trail says so."""
    old, _ = old_and_new(old=10, new=0)
    without_triggers("DELETE FROM audit_auditevent WHERE seq <= %s", [old[4].seq])
    AuditHead.objects.filter(id=1).update(archived_seq=old[4].seq, archived_mac=old[4].mac)
    problem = verify_chain()
    assert problem is not None and problem.seq == old[5].seq


def test_the_start_moved_past_a_real_archive_is_found(tmp_path: Path) -> None:
    old, new = old_and_new()
    archive("--output", str(tmp_path / "a.jsonl"))
    assert verify_chain() is None
    without_triggers("DELETE FROM audit_auditevent WHERE seq <= %s", [new[1].seq])
    AuditHead.objects.filter(id=1).update(archived_seq=new[1].seq, archived_mac=new[1].mac)
    problem = verify_chain()
    assert problem is not None and problem.seq == new[2].seq


def test_an_event_from_a_wrong_clock_does_not_carry_recent_events_into_the_archive(
    tmp_path: Path,
) -> None:
    old, new = old_and_new(old=3, new=3)
    with time_machine.travel(datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC), tick=False):
        stray = record("test.stray_clock")
    message = archive("--output", str(tmp_path / "a.jsonl"))
    assert f"Archived 3 events (#1 to #{old[-1].seq})" in message
    remaining = set(AuditEvent.objects.values_list("seq", flat=True))
    assert {e.seq for e in new} | {stray.seq} <= remaining
    assert verify_chain() is None
