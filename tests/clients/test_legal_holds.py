"""Legal holds: the manager's pages to place and lift them, what the client page shows, and
that a standing hold stops every path to destruction."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from clients import retention
from clients import services as client_services
from clients.models import Client, DestructionRecord, ErasureRequest, LegalHold
from notes import services as note_services
from notes.models import SessionNote
from practice.accounts.models import User
from practice.audit.models import AuditEvent
from tests.clients.retention_helpers import closed_client, on, run
from tests.conftest import make_client
from tests.notes.conftest import write_note

OPENED = datetime.date(2018, 1, 8)
ENDED = datetime.date(2019, 3, 15)
DUE = datetime.date(2026, 3, 15)
PERSONAS = ["counsellor", "supervisor", "administrator", "client_user", "outsider"]
HOLD_REASON = "Family court, case FD19P00123"


@pytest.fixture
def hold(client_record: Client, manager: User) -> LegalHold:
    return client_services.place_legal_hold(client_record, by=manager, reason=HOLD_REASON)


def hold_urls(client: Client, hold: LegalHold) -> list[str]:
    return [
        reverse("clients:legal_holds"),
        reverse("clients:legal_hold_place", args=[client.reference]),
        reverse("clients:legal_hold_lift", args=[hold.pk]),
    ]


def test_hold_pages_are_for_service_managers_only(
    client_record: Client,
    hold: LegalHold,
    manager: User,
    request: pytest.FixtureRequest,
    as_user: Callable[[User], HttpClient],
) -> None:
    for url in hold_urls(client_record, hold):
        assert as_user(manager).get(url).status_code == 200, url
        for persona in PERSONAS:
            user = request.getfixturevalue(persona)
            assert as_user(user).get(url).status_code == 404, (persona, url)
            assert as_user(user).post(url, {"reason": "x"}).status_code == 404, (persona, url)
        anonymous = HttpClient().get(url)
        assert anonymous.status_code == 302
        assert anonymous["Location"].startswith("/accounts/login/")
    assert LegalHold.objects.count() == 1 and hold.is_active  # nothing was placed or lifted


def test_an_unknown_client_or_hold_is_a_404(
    manager: User, as_user: Callable[[User], HttpClient]
) -> None:
    browser = as_user(manager)
    assert browser.get(reverse("clients:legal_hold_place", args=["C-NONE"])).status_code == 404
    url = reverse("clients:legal_hold_lift", args=["00000000-0000-0000-0000-000000000000"])
    assert browser.get(url).status_code == 404


def test_a_manager_places_a_hold_with_a_reason(
    client_record: Client, manager: User, as_user: Callable[[User], HttpClient]
) -> None:
    url = reverse("clients:legal_hold_place", args=[client_record.reference])
    browser = as_user(manager)
    empty = browser.post(url, {"reason": "  "})
    assert empty.status_code == 200 and "There is a problem" in empty.content.decode()
    assert not LegalHold.objects.exists()
    done = browser.post(url, {"reason": HOLD_REASON})
    assert done.status_code == 302
    placed = LegalHold.objects.get()
    assert (placed.source, placed.reason, placed.placed_by) == ("manager", HOLD_REASON, manager)
    event = AuditEvent.objects.get(action="legal_hold.placed")
    assert HOLD_REASON not in str(event.data) and event.client_ref == client_record.reference


def test_a_manager_lifts_a_hold_with_a_reason_and_reading_it_is_audited(
    client_record: Client, hold: LegalHold, manager: User, as_user: Callable[[User], HttpClient]
) -> None:
    url = reverse("clients:legal_hold_lift", args=[hold.pk])
    browser = as_user(manager)
    page = browser.get(url).content.decode()
    assert HOLD_REASON in page and "process notes included" in page
    assert AuditEvent.objects.filter(action="legal_hold.viewed").exists()
    assert browser.post(url, {"reason": ""}).status_code == 200
    hold.refresh_from_db()
    assert hold.is_active
    assert browser.post(url, {"reason": "Proceedings concluded"}).status_code == 302
    hold.refresh_from_db()
    assert not hold.is_active and hold.lift_reason == "Proceedings concluded"
    again = browser.post(url, {"reason": "again"})
    assert "This hold has been lifted" in again.content.decode()
    hold.refresh_from_db()
    assert hold.lift_reason == "Proceedings concluded"


def test_the_client_page_shows_a_standing_hold(
    client_record: Client,
    hold: LegalHold,
    counsellor: User,
    manager: User,
    supervisor: User,
    as_user: Callable[[User], HttpClient],
) -> None:
    lift_url = reverse("clients:legal_hold_lift", args=[hold.pk])
    place_url = reverse("clients:legal_hold_place", args=[client_record.reference])
    for user in (counsellor, supervisor, manager):
        page = as_user(user).get(client_record.get_absolute_url()).content.decode()
        assert "A legal hold stands on this client" in page
        assert "process notes included" in page
        assert HOLD_REASON not in page  # the reason is read (and audited) on its own page
        assert (lift_url in page) is (user == manager)
        assert (place_url in page) is (user == manager)


def test_the_retention_page_shows_held_cases(
    counsellor: User, manager: User, as_user: Callable[[User], HttpClient]
) -> None:
    client = closed_client(counsellor, opened=OPENED, ended=ENDED)
    client_services.place_legal_hold(client, by=manager, reason=HOLD_REASON)
    with on(DUE):
        page = as_user(manager).get(reverse("clients:retention")).content.decode()
    assert "Kept because of a legal hold" in page and client.reference in page
    assert f'value="{client.reference}"' not in page  # it cannot be chosen for destruction


# -- a hold stops every path -------------------------------------------------------------------


def test_a_hold_keeps_process_notes_after_supervision(
    counsellor: User, client_record: Client, manager: User
) -> None:
    session_day = timezone.localdate() - datetime.timedelta(days=10)
    with on(session_day):
        write_note(counsellor, client=client_record, kind="process", session_date=session_day)
    note_services.record_supervision(
        by=counsellor,
        counsellor=counsellor,
        held_on=session_day + datetime.timedelta(days=1),
        cases=[client_record],
    )
    hold = client_services.place_legal_hold(client_record, by=manager, reason=HOLD_REASON)
    output = run()
    assert f"Kept (legal hold): process notes of {client_record.reference}" in output
    assert SessionNote.objects.filter(kind="process").count() == 1
    with pytest.raises(retention.HeldError):
        retention.destroy_process_notes(retention.process_notes_due()[0])
    client_services.lift_legal_hold(hold, by=manager, reason="Over")
    run()
    assert not SessionNote.objects.filter(kind="process").exists()


def test_a_hold_placed_after_approval_keeps_the_case_until_it_is_lifted(
    counsellor: User, manager: User
) -> None:
    client = closed_client(counsellor, opened=OPENED, ended=ENDED)
    with on(DUE):
        client_services.approve_destruction_batch([client], by=manager, reason="Review")
        hold = client_services.place_legal_hold(client, by=manager, reason=HOLD_REASON)
        output = run()
        assert f"Kept (legal hold): case {client.reference}" in output
        assert Client.objects.filter(pk=client.pk).exists()
        record = DestructionRecord.objects.get()
        assert record.status == "approved"
        with pytest.raises(retention.HeldError):
            retention.carry_out(record)
        record.refresh_from_db()
        assert record.status == "approved" and record.started_at is None
        client_services.lift_legal_hold(hold, by=manager, reason="Over")
        run()
    assert not Client.objects.filter(pk=client.pk).exists()


def test_a_hold_stops_an_erasure_being_approved_or_carried_out(
    counsellor: User, manager: User
) -> None:
    client = closed_client(counsellor, opened=OPENED, ended=ENDED)
    first = client_services.record_erasure_request(
        client, by=counsellor, received_on=ENDED, channel="letter"
    )
    hold = client_services.place_legal_hold(client, by=manager, reason=HOLD_REASON)
    with pytest.raises(client_services.ClientError, match="legal hold"):
        client_services.decide_erasure(first, by=manager, approve=True, reason="Asked")
    first.refresh_from_db()
    assert first.is_open and not DestructionRecord.objects.exists()
    # Approved before a hold: the run keeps waiting while it stands.
    client_services.lift_legal_hold(hold, by=manager, reason="Over")
    client_services.decide_erasure(first, by=manager, approve=True, reason="Asked")
    client_services.place_legal_hold(client, by=manager, reason="A complaint")
    output = run()
    assert f"Kept (legal hold): case {client.reference}" in output
    assert Client.objects.filter(pk=client.pk).exists()
    first.refresh_from_db()
    assert first.status == ErasureRequest.Status.APPROVED


def test_apply_retention_dry_run_reports_the_hold(counsellor: User, manager: User) -> None:
    client = closed_client(counsellor, opened=OPENED, ended=ENDED)
    with on(DUE):
        client_services.approve_destruction_batch([client], by=manager, reason="Review")
        client_services.place_legal_hold(client, by=manager, reason=HOLD_REASON)
        assert f"Kept (legal hold): case {client.reference}" in run("--dry-run")


def test_court_order_holds_show_their_source(
    client_record: Client, manager: User, as_user: Callable[[User], HttpClient]
) -> None:
    client_services.place_legal_hold(
        client_record, by=manager, reason="Disclosure D-ABCD", source="court_order"
    )
    page = as_user(manager).get(reverse("clients:legal_holds")).content.decode()
    assert "Court order" in page and client_record.reference in page
    assert "Disclosure D-ABCD" not in page


def test_a_hold_placed_while_a_destruction_runs_stops_it_before_the_keys_go(
    counsellor: User, manager: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = closed_client(counsellor, opened=OPENED, ended=ENDED, family_name="Quill")
    real_start = retention._start

    def start_then_a_manager_places_a_hold(*args: object, **kwargs: object) -> object:
        started = real_start(*args, **kwargs)  # the tombstone is marked in progress
        client_services.place_legal_hold(client, by=manager, reason=HOLD_REASON)
        return started

    monkeypatch.setattr(retention, "_start", start_then_a_manager_places_a_hold)
    with on(DUE):
        client_services.approve_destruction_batch([client], by=manager, reason="Review")
        output = run()
    assert f"Kept (legal hold): case {client.reference}" in output
    kept = Client.objects.get(pk=client.pk)
    assert kept.identity.family_name == "Quill"  # the keys were not shredded
    hold = LegalHold.objects.get(client=client)
    assert hold.is_active

    monkeypatch.setattr(retention, "_start", real_start)
    client_services.lift_legal_hold(hold, by=manager, reason="Over")
    with on(DUE):
        run()  # the interrupted destruction is finished once the hold is lifted
    assert not Client.objects.filter(pk=client.pk).exists()


def test_a_case_whose_keys_are_shredded_cannot_be_held(
    counsellor: User, manager: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = closed_client(counsellor, opened=OPENED, ended=ENDED)

    def killed(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the run was killed after shredding")

    monkeypatch.setattr(retention, "_delete_and_complete", killed)
    with on(DUE):
        client_services.approve_destruction_batch([client], by=manager, reason="Review")
        with pytest.raises(RuntimeError):
            retention.carry_out(DestructionRecord.objects.get())
    assert DestructionRecord.objects.get().keys_shredded > 0
    with pytest.raises(client_services.ClientError, match="already been destroyed"):
        client_services.place_legal_hold(client, by=manager, reason=HOLD_REASON)
    assert not LegalHold.objects.exists()


def test_a_hold_on_one_partner_keeps_the_others_own_process_notes(
    counsellor: User, manager: User
) -> None:
    one = make_client(counsellor)
    two = make_client(counsellor)
    client_services.create_joint_case(by=counsellor, kind="couple", members=[one, two])
    session_day = timezone.localdate() - datetime.timedelta(days=10)
    with on(session_day):
        write_note(counsellor, client=one, kind="process", session_date=session_day)
    note_services.record_supervision(
        by=counsellor,
        counsellor=counsellor,
        held_on=session_day + datetime.timedelta(days=1),
        cases=[one],
    )
    hold = client_services.place_legal_hold(two, by=manager, reason=HOLD_REASON)
    assert [due.held for due in retention.process_notes_due()] == [True]
    assert f"Kept (legal hold): process notes of {one.reference}" in run()
    assert SessionNote.objects.filter(client=one, kind="process").exists()
    client_services.lift_legal_hold(hold, by=manager, reason="Over")
    run()
    assert not SessionNote.objects.filter(client=one, kind="process").exists()
