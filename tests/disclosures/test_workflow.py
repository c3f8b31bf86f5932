"""The disclosure gates: each category's rules, separation of duties, consent at release."""

from __future__ import annotations

import pytest
from django.utils import timezone

from clients.models import LegalHold
from consent import services as consent_services
from disclosures import services
from disclosures.models import GateDecision, Status
from practice.accounts.models import Role
from practice.audit.models import AuditEvent
from tests.conftest import make_user
from tests.disclosures.conftest import (
    approved_court_order,
    disclosure_consent,
    raise_court_order,
    upload,
)

pytestmark = pytest.mark.django_db


def test_a_court_order_moves_through_every_gate(
    counsellor, supervisor, manager, client_record, entries
) -> None:
    req = approved_court_order(counsellor, supervisor, manager, client_record, entries)
    assert req.status == Status.APPROVED
    assert services.release_blockers(req) == []
    gates = [d.gate for d in req.decisions.all()]
    assert gates == ["consent", "supervisor", "manager"]


def test_a_court_order_places_a_legal_hold(counsellor, client_record) -> None:
    req = raise_court_order(counsellor, client_record)
    hold = LegalHold.objects.get(client=client_record)
    assert hold.source == "court_order" and hold.source_id == str(req.pk) and hold.is_active


def test_a_complaint_places_a_legal_hold_too(counsellor, client_record) -> None:
    services.raise_request(
        by=counsellor,
        client=client_record,
        category_code="complaint",
        requester_kind="professional_body",
        requester="BACP",
        recipient="BACP",
        purpose="Conduct hearing",
        asked_for="Relevant notes",
        received_on=timezone.localdate(),
    )
    assert LegalHold.objects.filter(client=client_record, source="complaint").exists()


def test_a_solicitors_letter_alone_never_reaches_release(
    counsellor, supervisor, manager, client_record, entries
) -> None:
    req = services.raise_request(
        by=counsellor,
        client=client_record,
        category_code="client_request",
        requester_kind="solicitor",
        requester="Smith & Co",
        recipient="Smith & Co",
        purpose="Personal injury claim",
        asked_for="Notes",
        received_on=timezone.localdate(),
        documents=[("solicitor_letter", upload("letter.pdf"))],
    )
    services.choose_content(req, by=counsellor, entry_ids=[entries[0].pk])
    consent = disclosure_consent(
        counsellor, client_record, recipient="Smith & Co", purpose="Personal injury claim"
    )
    services.clear_consent(req, by=counsellor, outcome="consented", consent=consent)
    services.sign_off(req, by=supervisor)
    with pytest.raises(services.ReleaseBlocked, match="solicitor's letter is not enough"):
        services.approve(req, by=manager)
    services.attach_document(req, by=counsellor, kind="release_form", upload=upload("form.pdf"))
    services.approve(req, by=manager)


def test_road_traffic_only_from_a_police_request(counsellor, client_record) -> None:
    for kind in ("practice", "solicitor", "client"):
        with pytest.raises(services.DisclosureError, match="police"):
            services.raise_request(
                by=counsellor,
                client=client_record,
                category_code="road_traffic",
                requester_kind=kind,
                requester="x",
                recipient="x",
                purpose="x",
                asked_for="x",
                received_on=timezone.localdate(),
            )
    req = services.raise_request(
        by=counsellor,
        client=client_record,
        category_code="road_traffic",
        requester_kind="police",
        requester="PC Jones",
        recipient="Thames Police",
        purpose="s.172 enquiry",
        asked_for="Attendance dates",
        received_on=timezone.localdate(),
    )
    assert services.content_and_evidence_problems(req)[0].startswith("Attach the police request")


def test_sealed_categories_must_not_seek_consent_and_never_notify(
    counsellor, client_record
) -> None:
    req = services.raise_request(
        by=counsellor,
        client=client_record,
        category_code="terrorism",
        requester_kind="practice",
        requester="Practice",
        recipient="Counter Terrorism Policing",
        purpose="s.38B",
        asked_for="Relevant notes",
        received_on=timezone.localdate(),
    )
    assert req.is_sealed and not req.notify_client
    with pytest.raises(services.DisclosureError):
        services.clear_consent(req, by=counsellor, outcome="consented")
    services.clear_consent(req, by=counsellor, outcome="must_not_seek", notify_client=True)
    req.refresh_from_db()
    assert not req.notify_client, "tipping off: the client is never told"
    assert req.decision("consent").outcome == "must_not_seek"
    assert AuditEvent.objects.filter(action="disclosure.raised", data__sealed=True).exists()


