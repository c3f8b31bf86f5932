"""The verbs that record contracting and consent: their rules, the append-only trail, the
audit events, the withdrawal signal and the practice's document versions."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from clients.models import Client
from consent import services
from consent.models import AppendOnlyError, ConsentEvent, Contracting, DocumentVersion, Scope
from consent.services import ConsentError
from practice.accounts.models import Role, User
from practice.audit.models import AuditEvent
from tests.conftest import make_user
from tests.consent.conftest import (
    MATERIAL,
    PDF,
    PURPOSE,
    RECIPIENT,
    give,
    raw_rows,
)

pytestmark = pytest.mark.django_db

POINTS = ("explained_limits", "explained_supervision", "explained_storage", "explained_access")


def assert_no_content_in_audit(*texts: str) -> None:
    for event in AuditEvent.objects.all():
        flat = repr(event.data) + event.action + event.client_ref + event.target_id
        for text in texts:
            assert text not in flat, event.action


# -- append-only -----------------------------------------------------------------------------


def test_a_recorded_consent_cannot_be_changed(counsellor: User, client_record: Client) -> None:
    grant = give(client_record, counsellor)
    grant.scope = Scope.RESEARCH
    with pytest.raises(AppendOnlyError):
        grant.save()
    assert ConsentEvent.objects.get().scope == Scope.RECORD_KEEPING


def test_a_recorded_consent_cannot_be_deleted(counsellor: User, client_record: Client) -> None:
    grant = give(client_record, counsellor)
    with pytest.raises(AppendOnlyError):
        grant.delete()
    with pytest.raises(AppendOnlyError):
        ConsentEvent.objects.filter(pk=grant.pk).delete()
    with pytest.raises(AppendOnlyError):
        ConsentEvent.objects.all().delete()
    assert ConsentEvent.objects.count() == 1


def test_consents_cannot_be_changed_in_bulk(counsellor: User, client_record: Client) -> None:
    give(client_record, counsellor)
    with pytest.raises(AppendOnlyError):
        ConsentEvent.objects.update(valid_until=timezone.localdate())
    with pytest.raises(AppendOnlyError):
        ConsentEvent.objects.filter(client=client_record).update(scope=Scope.RESEARCH)
    assert ConsentEvent.objects.get().valid_until is None


def test_withdrawal_is_a_new_event_and_the_grant_is_untouched(
    counsellor: User, client_record: Client
) -> None:
    grant = give(client_record, counsellor, Scope.DISCLOSURE)
    withdrawal = services.withdraw(grant, by=counsellor, evidence=ConsentEvent.Evidence.WRITTEN)
    assert ConsentEvent.objects.count() == 2
    assert (withdrawal.action, withdrawal.withdraws_id, withdrawal.scope) == (
        "withdrawn",
        grant.pk,
        Scope.DISCLOSURE,
    )
    again = ConsentEvent.objects.get(pk=grant.pk)
    assert (again.action, again.recipient) == ("granted", RECIPIENT)


def test_a_consent_is_withdrawn_once(counsellor: User, client_record: Client) -> None:
    grant = give(client_record, counsellor)
    withdrawal = services.withdraw(grant, by=counsellor, evidence=ConsentEvent.Evidence.VERBAL)
    with pytest.raises(ConsentError, match="already been withdrawn"):
        services.withdraw(grant, by=counsellor, evidence=ConsentEvent.Evidence.VERBAL)
    with pytest.raises(ConsentError, match="Only a consent that was given"):
        services.withdraw(withdrawal, by=counsellor, evidence=ConsentEvent.Evidence.VERBAL)
    assert ConsentEvent.objects.count() == 2


@pytest.mark.parametrize(
    "evidence", [ConsentEvent.Evidence.SIGNED_FORM, ConsentEvent.Evidence.VERBAL_WITNESSED, ""]
)
def test_a_withdrawal_says_how_the_client_withdrew(
    counsellor: User, client_record: Client, evidence: str
) -> None:
    grant = give(client_record, counsellor)
    with pytest.raises(ConsentError, match="how the client withdrew"):
        services.withdraw(grant, by=counsellor, evidence=evidence)
    assert ConsentEvent.objects.count() == 1


# -- evidence --------------------------------------------------------------------------------


def test_a_signed_form_consent_needs_the_form(counsellor: User, client_record: Client) -> None:
    with pytest.raises(ConsentError, match="Upload the signed form"):
        give(client_record, counsellor, upload=None)
    assert not ConsentEvent.objects.exists()


def test_the_signed_form_is_stored_encrypted(counsellor: User, client_record: Client) -> None:
    give(client_record, counsellor, Scope.DISCLOSURE)
    dump = raw_rows(ConsentEvent._meta.db_table)
    for plain in (PDF, b"7f3a9c21e5", b"signed.pdf", RECIPIENT.encode(), PURPOSE.encode()):
        assert plain not in dump
    grant = ConsentEvent.objects.get()
    assert bytes(grant.evidence_file) == PDF
    assert (grant.evidence_filename, grant.evidence_content_type) == (
        "signed.pdf",
        "application/pdf",
    )


def test_verbal_consent_needs_a_witness(counsellor: User, client_record: Client) -> None:
    with pytest.raises(ConsentError, match="second member of staff"):
        give(
            client_record,
            counsellor,
            evidence=ConsentEvent.Evidence.VERBAL_WITNESSED,
            upload=None,
        )
    assert not ConsentEvent.objects.exists()


def test_the_witness_is_someone_else(counsellor: User, client_record: Client) -> None:
    with pytest.raises(ConsentError, match="someone other than you"):
        give(
            client_record,
            counsellor,
            evidence=ConsentEvent.Evidence.VERBAL_WITNESSED,
            upload=None,
            witness=counsellor,
        )
    assert not ConsentEvent.objects.exists()


@pytest.mark.parametrize("who", ["client account", "inactive colleague"])
def test_the_witness_is_an_active_member_of_staff(
    counsellor: User, client_record: Client, client_user: User, who: str
) -> None:
    if who == "client account":
        witness = client_user
    else:
        witness = make_user("gone", Role.COUNSELLOR, is_active=False)
    with pytest.raises(ConsentError, match="active member of staff"):
        give(
            client_record,
            counsellor,
            evidence=ConsentEvent.Evidence.VERBAL_WITNESSED,
            upload=None,
            witness=witness,
        )
    assert not ConsentEvent.objects.exists()


def test_witnessed_verbal_consent_is_recorded_as_such(
    counsellor: User, colleague: User, client_record: Client
) -> None:
    grant = give(
        client_record,
        counsellor,
        evidence=ConsentEvent.Evidence.VERBAL_WITNESSED,
        upload=None,
        witness=colleague,
    )
    assert (grant.evidence, grant.witness, grant.evidence_file) == (
        "verbal_witnessed",
        colleague,
        None,
    )


def test_possible_witnesses_are_other_active_staff(
    counsellor: User, colleague: User, manager: User, administrator: User, client_user: User
) -> None:
    make_user("gone", Role.COUNSELLOR, is_active=False)
    assert set(services.possible_witnesses(counsellor)) == {colleague, manager}


@pytest.mark.parametrize(
    "evidence", [ConsentEvent.Evidence.VERBAL, ConsentEvent.Evidence.WRITTEN, "email"]
)
def test_consent_needs_written_or_witnessed_evidence(
    counsellor: User, client_record: Client, evidence: str
) -> None:
    with pytest.raises(ConsentError):
        give(client_record, counsellor, evidence=evidence, upload=None)
    assert not ConsentEvent.objects.exists()


# -- what a consent must say -----------------------------------------------------------------


@pytest.mark.parametrize("missing", ["recipient", "purpose", "material"])
def test_a_disclosure_consent_names_recipient_purpose_and_material(
    counsellor: User, client_record: Client, missing: str
) -> None:
    with pytest.raises(ConsentError, match="names the recipient, the purpose"):
        give(client_record, counsellor, Scope.DISCLOSURE, **{missing: "   "})
    assert not ConsentEvent.objects.exists()


def test_a_disclosure_consent_records_capacity(counsellor: User, client_record: Client) -> None:
    with pytest.raises(ConsentError, match="capacity was considered"):
        give(client_record, counsellor, Scope.DISCLOSURE, capacity=None)
    with pytest.raises(ConsentError, match="outcome"):
        give(
            client_record,
            counsellor,
            Scope.DISCLOSURE,
            capacity=services.Capacity(assessed_by=counsellor, outcome="probably"),
        )
    assert not ConsentEvent.objects.exists()
    grant = give(client_record, counsellor, Scope.DISCLOSURE)
    assert (grant.capacity, grant.capacity_assessed_by) == ("has_capacity", counsellor)
    assert ConsentEvent.objects.get().capacity_note == "Understood and weighed it"


def test_an_end_date_in_the_past_is_refused(counsellor: User, client_record: Client) -> None:
    with pytest.raises(ConsentError, match="already past"):
        give(
            client_record,
            counsellor,
            valid_until=timezone.localdate() - datetime.timedelta(days=1),
        )


def test_an_unknown_scope_is_refused(counsellor: User, client_record: Client) -> None:
    with pytest.raises(ConsentError, match="Unknown"):
        give(client_record, counsellor, "marketing")


def test_a_young_persons_consent_says_how_they_consented(counsellor: User, minor: Client) -> None:
    with pytest.raises(ConsentError, match="under 18"):
        give(minor, counsellor)
    with pytest.raises(ConsentError, match="Name the person"):
        give(minor, counsellor, minor=services.MinorConsent(ConsentEvent.MinorBasis.PARENTAL))
    with pytest.raises(ConsentError, match="how a client under 18"):
        give(minor, counsellor, minor=services.MinorConsent("guessed"))
    assert not ConsentEvent.objects.exists()
    grant = give(
        minor,
        counsellor,
        minor=services.MinorConsent(ConsentEvent.MinorBasis.PARENTAL, " Pat Young "),
    )
    again = ConsentEvent.objects.get(pk=grant.pk)
    assert (again.minor_basis, again.parental_consent_by) == ("parental", "Pat Young")
    assert b"Pat Young" not in raw_rows(ConsentEvent._meta.db_table)


# -- contracting -----------------------------------------------------------------------------


def contract(client: Client, by: User, **overrides: Any) -> Contracting:
    values: dict[str, Any] = {
        "contracted_on": client.opened_on,
        "agreement": DocumentVersion.current(DocumentVersion.Kind.AGREEMENT),
        "privacy_notice": DocumentVersion.current(DocumentVersion.Kind.PRIVACY_NOTICE),
        "delivered": Contracting.Delivery.EMAIL,
        "explained": dict.fromkeys(POINTS, True),
    }
    values.update(overrides)
    return services.record_contracting(client, by=by, **values)


def test_contracting_is_recorded_and_unblocks_notes(counsellor: User, uncontracted: Client) -> None:
    assert services.contracting_blocker(uncontracted) is not None
    contracting = contract(uncontracted, counsellor)
    assert services.contracting_for(uncontracted) == contracting
    assert services.contracting_blocker(uncontracted) is None
    assert (contracting.counsellor, contracting.delivered) == (counsellor, "email")
    event = AuditEvent.objects.get(action="consent.contracting.recorded")
    assert (event.target_id, event.client_ref) == (str(contracting.pk), uncontracted.reference)
    assert event.data == {"agreement": "1", "privacy_notice": "1"}


def test_the_blocker_links_to_the_contracting_form(uncontracted: Client) -> None:
    blocker = services.contracting_blocker(uncontracted)
    assert blocker is not None
    assert blocker.action_url == f"/consent/client/{uncontracted.reference}/contracting/"
    assert "Record contracting first" in blocker.message


def test_contracting_cannot_be_in_the_future(counsellor: User, uncontracted: Client) -> None:
    with pytest.raises(ConsentError, match="future"):
        contract(
            uncontracted, counsellor, contracted_on=timezone.localdate() + datetime.timedelta(1)
        )
    assert not Contracting.objects.filter(client=uncontracted).exists()


def test_contracting_cannot_be_before_the_case_opened(
    counsellor: User, uncontracted: Client
) -> None:
    with pytest.raises(ConsentError, match="before the case was opened"):
        contract(
            uncontracted, counsellor, contracted_on=uncontracted.opened_on - datetime.timedelta(1)
        )


@pytest.mark.parametrize("point", POINTS)
def test_contracting_needs_every_point_explained(
    counsellor: User, uncontracted: Client, point: str
) -> None:
    explained = {**dict.fromkeys(POINTS, True), point: False}
    with pytest.raises(ConsentError, match="Every point"):
        contract(uncontracted, counsellor, explained=explained)
    assert not Contracting.objects.filter(client=uncontracted).exists()


def test_contracting_needs_published_documents_of_the_right_kind(
    counsellor: User, manager: User, uncontracted: Client
) -> None:
    draft = services.draft_document(
        by=manager, kind="agreement", version="2", title="Agreement", text="New wording"
    )
    with pytest.raises(ConsentError, match="published version of the confidentiality agreement"):
        contract(uncontracted, counsellor, agreement=draft)
    notice = DocumentVersion.current(DocumentVersion.Kind.PRIVACY_NOTICE)
    with pytest.raises(ConsentError, match="agreement"):
        contract(uncontracted, counsellor, agreement=notice)
    agreement = DocumentVersion.current(DocumentVersion.Kind.AGREEMENT)
    with pytest.raises(ConsentError, match="privacy notice"):
        contract(uncontracted, counsellor, privacy_notice=agreement)
    with pytest.raises(ConsentError, match="how the agreement"):
        contract(uncontracted, counsellor, delivered="pigeon")
    assert not Contracting.objects.filter(client=uncontracted).exists()


# -- audit and the withdrawal signal ---------------------------------------------------------


def test_every_change_is_audited_without_what_the_consent_says(
    counsellor: User, colleague: User, client_record: Client
) -> None:
    grant = give(client_record, counsellor, Scope.DISCLOSURE)
    verbal = give(
        client_record,
        counsellor,
        Scope.TRAINING,
        evidence=ConsentEvent.Evidence.VERBAL_WITNESSED,
        upload=None,
        witness=colleague,
    )
    withdrawal = services.withdraw(grant, by=counsellor, evidence=ConsentEvent.Evidence.VERBAL)
    granted = AuditEvent.objects.filter(action="consent.granted").order_by("seq")
    assert [(e.target_id, e.data) for e in granted] == [
        (str(grant.pk), {"scope": "disclosure", "evidence": "signed_form"}),
        (str(verbal.pk), {"scope": "training", "evidence": "verbal_witnessed"}),
    ]
    withdrawn = AuditEvent.objects.get(action="consent.withdrawn")
    assert (withdrawn.target_id, withdrawn.client_ref, withdrawn.actor_id) == (
        str(withdrawal.pk),
        client_record.reference,
        counsellor.pk,
    )
    assert withdrawn.data == {"scope": "disclosure", "grant_id": str(grant.pk)}
    assert_no_content_in_audit(RECIPIENT, PURPOSE, MATERIAL, "signed.pdf", "Understood")


def test_the_withdrawal_signal_fires_once_the_withdrawal_is_committed(
    counsellor: User, client_record: Client, django_capture_on_commit_callbacks: Any
) -> None:
    grant = give(client_record, counsellor, Scope.DISCLOSURE)
    received: list[dict[str, Any]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        received.append(kwargs)

    services.consent_withdrawn.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            withdrawal = services.withdraw(
                grant, by=counsellor, evidence=ConsentEvent.Evidence.WRITTEN
            )
        assert received == []  # nothing is told before the withdrawal is committed
        assert len(callbacks) == 1
        callbacks[0]()
    finally:
        services.consent_withdrawn.disconnect(receiver)
    assert len(received) == 1
    assert received[0]["grant"].pk == grant.pk
    assert received[0]["withdrawal"].pk == withdrawal.pk


def test_a_refused_withdrawal_sends_no_signal(
    counsellor: User, client_record: Client, django_capture_on_commit_callbacks: Any
) -> None:
    grant = give(client_record, counsellor)
    services.withdraw(grant, by=counsellor, evidence=ConsentEvent.Evidence.VERBAL)
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(ConsentError):
        services.withdraw(grant, by=counsellor, evidence=ConsentEvent.Evidence.VERBAL)
    assert callbacks == []


# -- the agreement and the privacy notice ----------------------------------------------------


def test_a_manager_drafts_and_publishes_a_new_version(manager: User) -> None:
    first = DocumentVersion.current(DocumentVersion.Kind.PRIVACY_NOTICE)
    draft = services.draft_document(
        by=manager, kind="privacy_notice", version=" 2 ", title="Privacy notice", text="Words"
    )
    assert (draft.version, draft.published_at) == ("2", None)
    assert DocumentVersion.current(DocumentVersion.Kind.PRIVACY_NOTICE) == first
    published = services.publish_document(draft, by=manager)
    assert published.published_by == manager and published.published_at is not None
    assert DocumentVersion.current(DocumentVersion.Kind.PRIVACY_NOTICE) == draft
    actions = list(
        AuditEvent.objects.filter(action__startswith="consent.document").values_list(
            "action", "target_id", "data"
        )
    )
    assert actions == [
        ("consent.document.drafted", str(draft.pk), {"kind": "privacy_notice", "version": "2"}),
        ("consent.document.published", str(draft.pk), {"kind": "privacy_notice", "version": "2"}),
    ]


def test_a_version_is_published_once(manager: User) -> None:
    current = DocumentVersion.current(DocumentVersion.Kind.AGREEMENT)
    assert current is not None
    with pytest.raises(ConsentError, match="already published"):
        services.publish_document(current, by=manager)


def test_version_numbers_are_not_reused(manager: User) -> None:
    with pytest.raises(ConsentError, match="already a version"):
        services.draft_document(by=manager, kind="agreement", version="1", title="A", text="B")


@pytest.mark.parametrize("field", ["version", "title", "text"])
def test_a_draft_needs_a_version_a_title_and_a_text(manager: User, field: str) -> None:
    values = {"version": "9", "title": "Agreement", "text": "Words", field: "  "}
    with pytest.raises(ConsentError, match="Give the version"):
        services.draft_document(by=manager, kind="agreement", **values)


def test_only_a_manager_writes_or_publishes_documents(
    counsellor: User, administrator: User, manager: User
) -> None:
    for user in (counsellor, administrator):
        with pytest.raises(ConsentError, match="Only a service manager"):
            services.draft_document(by=user, kind="agreement", version="2", title="A", text="B")
    draft = services.draft_document(by=manager, kind="agreement", version="2", title="A", text="B")
    for user in (counsellor, administrator):
        with pytest.raises(ConsentError, match="Only a service manager"):
            services.publish_document(draft, by=user)
    draft.refresh_from_db()
    assert draft.published_at is None


def test_a_published_document_never_changes() -> None:
    from consent.models import AppendOnlyError, DocumentVersion

    current = DocumentVersion.current(DocumentVersion.Kind.AGREEMENT)
    assert current is not None
    current.text = "Quietly different wording"
    with pytest.raises(AppendOnlyError):
        current.save()
