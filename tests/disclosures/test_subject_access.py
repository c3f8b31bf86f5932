"""Subject access requests: the deadline as the request lives (pauses, extensions), who may
act, and the bundle: everything held, process notes included, minus third-party entries
(unless a reason is recorded), minus serious-harm withholdings (each with a recent opinion),
minus sealed disclosures and anything revealing one."""

from __future__ import annotations

import datetime
import json
import subprocess
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from clients.models import ClientAccount
from consent.services import Capacity, grant
from disclosures import services, subject_access
from disclosures.models import (
    DisclosureRequest,
    RegisterEntry,
    ReleasedDocument,
    Status,
    SubjectAccessPause,
    SubjectAccessRequest,
)
from disclosures.subject_access import AccessRequestError, Withheld
from notes import services as note_services
from notes.services import EntryInput
from practice.accounts.models import Role, User
from practice.audit.models import AuditEvent
from tests.conftest import make_client, make_user
from tests.disclosures.conftest import upload

SEALED_RECIPIENT = "Counter Terrorism Policing North"
SEALED_PURPOSE = "Section 38B disclosure about a plan"


@pytest.fixture
def reviewer(db: None) -> User:
    return make_user("mia", Role.MANAGER)


@pytest.fixture
def portal_user(client_record: Any) -> User:
    user = make_user("c-portal-1", Role.CLIENT)
    ClientAccount.objects.create(user=user, client=client_record)
    return user


@pytest.fixture
def process_note(counsellor: User, client_record: Any) -> Any:
    note = note_services.create_note(
        by=counsellor,
        kind="process",
        client=client_record,
        session_date=timezone.localdate(),
        duration_minutes=50,
        attendance="attended",
        entries=[EntryInput(text="PROCESS-NOTE: my sense of being pushed away today.")],
    )
    return note


def _sar(by: User, client: Any, **values: Any) -> SubjectAccessRequest:
    defaults = dict(
        channel="letter",
        received_on=timezone.localdate(),
        identity_verified=True,
        identity_verified_how="Passport seen at reception",
    )
    return subject_access.request_access(client, by=by, **{**defaults, **values})


def _release_sealed(counsellor: User, supervisor: User, manager: User, client: Any, entry: Any):
    sealed = services.raise_request(
        by=counsellor,
        client=client,
        category_code="terrorism",
        requester_kind="practice",
        requester="Practice",
        recipient=SEALED_RECIPIENT,
        purpose=SEALED_PURPOSE,
        asked_for="Relevant notes",
        received_on=timezone.localdate(),
    )
    services.choose_content(sealed, by=counsellor, entry_ids=[entry.pk])
    services.clear_consent(sealed, by=counsellor, outcome="must_not_seek")
    services.sign_off(sealed, by=supervisor)
    services.approve(sealed, by=manager)
    services.release(sealed, by=manager)
    return sealed


# -- making a request ---------------------------------------------------------------------------


def test_the_client_asks_in_the_portal_and_the_clock_starts_today(
    portal_user: User, client_record: Any
) -> None:
    sar = subject_access.request_access(client_record, by=portal_user, channel="letter")
    assert sar.channel == "portal" and sar.received_on == timezone.localdate()
    assert sar.identity_verified and sar.status == SubjectAccessRequest.Status.OPEN
    event = AuditEvent.objects.filter(action="subject_access.requested").get()
    assert event.data == {"channel": "portal", "identity_verified": True}


def test_a_request_recorded_without_verified_identity_waits_for_it(
    counsellor: User, client_record: Any
) -> None:
    received = timezone.localdate() - datetime.timedelta(days=10)
    sar = _sar(counsellor, client_record, received_on=received, identity_verified=False)
    assert sar.status == SubjectAccessRequest.Status.PAUSED
    pause = sar.pauses.get()
    assert pause.reason == SubjectAccessPause.Reason.IDENTITY and pause.started_on == received
    with pytest.raises(AccessRequestError, match="identity"):
        subject_access.resume(sar, by=counsellor)
    subject_access.verify_identity(sar, by=counsellor, how="Driving licence, in person")
    sar.refresh_from_db()
    assert sar.status == SubjectAccessRequest.Status.OPEN
    # The month starts when identity is confirmed (ICO), ten days after receipt.
    assert sar.due_on() == subject_access.add_months(timezone.localdate(), 1)


