"""The disclosure pages as a user or an attacker sees them: who gets 200 and who gets 404,
sealed requests, audited downloads, bad input that changes nothing, each gate through its
form, and the queues."""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from clients.models import LegalHold
from consent import services as consent_services
from disclosures import queues, services
from disclosures.models import (
    DisclosureDocument,
    DisclosureRequest,
    GateDecision,
    RegisterEntry,
    Status,
)
from notes import services as note_services
from notes.services import EntryInput
from practice.accounts.models import Role, User
from practice.audit.models import AuditEvent
from tests.conftest import make_user
from tests.disclosures.conftest import (
    PDF,
    approved_court_order,
    disclosure_consent,
    raise_court_order,
    upload,
)

pytestmark = pytest.mark.django_db

FAKE_PDF = b"%PDF-1.7 test"
CLIENT_NAME = "Fielding"  # client_record's family name: never on a disclosure page
PERSONAS = [
    "counsellor",
    "supervisor",
    "other_supervisor",
    "manager",
    "other_manager",
    "administrator",
    "colleague",
    "client_user",
    "outsider",
]


def url(name: str, *args: Any) -> str:
    return reverse(f"disclosures:{name}", args=args)


@pytest.fixture
def people(
    counsellor: User,
    supervisor: User,
    manager: User,
    administrator: User,
    colleague: User,
    client_user: User,
    outsider: User,
) -> dict[str, User]:
    return {
        "counsellor": counsellor,
        "supervisor": supervisor,
        "other_supervisor": make_user("sam", Role.SUPERVISOR),
        "manager": manager,
        "other_manager": make_user("mia", Role.MANAGER),
        "administrator": administrator,
        "colleague": colleague,
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


@pytest.fixture(autouse=True)
def fake_renderer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("disclosures.pdf.render_pack", lambda pack: FAKE_PDF)


def released_court_order(people: dict[str, User], client: Any, entries: list[Any]) -> Any:
    req = approved_court_order(
        people["counsellor"], people["supervisor"], people["manager"], client, entries
    )
    services.release(req, by=people["counsellor"])
    req.refresh_from_db()
    return req


def status_of(req: DisclosureRequest) -> str:
    return DisclosureRequest.objects.get(pk=req.pk).status


def raise_form(client_ref: str, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "category": "court_order",
        "requester_kind": "court",
        "requester": "County Court at Exampleton",
        "recipient": "County Court at Exampleton",
        "purpose": "Family proceedings",
        "asked_for": "All records",
        "received_on": timezone.localdate().isoformat(),
        "due_on": "",
        "document": SimpleUploadedFile("order.pdf", PDF, content_type="application/pdf"),
        "document_kind": "court_order",
    }
    data.update(overrides)
    return data


# -- who reaches which page -----------------------------------------------------------------------

SEE_REQUEST = {"counsellor", "supervisor", "manager", "other_manager"}
MATRIX: dict[str, set[str]] = {
    "list": {
        "counsellor",
        "supervisor",
        "other_supervisor",
        "manager",
        "other_manager",
        "colleague",
    },
    "new": {"counsellor", "manager", "other_manager"},
    "detail": SEE_REQUEST,
    "choose": {"counsellor"},
    "document": SEE_REQUEST,
    "download": SEE_REQUEST,
    "register": {"manager", "other_manager"},
    "accountability": {"manager", "other_manager"},
}


@pytest.mark.parametrize("page", list(MATRIX))
def test_every_page_for_every_persona(
    page: str, people: dict[str, User], browsers: Any, client_record: Any, entries: list[Any]
) -> None:
    open_request = raise_court_order(people["counsellor"], client_record)
    document = open_request.documents.get()
    released = released_court_order(people, client_record, entries)
    urls = {
        "list": url("list"),
        "new": url("new") + f"?client={client_record.reference}",
        "detail": url("detail", open_request.pk),
        "choose": url("choose", open_request.pk),
        "document": url("document", open_request.pk, document.pk),
        "download": url("download", released.pk),
        "register": url("register"),
        "accountability": url("accountability", client_record.reference),
    }
    wrong = []
    for persona in PERSONAS:
        expected = 200 if persona in MATRIX[page] else 404
        got = browsers(persona).get(urls[page]).status_code
        if got != expected:
            wrong.append(f"{persona}: {got}, expected {expected}")
    assert not wrong, wrong


POST_ACTIONS = [
    "consent",
    "consult",
    "sign_off",
    "approve",
    "refuse",
    "release",
    "emergency_release",
    "review",
    "attach",
]


def test_outsiders_get_404_from_every_action(
    people: dict[str, User], browsers: Any, client_record: Any
) -> None:
    req = raise_court_order(people["counsellor"], client_record)
    for persona in ["other_supervisor", "administrator", "colleague", "client_user", "outsider"]:
        for action in POST_ACTIONS:
            response = browsers(persona).post(url(action, req.pk), {"refuse-reason": "x"})
            assert response.status_code == 404, (persona, action)
    assert status_of(req) == Status.RAISED
    assert not GateDecision.objects.filter(request=req).exists()


def test_actions_are_post_only(people: dict[str, User], browsers: Any, client_record: Any) -> None:
    req = raise_court_order(people["counsellor"], client_record)
    for action in POST_ACTIONS:
        assert browsers("counsellor").get(url(action, req.pk)).status_code == 405


def test_a_missing_request_is_a_404_like_a_forbidden_one(browsers: Any) -> None:
    import uuid

    assert browsers("manager").get(url("detail", uuid.uuid4())).status_code == 404
    assert browsers("manager").get(url("accountability", "C-NONE")).status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client_record: Any, counsellor: User) -> None:
    req = raise_court_order(counsellor, client_record)
    response = HttpClient().get(url("detail", req.pk))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_no_page_shows_the_clients_identity(
    people: dict[str, User], browsers: Any, client_record: Any, entries: list[Any]
) -> None:
    req = approved_court_order(
        people["counsellor"], people["supervisor"], people["manager"], client_record, entries
    )
    for persona in ["counsellor", "supervisor", "manager"]:
        for page in (url("list"), url("detail", req.pk)):
            body = browsers(persona).get(page).content.decode()
            assert client_record.reference in body
            assert CLIENT_NAME not in body and "Jordan" not in body
    body = browsers("counsellor").get(url("choose", req.pk), follow=True).content.decode()
    assert CLIENT_NAME not in body


