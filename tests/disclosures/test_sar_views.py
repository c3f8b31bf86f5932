"""The staff pages for subject access requests, as each persona (and an attacker) sees them:
who gets 200 and who gets 404, recording a request and its clock, choosing the bundle entry by
entry, and a second manager's review and release, which never shows note text."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from clients.models import ClientAccount
from disclosures import services, subject_access
from disclosures.deadlines import add_months
from disclosures.models import (
    DisclosureRequest,
    RegisterEntry,
    ReleasedDocument,
    Status,
    SubjectAccessRequest,
    Withholding,
)
from notes.models import NoteEntry
from practice.accounts.models import Role, User
from practice.audit.models import AuditEvent
from tests.conftest import make_client, make_user

pytestmark = pytest.mark.django_db

FAKE_PDF = b"%PDF-1.7 test"
DETAILS = "Everything about my sessions since March, please"
PERSONAS = [
    "counsellor",
    "colleague",
    "supervisor",
    "manager",
    "reviewer",
    "administrator",
    "client_user",
    "outsider",
]
HANDLERS = {"counsellor", "manager", "reviewer"}
# Who gets 200 from each page (GET); everyone else signed in gets 404.
ALLOWED = {
    "sar_list": HANDLERS | {"colleague"},  # a counsellor's own list: empty of this request
    "sar_new": HANDLERS,
    "sar_detail": HANDLERS,
    "sar_content": {"counsellor"},  # the only one who may read the notes
    "sar_review": HANDLERS,  # no note text on it
}
ACTIONS = ["sar_verify", "sar_pause", "sar_resume", "sar_extend", "sar_close", "sar_prepare"]


def url(name: str, *args: Any) -> str:
    return reverse(f"disclosures:{name}", args=args)


def long_date(day: datetime.date) -> str:
    return f"{day.day} {day:%B %Y}"


@pytest.fixture(autouse=True)
def fake_renderer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("disclosures.pdf.render_pack", lambda pack: FAKE_PDF)


@pytest.fixture
def reviewer(db: None) -> User:
    """A second service manager: the one who reviews and releases."""
    return make_user("mia", Role.MANAGER)


@pytest.fixture
def people(
    counsellor: User,
    colleague: User,
    supervisor: User,
    manager: User,
    reviewer: User,
    administrator: User,
    outsider: User,
    client_record: Any,
) -> dict[str, User]:
    client_user = make_user("c-jordan", Role.CLIENT)
    ClientAccount.objects.create(user=client_user, client=client_record)
    return {
        "counsellor": counsellor,
        "colleague": colleague,
        "supervisor": supervisor,
        "manager": manager,
        "reviewer": reviewer,
        "administrator": administrator,
        "client_user": client_user,
        "outsider": outsider,
    }


@pytest.fixture
def browsers(people: dict[str, User], as_user: Callable[[User], HttpClient]) -> Any:
    made: dict[str, HttpClient] = {}

    def get(persona: str) -> HttpClient:
        if persona not in made:
            made[persona] = as_user(people[persona])
        return made[persona]

    return get


def record(by: User, client: Any, **values: Any) -> SubjectAccessRequest:
    defaults: dict[str, Any] = dict(
        channel="letter",
        received_on=timezone.localdate(),
        details=DETAILS,
        identity_verified=True,
        identity_verified_how="Known to the counsellor; asked in session",
    )
    return subject_access.request_access(client, by=by, **{**defaults, **values})


@pytest.fixture
def sar(counsellor: User, client_record: Any) -> SubjectAccessRequest:
    return record(counsellor, client_record)


@pytest.fixture
def prepared(
    counsellor: User, client_record: Any, entries: list[Any], sar: SubjectAccessRequest
) -> SubjectAccessRequest:
    subject_access.prepare_bundle(sar, by=counsellor)
    sar.refresh_from_db()
    return sar


def fresh(sar: SubjectAccessRequest) -> SubjectAccessRequest:
    return SubjectAccessRequest.objects.select_related("bundle").get(pk=sar.pk)


def state(sar: SubjectAccessRequest) -> tuple[Any, ...]:
    """Everything a refused action must leave as it was."""
    sar = fresh(sar)
    bundle = sar.bundle
    return (
        sar.status,
        sar.identity_verified,
        sar.extension_months,
        sar.pauses.count(),
        bundle.status if bundle else None,
        sorted(str(i) for i in bundle.items.values_list("entry_id", flat=True)) if bundle else [],
        bundle.withholdings.count() if bundle else 0,
        ReleasedDocument.objects.count(),
        RegisterEntry.objects.count(),
    )


def page(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# -- who sees what -----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", sorted(ALLOWED))
def test_each_page_is_200_for_those_allowed_and_404_for_everyone_else(
    name: str, persona: str, browsers: Any, prepared: SubjectAccessRequest, client_record: Any
) -> None:
    args = {
        "sar_list": (),
        "sar_new": (client_record.reference,),
    }.get(name, (prepared.pk,))
    response = browsers(persona).get(url(name, *args))
    expected = 200 if persona in ALLOWED[name] else 404
    assert response.status_code == expected, f"{persona} got {response.status_code} from {name}"
    if name == "sar_list" and persona == "colleague":
        assert prepared.reference not in response.content.decode()


@pytest.mark.parametrize("persona", sorted(set(PERSONAS) - HANDLERS))
@pytest.mark.parametrize("name", ACTIONS)
def test_nobody_else_can_act_on_a_request(
    name: str, persona: str, browsers: Any, sar: SubjectAccessRequest
) -> None:
    before = state(sar)
    data = {
        "verify-how": "Passport",
        "pause-reason": "clarification",
        "extend-months": "1",
        "extend-reason": "Many records",
        "close-reason": "Withdrawn",
    }
    assert browsers(persona).post(url(name, sar.pk), data).status_code == 404
    assert state(sar) == before


def test_nobody_else_can_choose_content_or_release(
    browsers: Any, prepared: SubjectAccessRequest, entries: list[Any]
) -> None:
    before = state(prepared)
    for persona in sorted(set(PERSONAS) - HANDLERS):
        browser = browsers(persona)
        content = {f"decision-{entries[0].pk}": "include"}
        assert browser.post(url("sar_content", prepared.pk), content).status_code == 404
        release = {"release-confirmed": "on"}
        assert browser.post(url("sar_review", prepared.pk), release).status_code == 404
    for persona in ("manager", "reviewer"):
        content = {f"decision-{entries[1].pk}": "withhold"}
        assert browsers(persona).post(url("sar_content", prepared.pk), content).status_code == 404
    assert state(prepared) == before


@pytest.mark.parametrize(
    "name", ["sar_list", "sar_new", "sar_detail", "sar_content", "sar_review", *ACTIONS]
)
def test_anonymous_visitors_are_sent_to_sign_in(name: str, sar: SubjectAccessRequest) -> None:
    args = {"sar_list": (), "sar_new": (sar.client.reference,)}.get(name, (sar.pk,))
    response = HttpClient().get(url(name, *args))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_bad_ids_and_other_clients_requests_are_404_never_500(
    browsers: Any, counsellor: User, colleague: User, other_client: Any
) -> None:
    theirs = record(colleague, other_client)
    subject_access.prepare_bundle(theirs, by=colleague)
    browser = browsers("counsellor")
    for path in (
        "/disclosures/subject-access/not-a-uuid/",
        "/disclosures/subject-access/123/review/",
        "/disclosures/subject-access/%00/content/",
        url("sar_detail", "6f1c2a4e-0000-4000-8000-000000000000"),
        url("sar_new", "NOPE"),
        url("sar_new", "C-0000"),
        url("sar_new", other_client.reference),
    ):
        assert browser.get(path).status_code == 404, path
    before = state(theirs)
    for name in ["sar_detail", "sar_content", "sar_review"]:
        assert browser.get(url(name, theirs.pk)).status_code == 404
    for name in ACTIONS:
        data = {"verify-how": "x", "close-reason": "x", "extend-months": "1"}
        assert browser.post(url(name, theirs.pk), data).status_code == 404
    assert (
        browser.post(url("sar_review", theirs.pk), {"release-confirmed": "on"}).status_code == 404
    )
    assert state(theirs) == before


# -- recording a request and its clock ------------------------------------------------------------


def test_a_letter_without_proof_of_identity_pauses_until_it_is_verified_then_extends(
    browsers: Any, client_record: Any
) -> None:
    browser = browsers("counsellor")
    received = timezone.localdate() - datetime.timedelta(days=10)
    response = browser.post(
        url("sar_new", client_record.reference),
        {"received_on": received.isoformat(), "channel": "letter", "details": DETAILS},
    )
    sar = SubjectAccessRequest.objects.get(client=client_record)
    assert response.status_code == 302 and response["Location"] == url("sar_detail", sar.pk)
    assert DETAILS not in response["Location"]
    assert sar.status == SubjectAccessRequest.Status.PAUSED and not sar.identity_verified
    assert sar.channel == "letter" and sar.received_on == received and sar.details == DETAILS

    body = page(browser.get(url("sar_detail", sar.pk)))
    assert "Paused: clock stopped" in body and "Waiting for proof of identity" in body
    assert "still paused" in body and DETAILS in body
    assert url("sar_verify", sar.pk) in body and url("sar_prepare", sar.pk) not in body

    response = browser.post(url("sar_verify", sar.pk), {"verify-how": "Driving licence"})
    assert response.status_code == 302
    sar = fresh(sar)
    assert sar.status == SubjectAccessRequest.Status.OPEN and sar.identity_verified
    due = add_months(timezone.localdate(), 1)  # the month starts once identity is confirmed
    assert sar.due_on() == due
    body = page(browser.get(url("sar_detail", sar.pk)))
    assert "Driving licence" in body and "Clock started" in body and "0 days added" in body
    assert long_date(due) in body and "days left" in body

    response = browser.post(
        url("sar_extend", sar.pk),
        {"extend-months": "1", "extend-reason": "Many years of notes to check"},
        follow=True,
    )
    body = page(response)
    extended = add_months(timezone.localdate(), 2)
    assert fresh(sar).extension_months == 1 and fresh(sar).due_on() == extended
    assert long_date(extended) in body and "Extended by 1 month" in body
    assert "Many years of notes to check" in body and "The request was extended" in body


def test_recording_refuses_bad_input_and_records_nothing(browsers: Any, client_record: Any) -> None:
    browser = browsers("manager")
    target = url("sar_new", client_record.reference)
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    today = timezone.localdate().isoformat()
    cases = [
        ({"received_on": tomorrow, "channel": "email"}, "cannot be in the future"),
        ({"received_on": today, "channel": "portal"}, "Select a valid choice"),
        ({"received_on": "31/02/2026", "channel": "email"}, "Enter a valid date"),
        ({"received_on": today}, "Say how the request was made"),
        (
            {"received_on": today, "channel": "phone", "identity_verified": "on"},
            "Say how the client&#x27;s identity was verified",
        ),
        ({"received_on": today, "channel": "phone", "details": "x" * 4001}, "at most 4000"),
    ]
    for data, message in cases:
        body = page(browser.post(target, data))
        assert "There is a problem" in body and message in body, message
    assert not SubjectAccessRequest.objects.exists()
    # A second request while one is in progress: the service refuses, the page says why.
    first = record(make_user("mgr-x", Role.MANAGER), client_record)
    body = page(browser.post(target, {"received_on": today, "channel": "email"}))
    assert "already in progress" in body and first.reference in body
    assert SubjectAccessRequest.objects.count() == 1


def test_a_manager_records_a_verified_request_by_reference_from_the_list(
    browsers: Any, client_record: Any
) -> None:
    browser = browsers("manager")
    found = browser.get(url("sar_list"), {"client": client_record.reference.lower()})
    assert found.status_code == 302
    assert found["Location"] == url("sar_new", client_record.reference)
    body = page(browser.get(url("sar_list"), {"client": "C-NONE"}))
    assert "There is no client with that reference" in body
    response = browser.post(
        url("sar_new", client_record.reference),
        {
            "received_on": timezone.localdate().isoformat(),
            "channel": "in_person",
            "identity_verified": "on",
            "identity_verified_how": "Passport at reception",
        },
        follow=True,
    )
    body = page(response)
    sar = SubjectAccessRequest.objects.get()
    assert sar.status == SubjectAccessRequest.Status.OPEN and sar.recorded_by.username == "max"
    assert "It is due by" in body and long_date(add_months(timezone.localdate(), 1)) in body


def test_the_managers_list_shows_every_open_request_overdue_first(
    browsers: Any, counsellor: User, colleague: User, client_record: Any, other_client: Any
) -> None:
    late_client = make_client(colleague, given_name="Avery", family_name="Quillfeather")
    paused_client = make_client(counsellor, given_name="Blake", family_name="Marchbank")
    recent = record(counsellor, client_record)
    late = record(
        colleague, late_client, received_on=timezone.localdate() - datetime.timedelta(days=45)
    )
    paused = record(counsellor, paused_client, identity_verified=False)
    closed = record(colleague, other_client)
    subject_access.close(closed, by=colleague, reason="Withdrawn by the client")

    body = page(browsers("manager").get(url("sar_list")))
    open_section = body.split("Open requests")[1].split("Record a request")[0]
    assert open_section.index(late.reference) < open_section.index(recent.reference)
    assert open_section.index(recent.reference) < open_section.index(paused.reference)
    assert "1 request is overdue" in body and 'class="row--overdue"' in open_section
    assert "Paused: clock stopped" in open_section and closed.reference not in open_section
    assert closed.reference in body.split("Recently completed")[1]
    for name in ("Fielding", "Quillfeather", "Marchbank"):
        assert name not in open_section, "the list names clients by reference only"

    mine = page(browsers("counsellor").get(url("sar_list")))
    assert recent.reference in mine and paused.reference in mine
    assert late.reference not in mine and closed.reference not in mine
    assert url("sar_new", client_record.reference) not in mine, "one is already in progress"

    home = page(browsers("manager").get(reverse("manager_home")))
    panel = home.split('id="access-requests-title"')[1].split("</section>")[0]
    assert "3 open requests" in panel and "1 overdue" in panel
    assert panel.index(late.reference) < panel.index(recent.reference)
    home = page(browsers("counsellor").get(reverse("counsellor_home")))
    panel = home.split('id="access-requests-title"')[1].split("</section>")[0]
    assert recent.reference in panel and late.reference not in panel


def test_an_extension_after_the_first_month_is_refused_on_the_page(
    browsers: Any, counsellor: User, client_record: Any
) -> None:
    sar = record(
        counsellor, client_record, received_on=timezone.localdate() - datetime.timedelta(days=40)
    )
    browser = browsers("counsellor")
    body = page(browser.get(url("sar_detail", sar.pk)))
    assert "Overdue" in body and url("sar_extend", sar.pk) not in body
    before = state(sar)
    body = page(
        browser.post(url("sar_extend", sar.pk), {"extend-months": "1", "extend-reason": "Late"})
    )
    assert "within the first month" in body and state(sar) == before
    for data in ({"extend-months": "3", "extend-reason": "x"}, {"extend-months": "1"}):
        body = page(browser.post(url("sar_extend", sar.pk), data))
        assert "There is a problem" in body and state(sar) == before


def test_once_extended_no_more_time_is_offered_after_the_first_month(
    browsers: Any, as_user: Any, counsellor: User, client_record: Any
) -> None:
    received = timezone.localdate() - datetime.timedelta(days=20)
    sar = record(counsellor, client_record, received_on=received)
    subject_access.extend(sar, by=counsellor, months=1, reason="Many years of notes")
    browser = browsers("counsellor")
    assert url("sar_extend", sar.pk) in page(browser.get(url("sar_detail", sar.pk)))
    with time_machine.travel(timezone.now() + datetime.timedelta(days=15)):
        later = as_user(counsellor)  # a new sign-in: sessions last twelve hours at most
        assert url("sar_extend", sar.pk) not in page(later.get(url("sar_detail", sar.pk)))


def test_pause_resume_and_close(browsers: Any, sar: SubjectAccessRequest) -> None:
    browser = browsers("manager")
    before = state(sar)
    body = page(browser.post(url("sar_pause", sar.pk), {"pause-reason": "holiday"}))
    assert "There is a problem" in body and state(sar) == before
    browser.post(url("sar_pause", sar.pk), {"pause-reason": "clarification"})
    assert fresh(sar).status == SubjectAccessRequest.Status.PAUSED
    body = page(browser.get(url("sar_detail", sar.pk)))
    assert "Waiting for the client to clarify" in body and url("sar_resume", sar.pk) in body
    browser.post(url("sar_resume", sar.pk), {})
    assert fresh(sar).status == SubjectAccessRequest.Status.OPEN
    body = page(browser.post(url("sar_close", sar.pk), {"close-reason": "  "}))
    assert "Record why the request is closed" in body
    assert fresh(sar).status == SubjectAccessRequest.Status.OPEN
    browser.post(url("sar_close", sar.pk), {"close-reason": "The client withdrew it"})
    body = page(browser.get(url("sar_detail", sar.pk)))
    assert fresh(sar).status == SubjectAccessRequest.Status.CLOSED
    assert "The client withdrew it" in body and "What you can do" not in body


def test_only_the_counsellor_prepares_the_bundle(
    browsers: Any, sar: SubjectAccessRequest, entries: list[Any]
) -> None:
    body = page(browsers("manager").get(url("sar_detail", sar.pk)))
    assert url("sar_prepare", sar.pk) not in body
    body = page(browsers("manager").post(url("sar_prepare", sar.pk), {}))
    assert "The client&#x27;s counsellor prepares the bundle" in body and fresh(sar).bundle is None
    body = page(browsers("counsellor").get(url("sar_detail", sar.pk)))
    assert url("sar_prepare", sar.pk) in body
    browsers("counsellor").post(url("sar_prepare", sar.pk), {})
    bundle = fresh(sar).bundle
    assert bundle is not None and bundle.category_code == "subject_access"
    assert set(bundle.items.values_list("entry_id", flat=True)) == {entries[0].pk, entries[1].pk}


# -- choosing the content ------------------------------------------------------------------------


def test_the_content_page_proposes_everything_but_third_party_information(
    browsers: Any, prepared: SubjectAccessRequest, entries: list[Any]
) -> None:
    response = browsers("counsellor").get(url("sar_content", prepared.pk))
    body = page(response)
    form = response.context["form"]
    assert form[f"decision-{entries[0].pk}"].value() == "include"
    assert form[f"decision-{entries[1].pk}"].value() == "include"
    assert form[f"decision-{entries[2].pk}"].value() == "leave_out"
    for entry in entries:
        assert entry.text in body, "the counsellor reads each entry to decide"
    assert "From: Sister" in body and "Signed" in body


def _choice(entries: list[Any], **overrides: str) -> dict[str, str]:
    data = {
        f"decision-{entries[0].pk}": "include",
        f"decision-{entries[1].pk}": "include",
        f"decision-{entries[2].pk}": "leave_out",
    }
    data.update(overrides)
    return data


def test_withholding_needs_a_basis_and_a_recent_opinion_and_bad_choices_change_nothing(
    browsers: Any, prepared: SubjectAccessRequest, entries: list[Any]
) -> None:
    browser = browsers("counsellor")
    target = url("sar_content", prepared.pk)
    before = state(prepared)
    second = entries[1].pk
    old = add_months(timezone.localdate(), -7)
    cases = [
        (
            _choice(entries, **{f"decision-{second}": "withhold"}),
            "Record why it is withheld",
        ),
        (
            _choice(
                entries,
                **{
                    f"decision-{second}": "withhold",
                    f"basis-{second}": "Would put the client at risk",
                    f"opinion_by-{second}": "Dr Rao, consultant psychiatrist",
                    f"opinion_on-{second}": old.isoformat(),
                },
            ),
            "must be no more than six months old",
        ),
        (
            _choice(entries, **{f"decision-{entries[2].pk}": "include"}),
            "Third-party information is left out unless you record why",
        ),
        (_choice(entries, **{f"decision-{entries[0].pk}": "leave_out"}), "Choose what happens"),
        (_choice(entries, **{f"decision-{entries[0].pk}": ""}), "Choose what happens"),
    ]
    for data, message in cases:
        body = page(browser.post(target, data))
        assert "There is a problem" in body and message in body, message
        assert state(prepared) == before


def test_a_valid_choice_is_saved_and_ids_from_elsewhere_are_ignored(
    browsers: Any,
    prepared: SubjectAccessRequest,
    entries: list[Any],
    colleague: User,
    other_client: Any,
) -> None:
    from notes import services as note_services
    from notes.services import EntryInput

    foreign = note_services.create_note(
        by=colleague,
        kind="factual",
        client=other_client,
        session_date=timezone.localdate(),
        duration_minutes=50,
        attendance="attended",
        entries=[EntryInput(text="Someone else's session.")],
    ).entries.get()
    second = entries[1].pk
    opinion_on = timezone.localdate() - datetime.timedelta(days=30)
    data = _choice(
        entries,
        **{
            f"decision-{second}": "withhold",
            f"basis-{second}": "Likely to cause serious harm to the client's mental health",
            f"opinion_by-{second}": "Dr Rao, consultant psychiatrist",
            f"opinion_on-{second}": opinion_on.isoformat(),
            f"decision-{entries[2].pk}": "include",
            f"reason-{entries[2].pk}": "The sister agreed in writing",
            f"decision-{foreign.pk}": "include",
        },
    )
    response = browsers("counsellor").post(url("sar_content", prepared.pk), data)
    assert response.status_code == 302 and response["Location"] == url("sar_detail", prepared.pk)
    bundle = fresh(prepared).bundle
    assert set(bundle.items.values_list("entry_id", flat=True)) == {entries[0].pk, entries[2].pk}
    assert bundle.items.get(entry=entries[2]).third_party_reason == "The sister agreed in writing"
    held = Withholding.objects.get(request=bundle)
    assert held.entry_id == second and held.opinion_on == opinion_on
    assert held.opinion_by == "Dr Rao, consultant psychiatrist"
    assert not NoteEntry.objects.filter(pk=foreign.pk, note__client=prepared.client).exists()
    # The page shows what was saved next time.
    form = browsers("counsellor").get(url("sar_content", prepared.pk)).context["form"]
    assert form[f"decision-{second}"].value() == "withhold"
    assert form[f"decision-{entries[2].pk}"].value() == "include"


def test_a_supervision_point_is_withheld_for_crime_on_the_page_and_the_review_shows_why(
    browsers: Any, counsellor: User, client_record: Any, entries: list[Any], sar: Any
) -> None:
    from notes import services as note_services

    point = note_services.share_supervision_point(
        client_record, by=counsellor, text="Reported the cash to the NCA (PANGOLIN)."
    )
    subject_access.prepare_bundle(sar, by=counsellor)
    content = page(browsers("counsellor").get(url("sar_content", sar.pk)))
    assert "PANGOLIN" in content and f"decision-{point.pk}" in content
    data = _choice(entries, **{f"decision-{point.pk}": "withhold_crime"})
    assert "Record why it is withheld" in page(
        browsers("counsellor").post(url("sar_content", sar.pk), data)
    )
    data[f"basis-{point.pk}"] = "It would reveal a report to the NCA"
    response = browsers("counsellor").post(url("sar_content", sar.pk), data)
    assert response.status_code == 302
    held = Withholding.objects.get(request=fresh(sar).bundle)
    assert (held.point_id, held.exemption, held.opinion_on) == (point.pk, "crime", None)
    form = browsers("counsellor").get(url("sar_content", sar.pk)).context["form"]
    assert form[f"decision-{point.pk}"].value() == "withhold_crime"

    review = page(browsers("manager").get(url("sar_review", sar.pk)))
    assert "Withheld: prevention or detection of crime" in review
    assert "Supervision point" in review and "PANGOLIN" not in review


# -- review and release ----------------------------------------------------------------------------


def _withhold_second(counsellor: User, sar: SubjectAccessRequest, entries: list[Any]) -> None:
    subject_access.choose_bundle_content(
        fresh(sar).bundle,
        by=counsellor,
        include=[entries[0].pk],
        withhold={
            str(entries[1].pk): subject_access.Withheld(
                basis="Likely to cause serious harm",
                opinion_by="Dr Rao",
                opinion_on=timezone.localdate() - datetime.timedelta(days=10),
            )
        },
    )


def test_a_second_manager_reviews_without_note_text_and_releases(
    browsers: Any, counsellor: User, prepared: SubjectAccessRequest, entries: list[Any]
) -> None:
    _withhold_second(counsellor, prepared, entries)
    browser = browsers("reviewer")
    body = page(browser.get(url("sar_review", prepared.pk)))
    for entry in entries:
        assert entry.text not in body, "a manager never reads note text"
    assert "In the bundle: 1 entry" in body
    assert "Third-party information, from: Sister" in body
    assert "Withheld: serious harm" in body and "Likely to cause serious harm" in body
    assert "Opinion of Dr Rao" in body and "Release to the client" in body
    detail = page(browser.get(url("sar_detail", prepared.pk)))
    for entry in entries:
        assert entry.text not in detail

    before = state(prepared)
    body = page(browser.post(url("sar_review", prepared.pk), {}))
    assert "Confirm that you have reviewed the bundle" in body and state(prepared) == before

    response = browser.post(
        url("sar_review", prepared.pk), {"release-confirmed": "on"}, follow=True
    )
    body = page(response)
    assert "The client has been told" in body and "Released to the client" in body
    sar = fresh(prepared)
    assert sar.status == SubjectAccessRequest.Status.RELEASED and sar.completed_at
    bundle = sar.bundle
    assert bundle.status == Status.RELEASED and bundle.released_by.username == "mia"
    document = ReleasedDocument.objects.get(request=bundle)
    assert document.sha256 in body
    snapshot = json.loads(document.content_json)
    texts = [item["text"] for item in snapshot["items"]]
    assert texts == [entries[0].text], "the withheld and third-party entries stay out"
    assert RegisterEntry.objects.filter(request=bundle).count() == 1
    # Once released, nothing more is offered.
    body = page(browser.get(url("sar_review", prepared.pk)))
    assert 'name="release-confirmed"' not in body
    assert browsers("counsellor").get(url("sar_content", prepared.pk)).status_code == 302


def test_a_note_written_after_preparing_blocks_the_release_until_it_is_chosen(
    browsers: Any, counsellor: User, prepared: SubjectAccessRequest, entries: list[Any]
) -> None:
    from notes import services as note_services
    from notes.services import EntryInput

    later = note_services.create_note(
        by=counsellor,
        kind="process",
        client=prepared.client,
        session_date=timezone.localdate(),
        duration_minutes=50,
        attendance="attended",
        entries=[EntryInput(text="A process note written after the bundle was prepared.")],
    ).entries.get()
    browser = browsers("reviewer")
    body = page(browser.get(url("sar_review", prepared.pk)))
    assert "Still needed before it can be released" in body and "review the content" in body
    assert later.text not in body
    before = state(prepared)
    body = page(browser.post(url("sar_review", prepared.pk), {"release-confirmed": "on"}))
    assert "There is a problem" in body and "neither in the bundle nor withheld" in body
    assert state(prepared) == before and not ReleasedDocument.objects.exists()
    # The counsellor's page proposes the new entry in; saving it clears the problem.
    response = browsers("counsellor").get(url("sar_content", prepared.pk))
    assert response.context["form"][f"decision-{later.pk}"].value() == "include"
    assert "Draft: not yet signed" in page(response) and later.text in page(response)
    data = _choice(entries, **{f"decision-{later.pk}": "include"})
    assert browsers("counsellor").post(url("sar_content", prepared.pk), data).status_code == 302
    response = browser.post(url("sar_review", prepared.pk), {"release-confirmed": "on"})
    assert response.status_code == 302
    assert fresh(prepared).status == SubjectAccessRequest.Status.RELEASED


def test_the_counsellor_who_prepared_it_cannot_release_it(
    browsers: Any, prepared: SubjectAccessRequest
) -> None:
    browser = browsers("counsellor")
    body = page(browser.get(url("sar_review", prepared.pk)))
    assert "A service manager who did not prepare the bundle reviews" in body
    assert 'name="release-confirmed"' not in body
    before = state(prepared)
    body = page(browser.post(url("sar_review", prepared.pk), {"release-confirmed": "on"}))
    assert "Approval is by a service manager who neither raised the request" in body
    assert state(prepared) == before and not ReleasedDocument.objects.exists()


def test_a_counsellor_who_is_also_a_manager_cannot_release_their_own_bundle(
    as_user: Callable[[User], HttpClient],
) -> None:
    both = make_user("pat", Role.COUNSELLOR, Role.MANAGER)
    client = make_client(both)
    sar = record(both, client)
    subject_access.prepare_bundle(sar, by=both)
    browser = as_user(both)
    body = page(browser.get(url("sar_review", sar.pk)))
    assert "You prepared this bundle" in body
    body = page(browser.post(url("sar_review", sar.pk), {"release-confirmed": "on"}))
    assert "neither raised the request nor signed it off" in body
    assert fresh(sar).status == SubjectAccessRequest.Status.OPEN
    assert not ReleasedDocument.objects.exists()


def test_the_reviewer_is_warned_that_sealed_disclosures_are_left_out(
    browsers: Any,
    counsellor: User,
    supervisor: User,
    manager: User,
    prepared: SubjectAccessRequest,
    entries: list[Any],
) -> None:
    sealed = services.raise_request(
        by=counsellor,
        client=prepared.client,
        category_code="terrorism",
        requester_kind="practice",
        requester="Practice",
        recipient="Counter Terrorism Policing",
        purpose="Section 38B",
        asked_for="Relevant notes",
        received_on=timezone.localdate(),
    )
    services.choose_content(sealed, by=counsellor, entry_ids=[entries[0].pk])
    services.clear_consent(sealed, by=counsellor, outcome="must_not_seek")
    services.sign_off(sealed, by=supervisor)
    services.approve(sealed, by=manager)
    services.release(sealed, by=manager)
    body = page(browsers("reviewer").get(url("sar_review", prepared.pk)))
    assert "1 sealed disclosure about this client is left out" in body
    assert "tipping off" in body
    assert "Counter Terrorism Policing" not in body and sealed.reference not in body


def test_a_large_bundle_is_released_in_the_background(
    browsers: Any, prepared: SubjectAccessRequest, settings: Any
) -> None:
    settings.RELEASE_IN_BACKGROUND_OVER_ITEMS = 0
    response = browsers("reviewer").post(
        url("sar_review", prepared.pk), {"release-confirmed": "on"}, follow=True
    )
    body = page(response)
    assert "being prepared in the background" in body
    bundle = DisclosureRequest.objects.get(pk=fresh(prepared).bundle.pk)
    assert bundle.status == Status.APPROVED and bundle.release_task_id
    assert not ReleasedDocument.objects.exists()
    assert fresh(prepared).status == SubjectAccessRequest.Status.OPEN


def test_the_bundle_page_links_back_to_the_request_and_shows_no_note_text(
    browsers: Any, prepared: SubjectAccessRequest, entries: list[Any]
) -> None:
    bundle_page = reverse("disclosures:detail", args=[prepared.bundle.pk])
    for persona in ("counsellor", "manager"):
        body = page(browsers(persona).get(bundle_page))
        assert url("sar_detail", prepared.pk) in body and prepared.reference in body
        for entry in entries:
            assert entry.text not in body, persona


def test_views_are_audited_without_confidential_text(
    browsers: Any, prepared: SubjectAccessRequest
) -> None:
    browsers("reviewer").get(url("sar_detail", prepared.pk))
    browsers("reviewer").get(url("sar_review", prepared.pk))
    views = AuditEvent.objects.filter(action="subject_access.viewed", target_id=str(prepared.pk))
    assert {event.data["view"] for event in views} >= {"detail", "review"}
    for event in AuditEvent.objects.all():
        assert DETAILS not in json.dumps(event.data)