@pytest.mark.parametrize("persona", ["colleague", "supervisor", "administrator", "outsider"])
def test_only_the_client_their_counsellor_or_a_manager_records_a_request(
    persona: str, request: pytest.FixtureRequest, client_record: Any
) -> None:
    with pytest.raises(AccessRequestError):
        _sar(request.getfixturevalue(persona), client_record)
    assert not SubjectAccessRequest.objects.exists()


def test_another_clients_account_cannot_ask_for_these_records(
    client_record: Any, other_client: Any
) -> None:
    stranger = make_user("c-portal-2", Role.CLIENT)
    ClientAccount.objects.create(user=stranger, client=other_client)
    with pytest.raises(AccessRequestError):
        subject_access.request_access(client_record, by=stranger, channel="portal")


def test_bad_input_is_refused_and_changes_nothing(counsellor: User, client_record: Any) -> None:
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    for values in (
        {"received_on": tomorrow},
        {"channel": "portal"},
        {"channel": "carrier pigeon"},
        {"identity_verified_how": " "},
        {"details": "x" * 4001},
    ):
        with pytest.raises(AccessRequestError):
            _sar(counsellor, client_record, **values)
    assert not SubjectAccessRequest.objects.exists()


def test_one_request_at_a_time(counsellor: User, manager: User, client_record: Any) -> None:
    _sar(counsellor, client_record)
    with pytest.raises(AccessRequestError, match="already in progress"):
        _sar(manager, client_record)


# -- the clock ----------------------------------------------------------------------------------


def test_due_date_pause_and_resume_move_the_deadline(counsellor: User, client_record: Any) -> None:
    with time_machine.travel(datetime.datetime(2027, 1, 31, 10, tzinfo=datetime.UTC), tick=False):
        sar = _sar(counsellor, client_record)
        assert sar.due_on() == datetime.date(2027, 2, 28)
    with time_machine.travel(datetime.datetime(2027, 2, 3, 10, tzinfo=datetime.UTC), tick=False):
        subject_access.pause(sar, by=counsellor, reason="clarification")
    with time_machine.travel(datetime.datetime(2027, 2, 8, 10, tzinfo=datetime.UTC), tick=False):
        sar.refresh_from_db()
        assert sar.status == SubjectAccessRequest.Status.PAUSED
        # While paused the deadline keeps moving with each day waited.
        assert sar.due_on() == datetime.date(2027, 3, 5)
        assert not sar.is_overdue()
        subject_access.resume(sar, by=counsellor)
    with time_machine.travel(datetime.datetime(2027, 3, 4, 10, tzinfo=datetime.UTC), tick=False):
        sar.refresh_from_db()
        assert sar.due_on() == datetime.date(2027, 3, 5)
        assert not sar.is_overdue()
    with time_machine.travel(datetime.datetime(2027, 3, 6, 10, tzinfo=datetime.UTC), tick=False):
        assert sar.is_overdue()


