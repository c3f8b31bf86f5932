"""Retention of closed cases: when they are due, the manager's approval, crypto-shredding and
deletion, the tombstone, the guards that only the destruction path gets past, couples, and
who may see the retention pages."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import ProtectedError
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from clients import retention
from clients import services as client_services
from clients.models import (
    Client,
    ClientAccount,
    ClientIdentity,
    DestructionBatch,
    DestructionRecord,
    JointCase,
)
from consent.models import AppendOnlyError, ConsentEvent
from disclosures.models import DisclosureRequest, RegisterEntry, ReleasedDocument
from notes import services as note_services
from notes.models import NoteEntry, SessionNote
from notes.services import EntryInput
from practice.accounts.models import Role, User
from practice.audit.models import AuditEvent
from practice.crypto.fields import RowContext
from practice.crypto.keyring import DecryptionError
from practice.crypto.models import DataKey
from tests.clients.retention_helpers import (
    MAY_NAME_THE_CASE,
    audit_head,
    closed_client,
    id_forms,
    on,
    rows_containing,
    run,
)
from tests.conftest import make_client, make_user
from tests.notes.conftest import write_note

OPENED = datetime.date(2018, 1, 8)
ENDED = datetime.date(2019, 3, 15)
DUE = datetime.date(2026, 3, 15)  # seven years after ENDED


# -- when a closed case is due -----------------------------------------------------------------


def due_references(day: datetime.date) -> set[str]:
    with on(day):
        return {case.client.reference for case in retention.cases_due_for_approval()}


def test_an_adults_case_is_due_seven_years_after_counselling_ended(counsellor: User) -> None:
    client = closed_client(counsellor, opened=OPENED, ended=ENDED)
    assert client.reference not in due_references(DUE - datetime.timedelta(days=1))
    assert client.reference in due_references(DUE)
    with on(DUE):
        (case,) = retention.cases_due_for_approval()
    assert case.due_on == DUE and case.rule == DestructionRecord.Rule.CLOSED_ADULT


def test_a_minors_case_is_due_on_their_25th_birthday_when_that_is_later(
    counsellor: User,
) -> None:
    birthday_25 = datetime.date(2029, 6, 20)
    client = closed_client(
        counsellor,
        opened=OPENED,
        ended=ENDED,
        is_minor=True,
        date_of_birth=datetime.date(2004, 6, 20),
    )
    assert client.reference not in due_references(DUE)  # seven years is not enough
    assert client.reference not in due_references(birthday_25 - datetime.timedelta(days=1))
    assert client.reference in due_references(birthday_25)
    with on(birthday_25):
        (case,) = retention.cases_due_for_approval()
    assert case.due_on == birthday_25 and case.rule == DestructionRecord.Rule.CLOSED_MINOR


def test_a_minor_whose_25th_birthday_comes_first_is_kept_seven_years(counsellor: User) -> None:
    client = closed_client(
        counsellor,
        opened=OPENED,
        ended=ENDED,
        is_minor=True,
        date_of_birth=datetime.date(1994, 1, 2),  # 25 in 2019
    )
    assert client.reference not in due_references(DUE - datetime.timedelta(days=1))
    with on(DUE):
        (case,) = retention.cases_due_for_approval()
    assert case.due_on == DUE and case.rule == DestructionRecord.Rule.CLOSED_ADULT


def test_a_minor_without_a_date_of_birth_is_never_due_and_is_listed(counsellor: User) -> None:
    client = closed_client(counsellor, opened=OPENED, ended=ENDED, is_minor=True)
    assert client.reference not in due_references(datetime.date(2090, 1, 1))
    with on(datetime.date(2090, 1, 1)):
        output = run()
    assert client.reference in output and "Cannot work out" in output


def test_a_date_of_birth_recorded_later_brings_in_the_minors_rule(counsellor: User) -> None:
    client = closed_client(counsellor, opened=OPENED, ended=ENDED, date_of_birth=None)
    assert not client.is_minor
    born = datetime.date(2002, 6, 1)  # 15 when counselling began on OPENED
    client_services.update_identity(client.identity, by=counsellor, changes={"date_of_birth": born})
    client.refresh_from_db()
    assert client.is_minor
    assert client.reference not in due_references(DUE)
    assert client.reference in due_references(datetime.date(2027, 6, 1))  # their 25th birthday


def test_an_adults_date_of_birth_changes_nothing_and_never_unmarks_a_minor(
    counsellor: User,
) -> None:
    adult = closed_client(counsellor, opened=OPENED, ended=ENDED, date_of_birth=None)
    client_services.update_identity(
        adult.identity, by=counsellor, changes={"date_of_birth": datetime.date(1980, 1, 1)}
    )
    adult.refresh_from_db()
    assert not adult.is_minor
    minor = closed_client(counsellor, opened=OPENED, ended=ENDED, is_minor=True)
    client_services.update_identity(
        minor.identity, by=counsellor, changes={"date_of_birth": datetime.date(1980, 1, 1)}
    )
    minor.refresh_from_db()
    assert minor.is_minor


def test_a_leap_day_moves_to_the_first_of_march() -> None:
    assert retention.add_years(datetime.date(2020, 2, 29), 7) == datetime.date(2027, 3, 1)
    assert retention.add_years(datetime.date(2020, 2, 29), 8) == datetime.date(2028, 2, 29)


def test_retention_periods_come_from_settings(counsellor: User, settings: Any) -> None:
    settings.RETENTION_YEARS = 3
    client = closed_client(counsellor, opened=OPENED, ended=ENDED)
    assert client.reference in due_references(datetime.date(2022, 3, 15))


def test_open_cases_and_cases_within_the_period_are_not_due(
    counsellor: User, client_record: Client
) -> None:
    closed_client(counsellor, opened=OPENED, ended=ENDED)
    assert due_references(DUE - datetime.timedelta(days=1)) == set()


# -- approval ----------------------------------------------------------------------------------


def test_a_closed_case_is_never_destroyed_without_approval(counsellor: User) -> None:
    client = closed_client(counsellor, opened=OPENED, ended=ENDED)
    with on(DUE):
        output = run()
        output_again = run()
    assert Client.objects.filter(pk=client.pk).exists()
    assert f"Due, waiting for a manager's approval: case {client.reference}" in output
    assert output_again == output
    assert not DestructionRecord.objects.exists()


def test_approving_a_batch_records_the_manager_and_reason_and_changes_nothing_else(
    counsellor: User, manager: User
) -> None:
    client = closed_client(counsellor, opened=OPENED, ended=ENDED)
    with on(DUE):
        batch = client_services.approve_destruction_batch(
            [client], by=manager, reason="Annual retention review"
        )
    record = DestructionRecord.objects.get()
    assert (record.status, record.kind, record.batch, record.approved_by) == (
        "approved",
        "case",
        batch,
        manager,
    )
    assert (record.subject_reference, record.ended_on, record.due_on) == (
        client.reference,
        ENDED,
        DUE,
    )
    assert Client.objects.filter(pk=client.pk).exists()  # the run destroys, not the approval
    assert AuditEvent.objects.filter(action="retention.batch.approved").exists()


@pytest.mark.parametrize(
    ("day", "message"),
    [(DUE - datetime.timedelta(days=1), "not due"), (DUE, "")],
)
def test_approval_is_refused_for_a_case_not_yet_due(
    counsellor: User, manager: User, day: datetime.date, message: str
) -> None:
    client = closed_client(counsellor, opened=OPENED, ended=ENDED)
    with on(day):
        if message:
            with pytest.raises(client_services.ClientError, match=message):
                client_services.approve_destruction_batch([client], by=manager, reason="r")
            assert not DestructionBatch.objects.exists()
        else:
            client_services.approve_destruction_batch([client], by=manager, reason="r")
            # ... and a second approval of the same case is refused.
            with pytest.raises(client_services.ClientError, match="not due"):
                client_services.approve_destruction_batch([client], by=manager, reason="r")
            assert DestructionBatch.objects.count() == 1


def test_only_a_manager_approves_with_a_reason(counsellor: User, manager: User) -> None:
    client = closed_client(counsellor, opened=OPENED, ended=ENDED)
    with on(DUE):
        with pytest.raises(client_services.ClientError, match="service manager"):
            client_services.approve_destruction_batch([client], by=counsellor, reason="r")
        with pytest.raises(client_services.ClientError, match="reason"):
            client_services.approve_destruction_batch([client], by=manager, reason="  ")
    assert not DestructionRecord.objects.exists()


# -- destruction: crypto-shredding, deletion, the tombstone ------------------------------------


def populated_client(counsellor: User, colleague: User) -> dict[str, Any]:
    """A closed case with something in every app: an edited identity (history), signed and
    amended notes, a process note, a consent, a released disclosure in the register."""
    with on(OPENED):
        client = make_client(counsellor, given_name="Philippa", family_name="Quennell")
        identity = ClientIdentity.objects.get(client=client)
        client_services.update_identity(
            identity, by=counsellor, changes={"family_name": "Quennell-Hart"}
        )
        note = write_note(counsellor, client=client, texts=["Talked about the move"], sign=True)
        note_services.amend_note(
            note,
            by=counsellor,
            reason="Wrong date",
            session_date=note.session_date,
            duration_minutes=50,
            attendance="attended",
            entries=[
                # the first entry removed (its history stays), a new one added
                EntryInput(text="", entry_id=note.entries.get().pk, remove=True),
                EntryInput(text="Talked about the move north"),
            ],
        )
        write_note(counsellor, client=client, kind="process", texts=["My reflections"])
        from tests.consent.conftest import give

        give(client, counsellor)
        request = DisclosureRequest.objects.create(
            client=client,
            category_code="client_request",
            requester_kind="client",
            requester="The client",
            recipient="Dr Example",
            purpose="Referral",
            asked_for="A report",
            received_on=timezone.localdate(),
            status="released",
            released_at=timezone.now(),
            released_by=counsellor,
            raised_by=counsellor,
        )
        ReleasedDocument.objects.create(
            request=request, client=client, pdf=b"%PDF-1.7 report", sha256="0" * 64, size=15
        )
        RegisterEntry.objects.create(
            request=request,
            client=client,
            released_at=timezone.now(),
            category_code="client_request",
            basis="consent",
            recipient="Dr Example",
            purpose="Referral",
            sha256="0" * 64,
            recorded_by=counsellor,
        )
    with on(ENDED):
        client = client_services.end_counselling(client, by=counsellor, ended_on=ENDED)
    history = ClientIdentity.history.filter(id=identity.pk).order_by("history_date").first()
    ciphertext = (
        ClientIdentity.history.filter(history_id=history.history_id)
        .values_list("family_name", flat=True)
        .get()
        .data
    )
    return {"client": client, "identity": identity, "ciphertext": ciphertext}


def history_context(client: Client, identity: ClientIdentity) -> tuple[Any, RowContext]:
    field = ClientIdentity.history.model._meta.get_field("family_name")
    ctx = RowContext(
        label="clients.clientidentity",
        domain="identity",
        row_id=str(identity.pk),
        owner=client.pk,
        where="clients.historicalclientidentity",
        where_id=str(identity.pk),
    )
    return field, ctx


def approve_and_run(client: Client, manager: User, day: datetime.date = DUE) -> str:
    with on(day):
        client_services.approve_destruction_batch([client], by=manager, reason="Annual review")
        return run()


def test_destruction_shreds_the_keys_and_deletes_every_row_of_the_client(
    counsellor: User, colleague: User, manager: User, other_client: Client
) -> None:
    made = populated_client(counsellor, colleague)
    client, identity, ciphertext = made["client"], made["identity"], made["ciphertext"]
    field, ctx = history_context(client, identity)
    assert field.unseal(ciphertext, ctx) == "Quennell"  # a real history row's ciphertext
    assert rows_containing([ciphertext]) != []

    output = approve_and_run(client, manager)

    assert f"Destroyed: case {client.reference}" in output
    assert not Client.objects.filter(pk=client.pk).exists()
    assert not DataKey.objects.filter(owner=client.pk).exists()
    # The history row's ciphertext is gone from every table, and would not decrypt anyway.
    assert rows_containing([ciphertext]) == []
    with pytest.raises(DecryptionError) as failure:
        field.unseal(ciphertext, ctx)
    assert failure.value.reason == "no_data_key"
    # No table but the audit trail and the register names the case by id.
    assert rows_containing(id_forms(client.pk), exclude=MAY_NAME_THE_CASE) == []
    assert (
        rows_containing(
            [client.reference.encode()],
            exclude=MAY_NAME_THE_CASE | {"clients_erasurerequest"},
        )
        == []
    )
    # Someone else's records are untouched.
    assert ClientIdentity.objects.get(client=other_client).family_name == "Ashdown"


def test_the_tombstone_says_what_was_destroyed_and_who_approved_it(
    counsellor: User, colleague: User, manager: User
) -> None:
    client = populated_client(counsellor, colleague)["client"]
    approve_and_run(client, manager)
    record = DestructionRecord.objects.get(kind="case")
    assert record.status == "complete" and record.completed_at is not None
    assert (record.subject_reference, record.opened_on, record.ended_on) == (
        client.reference,
        OPENED,
        ENDED,
    )
    assert record.keys_shredded == 2  # identity and clinical
    assert record.batch.reason == "Annual review" and record.approved_by == manager
    for label in [
        "clients.client",
        "clients.clientidentity",
        "clients.historicalclientidentity",
        "notes.sessionnote",
        "notes.historicalnoteentry",
        "notes.noteamendment",
        "consent.consentevent",
        "consent.contracting",
        "disclosures.disclosurerequest",
        "disclosures.registerentry",
        "disclosures.releaseddocument",
    ]:
        assert record.categories.get(label, 0) >= 1, label
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "retention.destruction.started",
        "crypto.keys.shredded",
        "retention.destruction.completed",
    } <= actions


def test_a_destroyed_reference_is_never_given_to_a_new_client(
    counsellor: User, manager: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = closed_client(counsellor, opened=OPENED, ended=ENDED)
    approve_and_run(client, manager)
    from clients import models

    answers = iter([client.reference, "C-ZZZZ"])
    monkeypatch.setattr(models, "new_reference", lambda prefix="C": next(answers))
    assert make_client(counsellor).reference == "C-ZZZZ"


def test_the_clients_portal_sign_in_goes_with_them(counsellor: User, manager: User) -> None:
    client = closed_client(counsellor, opened=OPENED, ended=ENDED)
    user = make_user("portal-person", Role.CLIENT)
    ClientAccount.objects.create(user=user, client=client)
    approve_and_run(client, manager)
    assert not User.objects.filter(pk=user.pk).exists()


# -- the guards the destruction path alone gets past -------------------------------------------


def test_append_only_and_protected_rows_still_refuse_every_other_path(
    counsellor: User, colleague: User
) -> None:
    client = populated_client(counsellor, colleague)["client"]
    event = ConsentEvent.objects.filter(client=client).first()
    with pytest.raises(AppendOnlyError):
        ConsentEvent.objects.filter(client=client).delete()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(PermissionError):
        RegisterEntry.objects.filter(client=client).delete()
    with pytest.raises(PermissionError):
        RegisterEntry.objects.filter(client=client).first().delete()
    with transaction.atomic(), pytest.raises(ProtectedError):
        Client.objects.get(pk=client.pk).delete()
    # The destruction path's own tool works only inside a destruction.
    with transaction.atomic(), pytest.raises(retention.DestructionError, match="only by"):
        retention.destroy_rows(ConsentEvent.objects.filter(client=client))
    assert ConsentEvent.objects.filter(client=client).exists()
    assert RegisterEntry.objects.filter(client=client).exists()


def test_deleting_through_the_orm_would_leave_a_copying_history_row(
    counsellor: User, client_record: Client
) -> None:
    """Why destruction deletes rows raw: simple-history writes a "-" row on every delete."""
    note = write_note(counsellor, client=client_record, kind="process")
    entry = note.entries.get()
    entry_id = entry.pk
    before = NoteEntry.history.filter(id=entry_id).count()
    entry.delete()
    assert NoteEntry.history.filter(id=entry_id, history_type="-").count() == 1
    assert NoteEntry.history.filter(id=entry_id).count() == before + 1


# -- couples and groups ------------------------------------------------------------------------


@pytest.fixture
def couple(counsellor: User) -> dict[str, Any]:
    with on(OPENED):
        one = make_client(counsellor, given_name="Ana", family_name="One")
        two = make_client(counsellor, given_name="Bo", family_name="Two")
        case = client_services.create_joint_case(by=counsellor, kind="couple", members=[one, two])
        note = write_note(
            counsellor,
            joint_case=case,
            entries=[
                EntryInput(text="About both of them"),
                EntryInput(text="What Ana said", about=one),
                EntryInput(text="What Bo said", about=two),
            ],
        )
    for person in (one, two):
        with on(ENDED):
            client_services.end_counselling(person, by=counsellor, ended_on=ENDED)
    return {"one": one, "two": two, "case": case, "note": note}


def test_destroying_one_partner_deletes_only_the_entries_about_them(
    couple: dict[str, Any], manager: User
) -> None:
    one, two, case, note = couple["one"], couple["two"], couple["case"], couple["note"]
    approve_and_run(one, manager)
    texts = sorted(entry.text for entry in NoteEntry.objects.filter(note=note))
    assert texts == ["About both of them", "What Bo said"]
    assert list(JointCase.objects.get(pk=case.pk).members.all()) == [two]
    assert DataKey.objects.filter(owner=case.pk).exists()  # the joint case keeps its key
    assert not DestructionRecord.objects.filter(kind="joint_case").exists()


def test_the_joint_case_goes_with_its_last_member(couple: dict[str, Any], manager: User) -> None:
    one, two, case = couple["one"], couple["two"], couple["case"]
    approve_and_run(one, manager)
    approve_and_run(two, manager, DUE + datetime.timedelta(days=1))
    assert not JointCase.objects.filter(pk=case.pk).exists()
    assert not SessionNote.objects.exists() and not NoteEntry.history.exists()
    assert not DataKey.objects.filter(owner=case.pk).exists()
    part = DestructionRecord.objects.get(kind="joint_case")
    assert part.subject_reference == case.reference and part.status == "complete"
    assert part.part_of.subject_reference == two.reference and part.keys_shredded >= 1


def test_a_hold_on_one_partner_keeps_the_other(couple: dict[str, Any], manager: User) -> None:
    one, two = couple["one"], couple["two"]
    client_services.place_legal_hold(two, by=manager, reason="Court case")
    with on(DUE):
        assert all(c.held for c in retention.cases_due_for_approval())
        with pytest.raises(client_services.ClientError, match="legal hold"):
            client_services.approve_destruction_batch([one], by=manager, reason="r")
    assert Client.objects.filter(pk=one.pk).exists()


# -- the pages ---------------------------------------------------------------------------------

PERSONAS = ["counsellor", "supervisor", "administrator", "client_user", "outsider"]


@pytest.mark.parametrize("url_name", ["clients:retention", "clients:retention_register"])
def test_retention_pages_are_for_service_managers_only(
    url_name: str,
    request: pytest.FixtureRequest,
    manager: User,
    as_user: Callable[[User], HttpClient],
) -> None:
    url = reverse(url_name)
    assert as_user(manager).get(url).status_code == 200
    for persona in PERSONAS:
        assert as_user(request.getfixturevalue(persona)).get(url).status_code == 404, persona
    anonymous = HttpClient().get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")


def test_a_counsellor_cannot_post_an_approval(
    counsellor: User, manager: User, as_user: Callable[[User], HttpClient]
) -> None:
    client = closed_client(counsellor, opened=OPENED, ended=ENDED)
    with on(DUE):
        response = as_user(counsellor).post(
            reverse("clients:retention"),
            {"cases": [client.reference], "reason": "r", "confirm": "on"},
        )
    assert response.status_code == 404 and not DestructionRecord.objects.exists()


def test_a_manager_approves_a_batch_on_the_page(
    counsellor: User, manager: User, as_user: Callable[[User], HttpClient]
) -> None:
    client = closed_client(counsellor, opened=OPENED, ended=ENDED)
    other = closed_client(counsellor, opened=OPENED, ended=ENDED)
    with on(DUE):
        browser = as_user(manager)
        page = browser.get(reverse("clients:retention"))
        assert client.reference in page.content.decode()
        missing = browser.post(
            reverse("clients:retention"), {"cases": [client.reference], "reason": "Review"}
        )
        assert missing.status_code == 200 and "Tick the box" in missing.content.decode()
        assert not DestructionRecord.objects.exists()
        done = browser.post(
            reverse("clients:retention"),
            {"cases": [client.reference], "reason": "Review", "confirm": "on"},
        )
    assert done.status_code == 302
    assert list(DestructionRecord.objects.values_list("subject_reference", flat=True)) == [
        client.reference
    ]
    assert Client.objects.filter(pk=other.pk).exists()


def test_the_register_shows_tombstones_without_identity(
    counsellor: User, manager: User, as_user: Callable[[User], HttpClient]
) -> None:
    client = closed_client(
        counsellor, opened=OPENED, ended=ENDED, given_name="Wilhelmina", family_name="Zorn"
    )
    approve_and_run(client, manager)
    page = as_user(manager).get(reverse("clients:retention_register")).content.decode()
    assert client.reference in page and "Annual review" in page
    assert "Wilhelmina" not in page and "Zorn" not in page


def test_a_minors_due_date_on_the_page_is_an_audited_read(
    counsellor: User, manager: User, as_user: Callable[[User], HttpClient]
) -> None:
    client = closed_client(
        counsellor,
        opened=OPENED,
        ended=ENDED,
        is_minor=True,
        date_of_birth=datetime.date(2004, 6, 20),
    )
    with on(datetime.date(2029, 6, 20)):
        as_user(manager).get(reverse("clients:retention"))
    assert AuditEvent.objects.filter(
        action="retention.due_date.viewed", client_ref=client.reference
    ).exists()


def test_manager_summary_counts(counsellor: User, manager: User) -> None:
    closed_client(counsellor, opened=OPENED, ended=ENDED)
    with on(DUE):
        summary = retention.manager_summary()
    assert summary["cases_due_for_approval"] == 1
    assert summary["process_notes_due"] == 0
    assert summary["open_erasure_requests"] == 0
    assert summary["active_legal_holds"] == 0


def test_the_run_writes_nothing_when_nothing_is_due(counsellor: User) -> None:
    closed_client(counsellor, opened=OPENED, ended=ENDED)
    head = audit_head()
    run()
    assert audit_head() == head
    assert connection.vendor in {"sqlite", "postgresql"}


# -- the tombstone holds nothing of the client -------------------------------------------------


def test_tombstones_hold_no_canary_and_the_raw_copy_holds_none_either(
    transactional_audit: None, tmp_path: Any
) -> None:
    from tests.test_canary_scan import Canaries, database_copy, encodings, populate

    canary = Canaries()
    with on(OPENED):
        made = populate(canary)  # canaries in identity, notes, consent and disclosures
    client = made["identity"].client
    manager = make_user("max", Role.MANAGER)
    with on(ENDED):
        client_services.end_counselling(client, by=client.counsellor, ended_on=ENDED)
    with on(DUE):
        # populate left a legal hold standing: nothing can be approved or destroyed
        with pytest.raises(client_services.ClientError, match="legal hold"):
            client_services.approve_destruction_batch([client], by=manager, reason="Review")
        for hold in client.legal_holds.filter(lifted_at__isnull=True):
            client_services.lift_legal_hold(hold, by=manager, reason="Proceedings over")
        client_services.approve_destruction_batch([client], by=manager, reason="Annual review")
        output = run()
    assert f"Destroyed: case {client.reference}" in output
    assert not ConsentEvent.objects.filter(client_id=client.pk).exists()
    assert not RegisterEntry.objects.filter(client_id=client.pk).exists()

    secrets = [*canary.values.values(), *(d.isoformat() for d in canary.dates.values())]
    tombstones = [
        *DestructionRecord.objects.all(),
        *DestructionBatch.objects.all(),
    ]
    assert tombstones
    for row in tombstones:
        for model_field in row._meta.concrete_fields:
            value = str(model_field.value_from_object(row))
            for secret in secrets:
                assert secret not in value, f"{row._meta.label}.{model_field.name}"
    dump = database_copy(tmp_path)
    for secret in secrets:
        if secret == "self_harm":
            continue
        for encoded in encodings(secret):
            assert encoded not in dump
    # The destroyed client's id survives only in the audit trail and the register.
    assert rows_containing(id_forms(client.pk), exclude=MAY_NAME_THE_CASE) == []