def test_viewing_a_request_is_audited(
    browsers: Any, people: dict[str, User], client_record: Any
) -> None:
    req = raise_court_order(people["counsellor"], client_record)
    browsers("supervisor").get(url("detail", req.pk))
    event = AuditEvent.objects.filter(action="disclosure.viewed", target_id=str(req.pk)).last()
    assert event is not None and event.actor_id == people["supervisor"].pk
    assert event.client_ref == client_record.reference


# -- sealed requests ------------------------------------------------------------------------------


def raise_terrorism(counsellor: User, client: Any) -> DisclosureRequest:
    return services.raise_request(
        by=counsellor,
        client=client,
        category_code="terrorism",
        requester_kind="practice",
        requester="The practice",
        recipient="Counter Terrorism Policing",
        purpose="Section 38B",
        asked_for="Relevant notes",
        received_on=timezone.localdate(),
    )


def test_sealed_requests_are_invisible_to_those_who_did_not_work_on_them(
    people: dict[str, User], browsers: Any, client_record: Any
) -> None:
    req = raise_terrorism(people["counsellor"], client_record)
    for persona in ["colleague", "other_supervisor", "supervisor", "administrator"]:
        assert browsers(persona).get(url("detail", req.pk)).status_code == 404, persona
        listing = browsers(persona).get(url("list"))
        assert req.reference not in listing.content.decode(), persona
        assert (
            browsers(persona).post(url("refuse", req.pk), {"refuse-reason": "x"}).status_code == 404
        )
    for persona in ["counsellor", "manager"]:
        page = browsers(persona).get(url("detail", req.pk)).content.decode()
        assert "banner--sealed" in page and "Sealed" in page
        listing = browsers(persona).get(url("list")).content.decode()
        assert req.reference in listing and "Sealed" in listing


def test_the_counsellors_supervisor_can_sign_off_a_sealed_request(
    people: dict[str, User], browsers: Any, client_record: Any
) -> None:
    req = raise_terrorism(people["counsellor"], client_record)
    services.clear_consent(req, by=people["counsellor"], outcome="must_not_seek")
    assert browsers("supervisor").get(url("detail", req.pk)).status_code == 200


