"""Release: one transaction that renders, stores, registers and audits; large packs in the
background worker."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.management import call_command

from disclosures import services
from disclosures.models import RegisterEntry, ReleasedDocument, Status
from practice.audit.models import AuditEvent
from practice.audit.services import verify_chain
from tests.disclosures.conftest import approved_court_order

pytestmark = pytest.mark.django_db


def test_release_stores_the_pdf_encrypted_and_registers_its_hash(
    counsellor, supervisor, manager, client_record, entries
) -> None:
    req = approved_court_order(counsellor, supervisor, manager, client_record, entries)
    released = services.release(req, by=counsellor)
    req.refresh_from_db()
    assert req.status == Status.RELEASED and req.released_by == counsellor
    stored = ReleasedDocument.objects.get(request=req)
    assert stored.pdf.startswith(b"%PDF-")
    digest = hashlib.sha256(stored.pdf).hexdigest()
    assert digest == stored.sha256 == released.register.sha256
    entry = RegisterEntry.objects.get(request=req)
    assert entry.items == [str(entries[0].pk)] and entry.item_count == 1
    assert {a["gate"] for a in entry.approvers} == {"consent", "supervisor", "manager"}
    event = AuditEvent.objects.get(action="disclosure.released")
    assert event.data["sha256"] == digest
    assert verify_chain() is None


def test_a_second_release_is_refused(
    counsellor, supervisor, manager, client_record, entries
) -> None:
    req = approved_court_order(counsellor, supervisor, manager, client_record, entries)
    services.release(req, by=counsellor)
    with pytest.raises(services.DisclosureError):
        services.release(req, by=counsellor)
    assert RegisterEntry.objects.count() == 1


@pytest.mark.parametrize("person", ["supervisor", "colleague", "administrator"])
def test_only_the_requester_or_approving_manager_releases(
    person, request, counsellor, supervisor, manager, client_record, entries
) -> None:
    req = approved_court_order(counsellor, supervisor, manager, client_record, entries)
    with pytest.raises(services.DisclosureError):
        services.release(req, by=request.getfixturevalue(person))
    assert not ReleasedDocument.objects.exists()


def test_a_large_pack_is_released_by_the_background_worker(
    transactional_audit, settings, counsellor, supervisor, manager, client_record, entries
) -> None:
    settings.RELEASE_IN_BACKGROUND_OVER_ITEMS = 0
    req = approved_court_order(counsellor, supervisor, manager, client_record, entries)
    assert services.should_release_in_background(req)
    task_id = services.queue_release(req, by=counsellor)
    req.refresh_from_db()
    assert req.release_task_id == task_id and req.status == Status.APPROVED
    assert services.release_progress(req) == "READY"
    assert services.queue_release(req, by=counsellor) == task_id, "asking twice queues once"
    call_command(
        "db_worker", "--batch", "--no-startup-delay", stdout=io.StringIO(), stderr=io.StringIO()
    )
    req.refresh_from_db()
    assert req.status == Status.RELEASED
    assert services.release_progress(req) == "SUCCESSFUL"
    assert RegisterEntry.objects.filter(request=req).count() == 1


def test_a_failed_background_release_releases_nothing(
    transactional_audit,
    settings,
    monkeypatch,
    counsellor,
    supervisor,
    manager,
    client_record,
    entries,
) -> None:
    settings.RELEASE_IN_BACKGROUND_OVER_ITEMS = 0
    req = approved_court_order(counsellor, supervisor, manager, client_record, entries)
    services.queue_release(req, by=counsellor)

    def broken(pack):  # type: ignore[no-untyped-def]
        raise MemoryError("renderer ran out of memory")

    monkeypatch.setattr("disclosures.pdf.render_pack", broken)
    call_command(
        "db_worker", "--batch", "--no-startup-delay", stdout=io.StringIO(), stderr=io.StringIO()
    )
    req.refresh_from_db()
    assert req.status == Status.APPROVED
    assert services.release_progress(req) == "FAILED"
    assert not ReleasedDocument.objects.exists() and not RegisterEntry.objects.exists()
