"""Who reaches which notes: every rule from both sides, by URL, as a user or attacker would."""

from __future__ import annotations

import datetime
import re
import uuid

import pytest
from django.test import Client as Browser
from django.urls import reverse
from django.utils import timezone

from clients import services as client_services
from clients.models import AccessGrant, Client, JointCase
from notes import access
from notes.models import SessionNote, SupervisionPoint
from practice.accounts.models import Role, User
from practice.audit.models import AuditEvent
from tests.conftest import make_user, verified_client
from tests.notes.conftest import SECRET, existing_rows, note_form_data, write_note

pytestmark = pytest.mark.django_db

PERSONAS = ["colleague", "supervisor", "manager", "administrator", "client_user", "outsider"]

# (url name, takes the note id rather than the client reference, method)
NOTE_URLS = [
    ("notes:client", False, "get"),
    ("notes:new", False, "get"),
    ("notes:new", False, "post"),
    ("notes:share", False, "get"),
    ("notes:share", False, "post"),
    ("notes:detail", True, "get"),
    ("notes:edit", True, "get"),
    ("notes:edit", True, "post"),
    ("notes:sign", True, "get"),
    ("notes:sign", True, "post"),
    ("notes:amend", True, "get"),
    ("notes:amend", True, "post"),
    ("notes:versions", True, "get"),
]
READ_URLS = {("notes:client", "get"), ("notes:detail", "get")}


def url_for(name: str, by_note: bool, note: SessionNote, client: Client) -> str:
    return reverse(name, args=[note.pk if by_note else client.reference])


def post_data(name: str, note: SessionNote) -> dict[str, str]:
    if name == "notes:share":
        return {"text": "point", "risk": ""}
    if name in ("notes:edit", "notes:amend"):
        return note_form_data(existing_rows(note), initial=1, reason="why")
    return note_form_data()


def call(browser: Browser, method: str, url: str, name: str, note: SessionNote) -> int:
    if method == "post":
        return browser.post(url, post_data(name, note)).status_code
    return browser.get(url).status_code


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("name", "by_note", "method"), NOTE_URLS)
def test_nobody_but_the_counsellor_reaches_a_clients_notes(
    request: pytest.FixtureRequest,
    persona: str,
    name: str,
    by_note: bool,
    method: str,
    draft: SessionNote,
    client_record: Client,
) -> None:
    user: User = request.getfixturevalue(persona)
    before = (SessionNote.objects.count(), SupervisionPoint.objects.count())
    status = call(
        verified_client(user), method, url_for(name, by_note, draft, client_record), name, draft
    )
    assert status == 404
    draft.refresh_from_db()
    assert (draft.status, draft.version) == ("draft", 1)
    assert (SessionNote.objects.count(), SupervisionPoint.objects.count()) == before
    assert not AuditEvent.objects.filter(action="note.viewed").exists()


@pytest.mark.parametrize(("name", "by_note", "method"), NOTE_URLS)
def test_the_allocated_counsellor_reaches_every_note_page(
    name: str,
    by_note: bool,
    method: str,
    counsellor: User,
    draft: SessionNote,
    client_record: Client,
) -> None:
    status = call(
        verified_client(counsellor),
        method,
        url_for(name, by_note, draft, client_record),
        name,
        draft,
    )
    # 302: a successful POST, or the amend page of a draft sending the author to edit it.
    assert status in (200, 302)


@pytest.mark.parametrize("persona", ["colleague", "supervisor", "manager"])
def test_a_missing_note_and_someone_elses_note_look_the_same(
    request: pytest.FixtureRequest, persona: str, draft: SessionNote
) -> None:
    browser = verified_client(request.getfixturevalue(persona))
    missing = browser.get(reverse("notes:detail", args=[uuid.uuid4()]))
    theirs = browser.get(reverse("notes:detail", args=[draft.pk]))
    assert missing.status_code == theirs.status_code == 404
    # The same page, but for the per-response CSRF token of the sign-out form.
    token = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')
    assert token.sub(b"", missing.content) == token.sub(b"", theirs.content)


def test_a_colleague_cannot_reach_the_notes_of_their_own_client_as_someone_elses(
    counsellor: User, colleague: User, other_client: Client
) -> None:
    note = write_note(colleague, client=other_client)
    browser = verified_client(counsellor)
    for name in ("notes:detail", "notes:edit", "notes:versions"):
        assert browser.get(reverse(name, args=[note.pk])).status_code == 404
    assert browser.get(reverse("notes:client", args=[other_client.reference])).status_code == 404


def test_a_successor_counsellor_reads_but_does_not_change_a_predecessors_note(
    counsellor: User, colleague: User, manager: User, client_record: Client, signed: SessionNote
) -> None:
    client_services.allocate(client_record, to=colleague, by=manager)
    browser = verified_client(colleague)
    assert browser.get(reverse("notes:detail", args=[signed.pk])).status_code == 200
    assert browser.get(reverse("notes:amend", args=[signed.pk])).status_code == 404
    # ...and the former counsellor no longer reaches the client at all.
    former = verified_client(counsellor)
    assert former.get(reverse("notes:detail", args=[signed.pk])).status_code == 404


# -- break-glass -----------------------------------------------------------------------------

WRITE_PAGES = ["notes:edit", "notes:sign", "notes:amend", "notes:versions"]


