"""Managers keep each category's legal reference up to date; the release cites it."""

from __future__ import annotations

import pytest

from disclosures import services
from disclosures.models import RegisterEntry
from tests.disclosures.conftest import approved_court_order

pytestmark = pytest.mark.django_db


def test_the_default_reference_comes_from_the_policy_table() -> None:
    assert "Road Traffic Act 1988" in services.statute_for("road_traffic")


def test_a_manager_changes_a_reference_and_the_register_cites_it(
    counsellor, supervisor, manager, client_record, entries
) -> None:
    services.set_statute("court_order", by=manager, text="Family Procedure Rules 2010, r. 21")
    req = approved_court_order(counsellor, supervisor, manager, client_record, entries)
    services.release(req, by=counsellor)
    assert RegisterEntry.objects.get().statute == "Family Procedure Rules 2010, r. 21"


@pytest.mark.parametrize("persona", ["counsellor", "supervisor", "administrator"])
def test_only_managers_change_references(persona, request) -> None:
    with pytest.raises(services.DisclosureError):
        services.set_statute("terrorism", by=request.getfixturevalue(persona), text="x")


def test_a_reference_needs_words(manager) -> None:
    with pytest.raises(services.DisclosureError):
        services.set_statute("terrorism", by=manager, text="   ")


def test_the_page_is_for_managers_only(manager, counsellor, as_user) -> None:
    from django.urls import NoReverseMatch, reverse

    try:
        url = reverse("disclosures:statutes")
    except NoReverseMatch:
        pytest.skip("the statutes page is wired into disclosures/urls.py with the other pages")
    assert as_user(counsellor).get(url).status_code == 404
    page = as_user(manager).get(url)
    assert page.status_code == 200 and b"Road Traffic Act 1988" in page.content
    as_user(manager).post(url, {"category_code": "road_traffic", "text": "RTA 1988 s.172(2)(b)"})
    assert services.statute_for("road_traffic") == "RTA 1988 s.172(2)(b)"
