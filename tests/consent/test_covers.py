"""covers(): whether a client's consent covers a use, and the reason when it does not.

This is the question the disclosures workflow asks before anything leaves the practice, so
every way a consent can stop counting has a test here.
"""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.utils import timezone

from clients.models import Client, JointCase
from consent import services
from consent.models import ConsentEvent, Scope
from practice.accounts.models import User
from tests.consent.conftest import PURPOSE, RECIPIENT, capacity, give

pytestmark = pytest.mark.django_db

OTHER_SCOPES = [s for s in Scope.values if s != Scope.RECORD_KEEPING]


def test_a_given_consent_covers_its_scope(counsellor: User, client_record: Client) -> None:
    grant = give(client_record, counsellor)
    coverage = services.covers(client_record, Scope.RECORD_KEEPING)
    assert coverage and coverage.consent == grant and coverage.reason == ""


def test_no_consent_covers_nothing(client_record: Client) -> None:
    coverage = services.covers(client_record, Scope.RESEARCH)
    assert not coverage
    assert coverage.reason == "The client has not given consent for research."


@pytest.mark.parametrize("scope", OTHER_SCOPES)
def test_consent_to_one_scope_never_covers_another(
    counsellor: User, client_record: Client, scope: str
) -> None:
    grant = give(client_record, counsellor, Scope.RECORD_KEEPING)
    assert not services.covers(client_record, scope)
    # Not even when that consent is named explicitly.
    coverage = services.covers(client_record, scope, consent=grant)
    assert not coverage and coverage.reason == "That consent is for something else."


# -- time: end dates and withdrawal ----------------------------------------------------------


def test_a_consent_with_an_end_date_stops_covering_the_day_after(
    counsellor: User, client_record: Client
) -> None:
    today = timezone.localdate()
    give(client_record, counsellor, Scope.TRAINING, valid_until=today + datetime.timedelta(days=1))
    last_day = timezone.make_aware(
        datetime.datetime.combine(today + datetime.timedelta(days=1), datetime.time(23, 0))
    )
    with time_machine.travel(last_day, tick=False):
        assert services.covers(client_record, Scope.TRAINING)
    with time_machine.travel(last_day + datetime.timedelta(hours=2), tick=False):
        coverage = services.covers(client_record, Scope.TRAINING)
        assert not coverage and coverage.reason.startswith("This consent ended on")
        state = {s.scope: s for s in services.current_state(client_record)}[Scope.TRAINING]
        assert not state.given and len(state.withdrawn_or_ended) == 1


def test_withdrawal_takes_effect_at_once(counsellor: User, client_record: Client) -> None:
    grant = give(client_record, counsellor, Scope.DISCLOSURE)
    assert services.covers(client_record, Scope.DISCLOSURE, recipient=RECIPIENT)
    services.withdraw(grant, by=counsellor, evidence=ConsentEvent.Evidence.VERBAL)
    coverage = services.covers(client_record, Scope.DISCLOSURE, recipient=RECIPIENT)
    assert not coverage and coverage.reason.startswith("The client withdrew this consent")


def test_a_consent_loaded_before_its_withdrawal_is_not_covered_after_it(
    counsellor: User, client_record: Client
) -> None:
    grant = give(client_record, counsellor, Scope.DISCLOSURE)
    held = ConsentEvent.objects.get(pk=grant.pk)
    assert held.withdrawal_event() is None  # the instance now remembers "no withdrawal"
    services.withdraw(grant, by=counsellor, evidence=ConsentEvent.Evidence.WRITTEN)
    assert not services.covers(client_record, Scope.DISCLOSURE, consent=held)


def test_covers_answers_for_a_given_moment(counsellor: User, client_record: Client) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        before_grant = timezone.now() - datetime.timedelta(seconds=1)
        grant = give(client_record, counsellor, Scope.RESEARCH)
    with time_machine.travel(start + datetime.timedelta(days=3), tick=False):
        services.withdraw(grant, by=counsellor, evidence=ConsentEvent.Evidence.VERBAL)
    between = start + datetime.timedelta(days=1)
    after = start + datetime.timedelta(days=4)
    assert services.covers(client_record, Scope.RESEARCH, at=between)
    assert services.covers(client_record, Scope.RESEARCH, at=between, consent=grant)
    assert not services.covers(client_record, Scope.RESEARCH, at=after)
    assert not services.covers(client_record, Scope.RESEARCH, at=after, consent=grant)
    assert not services.covers(client_record, Scope.RESEARCH, at=before_grant)
    coverage = services.covers(client_record, Scope.RESEARCH, at=before_grant, consent=grant)
    assert not coverage and coverage.reason == "That consent was given later."


def test_giving_again_after_withdrawing_covers_again(
    counsellor: User, client_record: Client
) -> None:
    first = give(client_record, counsellor, Scope.SUPERVISION)
    services.withdraw(first, by=counsellor, evidence=ConsentEvent.Evidence.VERBAL)
    second = give(client_record, counsellor, Scope.SUPERVISION)
    assert services.covers(client_record, Scope.SUPERVISION).consent == second
    assert not services.covers(client_record, Scope.SUPERVISION, consent=first)


# -- disclosures: recipient, purpose, capacity -----------------------------------------------


def test_a_disclosure_consent_covers_only_its_recipient(
    counsellor: User, client_record: Client
) -> None:
    give(client_record, counsellor, Scope.DISCLOSURE)
    # The same name, typed differently, is the same recipient.
    assert services.covers(client_record, Scope.DISCLOSURE, recipient=f"  {RECIPIENT.upper()} ")
    coverage = services.covers(client_record, Scope.DISCLOSURE, recipient="Larkspur Surgery")
    assert not coverage and coverage.reason == "The consent names a different recipient."