def test_an_extension_needs_a_reason_tells_the_client_and_stops_at_two_months(
    counsellor: User, client_record: Any, mailoutbox: list[Any]
) -> None:
    client_record.identity.email = "jordan@example.org"
    client_record.identity.save()
    with time_machine.travel(datetime.datetime(2027, 3, 31, 10, tzinfo=datetime.UTC), tick=False):
        sar = _sar(counsellor, client_record)
        assert sar.due_on() == datetime.date(2027, 4, 30)
        with pytest.raises(AccessRequestError, match="why"):
            subject_access.extend(sar, by=counsellor, months=1, reason=" ")
        with pytest.raises(AccessRequestError, match="two months"):
            subject_access.extend(sar, by=counsellor, months=3, reason="Very complex")
        with django_capture_on_commit():
            subject_access.extend(sar, by=counsellor, months=1, reason="Many records to review")
        sar.refresh_from_db()
        assert sar.due_on() == datetime.date(2027, 5, 31)
        subject_access.extend(sar, by=counsellor, months=1, reason="Still reviewing")
        sar.refresh_from_db()
        assert sar.extension_months == 2 and sar.due_on() == datetime.date(2027, 6, 30)
        with pytest.raises(AccessRequestError, match="two months"):
            subject_access.extend(sar, by=counsellor, months=1, reason="More")
    assert mailoutbox, "the client is told of the extension"
    body = mailoutbox[0].body + mailoutbox[0].subject
    assert (
        "Many records" not in body and "Jordan" not in body and client_record.reference not in body
    )


def django_capture_on_commit() -> Any:
    """Run on_commit callbacks at once inside the test's transaction."""
    from unittest import mock

    return mock.patch("django.db.transaction.on_commit", side_effect=lambda func, *a, **k: func())


def test_an_extension_comes_within_the_first_month(counsellor: User, client_record: Any) -> None:
    received = timezone.localdate() - datetime.timedelta(days=40)
    sar = _sar(counsellor, client_record, received_on=received)
    with pytest.raises(AccessRequestError, match="within the first month"):
        subject_access.extend(sar, by=counsellor, months=1, reason="Complex")


def test_open_requests_list_overdue_first(
    counsellor: User, client_record: Any, other_client: Any, colleague: User
) -> None:
    today = timezone.localdate()
    recent = _sar(counsellor, client_record, received_on=today)
    old = _sar(colleague, other_client, received_on=today - datetime.timedelta(days=45))
    third = make_client(counsellor, given_name="Sam", family_name="Third")
    paused = _sar(counsellor, third, identity_verified=False)
    assert old.is_overdue()
    assert [s.pk for s in subject_access.open_requests()] == [old.pk, recent.pk, paused.pk]


# -- the bundle ---------------------------------------------------------------------------------


@pytest.fixture
def prepared(
    counsellor: User, client_record: Any, entries: list[Any], process_note: Any
) -> tuple[SubjectAccessRequest, DisclosureRequest]:
    sar = _sar(counsellor, client_record)
    bundle = subject_access.prepare_bundle(sar, by=counsellor)
    sar.refresh_from_db()
    return sar, bundle


def _pdf_text(content: bytes, tmp_path: Any) -> str:
    path = tmp_path / "bundle.pdf"
    path.write_bytes(content)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout


def test_the_proposed_bundle_holds_every_entry_but_third_party_ones(
    prepared: tuple[SubjectAccessRequest, DisclosureRequest], entries: list[Any], process_note: Any
) -> None:
    sar, bundle = prepared
    assert bundle.category_code == "subject_access" and bundle.status == Status.CONSENT_CLEARED
    included = set(bundle.items.values_list("entry_id", flat=True))
    third_party = entries[2]
    assert third_party.is_third_party and third_party.pk not in included
    assert {entries[0].pk, entries[1].pk} <= included
    # Process notes are part of the record the client may see (no carve-out in UK law),
    # drafts included: what exists is what is disclosed.
    assert process_note.entries.get().pk in included
    assert subject_access.bundle_problems(bundle) == []
    assert sar.bundle == bundle


def test_only_the_counsellor_prepares_and_chooses(
    manager: User, colleague: User, counsellor: User, client_record: Any, entries: list[Any]
) -> None:
    sar = _sar(manager, client_record)
    for person in (manager, colleague):
        with pytest.raises(AccessRequestError):
            subject_access.prepare_bundle(sar, by=person)
    bundle = subject_access.prepare_bundle(sar, by=counsellor)
    with pytest.raises(AccessRequestError):
        subject_access.choose_bundle_content(bundle, by=manager, include=[])


