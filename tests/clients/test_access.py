"""Who sees what of a client: every role, both sides of every rule."""

from __future__ import annotations

import time

import pytest
import time_machine

from clients import access, services
from clients.access import Purpose
from practice.accounts.models import Role
from practice.audit.models import AuditEvent
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

ALL = list(Purpose)


def allowed(user, client) -> set[Purpose]:
    return {purpose for purpose in ALL if access.can(user, client, purpose)}


def test_allocated_counsellor_has_everything_but_allocation(counsellor, client_record) -> None:
    assert allowed(counsellor, client_record) == {
        Purpose.OVERVIEW,
        Purpose.IDENTITY,
        Purpose.NOTES_READ,
        Purpose.NOTES_WRITE,
    }


def test_colleague_has_nothing(colleague, client_record) -> None:
    assert allowed(colleague, client_record) == set()


def test_supervisor_sees_the_reference_only(supervisor, client_record) -> None:
    assert allowed(supervisor, client_record) == {Purpose.OVERVIEW, Purpose.SUPERVISE}


def test_a_supervisor_sees_nothing_of_other_supervisors_cases(client_record) -> None:
    other = make_user("sven", Role.SUPERVISOR)
    assert allowed(other, client_record) == set()


def test_manager_sees_identity_for_allocation_but_never_notes(manager, client_record) -> None:
    assert allowed(manager, client_record) == {Purpose.OVERVIEW, Purpose.IDENTITY, Purpose.ALLOCATE}


@pytest.mark.parametrize("persona", ["administrator", "client_user", "outsider"])
def test_administrators_clients_and_outsiders_see_nothing(persona, request, client_record) -> None:
    user = request.getfixturevalue(persona)
    assert allowed(user, client_record) == set()
    assert not access.clients_visible_to(user).exists()


def test_out_of_scope_is_404_like_missing(colleague, client_record) -> None:
    from django.http import Http404

    with pytest.raises(Http404):
        access.client_for(colleague, client_record.reference)
    with pytest.raises(Http404):
        access.client_for(colleague, "C-ZZZZ")


def test_a_counsellor_who_also_supervises_combines_both(counsellor, client_record) -> None:
    priya = make_user("priya", Role.COUNSELLOR, Role.SUPERVISOR)
    counsellor.supervisor = priya
    counsellor.save()
    assert allowed(priya, client_record) == {Purpose.OVERVIEW, Purpose.SUPERVISE}


def test_break_glass_opens_read_only_for_sixty_minutes(colleague, client_record) -> None:
    start = time.time()
    with time_machine.travel(start, tick=False):
        services.break_glass(client_record, by=colleague, reason="covering an emergency call")
        assert allowed(colleague, client_record) == {
            Purpose.OVERVIEW,
            Purpose.IDENTITY,
            Purpose.NOTES_READ,
        }
        assert access.access_route(colleague, client_record) == "break_glass"
    with time_machine.travel(start + 59 * 60, tick=False):
        assert Purpose.NOTES_READ in allowed(colleague, client_record)
    with time_machine.travel(start + 60 * 60 + 1, tick=False):
        assert allowed(colleague, client_record) == set()
    event = AuditEvent.objects.get(action="access.break_glass")
    assert event.client_ref == client_record.reference
    assert "emergency" not in str(event.data)


def test_break_glass_needs_a_reason_and_is_only_for_counsellors(
    colleague, manager, client_record
) -> None:
    with pytest.raises(services.ClientError):
        services.break_glass(client_record, by=colleague, reason="   ")
    from django.http import Http404

    with pytest.raises(Http404):
        access.client_for_break_glass(manager, client_record.reference)


def test_break_glass_is_listed_for_managers_until_reviewed(
    colleague, manager, client_record
) -> None:
    grant = services.break_glass(client_record, by=colleague, reason="urgent")
    assert list(access.break_glass_for_review(manager)) == [grant]
    assert not access.break_glass_for_review(colleague).exists()
    services.review_break_glass(grant, by=manager)
    assert not access.break_glass_for_review(manager).exists()


def test_executor_sees_nothing_until_a_manager_activates(
    counsellor, colleague, manager, client_record
) -> None:
    appointment = services.name_executor(counsellor=counsellor, executor=colleague, by=counsellor)
    assert allowed(colleague, client_record) == set()
    services.activate_executor(appointment, by=manager, reason_code="incapacity")
    assert allowed(colleague, client_record) == {
        Purpose.OVERVIEW,
        Purpose.IDENTITY,
        Purpose.NOTES_READ,
    }
    assert access.access_route(colleague, client_record) == "executor"
    assert AuditEvent.objects.filter(action="executor.activated").exists()


def test_only_a_manager_other_than_the_parties_activates(
    counsellor, colleague, client_record
) -> None:
    appointment = services.name_executor(counsellor=counsellor, executor=colleague, by=counsellor)
    with pytest.raises(services.ClientError):
        services.activate_executor(appointment, by=colleague, reason_code="death")
    boss = make_user("both", Role.MANAGER, Role.COUNSELLOR)
    own = services.name_executor(counsellor=boss, executor=colleague, by=boss)
    with pytest.raises(services.ClientError):
        services.activate_executor(own, by=boss, reason_code="death")


def test_identity_reads_are_audited_without_names(counsellor, client_record) -> None:
    access.identity_for(counsellor, client_record)
    event = AuditEvent.objects.filter(action="identity.viewed").last()
    assert event is not None and event.client_ref == client_record.reference
    assert event.data == {"via": "allocated"}
    assert "Fielding" not in str(event.data) + event.target_id


def test_allocation_moves_the_client(counsellor, colleague, manager, client_record) -> None:
    services.allocate(client_record, to=colleague, by=manager)
    assert allowed(colleague, client_record) >= {Purpose.NOTES_WRITE}
    assert allowed(counsellor, client_record) == set()
    with pytest.raises(services.ClientError):
        services.allocate(client_record, to=counsellor, by=colleague)
