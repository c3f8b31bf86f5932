"""The audit trail is append-only and its HMAC chain exposes any tampering."""

from __future__ import annotations

import io
import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from practice.audit.models import AppendOnlyError, AuditEvent
from practice.audit.services import record, verify_chain

pytestmark = pytest.mark.django_db


def make_events(count: int) -> list[AuditEvent]:
    return [record("test.event", target=("test", n), data={"n": n}) for n in range(count)]


def without_triggers(statement: str, params: list[object] | None = None) -> None:
    """Run SQL as an attacker with direct database access would, past the triggers."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
            cursor.execute(statement, params or [])
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
            cursor.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
            cursor.execute(statement, params or [])


def verify_command() -> str:
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    return out.getvalue()


def test_intact_chain_verifies() -> None:
    make_events(20)
    assert verify_chain() is None
    assert "intact: 20 events" in verify_command()


def test_events_chain_to_their_predecessor() -> None:
    first, second = make_events(2)
    assert second.prev_mac == first.mac
    assert second.seq == first.seq + 1


def test_modified_event_is_found() -> None:
    events = make_events(10)
    without_triggers(
        "UPDATE audit_auditevent SET action = 'edited' WHERE seq = %s", [events[4].seq]
    )
    with pytest.raises(CommandError, match=rf"#{events[4].seq}: its content or MAC was changed"):
        verify_command()


def test_deleted_event_is_found() -> None:
    events = make_events(10)
    without_triggers("DELETE FROM audit_auditevent WHERE seq = %s", [events[3].seq])
    with pytest.raises(CommandError, match=rf"#{events[3].seq}: an event is missing"):
        verify_command()


def test_deleting_the_first_event_is_found() -> None:
    events = make_events(3)
    without_triggers("DELETE FROM audit_auditevent WHERE seq = %s", [events[0].seq])
    with pytest.raises(CommandError, match=rf"#{events[0].seq}"):
        verify_command()


def test_inserted_event_is_found() -> None:
    events = make_events(5)
    # make room after the second event (in two moves, so no two rows share a seq on the way)
    without_triggers("UPDATE audit_auditevent SET seq = seq + 1000 WHERE seq > %s", [events[1].seq])
    without_triggers("UPDATE audit_auditevent SET seq = seq - 999 WHERE seq > 1000")
    forged = AuditEvent(
        seq=events[1].seq + 1,
        at=events[1].at,
        action="forged",
        prev_mac=events[1].mac,
        mac="0" * 64,
    )
    forged.save()
    problem = verify_chain()
    assert problem is not None and problem.seq == events[1].seq + 1


def test_reordered_events_are_found() -> None:
    events = make_events(6)
    a, b = events[2].seq, events[3].seq
    without_triggers(
        "UPDATE audit_auditevent SET seq = CASE seq WHEN %s THEN %s WHEN %s THEN %s END "
        "WHERE seq IN (%s, %s)",
        [a, -1, b, a, a, b],
    )
    without_triggers("UPDATE audit_auditevent SET seq = %s WHERE seq = -1", [b])
    problem = verify_chain()
    assert problem is not None and problem.seq == a


def test_cutting_events_from_the_end_is_found() -> None:
    events = make_events(5)
    without_triggers("DELETE FROM audit_auditevent WHERE seq >= %s", [events[3].seq])
    problem = verify_chain()
    assert problem is not None and "removed" in problem.reason


def test_a_chain_rebuilt_without_the_key_does_not_verify() -> None:
    make_events(3)
    assert verify_chain(key=b"k" * 32) is not None


def test_the_model_refuses_changes_and_deletion() -> None:
    event = make_events(1)[0]
    event.action = "changed"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().update(action="x")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_auditevent SET action = 'x'", "DELETE FROM audit_auditevent"]
)
def test_the_database_refuses_raw_changes(statement: str) -> None:
    make_events(2)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert AuditEvent.objects.count() == 2


def test_audit_data_refuses_confidential_looking_values() -> None:
    with pytest.raises(ValueError):
        record("test.event", data={"text": "what the client said"})
    with pytest.raises(ValueError):
        record("test.event", data={"reason_code": "x" * 500})


def test_concurrent_writers_never_fork_the_chain(transactional_audit: None) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row-lock concurrency is exercised on PostgreSQL")
    barrier = threading.Barrier(10)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        from django.db import connections

        try:
            barrier.wait()
            for i in range(5):
                record("test.concurrent", data={"writer": n, "i": i})
        except BaseException as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert AuditEvent.objects.filter(action="test.concurrent").count() == 50
    assert verify_chain() is None