def test_safeguarding_needs_the_supervisor_consulted_first(counsellor, client_record) -> None:
    req = services.raise_request(
        by=counsellor,
        client=client_record,
        category_code="child_safeguarding",
        requester_kind="practice",
        requester="Practice",
        recipient="Children's services",
        purpose="Referral",
        asked_for="Concern",
        received_on=timezone.localdate(),
    )
    with pytest.raises(services.DisclosureError, match="Consult your supervisor"):
        services.clear_consent(
            req, by=counsellor, outcome="raises_risk", reason="Would alert the parent"
        )
    services.record_consultation(
        req, by=counsellor, gate="supervisor_consulted", reason="Spoke to Suki; agreed"
    )
    services.clear_consent(
        req,
        by=counsellor,
        outcome="raises_risk",
        reason="Would alert the parent",
        notify_client=False,
        no_notify_reason="Raises the risk to the child",
    )
    req.refresh_from_db()
    assert req.status == Status.CONSENT_CLEARED and not req.notify_client


def test_complaints_need_advisers_consulted(
    counsellor, supervisor, manager, client_record, entries
) -> None:
    req = services.raise_request(
        by=counsellor,
        client=client_record,
        category_code="complaint",
        requester_kind="professional_body",
        requester="BACP",
        recipient="BACP",
        purpose="Conduct hearing",
        asked_for="Relevant notes",
        received_on=timezone.localdate(),
    )
    services.choose_content(req, by=counsellor, entry_ids=[entries[0].pk])
    services.clear_consent(
        req, by=counsellor, outcome="proceed_without", reason="Client declined; legal claim"
    )
    services.sign_off(req, by=supervisor)
    with pytest.raises(services.ReleaseBlocked, match="advisers"):
        services.approve(req, by=manager)
    services.record_consultation(
        req, by=counsellor, gate="advisers_consulted", reason="Insurer's legal line"
    )
    services.approve(req, by=manager)


def test_client_request_needs_a_covering_consent_for_that_recipient(
    counsellor, client_record
) -> None:
    req = services.raise_request(
        by=counsellor,
        client=client_record,
        category_code="client_request",
        requester_kind="client",
        requester="The client",
        recipient="Dr Patel, GP",
        purpose="Continuity of care",
        asked_for="A summary",
        received_on=timezone.localdate(),
    )
    wrong = disclosure_consent(counsellor, client_record, recipient="Someone else")
    with pytest.raises(services.DisclosureError, match="different recipient"):
        services.clear_consent(req, by=counsellor, outcome="consented", consent=wrong)
    with pytest.raises(services.DisclosureError):
        services.clear_consent(req, by=counsellor, outcome="not_required", reason="x")
    right = disclosure_consent(counsellor, client_record)
    services.clear_consent(req, by=counsellor, outcome="consented", consent=right)


def test_another_clients_consent_never_covers(
    counsellor, client_record, other_client, colleague
) -> None:
    req = services.raise_request(
        by=counsellor,
        client=client_record,
        category_code="client_request",
        requester_kind="client",
        requester="x",
        recipient="Dr Patel, GP",
        purpose="Continuity of care",
        asked_for="x",
        received_on=timezone.localdate(),
    )
    theirs = disclosure_consent(colleague, other_client)
    with pytest.raises(services.DisclosureError, match="someone else"):
        services.clear_consent(req, by=counsellor, outcome="consented", consent=theirs)


def test_publication_without_consent_only_when_anonymised(counsellor, client_record) -> None:
    req = services.raise_request(
        by=counsellor,
        client=client_record,
        category_code="research",
        requester_kind="researcher",
        requester="Uni",
        recipient="Uni",
        purpose="Study",
        asked_for="Anonymised themes",
        received_on=timezone.localdate(),
    )
    with pytest.raises(services.DisclosureError, match="not given consent"):
        services.clear_consent(req, by=counsellor, outcome="consented")
    services.clear_consent(req, by=counsellor, outcome="anonymised")
    req.refresh_from_db()
    assert req.anonymised


def test_separation_of_duties(counsellor, supervisor, manager, client_record, entries) -> None:
    both = make_user("boss", Role.MANAGER, Role.SUPERVISOR)
    req = raise_court_order(counsellor, client_record)
    services.choose_content(req, by=counsellor, entry_ids=[entries[0].pk])
    services.clear_consent(req, by=counsellor, outcome="not_required", reason="Order")
    with pytest.raises(services.DisclosureError):
        services.sign_off(req, by=counsellor)  # not a supervisor, and the requester
    counsellor.supervisor = both
    counsellor.save()
    services.sign_off(req, by=both)
    with pytest.raises(services.DisclosureError, match="neither raised"):
        services.approve(req, by=both)  # signed it off: cannot also approve
    services.approve(req, by=manager)


