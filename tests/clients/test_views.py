"""Client pages as users and attackers see them."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from clients.models import Client, ClientIdentity
from practice.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

PERSONAS = [
    "counsellor",
    "colleague",
    "supervisor",
    "manager",
    "administrator",
    "client_user",
    "outsider",
]


def register_data(**overrides: str) -> dict[str, str]:
    data = {
        "given_name": "Nadia",
        "family_name": "Quill",
        "date_of_birth": "1990-05-04",
        "email": "nadia@example.org",
        "opened_on": timezone.localdate().isoformat(),
    }
    data.update(overrides)
    return data


def test_counsellor_registers_a_client_and_sees_them_on_their_caseload(counsellor, as_user) -> None:
    browser = as_user(counsellor)
    response = browser.post("/clients/new/", register_data())
    client = Client.objects.get()
    assert response["Location"] == f"/clients/{client.reference}/"
    assert client.counsellor == counsellor and client.status == "active" and not client.is_minor
    assert client.identity.family_name == "Quill"
    caseload = browser.get("/clients/").content.decode()
    assert client.reference in caseload and "Nadia Quill" in caseload
    assert AuditEvent.objects.filter(
        action="client.registered", client_ref=client.reference
    ).exists()


def test_registration_marks_minors_from_the_date_of_birth(counsellor, as_user) -> None:
    born = (timezone.localdate() - datetime.timedelta(days=365 * 15)).isoformat()
    as_user(counsellor).post("/clients/new/", register_data(date_of_birth=born))
    assert Client.objects.get().is_minor


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("family_name", ""),
        ("given_name", "x" * 101),
        ("date_of_birth", "2999-01-01"),
        ("email", "not-an-email"),
        ("opened_on", "2999-01-01"),
    ],
)
def test_bad_registration_input_shows_errors_and_saves_nothing(
    counsellor, as_user, field, value
) -> None:
    response = as_user(counsellor).post("/clients/new/", register_data(**{field: value}))
    assert response.status_code == 200
    assert b"There is a problem" in response.content
    assert not Client.objects.exists() and not ClientIdentity.objects.exists()


@pytest.mark.parametrize("persona", PERSONAS)
def test_record_page_from_every_role(persona, request, client_record, as_user) -> None:
    user = request.getfixturevalue(persona)
    response = as_user(user).get(f"/clients/{client_record.reference}/")
    expected = {"counsellor": 200, "supervisor": 200, "manager": 200}.get(persona, 404)
    assert response.status_code == expected
    body = response.content.decode()
    shows_name = "Fielding" in body
    assert shows_name == (persona in {"counsellor", "manager"})
    if persona == "supervisor":
        assert client_record.reference in body


@pytest.mark.parametrize("persona", PERSONAS)
def test_identity_edit_only_by_the_allocated_counsellor(
    persona, request, client_record, as_user
) -> None:
    user = request.getfixturevalue(persona)
    url = f"/clients/{client_record.reference}/details/"
    response = as_user(user).post(url, register_data(family_name="Changed"))
    client_record.identity.refresh_from_db()
    if persona == "counsellor":
        assert response.status_code == 302
        assert ClientIdentity.objects.get(client=client_record).family_name == "Changed"
        event = AuditEvent.objects.get(action="identity.updated")
        assert "family_name" in event.data["fields"] and "Changed" not in str(event.data)
    else:
        assert response.status_code == 404
        assert ClientIdentity.objects.get(client=client_record).family_name == "Fielding"


def test_caseload_names_are_only_for_the_allocated_counsellor(
    counsellor, colleague, client_record, other_client, as_user
) -> None:
    mine = as_user(counsellor).get("/clients/").content.decode()
    assert "Fielding" in mine and "Ashdown" not in mine
    assert other_client.reference not in mine


@pytest.mark.parametrize("persona", ["supervisor", "administrator", "client_user", "outsider"])
def test_caseload_and_search_are_not_for_other_roles(persona, request, as_user) -> None:
    browser = as_user(request.getfixturevalue(persona))
    assert browser.get("/clients/").status_code == 404
    assert browser.post("/clients/search/", {"family_name": "Fielding"}).status_code == 404


def test_manager_allocates_a_referral(manager, counsellor, colleague, as_user) -> None:
    browser = as_user(manager)
    browser.post("/clients/new/", register_data())
    client = Client.objects.get()
    assert client.counsellor is None and client.status == "referred"
    listing = browser.get("/clients/allocation/").content.decode()
    assert "Nadia Quill" in listing
    response = browser.post(f"/clients/{client.reference}/allocate/", {"counsellor": colleague.pk})
    assert response.status_code == 302
    client.refresh_from_db()
    assert client.counsellor == colleague and client.status == "active"


@pytest.mark.parametrize("persona", ["counsellor", "supervisor", "administrator", "outsider"])
def test_only_managers_allocate(persona, request, client_record, colleague, as_user) -> None:
    browser = as_user(request.getfixturevalue(persona))
    response = browser.post(
        f"/clients/{client_record.reference}/allocate/", {"counsellor": colleague.pk}
    )
    assert response.status_code == 404
    assert browser.get("/clients/allocation/").status_code == 404
    client_record.refresh_from_db()
    assert client_record.counsellor != colleague


def test_search_finds_exact_matches_within_scope(
    counsellor, colleague, client_record, other_client, as_user
) -> None:
    browser = as_user(counsellor)
    found = browser.post("/clients/search/", {"family_name": "fielding"}).content.decode()
    assert client_record.reference in found
    hidden = browser.post("/clients/search/", {"family_name": "Ashdown"}).content.decode()
    assert other_client.reference not in hidden and "No client matches" in hidden
    empty = browser.post("/clients/search/", {"family_name": ""}).content.decode()
    assert "There is a problem" in empty


def test_break_glass_through_the_page(colleague, client_record, as_user) -> None:
    browser = as_user(colleague)
    assert browser.get(f"/clients/{client_record.reference}/").status_code == 404
    response = browser.post(
        "/clients/break-glass/",
        {"reference": client_record.reference, "reason": "Client rang in crisis"},
    )
    assert response["Location"] == f"/clients/{client_record.reference}/"
    page = browser.get(f"/clients/{client_record.reference}/").content.decode()
    assert "break-glass" in page and "Fielding" in page
    # read-only: no editing
    assert browser.get(f"/clients/{client_record.reference}/details/").status_code == 404


def test_break_glass_with_an_unknown_reference_says_so_and_grants_nothing(
    colleague, as_user
) -> None:
    response = as_user(colleague).post(
        "/clients/break-glass/", {"reference": "C-ZZZZ", "reason": "x"}
    )
    assert response.status_code == 200 and b"There is a problem" in response.content


def test_manager_reviews_break_glass_from_their_home_page(
    manager, colleague, client_record, as_user
) -> None:
    from clients import services

    grant = services.break_glass(client_record, by=colleague, reason="covering")
    home = as_user(manager).get("/manager/").content.decode()
    assert client_record.reference in home
    as_user(manager).post(f"/clients/break-glass/{grant.pk}/review/")
    grant.refresh_from_db()
    assert grant.reviewed_by == manager


def test_executor_named_then_activated_through_the_pages(
    counsellor, colleague, manager, client_record, as_user
) -> None:
    as_user(counsellor).post("/clients/executors/", {"executor": colleague.pk})
    from clients.models import ProfessionalExecutor

    appointment = ProfessionalExecutor.objects.get()
    assert as_user(colleague).get(f"/clients/{client_record.reference}/").status_code == 404
    as_user(manager).post(
        f"/clients/executors/{appointment.pk}/activate/", {"reason_code": "death"}
    )
    page = as_user(colleague).get(f"/clients/{client_record.reference}/").content.decode()
    assert "professional executor" in page and "Fielding" in page


def test_ending_counselling_rejects_future_dates(counsellor, client_record, as_user) -> None:
    browser = as_user(counsellor)
    response = browser.post(f"/clients/{client_record.reference}/end/", {"ended_on": "2999-01-01"})
    assert b"There is a problem" in response.content
    client_record.refresh_from_db()
    assert client_record.status == "active"
    browser.post(
        f"/clients/{client_record.reference}/end/", {"ended_on": timezone.localdate().isoformat()}
    )
    client_record.refresh_from_db()
    assert client_record.status == "ended"


def test_joint_case_links_two_of_my_clients(counsellor, client_record, as_user) -> None:
    from tests.conftest import make_client

    partner = make_client(counsellor, given_name="Sky", family_name="Partner")
    browser = as_user(counsellor)
    response = browser.post(
        "/clients/joint/new/",
        {"kind": "couple", "members": [client_record.reference, partner.reference]},
    )
    assert response.status_code == 302
    client_record.refresh_from_db()
    assert client_record.is_joint_work and client_record.joint_cases.count() == 1


def test_search_is_posted_so_no_name_lands_in_a_url(counsellor, as_user) -> None:
    page = as_user(counsellor).get("/clients/search/").content.decode()
    assert 'method="post"' in page and "No client matches" not in page