def test_break_glass_reads_but_never_writes(
    colleague: User, client_record: Client, draft: SessionNote
) -> None:
    browser = verified_client(colleague)
    assert browser.get(reverse("notes:detail", args=[draft.pk])).status_code == 404

    client_services.break_glass(client_record, by=colleague, reason="Client in crisis, on call")
    listing = browser.get(reverse("notes:client", args=[client_record.reference]))
    assert listing.status_code == 200
    assert "Break-glass access" in listing.content.decode()
    assert reverse("notes:new", args=[client_record.reference]) not in listing.content.decode()
    page = browser.get(reverse("notes:detail", args=[draft.pk]))
    assert page.status_code == 200
    assert SECRET in page.content.decode()
    event = AuditEvent.objects.get(action="note.viewed")
    assert (event.actor_id, event.data["via"]) == (colleague.pk, "break_glass")

    for name in WRITE_PAGES:
        assert browser.get(reverse(name, args=[draft.pk])).status_code == 404, name
        if name != "notes:versions":  # a GET-only page
            assert browser.post(reverse(name, args=[draft.pk])).status_code == 404, name
    new = reverse("notes:new", args=[client_record.reference])
    assert browser.post(new, note_form_data()).status_code == 404
    share = reverse("notes:share", args=[client_record.reference])
    assert browser.post(share, {"text": "x"}).status_code == 404
    assert SessionNote.objects.count() == 1


def test_break_glass_ends_after_its_hour(
    colleague: User, client_record: Client, draft: SessionNote
) -> None:
    grant = client_services.break_glass(client_record, by=colleague, reason="On call")
    AccessGrant.objects.filter(pk=grant.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert (
        verified_client(colleague).get(reverse("notes:detail", args=[draft.pk])).status_code == 404
    )


# -- professional executors ------------------------------------------------------------------


@pytest.fixture
def executor(db: None) -> User:
    return make_user("exa", Role.COUNSELLOR)


def test_an_executor_reads_only_once_activated_and_never_writes(
    counsellor: User, executor: User, manager: User, client_record: Client, signed: SessionNote
) -> None:
    appointment = client_services.name_executor(
        counsellor=counsellor, executor=executor, by=counsellor
    )
    browser = verified_client(executor)
    assert browser.get(reverse("notes:detail", args=[signed.pk])).status_code == 404
    assert browser.get(reverse("notes:client", args=[client_record.reference])).status_code == 404

    client_services.activate_executor(appointment, by=manager, reason_code="death")
    page = browser.get(reverse("notes:detail", args=[signed.pk]))
    assert page.status_code == 200 and SECRET in page.content.decode()
    assert AuditEvent.objects.get(action="note.viewed").data["via"] == "executor"
    for name in WRITE_PAGES:
        assert browser.get(reverse(name, args=[signed.pk])).status_code == 404, name
    new = reverse("notes:new", args=[client_record.reference])
    assert browser.post(new, note_form_data()).status_code == 404
    assert SessionNote.objects.count() == 1


# -- joint cases -----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_joint_case_counsellor_reaches_its_notes(
    request: pytest.FixtureRequest, persona: str, counsellor: User, joint_case: JointCase
) -> None:
    note = write_note(counsellor, joint_case=joint_case)
    browser = verified_client(request.getfixturevalue(persona))
    for url in (
        reverse("notes:joint", args=[joint_case.reference]),
        reverse("notes:joint_new", args=[joint_case.reference]),
        reverse("notes:detail", args=[note.pk]),
        reverse("notes:edit", args=[note.pk]),
        reverse("notes:versions", args=[note.pk]),
    ):
        assert browser.get(url).status_code == 404, url
    new = reverse("notes:joint_new", args=[joint_case.reference])
    assert browser.post(new, note_form_data()).status_code == 404
    assert SessionNote.objects.count() == 1
    mine = verified_client(counsellor)
    assert mine.get(reverse("notes:joint", args=[joint_case.reference])).status_code == 200
    assert mine.get(reverse("notes:detail", args=[note.pk])).status_code == 200


def test_break_glass_on_a_partner_does_not_open_the_joint_case(
    colleague: User, counsellor: User, joint_case: JointCase, client_record: Client
) -> None:
    note = write_note(counsellor, joint_case=joint_case)
    client_services.break_glass(client_record, by=colleague, reason="On call")
    browser = verified_client(colleague)
    assert browser.get(reverse("notes:detail", args=[note.pk])).status_code == 404


# -- the access functions themselves ---------------------------------------------------------


def test_readable_and_changeable_scopes(
    counsellor: User,
    colleague: User,
    supervisor: User,
    manager: User,
    administrator: User,
    client_user: User,
    draft: SessionNote,
) -> None:
    assert list(access.readable_notes(counsellor)) == [draft]
    assert list(access.changeable_notes(counsellor)) == [draft]
    for user in (colleague, supervisor, manager, administrator, client_user):
        assert not access.readable_notes(user).exists()
        assert not access.may_change(user, draft)


def test_an_inactive_counsellor_reaches_nothing(
    counsellor: User, draft: SessionNote, joint_case: JointCase
) -> None:
    write_note(counsellor, joint_case=joint_case)
    counsellor.is_active = False
    counsellor.save()
    assert not access.readable_notes(counsellor).exists()