def test_every_entry_goes_in_unless_withheld_with_a_basis(
    prepared: tuple[SubjectAccessRequest, DisclosureRequest], counsellor: User, entries: list[Any]
) -> None:
    _, bundle = prepared
    before = set(bundle.items.values_list("entry_id", flat=True))
    with pytest.raises(AccessRequestError, match="withheld under an exemption"):
        subject_access.choose_bundle_content(bundle, by=counsellor, include=[entries[0].pk])
    recent = timezone.localdate() - datetime.timedelta(days=30)
    old = subject_access.add_months(timezone.localdate(), -6) - datetime.timedelta(days=1)
    rest = [e.pk for e in subject_access.candidate_entries(bundle.client) if e.pk != entries[1].pk]
    rest.remove(entries[2].pk)
    for harm, message in (
        (Withheld(basis=" ", opinion_by="Dr Shah", opinion_on=recent), "basis"),
        (Withheld(basis="Risk of self-harm", opinion_by="", opinion_on=recent), "basis"),
        (Withheld(basis="Risk", opinion_by="Dr Shah", opinion_on=old), "six months"),
        (
            Withheld(
                basis="Risk",
                opinion_by="Dr Shah",
                opinion_on=timezone.localdate() + datetime.timedelta(days=1),
            ),
            "future",
        ),
    ):
        with pytest.raises(AccessRequestError, match=message):
            subject_access.choose_bundle_content(
                bundle, by=counsellor, include=rest, withhold={str(entries[1].pk): harm}
            )
    assert set(bundle.items.values_list("entry_id", flat=True)) == before
    assert not bundle.withholdings.exists()


def test_third_party_information_goes_in_only_with_a_reason(
    prepared: tuple[SubjectAccessRequest, DisclosureRequest], counsellor: User, entries: list[Any]
) -> None:
    _, bundle = prepared
    everything = [e.pk for e in subject_access.candidate_entries(bundle.client)]
    with pytest.raises(AccessRequestError, match="Third-party"):
        subject_access.choose_bundle_content(bundle, by=counsellor, include=everything)
    subject_access.choose_bundle_content(
        bundle,
        by=counsellor,
        include=everything,
        third_party_reasons={str(entries[2].pk): "The sister agreed in writing."},
    )
    assert bundle.items.get(entry=entries[2]).third_party_reason == "The sister agreed in writing."


def test_an_entry_of_another_client_or_the_partner_is_refused(
    prepared: tuple[SubjectAccessRequest, DisclosureRequest],
    counsellor: User,
    colleague: User,
    other_client: Any,
) -> None:
    _, bundle = prepared
    stranger_note = note_services.create_note(
        by=colleague,
        kind="factual",
        client=other_client,
        session_date=timezone.localdate(),
        duration_minutes=50,
        attendance="attended",
        entries=[EntryInput(text="Someone else's session")],
    )
    everything = [
        e.pk for e in subject_access.candidate_entries(bundle.client) if not e.is_third_party
    ]
    with pytest.raises(AccessRequestError, match="about this client"):
        subject_access.choose_bundle_content(
            bundle, by=counsellor, include=[*everything, stranger_note.entries.get().pk]
        )


def test_an_entry_written_after_preparation_blocks_release_until_reviewed(
    prepared: tuple[SubjectAccessRequest, DisclosureRequest],
    counsellor: User,
    client_record: Any,
    reviewer: User,
) -> None:
    sar, bundle = prepared
    note_services.create_note(
        by=counsellor,
        kind="factual",
        client=client_record,
        session_date=timezone.localdate(),
        duration_minutes=50,
        attendance="attended",
        entries=[EntryInput(text="A later session")],
    )
    with pytest.raises(services.ReleaseBlocked, match="neither in the bundle"):
        subject_access.release_bundle(sar, by=reviewer)