# -- downloads ------------------------------------------------------------------------------------


def test_attached_documents_download_audited_under_our_own_name(
    people: dict[str, User], browsers: Any, client_record: Any
) -> None:
    req = raise_court_order(
        people["counsellor"],
        client_record,
        documents=[("court_order", upload("Jordan Fielding order.pdf"))],
    )
    document = req.documents.get()
    response = browsers("supervisor").get(url("document", req.pk, document.pk))
    assert response.status_code == 200 and response.content == PDF
    assert response["Content-Type"] == "application/pdf"
    assert (
        response["Content-Disposition"] == f'attachment; filename="{req.reference}-court_order.pdf"'
    )
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(action="disclosure.document.downloaded")
    assert event.actor_id == people["supervisor"].pk and event.target_id == str(document.pk)
    assert "Fielding" not in str(event.data)


def test_the_released_pdf_downloads_for_participants_audited(
    people: dict[str, User], browsers: Any, client_record: Any, entries: list[Any]
) -> None:
    req = released_court_order(people, client_record, entries)
    register = RegisterEntry.objects.get(request=req)
    response = browsers("counsellor").get(url("download", req.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{req.reference}.pdf"'
    assert hashlib.sha256(response.content).hexdigest() == register.sha256
    event = AuditEvent.objects.get(action="disclosure.downloaded")
    assert event.actor_id == people["counsellor"].pk and event.target_id == str(req.pk)
    assert event.data["sha256"] == register.sha256
    detail = browsers("counsellor").get(url("detail", req.pk)).content.decode()
    assert url("download", req.pk) in detail and register.sha256 in detail


def test_no_pdf_before_release(
    people: dict[str, User], browsers: Any, client_record: Any, entries: list[Any]
) -> None:
    req = approved_court_order(
        people["counsellor"], people["supervisor"], people["manager"], client_record, entries
    )
    assert browsers("counsellor").get(url("download", req.pk)).status_code == 404
    assert not AuditEvent.objects.filter(action="disclosure.downloaded").exists()


# -- raising a request ----------------------------------------------------------------------------


def test_raising_a_court_order_with_the_order_attached(
    people: dict[str, User], browsers: Any, client_record: Any
) -> None:
    page = browsers("counsellor").get(url("new") + f"?client={client_record.reference}")
    body = page.content.decode()
    assert "Needs the order itself" in body and "Sealed" in body  # rules beside each category
    response = browsers("counsellor").post(
        url("new") + f"?client={client_record.reference}", raise_form(client_record.reference)
    )
    req = DisclosureRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == url("detail", req.pk)
    assert req.raised_by == people["counsellor"] and req.category_code == "court_order"
    assert req.documents.get().kind == "court_order" and bytes(req.documents.get().content) == PDF
    assert LegalHold.objects.filter(client=client_record, source_id=str(req.pk)).exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {
                "category": "road_traffic",
                "requester_kind": "solicitor",
                "document_kind": "police_request",
            },
            "can only answer a request from the police",
        ),
        (
            {"received_on": "tomorrow"},
            "cannot be in the future",
        ),
        (
            {
                "document": SimpleUploadedFile(
                    "order.pdf",
                    b"MZ\x90\x00\x03\x00\x00\x00PE executable",
                    content_type="application/pdf",
                )
            },
            "must be a PDF, PNG or JPEG",
        ),
        ({"recipient": "", "category": ""}, "Choose what kind of disclosure this is"),
        ({"due_on": "2000-01-01"}, "The due date cannot be before"),
        ({"document_kind": ""}, "Say what the document is"),
    ],
    ids=[
        "road-traffic-from-a-solicitor",
        "future-date",
        "renamed-executable",
        "missing",
        "due-before-received",
        "no-kind",
    ],
)
def test_bad_input_re_renders_with_the_error_summary_and_saves_nothing(
    overrides: dict[str, Any], message: str, browsers: Any, client_record: Any
) -> None:
    if overrides.get("received_on") == "tomorrow":
        # Worked out when the test runs, not when it is collected (a run may cross midnight).
        tomorrow = timezone.localdate() + datetime.timedelta(days=1)
        overrides = {"received_on": tomorrow.isoformat()}
    events = AuditEvent.objects.count()
    response = browsers("counsellor").post(
        url("new") + f"?client={client_record.reference}",
        raise_form(client_record.reference, **overrides),
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "There is a problem" in body and message in body
    assert not DisclosureRequest.objects.exists()
    assert not DisclosureDocument.objects.exists()
    assert not LegalHold.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="disclosure.").exists()
    assert AuditEvent.objects.count() == events