def test_nobody_signs_off_their_own_request(supervisor, manager, client_record) -> None:
    dual = make_user("dual", Role.COUNSELLOR, Role.SUPERVISOR)
    client_record.counsellor = dual
    client_record.save()
    req = raise_court_order(dual, client_record)
    services.clear_consent(req, by=dual, outcome="not_required", reason="Order")
    with pytest.raises(services.DisclosureError):
        services.sign_off(req, by=dual)


def test_consent_withdrawn_after_approval_blocks_release(
    counsellor, supervisor, manager, client_record, entries
) -> None:
    req = services.raise_request(
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
    consent = disclosure_consent(counsellor, client_record)
    services.choose_content(req, by=counsellor, entry_ids=[entries[0].pk])
    services.clear_consent(req, by=counsellor, outcome="consented", consent=consent)
    services.sign_off(req, by=supervisor)
    req = services.approve(req, by=manager)
    assert services.release_blockers(req) == []
    consent_services.withdraw(consent, by=counsellor, evidence="verbal")
    blockers = services.release_blockers(req)
    assert blockers and "withdrew" in blockers[0]
    with pytest.raises(services.ReleaseBlocked):
        services.release(req, by=counsellor)
    req.refresh_from_db()
    assert req.status == Status.APPROVED


def test_third_party_entries_need_a_reason(counsellor, client_record, entries) -> None:
    req = raise_court_order(counsellor, client_record)
    third = entries[2]
    with pytest.raises(services.DisclosureError, match="Third-party"):
        services.choose_content(req, by=counsellor, entry_ids=[third.pk])
    services.choose_content(
        req,
        by=counsellor,
        entry_ids=[third.pk],
        third_party_reasons={str(third.pk): "The court asked for it"},
    )
    assert req.items.get().third_party_reason == "The court asked for it"


def test_couples_only_entries_about_this_partner(counsellor, client_record) -> None:
    from clients import services as client_services
    from notes import services as note_services
    from notes.services import EntryInput
    from tests.conftest import make_client

    partner = make_client(counsellor, given_name="Pat", family_name="Partner")
    case = client_services.create_joint_case(
        by=counsellor, kind="couple", members=[client_record, partner]
    )
    note = note_services.create_note(
        by=counsellor,
        kind="factual",
        joint_case=case,
        session_date=timezone.localdate(),
        duration_minutes=50,
        attendance="attended",
        entries=[
            EntryInput(text="About both", about=None),
            EntryInput(text="About the client", about=client_record),
            EntryInput(text="About the partner", about=partner),
        ],
    )
    note_services.sign_note(note, by=counsellor)
    req = raise_court_order(counsellor, client_record)
    releasable = {e.text for e in services.releasable_entries(req)}
    assert releasable == {"About the client"}
    others = [e.pk for e in note.entries.exclude(about=client_record)]
    for entry_id in others:
        with pytest.raises(services.DisclosureError, match="partner"):
            services.choose_content(req, by=counsellor, entry_ids=[entry_id])


def test_refusal_ends_the_request_and_needs_a_reason(counsellor, supervisor, client_record) -> None:
    req = raise_court_order(counsellor, client_record)
    with pytest.raises(services.DisclosureError):
        services.refuse(req, by=supervisor, reason="  ")
    services.refuse(req, by=supervisor, reason="The order is for another person")
    req.refresh_from_db()
    assert req.status == Status.REFUSED
    with pytest.raises(services.DisclosureError):
        services.clear_consent(req, by=counsellor, outcome="not_required", reason="x")


def test_outsiders_cannot_refuse(client_record, counsellor) -> None:
    stranger = make_user("stranger", Role.COUNSELLOR)
    req = raise_court_order(counsellor, client_record)
    with pytest.raises(services.DisclosureError):
        services.refuse(req, by=stranger, reason="I object")


def test_audit_events_hold_no_recipient_or_purpose(
    counsellor, supervisor, manager, client_record, entries
) -> None:
    approved_court_order(counsellor, supervisor, manager, client_record, entries)
    for event in AuditEvent.objects.filter(action__startswith="disclosure."):
        text = str(event.data)
        assert "Exampleton" not in text and "Family proceedings" not in text


def test_gate_records_who_when_why(counsellor, supervisor, manager, client_record, entries) -> None:
    req = approved_court_order(counsellor, supervisor, manager, client_record, entries)
    consent_gate = req.decision(GateDecision.Gate.CONSENT)
    assert (
        consent_gate.by == counsellor
        and consent_gate.reason == "Court order served"
        and consent_gate.at
    )