def test_an_opinion_that_has_aged_past_six_months_blocks_release(
    prepared: tuple[SubjectAccessRequest, DisclosureRequest],
    counsellor: User,
    entries: list[Any],
    reviewer: User,
) -> None:
    sar, bundle = prepared
    rest = [
        e.pk
        for e in subject_access.candidate_entries(bundle.client)
        if not e.is_third_party and e.pk != entries[1].pk
    ]
    opinion = timezone.localdate() - datetime.timedelta(days=170)
    subject_access.choose_bundle_content(
        bundle,
        by=counsellor,
        include=rest,
        withhold={str(entries[1].pk): Withheld("Risk to health", "Dr Shah, psychiatrist", opinion)},
    )
    later = timezone.now() + datetime.timedelta(days=20)
    with time_machine.travel(later), pytest.raises(services.ReleaseBlocked, match="six\\s+months"):
        subject_access.release_bundle(sar, by=reviewer)
    bundle.refresh_from_db()
    assert bundle.status == Status.CONSENT_CLEARED


def test_the_preparer_cannot_review_their_own_bundle(
    prepared: tuple[SubjectAccessRequest, DisclosureRequest], counsellor: User, manager: User
) -> None:
    sar, bundle = prepared
    with pytest.raises(services.DisclosureError):
        subject_access.release_bundle(sar, by=counsellor)
    assert not ReleasedDocument.objects.exists()


def test_the_released_bundle_is_everything_but_the_exemptions_and_never_a_sealed_disclosure(
    counsellor: User,
    supervisor: User,
    manager: User,
    reviewer: User,
    client_record: Any,
    entries: list[Any],
    process_note: Any,
    mailoutbox: list[Any],
    tmp_path: Any,
) -> None:
    identity = client_record.identity
    identity.email = "jordan@example.org"
    identity.address = "12 Canal Street, Exampleton"
    identity.save()
    grant(
        client_record,
        by=counsellor,
        scope="supervision",
        evidence="signed_form",
        upload=upload(),
    )
    grant(
        client_record,
        by=counsellor,
        scope="disclosure",
        evidence="e_signature",
        signature_name="Jordan Fielding",
        recipient="Dr Patel, GP",
        purpose="Continuity of care",
        material="A summary",
        capacity=Capacity(assessed_by=counsellor, outcome="has_capacity"),
    )
    court = services.raise_request(
        by=counsellor,
        client=client_record,
        category_code="client_request",
        requester_kind="client",
        requester="The client",
        recipient="Dr Patel, GP",
        purpose="Continuity of care",
        asked_for="A summary",
        received_on=timezone.localdate(),
        documents=[("release_form", upload())],
    )
    services.choose_content(court, by=counsellor, entry_ids=[entries[0].pk])
    consent = client_record.consent_events.filter(scope="disclosure").get()
    services.clear_consent(court, by=counsellor, outcome="consented", consent=consent)
    services.sign_off(court, by=supervisor)
    services.approve(court, by=manager)
    services.release(court, by=counsellor)
    sealed = _release_sealed(counsellor, supervisor, manager, client_record, entries[0])

    sar = _sar(counsellor, client_record)
    subject_access.prepare_bundle(sar, by=counsellor)
    mailoutbox.clear()
    with django_capture_on_commit():
        released = subject_access.release_bundle(sar, by=reviewer)

    sar.refresh_from_db()
    assert sar.status == SubjectAccessRequest.Status.RELEASED and sar.completed_at
    assert released.request.status == Status.RELEASED
    pdf_text = " ".join(_pdf_text(released.document.pdf, tmp_path).split())
    snapshot = json.dumps(json.loads(released.document.content_json))
    for text in (pdf_text, snapshot):
        assert "PROCESS-NOTE" in text  # process notes are included
        assert "accident" in text  # factual entries
        assert "drink too much" not in text  # third-party entry left out
        assert "Canal Street" in text  # identity record
        assert "Dr Patel, GP" in text  # the register and the consents
        assert "Keeping records" in text or "supervision" in text.lower()
        assert "Information Commissioner" in text  # supplementary information
        for secret in (SEALED_RECIPIENT, SEALED_PURPOSE, sealed.reference, "errorism"):
            assert secret not in text, f"{secret!r} revealed in the bundle"
    assert sealed.reference not in json.dumps(
        [e.data for e in AuditEvent.objects.filter(action__startswith="subject_access")]
    )
    # The register records the bundle like any other release, not sealed.
    entry = RegisterEntry.objects.get(request=released.request)
    assert entry.category_code == "subject_access" and not entry.sealed
    # The client is told by an e-mail that says nothing about what is in it.
    assert [m.to for m in mailoutbox] == [["jordan@example.org"]]
    assert "accident" not in mailoutbox[0].body and "Jordan" not in mailoutbox[0].body


