"""Each role's pages are for that role only; clients reach only the portal, staff never do."""

from __future__ import annotations

import pytest
from django.db import IntegrityError

from practice.accounts.models import Role
from tests.conftest import make_client, make_user, verified_client

pytestmark = pytest.mark.django_db

HOMES = {
    Role.COUNSELLOR: "/counsellor/",
    Role.SUPERVISOR: "/supervisor/",
    Role.MANAGER: "/manager/",
    Role.ADMINISTRATOR: "/administrator/",
    Role.CLIENT: "/portal/",
}


@pytest.mark.parametrize("holder", list(HOMES))
@pytest.mark.parametrize("page_role", list(HOMES))
def test_home_pages_are_for_their_role_only(holder: Role, page_role: Role) -> None:
    person = make_user("person", holder)
    if holder == Role.CLIENT:
        # A client account is always linked to its own case.
        from clients.models import ClientAccount

        ClientAccount.objects.create(user=person, client=make_client(None))
    client = verified_client(person)
    response = client.get(HOMES[page_role])
    assert response.status_code == (200 if holder == page_role else 404)


def test_a_user_with_no_role_reaches_no_home() -> None:
    client = verified_client(make_user("otto"))
    assert client.get("/").status_code == 404
    for url in HOMES.values():
        assert client.get(url).status_code == 404


def test_staff_with_several_roles_reach_each_and_see_them_in_the_navigation() -> None:
    user = make_user("priya", Role.COUNSELLOR, Role.SUPERVISOR)
    client = verified_client(user)
    assert client.get("/")["Location"] == "/counsellor/"
    page = client.get("/supervisor/")
    assert page.status_code == 200
    assert b'href="/counsellor/"' in page.content and b'href="/supervisor/"' in page.content
    assert client.get("/manager/").status_code == 404


def test_a_client_account_cannot_also_hold_a_staff_role() -> None:
    with pytest.raises(IntegrityError):
        make_user("mixed", Role.CLIENT, Role.COUNSELLOR)


def test_clients_get_404_on_every_staff_page() -> None:
    client = verified_client(make_user("c-portal", Role.CLIENT))
    for url in ["/counsellor/", "/admin/", "/accounts/policies/", "/manager/", "/clients/"]:
        assert client.get(url).status_code == 404, url
    # The site name's link takes a client to their portal (see test_client_account_pages).
    assert client.get("/")["Location"] == "/portal/"