def test_a_colleague_cannot_raise_for_someone_elses_client(
    browsers: Any, client_record: Any
) -> None:
    target = url("new") + f"?client={client_record.reference}"
    assert browsers("colleague").get(target).status_code == 404
    assert (
        browsers("colleague").post(target, raise_form(client_record.reference)).status_code == 404
    )
    assert not DisclosureRequest.objects.exists()


def test_a_manager_raises_for_any_client(
    browsers: Any, other_client: Any, people: dict[str, User]
) -> None:
    response = browsers("manager").post(
        url("new") + f"?client={other_client.reference}", raise_form(other_client.reference)
    )
    assert response.status_code == 302
    assert DisclosureRequest.objects.get().raised_by == people["manager"]


def test_without_a_client_the_page_asks_which(browsers: Any, client_record: Any) -> None:
    body = browsers("counsellor").get(url("new")).content.decode()
    assert client_record.reference in body and "Client reference" in body


# -- choosing what is released --------------------------------------------------------------------


def test_the_content_page_marks_third_party_entries_and_advises_a_report(
    people: dict[str, User],
    browsers: Any,
    client_record: Any,
    entries: list[Any],
    other_client: Any,
) -> None:
    theirs = note_services.create_note(
        by=people["colleague"],
        kind="factual",
        client=other_client,
        session_date=timezone.localdate(),
        duration_minutes=50,
        attendance="attended",
        entries=[EntryInput(text="Someone else's session")],
    )
    note_services.sign_note(theirs, by=people["colleague"])
    req = raise_court_order(people["counsellor"], client_record)
    body = browsers("counsellor").get(url("choose", req.pk)).content.decode()
    assert entries[0].text in body and entries[2].text in body
    assert "Third-party information" in body and f'name="reason_{entries[2].pk}"' in body
    assert "A report is advised" in body
    assert "Someone else" not in body


def test_choosing_content_through_the_page(
    people: dict[str, User],
    browsers: Any,
    client_record: Any,
    entries: list[Any],
    other_client: Any,
) -> None:
    req = raise_court_order(people["counsellor"], client_record)
    target = url("choose", req.pk)
    # nothing at all
    response = browsers("counsellor").post(target, {})
    assert "Choose the entries to release, or write a report" in response.content.decode()
    # a third-party entry without a reason
    response = browsers("counsellor").post(target, {"entries": [str(entries[2].pk)]})
    assert (
        response.status_code == 200
        and "left out unless you record why" in response.content.decode()
    )
    assert not req.items.exists()
    # an entry that is not this client's (or does not exist) is not a valid choice
    import uuid

    response = browsers("counsellor").post(target, {"entries": [str(uuid.uuid4())]})
    assert response.status_code == 200 and "There is a problem" in response.content.decode()
    assert not req.items.exists()
    response = browsers("counsellor").post(
        target,
        {
            "entries": [str(entries[0].pk), str(entries[2].pk)],
            f"reason_{entries[2].pk}": "The court asked for the family's view",
            "report_text": "",
        },
    )
    assert response.status_code == 302
    assert {item.entry_id for item in req.items.all()} == {entries[0].pk, entries[2].pk}
    assert (
        req.items.get(entry=entries[2]).third_party_reason
        == "The court asked for the family's view"
    )
    # supervisors and managers never choose (they do not read notes)
    assert browsers("supervisor").get(target).status_code == 404
    assert browsers("manager").post(target, {"entries": [str(entries[1].pk)]}).status_code == 404


# -- the gates through their forms ----------------------------------------------------------------