def test_a_couple_bundle_holds_only_the_clients_own_entries(
    counsellor: User, reviewer: User, tmp_path: Any
) -> None:
    from clients import services as client_services

    one = make_client(counsellor, given_name="Alex", family_name="One")
    two = make_client(counsellor, given_name="Bea", family_name="Two")
    case = client_services.create_joint_case(by=counsellor, members=[one, two], kind="couple")
    note_services.create_note(
        by=counsellor,
        kind="factual",
        joint_case=case,
        session_date=timezone.localdate(),
        duration_minutes=50,
        attendance="attended",
        entries=[
            EntryInput(text="ALEX-OWN: spoke about work", about=one),
            EntryInput(text="BEA-OWN: spoke about her mother", about=two),
            EntryInput(text="BOTH: agreed to weekly sessions"),
        ],
    )
    sar = _sar(counsellor, one)
    bundle = subject_access.prepare_bundle(sar, by=counsellor)
    released = subject_access.release_bundle(sar, by=reviewer)
    text = json.loads(released.document.content_json)
    flat = json.dumps(text)
    assert "ALEX-OWN" in flat
    assert "BEA-OWN" not in flat and "Bea" not in flat and "BOTH:" not in flat
    assert bundle.items.count() == 1


def test_a_disclosure_the_client_was_deliberately_not_told_about_stays_out_of_their_view(
    counsellor: User,
    supervisor: User,
    manager: User,
    client_record: Any,
    entries: list[Any],
) -> None:
    from tests.disclosures.conftest import raise_court_order

    told = raise_court_order(counsellor, client_record, recipient="Family Court Told")
    untold = raise_court_order(counsellor, client_record, recipient="Family Court Untold")
    for req, notify in ((told, True), (untold, False)):
        services.choose_content(req, by=counsellor, entry_ids=[entries[0].pk])
        services.clear_consent(
            req,
            by=counsellor,
            outcome="not_required",
            reason="Court order served",
            notify_client=notify,
            no_notify_reason="" if notify else "The court directed that the client is not told.",
        )
        services.sign_off(req, by=supervisor)
        services.approve(req, by=manager)
        services.release(req, by=counsellor)
    visible = RegisterEntry.objects.filter(client=client_record).visible_to_client()
    assert [entry.recipient for entry in visible] == ["Family Court Told"]


# -- supervision points and the crime (tipping-off) exemption ----------------------------------

REPORTED = "Considering a report to the NCA about the cash they mentioned (PANGOLIN)."
KEPT_POINT = "Stuck on the grief work; bring to supervision."


