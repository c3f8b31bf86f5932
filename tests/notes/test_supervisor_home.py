"""The supervisor's home page: supervisees' cases by reference, never identity."""

from __future__ import annotations

import pytest

from notes import services

pytestmark = pytest.mark.django_db


def test_supervisor_home_lists_cases_by_reference_with_risk_and_never_names(
    supervisor, counsellor, client_record, as_user
) -> None:
    services.share_supervision_point(
        client_record, by=counsellor, text="Wondering about endings", risk="self_harm"
    )
    page = as_user(supervisor).get("/supervisor/").content.decode()
    assert client_record.reference in page
    assert "Risk to self" in page and "Wondering about endings" in page
    assert "Jordan" not in page and "Fielding" not in page


def test_other_supervisors_see_nothing(client_record, as_user) -> None:
    from practice.accounts.models import Role
    from tests.conftest import make_user

    stranger = make_user("sven", Role.SUPERVISOR)
    page = as_user(stranger).get("/supervisor/").content.decode()
    assert client_record.reference not in page