def test_a_disclosure_consent_covers_only_its_purpose(
    counsellor: User, client_record: Client
) -> None:
    give(client_record, counsellor, Scope.DISCLOSURE)
    assert services.covers(
        client_record, Scope.DISCLOSURE, recipient=RECIPIENT, purpose=PURPOSE.lower()
    )
    coverage = services.covers(
        client_record, Scope.DISCLOSURE, recipient=RECIPIENT, purpose="For an insurance claim"
    )
    assert not coverage and coverage.reason == "The consent is for a different purpose."


def test_one_of_several_disclosure_consents_matches(
    counsellor: User, client_record: Client
) -> None:
    give(client_record, counsellor, Scope.DISCLOSURE, recipient="Solicitor Ms Oduya")
    wanted = give(client_record, counsellor, Scope.DISCLOSURE)
    assert services.covers(client_record, Scope.DISCLOSURE, recipient=RECIPIENT).consent == wanted


def _disclosure_without_the_service(client: Client, by: User, **extra: object) -> ConsentEvent:
    """A disclosure consent as an older record or a buggy path might have stored it: covers()
    must not trust that every rule of grant() held when it was written."""
    return ConsentEvent.objects.create(
        client=client,
        scope=Scope.DISCLOSURE,
        action=ConsentEvent.Action.GRANTED,
        recipient=RECIPIENT,
        purpose=PURPOSE,
        material="Attendance",
        evidence=ConsentEvent.Evidence.SIGNED_FORM,
        recorded_by=by,
        **extra,
    )


def test_a_disclosure_consent_without_a_capacity_check_covers_nothing(
    counsellor: User, client_record: Client
) -> None:
    grant = _disclosure_without_the_service(client_record, counsellor)
    coverage = services.covers(client_record, Scope.DISCLOSURE, recipient=RECIPIENT)
    assert not coverage
    assert coverage.reason == "Capacity was not considered when this consent was given."
    assert not services.covers(client_record, Scope.DISCLOSURE, consent=grant)


def test_a_disclosure_consent_given_without_capacity_covers_nothing(
    counsellor: User, client_record: Client
) -> None:
    give(
        client_record,
        counsellor,
        Scope.DISCLOSURE,
        capacity=capacity(counsellor, ConsentEvent.Capacity.LACKS_CAPACITY),
    )
    coverage = services.covers(client_record, Scope.DISCLOSURE, recipient=RECIPIENT)
    assert not coverage
    assert coverage.reason == "The client lacked capacity to consent at the time."


# -- whose consent ---------------------------------------------------------------------------


def test_another_clients_consent_never_covers_this_client(
    counsellor: User, client_record: Client, partner: Client
) -> None:
    theirs = give(partner, counsellor, Scope.DISCLOSURE)
    coverage = services.covers(client_record, Scope.DISCLOSURE, consent=theirs)
    assert not coverage
    assert coverage.reason == "That consent was given by someone else, not this client."


def test_in_a_couple_one_partners_consent_covers_only_that_partner(
    counsellor: User, client_record: Client, partner: Client, couple: JointCase
) -> None:
    assert set(couple.members.all()) == {client_record, partner}
    for scope in Scope.values:
        theirs = give(client_record, counsellor, scope)
        assert services.covers(client_record, scope)
        assert not services.covers(partner, scope)
        assert not services.covers(partner, scope, consent=theirs)
    assert not any(state.given for state in services.current_state(partner))


# -- young people ----------------------------------------------------------------------------


def test_a_young_persons_consent_without_a_basis_covers_nothing(
    counsellor: User, minor: Client
) -> None:
    grant = ConsentEvent.objects.create(
        client=minor,
        scope=Scope.TRAINING,
        action=ConsentEvent.Action.GRANTED,
        evidence=ConsentEvent.Evidence.SIGNED_FORM,
        recorded_by=counsellor,
    )
    coverage = services.covers(minor, Scope.TRAINING)
    assert not coverage and "under 18" in coverage.reason
    assert not services.covers(minor, Scope.TRAINING, consent=grant)


@pytest.mark.parametrize(
    "basis",
    [
        services.MinorConsent(ConsentEvent.MinorBasis.COMPETENT),
        services.MinorConsent(ConsentEvent.MinorBasis.PARENTAL, "Pat Young (mother)"),
    ],
)
def test_a_young_persons_consent_with_a_basis_covers(
    counsellor: User, minor: Client, basis: services.MinorConsent
) -> None:
    give(minor, counsellor, Scope.TRAINING, minor=basis)
    assert services.covers(minor, Scope.TRAINING)


def test_current_state_lists_every_scope(counsellor: User, client_record: Client) -> None:
    give(client_record, counsellor, Scope.RECORD_KEEPING)
    withdrawn = give(client_record, counsellor, Scope.SUPERVISION)
    services.withdraw(withdrawn, by=counsellor, evidence=ConsentEvent.Evidence.VERBAL)
    states = services.current_state(client_record)
    assert [s.scope for s in states] == list(Scope)
    by_scope = {s.scope: s for s in states}
    assert by_scope[Scope.RECORD_KEEPING].given
    assert not by_scope[Scope.SUPERVISION].given
    assert by_scope[Scope.SUPERVISION].withdrawn_or_ended == [withdrawn]
    assert not by_scope[Scope.RESEARCH].given and not by_scope[Scope.RESEARCH].withdrawn_or_ended
