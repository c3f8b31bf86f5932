"""Supervision: sessions recorded by either side, points shared, and the supervisor's
reference-only view of their supervisees' cases."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clients import services as client_services
from clients.models import Client
from notes import access, services
from notes.models import SessionNote, SupervisionPoint, SupervisionSession
from notes.services import NoteError
from practice.accounts.models import Role, User
from practice.audit.models import AuditEvent
from tests.conftest import make_client, make_user, verified_client
from tests.notes.conftest import write_note

pytestmark = pytest.mark.django_db

POINT = "Wonder whether I am colluding with the avoidance"
SUPERVISION = reverse("notes:supervision")


def today() -> datetime.date:
    return timezone.localdate()


def share(client: Client, by: User, text: str = POINT, risk: str = "") -> SupervisionPoint:
    return services.share_supervision_point(client, by=by, text=text, risk=risk)


# -- recording sessions ----------------------------------------------------------------------


def test_a_counsellor_records_supervision_with_their_cases_by_reference(
    counsellor: User, supervisor: User, client_record: Client
) -> None:
    browser = verified_client(counsellor)
    page = browser.get(SUPERVISION).content.decode()
    assert client_record.reference in page
    assert "Jordan" not in page and "Fielding" not in page
    response = browser.post(
        SUPERVISION,
        {
            "form": "received",
            "received-held_on": today().isoformat(),
            "received-cases": [client_record.reference],
        },
    )
    assert response.status_code == 302
    session = SupervisionSession.objects.get()
    assert (session.counsellor, session.supervisor, session.recorded_by) == (
        counsellor,
        supervisor,
        counsellor,
    )
    assert list(session.cases.all()) == [client_record]
    event = AuditEvent.objects.get(action="supervision.recorded")
    assert event.data["supervisor_id"] == supervisor.pk and event.data["cases"] == 1


def test_a_supervisor_records_supervision_they_gave(
    counsellor: User, supervisor: User, client_record: Client
) -> None:
    response = verified_client(supervisor).post(
        SUPERVISION,
        {
            "form": "given",
            "given-counsellor": str(counsellor.pk),
            "given-held_on": today().isoformat(),
            "given-cases": [client_record.reference],
        },
    )
    assert response.status_code == 302
    session = SupervisionSession.objects.get()
    assert (session.supervisor, session.counsellor, session.recorded_by) == (
        supervisor,
        counsellor,
        supervisor,
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"received-held_on": "2999-01-01"}, "cannot be in the future"),
        ({"received-held_on": ""}, "This field is required"),
        ({"received-cases": []}, "Choose at least one case"),
    ],
)
def test_bad_supervision_input_re_renders_and_records_nothing(
    counsellor: User, client_record: Client, fields: dict[str, object], message: str
) -> None:
    data = {
        "form": "received",
        "received-held_on": today().isoformat(),
        "received-cases": [client_record.reference],
        **fields,
    }
    response = verified_client(counsellor).post(SUPERVISION, data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in html and message in html
    assert not SupervisionSession.objects.exists()


def test_a_counsellor_cannot_list_someone_elses_case(
    counsellor: User, client_record: Client, other_client: Client
) -> None:
    response = verified_client(counsellor).post(
        SUPERVISION,
        {
            "form": "received",
            "received-held_on": today().isoformat(),
            "received-cases": [other_client.reference],
        },
    )
    assert response.status_code == 200
    assert not SupervisionSession.objects.exists()


def test_a_counsellor_without_a_supervisor_is_told_so(
    colleague: User, other_client: Client
) -> None:
    response = verified_client(colleague).post(
        SUPERVISION,
        {
            "form": "received",
            "received-held_on": today().isoformat(),
            "received-cases": [other_client.reference],
        },
    )
    assert "No clinical supervisor is recorded" in response.content.decode()
    assert not SupervisionSession.objects.exists()


def test_nobody_supervises_themselves_or_someone_elses_supervisee(
    counsellor: User, supervisor: User, colleague: User, client_record: Client, other_client: Client
) -> None:
    # A supervisor who is not the colleague's supervisor cannot record their supervision.
    with pytest.raises(NoteError):
        services.record_supervision(
            by=supervisor, counsellor=colleague, held_on=today(), cases=[other_client]
        )
    # A counsellor who also supervises cannot pick themselves as a supervisee.
    both = make_user("bo", Role.COUNSELLOR, Role.SUPERVISOR)
    own = make_client(both)
    assert both not in access.supervisees(both)
    with pytest.raises(NoteError):
        services.record_supervision(by=both, counsellor=both, held_on=today(), cases=[own])
    assert not SupervisionSession.objects.exists()


def test_supervision_marks_the_points_shared_before_it_as_discussed(
    counsellor: User, client_record: Client
) -> None:
    point = share(client_record, counsellor)
    session = services.record_supervision(
        by=counsellor, counsellor=counsellor, held_on=today(), cases=[client_record]
    )
    point.refresh_from_db()
    assert point.discussed_in == session


@pytest.mark.parametrize("persona", ["manager", "administrator", "client_user", "outsider"])
def test_the_supervision_page_is_for_counsellors_and_supervisors(
    request: pytest.FixtureRequest, persona: str
) -> None:
    browser = verified_client(request.getfixturevalue(persona))
    assert browser.get(SUPERVISION).status_code == 404
    assert browser.post(SUPERVISION, {"form": "given"}).status_code == 404


# -- sharing points --------------------------------------------------------------------------


def test_the_counsellor_shares_a_point_with_a_risk_flag(
    counsellor: User, supervisor: User, client_record: Client
) -> None:
    url = reverse("notes:share", args=[client_record.reference])
    browser = verified_client(counsellor)
    response = browser.post(url, {"text": POINT, "risk": "self_harm"})
    assert response.status_code == 302
    point = SupervisionPoint.objects.get()
    assert (point.client, point.shared_by, point.risk, point.text) == (
        client_record,
        counsellor,
        "self_harm",
        POINT,
    )
    event = AuditEvent.objects.get(action="supervision.point_shared")
    assert event.client_ref == client_record.reference
    assert POINT not in repr(event.data) and "self_harm" not in repr(event.data)
    assert POINT in browser.get(url).content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [({"text": "", "risk": ""}, "This field is required"), ({"text": POINT, "risk": "x"}, "valid")],
)
def test_a_bad_point_is_refused(
    counsellor: User, client_record: Client, data: dict[str, str], message: str
) -> None:
    url = reverse("notes:share", args=[client_record.reference])
    response = verified_client(counsellor).post(url, data)
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert not SupervisionPoint.objects.exists()


# -- the supervisor's view -------------------------------------------------------------------


@pytest.fixture
def supervised_case(counsellor: User, client_record: Client) -> Client:
    today_ = today()
    write_note(counsellor, client=client_record, session_date=today_ - datetime.timedelta(days=14))
    write_note(
        counsellor,
        client=client_record,
        kind=SessionNote.Kind.PROCESS,
        session_date=today_ - datetime.timedelta(days=14),
    )
    services.create_note(
        by=counsellor,
        kind="factual",
        client=client_record,
        session_date=today_ - datetime.timedelta(days=7),
        duration_minutes=50,
        attendance=SessionNote.Attendance.DID_NOT_ATTEND,
        entries=[services.EntryInput(text="Did not attend; letter sent")],
    )
    share(client_record, counsellor, risk=SupervisionPoint.Risk.SELF_HARM)
    return client_record


def test_supervision_cases_gives_references_counts_and_flags(
    supervisor: User, counsellor: User, supervised_case: Client, other_client: Client
) -> None:
    [case] = access.supervision_cases(supervisor)
    assert case.reference == supervised_case.reference
    assert case.counsellor_id == counsellor.pk
    assert (case.session_count, case.attended_count) == (2, 1)
    assert case.last_session_on == today() - datetime.timedelta(days=7)
    assert case.open_risk_flags == ("Risk to self",)
    assert [p.text for p in case.points] == [POINT]
    assert not hasattr(case, "identity")
    event = AuditEvent.objects.get(action="supervision.points_viewed")
    assert event.client_ref == supervised_case.reference and event.data["points"] == 1


def test_supervision_cases_is_empty_for_anyone_but_a_supervisor(
    counsellor: User, colleague: User, manager: User, supervised_case: Client
) -> None:
    for user in (counsellor, colleague, manager):
        assert access.supervision_cases(user) == []


def test_the_supervisor_page_shows_references_and_flags_never_names(
    supervisor: User, supervised_case: Client
) -> None:
    with CaptureQueriesContext(connection) as queries:
        response = verified_client(supervisor).get(SUPERVISION)
    html = response.content.decode()
    assert response.status_code == 200
    assert supervised_case.reference in html
    assert "Risk to self" in html and POINT in html
    identity = supervised_case.identity
    for name in (identity.given_name, identity.family_name):
        assert name not in html
    # The supervisor's page never even reads the identity table.
    assert not any("clientidentity" in q["sql"].lower() for q in queries.captured_queries)
    # ...nor note content.
    assert not any("notes_noteentry" in q["sql"].lower() for q in queries.captured_queries)
    assert "Did not attend; letter sent" not in html


def test_a_reallocated_case_leaves_the_former_supervisors_view(
    supervisor: User, colleague: User, manager: User, supervised_case: Client
) -> None:
    client_services.allocate(supervised_case, to=colleague, by=manager)
    assert access.supervision_cases(supervisor) == []