def test_a_court_order_through_every_gate_by_page(
    people: dict[str, User], browsers: Any, client_record: Any, entries: list[Any]
) -> None:
    req = raise_court_order(people["counsellor"], client_record)
    counsellor, supervisor, manager = (browsers(p) for p in ("counsellor", "supervisor", "manager"))
    assert (
        counsellor.post(url("choose", req.pk), {"entries": [str(entries[0].pk)]}).status_code == 302
    )

    page = counsellor.get(url("detail", req.pk)).content.decode()
    assert "The consent step" in page and "Sign off" not in page
    assert supervisor.post(url("sign_off", req.pk), {}).status_code == 200  # too early: error page
    assert status_of(req) == Status.RAISED

    # a consent outcome the category does not allow
    response = counsellor.post(url("consent", req.pk), {"consent-outcome": "consented"})
    assert response.status_code == 200 and "There is a problem" in response.content.decode()
    # the reason is required when consent is not relied on
    response = counsellor.post(url("consent", req.pk), {"consent-outcome": "not_required"})
    assert "Record the reason consent is not being relied on" in response.content.decode()
    assert status_of(req) == Status.RAISED
    response = counsellor.post(
        url("consent", req.pk),
        {
            "consent-outcome": "not_required",
            "consent-reason": "Court order served",
            "consent-notify_client": "on",
        },
    )
    assert response.status_code == 302 and status_of(req) == Status.CONSENT_CLEARED

    # the manager cannot sign off, the supervisor cannot approve, nobody skips the sign-off
    response = manager.post(url("sign_off", req.pk), {})
    assert "There is a problem" in response.content.decode()
    response = manager.post(url("approve", req.pk), {})
    assert "signs it off before" in response.content.decode()
    assert status_of(req) == Status.CONSENT_CLEARED
    assert "Sign off" in supervisor.get(url("detail", req.pk)).content.decode()
    assert (
        supervisor.post(url("sign_off", req.pk), {"sign_off-reason": "Order checked"}).status_code
        == 302
    )
    assert status_of(req) == Status.SIGNED_OFF

    response = supervisor.post(url("approve", req.pk), {})
    assert "Approval is by a service manager" in response.content.decode()
    assert manager.post(url("approve", req.pk), {"approve-reason": ""}).status_code == 302
    assert status_of(req) == Status.APPROVED

    # only who raised it (or the approving manager) releases
    response = supervisor.post(url("release", req.pk), {})
    assert "releases it" in response.content.decode() and status_of(req) == Status.APPROVED
    assert counsellor.post(url("release", req.pk), {}).status_code == 302
    assert status_of(req) == Status.RELEASED
    assert RegisterEntry.objects.filter(request=req).count() == 1
    assert counsellor.get(url("download", req.pk)).status_code == 200
    gates = list(GateDecision.objects.filter(request=req).values_list("gate", "by__username"))
    assert gates == [("consent", "casey"), ("supervisor", "suki"), ("manager", "max")]


def test_refusing_needs_a_reason_and_ends_the_request(
    people: dict[str, User], browsers: Any, client_record: Any
) -> None:
    req = raise_court_order(people["counsellor"], client_record)
    response = browsers("supervisor").post(url("refuse", req.pk), {"refuse-reason": "  "})
    assert response.status_code == 200 and "Give the reason" in response.content.decode()
    assert status_of(req) == Status.RAISED
    response = browsers("supervisor").post(url("refuse", req.pk), {"refuse-reason": "Wrong client"})
    assert response.status_code == 302 and status_of(req) == Status.REFUSED
    page = browsers("counsellor").get(url("detail", req.pk)).content.decode()
    assert "Wrong client" in page and "Refuse the request" not in page


def test_consultation_and_attaching_through_the_page(
    people: dict[str, User], browsers: Any, client_record: Any
) -> None:
    req = services.raise_request(
        by=people["counsellor"],
        client=client_record,
        category_code="child_safeguarding",
        requester_kind="practice",
        requester="Practice",
        recipient="Children's services",
        purpose="Referral",
        asked_for="The concern",
        received_on=timezone.localdate(),
    )
    page = browsers("counsellor").get(url("detail", req.pk)).content.decode()
    assert "Record a consultation" in page
    response = browsers("counsellor").post(
        url("consult", req.pk), {"consult-gate": "supervisor_consulted", "consult-reason": ""}
    )
    assert "Record who was consulted" in response.content.decode()
    response = browsers("counsellor").post(
        url("consult", req.pk),
        {
            "consult-gate": "supervisor_consulted",
            "consult-reason": "Spoke to Suki; agreed to refer",
        },
    )
    assert response.status_code == 302 and req.decision("supervisor_consulted") is not None
    bad = SimpleUploadedFile("letter.pdf", b"just text", content_type="application/pdf")
    response = browsers("counsellor").post(
        url("attach", req.pk), {"attach-document": bad, "attach-document_kind": "other"}
    )
    assert "must be a PDF, PNG or JPEG" in response.content.decode()
    assert not req.documents.exists()
    good = SimpleUploadedFile("letter.pdf", PDF, content_type="application/pdf")
    response = browsers("counsellor").post(
        url("attach", req.pk), {"attach-document": good, "attach-document_kind": "other"}
    )
    assert response.status_code == 302 and req.documents.count() == 1


