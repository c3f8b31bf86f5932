"""Staff accept the current confidentiality policy before they can open any client data."""

from __future__ import annotations

import pytest

from clients import access
from practice.accounts.models import Role, StaffPolicy
from practice.audit.models import AuditEvent
from tests.conftest import make_user, verified_client

pytestmark = pytest.mark.django_db


def test_a_first_policy_is_published_by_the_migrations() -> None:
    current = StaffPolicy.current()
    assert current is not None and "confidential" in current.text


def test_no_client_data_before_acceptance(client_record) -> None:
    newcomer = make_user("newcomer", Role.COUNSELLOR, accept_policy=False)
    client_record.counsellor = newcomer
    client_record.save()
    assert not access.can(newcomer, client_record, access.Purpose.NOTES_READ)
    browser = verified_client(newcomer)
    response = browser.get(f"/clients/{client_record.reference}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/policy/?next=")
    page = browser.get("/accounts/policy/")
    assert b"Accept the policy" in page.content
    refused = browser.post("/accounts/policy/", {})
    assert b"Tick the box" in refused.content
    done = browser.post(
        f"/accounts/policy/?next=/clients/{client_record.reference}/", {"accept": "on"}
    )
    assert done["Location"] == f"/clients/{client_record.reference}/"
    assert browser.get(f"/clients/{client_record.reference}/").status_code == 200
    assert AuditEvent.objects.filter(action="policy.accepted", actor_id=newcomer.pk).exists()


def test_a_new_version_asks_everyone_again(counsellor, client_record, manager) -> None:
    assert access.can(counsellor, client_record, access.Purpose.NOTES_READ)
    browser = verified_client(manager)
    browser.post(
        "/accounts/policies/", {"version": "2", "title": "Policy v2", "text": "New wording."}
    )
    draft = StaffPolicy.objects.get(version="2")
    assert draft.published_at is None
    assert access.can(counsellor, client_record, access.Purpose.NOTES_READ), (
        "a draft changes nothing"
    )
    browser.post(f"/accounts/policies/{draft.pk}/publish/")
    assert StaffPolicy.current() == StaffPolicy.objects.get(version="2")
    assert not access.can(counsellor, client_record, access.Purpose.NOTES_READ)
    verified_client(counsellor).post("/accounts/policy/", {"accept": "on"})
    assert access.can(counsellor, client_record, access.Purpose.NOTES_READ)


def test_managers_see_who_accepted_what(manager, counsellor) -> None:
    make_user("newcomer", Role.COUNSELLOR, accept_policy=False)
    page = verified_client(manager).get("/accounts/policies/").content.decode()
    assert "Casey" in page and "Newcomer" in page and "Not yet" in page


@pytest.mark.parametrize("persona", ["counsellor", "supervisor", "administrator", "client_user"])
def test_only_managers_publish(persona, request) -> None:
    browser = verified_client(request.getfixturevalue(persona))
    assert browser.get("/accounts/policies/").status_code == 404
    assert (
        browser.post("/accounts/policies/", {"version": "9", "title": "x", "text": "y"}).status_code
        == 404
    )
    assert not StaffPolicy.objects.filter(version="9").exists()
