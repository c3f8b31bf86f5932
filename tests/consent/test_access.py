"""Who reaches the consent pages. Only the allocated counsellor records contracting and
consent; break-glass and professional-executor access reads but never records; everyone else
gets the same 404 as for a client or consent that does not exist."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client as Browser
from django.urls import reverse

from clients import services as client_services
from clients.models import Client
from consent import services
from consent.models import ConsentEvent, Contracting, DocumentVersion, Scope
from practice.accounts.models import Role, User
from practice.audit.models import AuditEvent
from tests.conftest import make_user, verified_client
from tests.consent.conftest import disclosure_form_data, give, pdf_upload

pytestmark = pytest.mark.django_db

DENIED = ["colleague", "supervisor", "manager", "administrator", "client_user", "outsider"]
POINTS = ("explained_limits", "explained_supervision", "explained_storage", "explained_access")


def contracting_data(client: Client) -> dict[str, Any]:
    return {
        "contracted_on": client.opened_on.isoformat(),
        "agreement": DocumentVersion.current(DocumentVersion.Kind.AGREEMENT).pk,  # type: ignore[union-attr]
        "privacy_notice": DocumentVersion.current(DocumentVersion.Kind.PRIVACY_NOTICE).pk,  # type: ignore[union-attr]
        "delivered": "paper",
        **dict.fromkeys(POINTS, "on"),
    }


# (name, method, url, data) for every client consent page: reads first, then writes.
Request = tuple[str, str, str, Callable[[], dict[str, Any]] | None]


def read_requests(client: Client, grant: ConsentEvent) -> list[Request]:
    return [
        ("client", "get", reverse("consent:client", args=[client.reference]), None),
        ("detail", "get", reverse("consent:detail", args=[grant.pk]), None),
        ("evidence", "get", reverse("consent:evidence", args=[grant.pk]), None),
    ]


def write_requests(client: Client, grant: ConsentEvent) -> list[Request]:
    give_url = reverse("consent:grant", args=[client.reference])
    contracting_url = reverse("consent:contracting", args=[client.reference])
    withdraw_url = reverse("consent:withdraw", args=[grant.pk])
    return [
        ("contracting", "get", contracting_url, None),
        ("contracting", "post", contracting_url, lambda: contracting_data(client)),
        ("grant", "get", give_url, None),
        ("grant", "get", give_url + "?scope=disclosure", None),
        (
            "grant",
            "post",
            give_url + "?scope=disclosure",
            lambda: disclosure_form_data(evidence_file=pdf_upload()),
        ),
        ("withdraw", "get", withdraw_url, None),
        ("withdraw", "post", withdraw_url, lambda: {"evidence": "verbal"}),
    ]


def call(browser: Browser, request: Request) -> int:
    _name, method, url, data = request
    if method == "get":
        return browser.get(url).status_code
    return browser.post(url, data() if data else {}).status_code


def counts() -> tuple[int, int]:
    return ConsentEvent.objects.count(), Contracting.objects.count()


@pytest.fixture
def grant(counsellor: User, client_record: Client) -> ConsentEvent:
    return give(client_record, counsellor, Scope.DISCLOSURE)


@pytest.mark.parametrize("persona", DENIED)
def test_nobody_but_the_counsellor_reaches_a_clients_consent(
    request: pytest.FixtureRequest, persona: str, client_record: Client, grant: ConsentEvent
) -> None:
    user: User = request.getfixturevalue(persona)
    browser = verified_client(user)
    before = counts()
    for each in read_requests(client_record, grant) + write_requests(client_record, grant):
        assert call(browser, each) == 404, (persona, each[0], each[1])
    assert counts() == before
    assert not AuditEvent.objects.filter(action__startswith="consent.", actor_id=user.pk).exists()


def test_the_allocated_counsellor_reaches_every_page(
    counsellor: User, client_record: Client, grant: ConsentEvent
) -> None:
    browser = verified_client(counsellor)
    for each in read_requests(client_record, grant):
        assert call(browser, each) == 200, each
    for each in write_requests(client_record, grant):
        expected = 302 if each[1] == "post" else 200
        assert call(browser, each) == expected, each
    # contracting again, a second disclosure consent, and the withdrawal
    assert counts() == (3, 2)


def test_signed_out_visitors_are_sent_to_sign_in(
    client_record: Client, grant: ConsentEvent
) -> None:
    browser = Browser()
    for each in read_requests(client_record, grant) + write_requests(client_record, grant):
        status = call(browser, each)
        assert status == 302, each
    assert browser.get(reverse("consent:client", args=[client_record.reference]))[
        "Location"
    ].startswith("/accounts/login/")


def test_a_missing_consent_and_someone_elses_look_the_same(
    counsellor: User, colleague: User, other_client: Client
) -> None:
    theirs = give(other_client, colleague)
    browser = verified_client(counsellor)
    for name in ("consent:detail", "consent:evidence", "consent:withdraw"):
        assert browser.get(reverse(name, args=[theirs.pk])).status_code == 404
        assert browser.get(reverse(name, args=[uuid.uuid4()])).status_code == 404
    withdraw = reverse("consent:withdraw", args=[theirs.pk])
    assert browser.post(withdraw, {"evidence": "verbal"}).status_code == 404
    assert services.covers(other_client, Scope.RECORD_KEEPING)
    for name in ("consent:client", "consent:contracting", "consent:grant"):
        assert browser.get(reverse(name, args=[other_client.reference])).status_code == 404
        assert browser.get(reverse(name, args=["C-NONE"])).status_code == 404


def _assert_reads_but_never_records(
    browser: Browser, client: Client, grant: ConsentEvent, route: str
) -> None:
    page = browser.get(reverse("consent:client", args=[client.reference]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "read only" in html.lower()
    assert reverse("consent:grant", args=[client.reference]) not in html
    assert reverse("consent:contracting", args=[client.reference]) not in html
    detail = browser.get(reverse("consent:detail", args=[grant.pk])).content.decode()
    assert reverse("consent:withdraw", args=[grant.pk]) not in detail
    assert browser.get(reverse("consent:evidence", args=[grant.pk])).status_code == 200
    before = counts()
    for each in write_requests(client, grant):
        assert call(browser, each) == 404, each
    assert counts() == before
    assert services.covers(client, Scope.DISCLOSURE)
    vias = set(
        AuditEvent.objects.filter(
            action__in=["consent.viewed", "consent.evidence.downloaded"]
        ).values_list("data__via", flat=True)
    )
    assert vias == {route}


def test_break_glass_reads_consent_but_never_records_it(
    counsellor: User, colleague: User, client_record: Client
) -> None:
    grant = give(client_record, counsellor, Scope.DISCLOSURE)
    client_services.break_glass(client_record, by=colleague, reason="Client in crisis, on call")
    _assert_reads_but_never_records(verified_client(colleague), client_record, grant, "break_glass")


def test_an_executor_reads_consent_only_once_activated_and_never_records_it(
    counsellor: User, manager: User, client_record: Client
) -> None:
    executor = make_user("exa", Role.COUNSELLOR)
    grant = give(client_record, counsellor, Scope.DISCLOSURE)
    appointment = client_services.name_executor(
        counsellor=counsellor, executor=executor, by=counsellor
    )
    browser = verified_client(executor)
    assert browser.get(reverse("consent:client", args=[client_record.reference])).status_code == 404
    client_services.activate_executor(appointment, by=manager, reason_code="death")
    _assert_reads_but_never_records(browser, client_record, grant, "executor")


# -- the practice's documents ----------------------------------------------------------------


@pytest.mark.parametrize("persona", ["counsellor", *DENIED])
def test_only_a_service_manager_writes_and_publishes_documents(
    request: pytest.FixtureRequest, persona: str, manager: User
) -> None:
    draft = services.draft_document(by=manager, kind="agreement", version="2", title="A", text="B")
    if persona == "manager":
        return  # the manager's own journey is in test_views
    browser = verified_client(request.getfixturevalue(persona))
    assert browser.get(reverse("consent:documents")).status_code == 404
    assert browser.get(reverse("consent:document_new")).status_code == 404
    new = {"kind": "agreement", "version": "3", "title": "A", "text": "B"}
    assert browser.post(reverse("consent:document_new"), new).status_code == 404
    assert browser.get(reverse("consent:document", args=[draft.pk])).status_code == 404
    assert browser.post(reverse("consent:document_publish", args=[draft.pk])).status_code == 404
    draft.refresh_from_db()
    assert draft.published_at is None
    assert DocumentVersion.objects.count() == 3


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("manager", 200),
        ("counsellor", 200),
        ("colleague", 200),
        ("supervisor", 404),
        ("administrator", 404),
        ("client_user", 404),
        ("outsider", 404),
    ],
)
def test_published_documents_are_for_counsellors_and_managers(
    request: pytest.FixtureRequest, persona: str, status: int
) -> None:
    current = DocumentVersion.current(DocumentVersion.Kind.AGREEMENT)
    assert current is not None
    browser = verified_client(request.getfixturevalue(persona))
    assert browser.get(reverse("consent:document", args=[current.pk])).status_code == status


def test_the_manager_gets_405_for_a_get_on_publish(manager: User) -> None:
    current = DocumentVersion.current(DocumentVersion.Kind.AGREEMENT)
    assert current is not None
    browser = verified_client(manager)
    assert browser.get(reverse("consent:document_publish", args=[current.pk])).status_code == 405