def test_consent_withdrawn_after_approval_blocks_release_on_the_page(
    people: dict[str, User], browsers: Any, client_record: Any, entries: list[Any]
) -> None:
    counsellor = people["counsellor"]
    req = services.raise_request(
        by=counsellor,
        client=client_record,
        category_code="client_request",
        requester_kind="client",
        requester="The client",
        recipient="Dr Patel, GP",
        purpose="Continuity of care",
        asked_for="A summary",
        received_on=timezone.localdate(),
        documents=[("release_form", upload())],
    )
    consent = disclosure_consent(counsellor, client_record)
    services.choose_content(req, by=counsellor, entry_ids=[entries[0].pk])
    page = browsers("counsellor").get(url("detail", req.pk)).content.decode()
    assert "Dr Patel, GP" in page  # the covering consent is offered by its recipient
    response = browsers("counsellor").post(
        url("consent", req.pk), {"consent-outcome": "consented", "consent-consent": str(consent.pk)}
    )
    assert response.status_code == 302
    services.sign_off(req, by=people["supervisor"])
    services.approve(req, by=people["manager"])
    assert "Release</button>" in browsers("counsellor").get(url("detail", req.pk)).content.decode()
    consent_services.withdraw(consent, by=counsellor, evidence="verbal")

    page = browsers("counsellor").get(url("detail", req.pk)).content.decode()
    assert "It cannot be released now" in page and "withdrew" in page
    assert "Release</button>" not in page
    response = browsers("counsellor").post(url("release", req.pk), {})
    assert response.status_code == 200 and "withdrew" in response.content.decode()
    assert status_of(req) == Status.APPROVED and not RegisterEntry.objects.exists()
    listing = browsers("counsellor").get(url("list")).content.decode()
    assert "Blocked" in listing
    blocked = queues.blocked_for(counsellor)
    assert [b.request.pk for b in blocked] == [req.pk] and "withdrew" in blocked[0].reasons[0]
    assert queues.blocked_for(people["colleague"]) == []


def test_the_emergency_route_and_its_reviews(
    people: dict[str, User], browsers: Any, client_record: Any, entries: list[Any]
) -> None:
    req = services.raise_request(
        by=people["counsellor"],
        client=client_record,
        category_code="serious_harm",
        requester_kind="practice",
        requester="Practice",
        recipient="Crisis team",
        purpose="Immediate risk to life",
        asked_for="Risk information",
        received_on=timezone.localdate(),
    )
    services.choose_content(req, by=people["counsellor"], entry_ids=[entries[0].pk])
    page = browsers("counsellor").get(url("detail", req.pk)).content.decode()
    assert "Emergency release" in page
    assert (
        "Emergency release"
        not in browsers("supervisor").get(url("detail", req.pk)).content.decode()
    )
    response = browsers("counsellor").post(
        url("emergency_release", req.pk), {"emergency-reason": ""}
    )
    assert "Give the reason" in response.content.decode() and status_of(req) == Status.RAISED
    response = browsers("counsellor").post(
        url("emergency_release", req.pk), {"emergency-reason": "Plan for tonight"}
    )
    assert response.status_code == 302 and status_of(req) == Status.RELEASED

    due = queues.emergency_reviews_due(people["supervisor"])
    assert [(d.request.pk, d.gate, d.overdue) for d in due] == [
        (req.pk, "review_supervisor", False)
    ]
    assert [d.gate for d in queues.emergency_reviews_due(people["manager"])] == ["review_manager"]
    assert queues.emergency_reviews_due(people["counsellor"]) == []
    assert queues.emergency_reviews_due(people["other_supervisor"]) == []
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=73)):
        assert queues.emergency_reviews_due(people["supervisor"])[0].overdue
    page = browsers("supervisor").get(url("detail", req.pk)).content.decode()
    assert "banner--emergency" in page and "Review the emergency release" in page
    assert (
        "Emergency releases to review" in browsers("supervisor").get(url("list")).content.decode()
    )

    assert (
        browsers("supervisor")
        .post(url("review", req.pk), {"review-reason": "Right call"})
        .status_code
        == 302
    )
    assert (
        browsers("manager").post(url("review", req.pk), {"review-reason": "Agreed"}).status_code
        == 302
    )
    response = browsers("other_manager").post(url("review", req.pk), {"review-reason": "Me too"})
    assert "no review waiting" in response.content.decode()
    assert queues.emergency_reviews_due(people["supervisor"]) == []
    assert (
        "banner--emergency"
        not in browsers("counsellor").get(url("detail", req.pk)).content.decode()
    )