def test_supervision_points_go_in_unless_withheld_and_a_crime_withholding_needs_no_opinion(
    counsellor: User, client_record: Any, entries: list[Any], reviewer: User
) -> None:
    kept = note_services.share_supervision_point(client_record, by=counsellor, text=KEPT_POINT)
    reported = note_services.share_supervision_point(client_record, by=counsellor, text=REPORTED)
    sar = _sar(counsellor, client_record)
    bundle = subject_access.prepare_bundle(sar, by=counsellor)
    assert set(bundle.bundle_points.values_list("point_id", flat=True)) == {kept.pk, reported.pk}
    everything = [e.pk for e in subject_access.candidate_entries(client_record)]
    ordinary = [e.pk for e in entries if not e.is_third_party]
    rest = [pk for pk in everything if pk != entries[2].pk and pk != ordinary[0]]

    # A point cannot be left unaccounted for, nor withheld without a basis.
    with pytest.raises(AccessRequestError, match="Every supervision point"):
        subject_access.choose_bundle_content(
            bundle, by=counsellor, include=rest + [ordinary[0]], include_points=[kept.pk]
        )
    with pytest.raises(AccessRequestError, match="basis"):
        subject_access.choose_bundle_content(
            bundle,
            by=counsellor,
            include=rest + [ordinary[0]],
            include_points=[kept.pk],
            withhold_points={str(reported.pk): Withheld(" ", exemption="crime")},
        )

    crime = Withheld("Would reveal a report to the NCA (tipping off)", exemption="crime")
    subject_access.choose_bundle_content(
        bundle,
        by=counsellor,
        include=rest,
        withhold={str(ordinary[0]): crime},
        include_points=[kept.pk],
        withhold_points={str(reported.pk): crime},
    )
    summary = subject_access.overview(bundle)
    assert summary.points_included == 1
    assert {(w.entry_id, w.point_id, w.exemption) for w in summary.withheld} == {
        (ordinary[0], None, "crime"),
        (None, reported.pk, "crime"),
    }
    released = subject_access.release_bundle(sar, by=reviewer)
    snapshot = json.dumps(json.loads(released.document.content_json))
    assert KEPT_POINT in snapshot
    assert "PANGOLIN" not in snapshot
    withheld_text = entries[0].text if entries[0].pk == ordinary[0] else entries[1].text
    assert withheld_text not in snapshot


def test_a_point_shared_after_the_bundle_was_prepared_blocks_release_until_chosen(
    prepared: tuple[SubjectAccessRequest, DisclosureRequest],
    counsellor: User,
    client_record: Any,
    reviewer: User,
) -> None:
    sar, bundle = prepared
    late = note_services.share_supervision_point(client_record, by=counsellor, text=REPORTED)
    with pytest.raises(services.ReleaseBlocked, match="supervision point"):
        subject_access.release_bundle(sar, by=reviewer)
    assert "PANGOLIN" not in json.dumps(
        [item.heading for item in subject_access.build_bundle(bundle).items]
    )
    subject_access.choose_bundle_content(
        bundle,
        by=counsellor,
        include=[i.entry_id for i in bundle.items.all()],
        include_points=[],
        withhold_points={str(late.pk): Withheld("Tipping off", exemption="crime")},
    )
    released = subject_access.release_bundle(sar, by=reviewer)
    assert "PANGOLIN" not in released.document.content_json


def test_process_notes_stay_while_the_request_for_records_is_open(
    counsellor: User, client_record: Any, entries: list[Any], reviewer: User
) -> None:
    from notes.models import SessionNote
    from tests.clients.retention_helpers import on, run
    from tests.notes.conftest import write_note

    session_day = timezone.localdate() - datetime.timedelta(days=10)
    with on(session_day):
        note = write_note(
            counsellor, client=client_record, kind="process", session_date=session_day
        )
    sar = _sar(counsellor, client_record)
    subject_access.prepare_bundle(sar, by=counsellor)
    note_services.record_supervision(
        by=counsellor,
        counsellor=counsellor,
        held_on=session_day + datetime.timedelta(days=1),
        cases=[client_record],
    )
    kept = "Kept (their request for their records is open): process notes of"
    assert f"{kept} {client_record.reference}" in run()
    assert SessionNote.objects.filter(pk=note.pk).exists()

    released = subject_access.release_bundle(sar, by=reviewer)
    assert note.entries.first().text in released.document.content_json
    assert f"Destroyed: process notes of {client_record.reference}" in run()
    assert not SessionNote.objects.filter(pk=note.pk).exists()