# -- the queues -----------------------------------------------------------------------------------


def test_waiting_for_follows_the_gates(
    people: dict[str, User], browsers: Any, client_record: Any, entries: list[Any]
) -> None:
    req = raise_court_order(people["counsellor"], client_record)
    services.choose_content(req, by=people["counsellor"], entry_ids=[entries[0].pk])

    def waiting(persona: str) -> list[Any]:
        return [r.pk for r in queues.waiting_for(people[persona])]

    assert waiting("counsellor") == [req.pk]
    assert waiting("supervisor") == [] and waiting("manager") == []
    services.clear_consent(req, by=people["counsellor"], outcome="not_required", reason="Order")
    assert waiting("supervisor") == [req.pk]
    assert (
        waiting("other_supervisor") == []
        and waiting("manager") == []
        and waiting("counsellor") == []
    )
    assert "Supervisor sign-off" in browsers("supervisor").get(url("list")).content.decode()
    services.sign_off(req, by=people["supervisor"])
    assert waiting("manager") == [req.pk] and waiting("other_manager") == [req.pk]
    assert waiting("supervisor") == []
    services.approve(req, by=people["manager"])
    assert waiting("counsellor") == [req.pk] and waiting("manager") == [req.pk]  # either releases
    assert waiting("other_manager") == []
    for persona in ("colleague", "administrator", "outsider", "client_user"):
        assert waiting(persona) == []


def test_a_subject_access_request_goes_from_consent_to_the_manager(
    people: dict[str, User], client_record: Any, entries: list[Any]
) -> None:
    req = services.raise_request(
        by=people["counsellor"],
        client=client_record,
        category_code="subject_access",
        requester_kind="client",
        requester="The client",
        recipient="The client",
        purpose="Subject access",
        asked_for="Everything",
        received_on=timezone.localdate(),
    )
    services.clear_consent(req, by=people["counsellor"], outcome="not_applicable")
    assert [r.pk for r in queues.waiting_for(people["manager"])] == [req.pk]
    assert queues.waiting_for(people["supervisor"]) == []


def test_the_list_shows_what_is_waiting_with_due_dates(
    people: dict[str, User], browsers: Any, client_record: Any
) -> None:
    due = timezone.localdate() + datetime.timedelta(days=14)
    req = raise_court_order(people["counsellor"], client_record, due_on=due)
    body = browsers("counsellor").get(url("list")).content.decode()
    waiting = body.split("Waiting for you")[1].split("All requests you can see")[0]
    assert req.reference in waiting and "Record the consent step" in waiting
    assert due.strftime("%Y-%m-%d") in waiting
    body = browsers("colleague").get(url("list")).content.decode()
    assert req.reference not in body and "Nothing is waiting for you" in body


def test_a_large_pack_is_handed_to_the_background_worker(
    people: dict[str, User], browsers: Any, client_record: Any, entries: list[Any], settings: Any
) -> None:
    settings.RELEASE_IN_BACKGROUND_OVER_ITEMS = 0
    req = approved_court_order(
        people["counsellor"], people["supervisor"], people["manager"], client_record, entries
    )
    response = browsers("counsellor").post(url("release", req.pk), {}, follow=True)
    body = response.content.decode()
    assert "being prepared in the background" in body
    req.refresh_from_db()
    assert req.status == Status.APPROVED and req.release_task_id
    assert not RegisterEntry.objects.exists()
