"""The client's portal: every page from every role, couples kept apart, sealed disclosures
absent everywhere, signing and withdrawing consent, and asking for one's records."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from clients import services as client_services
from clients.models import Client, ClientAccount, JointCase
from consent import services as consent_services
from consent.models import ConsentEvent, PreparedConsent
from disclosures import services, subject_access
from disclosures.models import DisclosureRequest, SubjectAccessRequest
from notes import services as note_services
from notes.services import EntryInput
from practice.accounts.models import Role, User
from practice.audit.models import AuditEvent
from tests.conftest import make_client, make_user, verified_client
from tests.disclosures.conftest import upload

FAKE_PDF = b"%PDF-1.7 the released bundle"
MINE = "Spoke about the allotment and the long winter"
PARTNERS = "Partner spoke about the night shifts at the depot"
COUPLES = "Together they talked about the holiday argument"
SEALED_RECIPIENT = "Regional Counter Terrorism Unit Zebra"
SEALED_PURPOSE = "Suspicion reported under section 38B Quokka"
LAUNDERING_RECIPIENT = "National Crime Agency Wombat desk"
LAUNDERING_PURPOSE = "Suspicious activity report Pangolin"
STAFF = ["counsellor", "colleague", "supervisor", "manager", "administrator", "outsider"]


def url(name: str, *args: Any) -> str:
    return reverse(f"portal:{name}", args=args)


@pytest.fixture(autouse=True)
def fake_renderer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("disclosures.pdf.render_pack", lambda pack: FAKE_PDF)


def portal_account(client: Client, username: str) -> User:
    user = make_user(username, Role.CLIENT)
    ClientAccount.objects.create(user=user, client=client)
    return user


def write_signed_note(counsellor: User, client: Client, text: str = MINE) -> Any:
    note = note_services.create_note(
        by=counsellor,
        kind="factual",
        client=client,
        session_date=timezone.localdate(),
        duration_minutes=50,
        attendance="attended",
        entries=[EntryInput(text=text)],
    )
    return note_services.sign_note(note, by=counsellor)


def release_bundle_for(client: Client, *, asked_by: User, counsellor: User, manager: User) -> Any:
    """The client asks in the portal, the counsellor prepares, a manager releases."""
    sar = subject_access.request_access(client, by=asked_by, channel="portal")
    subject_access.prepare_bundle(sar, by=counsellor)
    sar.refresh_from_db()
    released = subject_access.release_bundle(sar, by=manager)
    return released.request


def release_sealed(
    counsellor: User,
    supervisor: User,
    manager: User,
    client: Client,
    *,
    code: str,
    recipient: str,
    purpose: str,
) -> DisclosureRequest:
    entry = write_signed_note(
        counsellor, client, "Talked about the late-night phone calls"
    ).entries.get()
    sealed = services.raise_request(
        by=counsellor,
        client=client,
        category_code=code,
        requester_kind="practice",
        requester="Practice",
        recipient=recipient,
        purpose=purpose,
        asked_for="Relevant notes",
        received_on=timezone.localdate(),
    )
    services.choose_content(sealed, by=counsellor, entry_ids=[entry.pk])
    services.clear_consent(sealed, by=counsellor, outcome="must_not_seek")
    services.sign_off(sealed, by=supervisor)
    services.approve(sealed, by=manager)
    services.release(sealed, by=manager)
    sealed.refresh_from_db()
    return sealed


@pytest.fixture
def jordan(client_record: Client) -> User:
    """Jordan Fielding's portal account (client_record)."""
    return portal_account(client_record, "sunflower-42")


@pytest.fixture
def morgan(other_client: Client) -> User:
    """Morgan Ashdown's portal account (other_client, a colleague's client)."""
    return portal_account(other_client, "kestrel-77")


@pytest.fixture
def world(
    counsellor: User,
    supervisor: User,
    manager: User,
    colleague: User,
    client_record: Client,
    other_client: Client,
    jordan: User,
    morgan: User,
) -> dict[str, Any]:
    """For each of the two clients: a released bundle, a consent waiting for signature and a
    current consent they can withdraw."""
    write_signed_note(counsellor, client_record)
    write_signed_note(colleague, other_client, "Morgan's own session about the garden")
    objects: dict[str, Any] = {}
    for key, client, user, their_counsellor in [
        ("jordan", client_record, jordan, counsellor),
        ("morgan", other_client, morgan, colleague),
    ]:
        objects[f"{key}_bundle"] = release_bundle_for(
            client, asked_by=user, counsellor=their_counsellor, manager=manager
        )
        objects[f"{key}_prepared"] = consent_services.prepare_consent(
            client,
            by=their_counsellor,
            scope="research",
            capacity_note="Talked it through; understood the choice.",
        )
        objects[f"{key}_consent"] = consent_services.grant(
            client,
            by=their_counsellor,
            scope="supervision",
            evidence="signed_form",
            upload=upload("supervision.pdf"),
        )
    return objects


def portal_urls(objects: dict[str, Any], who: str = "jordan") -> dict[str, str]:
    return {
        "home": url("home"),
        "records": url("records"),
        "record": url("record", objects[f"{who}_bundle"].pk),
        "record_pdf": url("record_pdf", objects[f"{who}_bundle"].pk),
        "consents": url("consents"),
        "consent_sign": url("consent_sign", objects[f"{who}_prepared"].pk),
        "consent_withdraw": url("consent_withdraw", objects[f"{who}_consent"].pk),
        "register": url("register"),
        "requests": url("requests"),
    }


# -- every page, every role ----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_client_reaches_every_page_of_their_own(world: dict[str, Any], jordan: User) -> None:
    browser = verified_client(jordan)
    bundle = world["jordan_bundle"]
    for name, address in portal_urls(world).items():
        response = browser.get(address)
        assert response.status_code == 200, name
    pages = {name: browser.get(address) for name, address in portal_urls(world).items()}
    assert MINE in pages["record"].content.decode()
    assert pages["record_pdf"].content == FAKE_PDF
    assert pages["record_pdf"]["Content-Type"] == "application/pdf"
    assert (
        pages["record_pdf"]["Content-Disposition"]
        == f'attachment; filename="{bundle.reference}.pdf"'
    )
    assert "no-store" in pages["record_pdf"]["Cache-Control"]
    assert bundle.reference in pages["records"].content.decode()
    assert "Research" in pages["consent_sign"].content.decode()
    assert "stop discussing your work with their supervisor" in (
        pages["consent_withdraw"].content.decode()
    )


@pytest.mark.django_db
def test_another_client_gets_404_for_the_first_clients_objects(
    world: dict[str, Any], morgan: User
) -> None:
    browser = verified_client(morgan)
    for name in ["record", "record_pdf", "consent_sign", "consent_withdraw"]:
        address = portal_urls(world)[name]
        assert browser.get(address).status_code == 404, name
        if name.startswith("consent"):
            assert (
                browser.post(address, {"typed_name": "Jordan Fielding", "agreed": "on"}).status_code
                == 404
            )
    # Their own lists work, and show nothing of Jordan's.
    for name in ["home", "records", "consents", "register", "requests"]:
        response = browser.get(url(name))
        assert response.status_code == 200, name
        body = response.content.decode()
        assert world["jordan_bundle"].reference not in body, name
        assert str(world["jordan_prepared"].pk) not in body, name
        assert str(world["jordan_consent"].pk) not in body, name
    assert not ConsentEvent.objects.filter(
        client=world["jordan_consent"].client, action="withdrawn"
    ).exists()
    assert PreparedConsent.objects.get(pk=world["jordan_prepared"].pk).is_waiting


@pytest.mark.django_db
@pytest.mark.parametrize("role", STAFF)
def test_staff_get_404_on_every_portal_page(
    role: str, world: dict[str, Any], request: pytest.FixtureRequest
) -> None:
    user = request.getfixturevalue(role)
    browser = verified_client(user)
    for name, address in portal_urls(world).items():
        response = browser.get(address)
        assert response.status_code == 404, f"{role} reached {name}"
        assert MINE.encode() not in response.content
    assert browser.post(url("requests"), {"details": ""}).status_code == 404
    assert browser.post(portal_urls(world)["consent_withdraw"]).status_code == 404
    assert ConsentEvent.objects.filter(action="withdrawn").count() == 0


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in(world: dict[str, Any]) -> None:
    browser = HttpClient()
    for name, address in portal_urls(world).items():
        response = browser.get(address)
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("accounts:login")), name


@pytest.mark.django_db
def test_a_client_account_without_a_case_gets_404(db: None) -> None:
    lonely = make_user("no-case-here", Role.CLIENT)
    browser = verified_client(lonely)
    for name in ["home", "records", "consents", "register", "requests"]:
        assert browser.get(url(name)).status_code == 404, name


@pytest.mark.django_db
def test_a_closed_account_gets_404(world: dict[str, Any], jordan: User) -> None:
    browser = verified_client(jordan)
    jordan.is_active = False
    jordan.save(update_fields=["is_active"])
    response = browser.get(url("home"))
    assert response.status_code in (302, 404)
    assert MINE.encode() not in browser.get(portal_urls(world)["record"]).content


# -- the pages' content --------------------------------------------------------------------------


@pytest.mark.django_db
def test_home_names_the_counsellor_by_first_name_and_lists_what_is_waiting(
    world: dict[str, Any], jordan: User, counsellor: User
) -> None:
    counsellor.first_name, counsellor.last_name = "Casey", "Surnameonly"
    counsellor.save(update_fields=["first_name", "last_name"])
    subject_access.request_access(world["jordan_bundle"].client, by=jordan, channel="portal")
    sar = SubjectAccessRequest.objects.get(client=world["jordan_bundle"].client, status="open")
    body = verified_client(jordan).get(url("home")).content.decode()
    assert "Your counsellor is Casey." in body
    assert "Surnameonly" not in body
    assert url("consent_sign", world["jordan_prepared"].pk) in body
    assert sar.reference in body and f"{sar.due_on():%-d %B %Y}" in body
    assert url("record", world["jordan_bundle"].pk) in body
    for name in ["records", "consents", "register", "requests"]:
        assert url(name) in body


@pytest.mark.django_db
def test_reading_a_bundle_shows_its_content_accessibly_and_is_audited(
    world: dict[str, Any], jordan: User, client_record: Client
) -> None:
    bundle = world["jordan_bundle"]
    browser = verified_client(jordan)
    body = browser.get(url("record", bundle.pk)).content.decode()
    assert "<h1>Your counselling records</h1>" in body
    assert "<dt" in body and "Where the information came from" in body
    assert f"<p>{MINE}</p>" in body
    assert "What is not included" in body and "Your rights" in body
    assert "Jordan" in body  # their own details are in their own copy
    browser.get(url("record_pdf", bundle.pk))
    for action in ["portal.bundle.viewed", "portal.bundle.downloaded"]:
        event = AuditEvent.objects.get(action=action, actor_id=jordan.pk)
        assert event.target_id == str(bundle.pk)
        assert event.client_ref == client_record.reference
        assert MINE not in repr(event.data) and "Jordan" not in repr(event.data)


@pytest.mark.django_db
def test_register_lists_releases_in_plain_words(world: dict[str, Any], jordan: User) -> None:
    body = verified_client(jordan).get(url("register")).content.decode()
    assert "You asked for a copy of your records." in body
    assert world["jordan_bundle"].released_at.strftime("%-d %B %Y") in body
    assert AuditEvent.objects.filter(action="portal.register.viewed", actor_id=jordan.pk).exists()


# -- couples: each partner sees only their own ----------------------------------------------------


@pytest.mark.django_db
def test_partners_in_a_couple_see_only_their_own(
    counsellor: User, manager: User, client_record: Client, jordan: User
) -> None:
    partner = make_client(counsellor, given_name="Alexis", family_name="Partridge")
    alexis = portal_account(partner, "heron-19")
    case = client_services.create_joint_case(
        by=counsellor, kind=JointCase.Kind.COUPLE, members=[client_record, partner]
    )
    note = note_services.create_note(
        by=counsellor,
        kind="factual",
        joint_case=case,
        session_date=timezone.localdate(),
        duration_minutes=50,
        attendance="attended",
        entries=[
            EntryInput(text=MINE, about=client_record),
            EntryInput(text=PARTNERS, about=partner),
            EntryInput(text=COUPLES, about=None),
        ],
    )
    note_services.sign_note(note, by=counsellor)
    jordan_bundle = release_bundle_for(
        client_record, asked_by=jordan, counsellor=counsellor, manager=manager
    )
    alexis_bundle = release_bundle_for(
        partner, asked_by=alexis, counsellor=counsellor, manager=manager
    )
    consent_services.grant(
        partner,
        by=counsellor,
        scope="disclosure",
        evidence="signed_form",
        upload=upload("release.pdf"),
        recipient="Dr Quillfeather, partner's GP",
        purpose="Partner's continuity of care",
        material="A short summary",
        capacity=consent_services.Capacity(assessed_by=counsellor, outcome="has_capacity"),
    )
    jordan_sar = SubjectAccessRequest.objects.get(client=client_record)
    alexis_sar = SubjectAccessRequest.objects.get(client=partner)

    browser = verified_client(jordan)
    record_body = browser.get(url("record", jordan_bundle.pk)).content.decode()
    assert MINE in record_body
    assert PARTNERS not in record_body and COUPLES not in record_body
    assert "Alexis" not in record_body and "Partridge" not in record_body
    assert browser.get(url("record", alexis_bundle.pk)).status_code == 404
    assert browser.get(url("record_pdf", alexis_bundle.pk)).status_code == 404
    pages = "".join(
        browser.get(url(name)).content.decode()
        for name in ["home", "records", "consents", "register", "requests"]
    )
    assert jordan_bundle.reference in pages and jordan_sar.reference in pages
    assert alexis_bundle.reference not in pages and alexis_sar.reference not in pages
    assert "Quillfeather" not in pages and "Alexis" not in pages

    partner_browser = verified_client(alexis)
    partner_record = partner_browser.get(url("record", alexis_bundle.pk)).content.decode()
    assert PARTNERS in partner_record and MINE not in partner_record
    assert partner_browser.get(url("record", jordan_bundle.pk)).status_code == 404
    partner_consents = partner_browser.get(url("consents")).content.decode()
    assert "Dr Quillfeather, partner&#x27;s GP" in partner_consents


# -- sealed disclosures: never anywhere in the portal ---------------------------------------------


@pytest.mark.django_db
def test_sealed_disclosures_appear_on_no_portal_page(
    counsellor: User,
    supervisor: User,
    manager: User,
    client_record: Client,
    jordan: User,
) -> None:
    write_signed_note(counsellor, client_record)
    terrorism = release_sealed(
        counsellor,
        supervisor,
        manager,
        client_record,
        code="terrorism",
        recipient=SEALED_RECIPIENT,
        purpose=SEALED_PURPOSE,
    )
    laundering = release_sealed(
        counsellor,
        supervisor,
        manager,
        client_record,
        code="money_laundering",
        recipient=LAUNDERING_RECIPIENT,
        purpose=LAUNDERING_PURPOSE,
    )
    bundle = release_bundle_for(
        client_record, asked_by=jordan, counsellor=counsellor, manager=manager
    )
    browser = verified_client(jordan)
    addresses = [
        url("home"),
        url("records"),
        url("record", bundle.pk),
        url("consents"),
        url("register"),
        url("requests"),
    ]
    forbidden = [
        terrorism.reference,
        laundering.reference,
        str(terrorism.pk),
        str(laundering.pk),
        SEALED_RECIPIENT,
        SEALED_PURPOSE,
        LAUNDERING_RECIPIENT,
        LAUNDERING_PURPOSE,
        "terror",
        "laundering",
        "drug trafficking",
        "proceeds of crime",
        "sealed",
    ]
    for address in addresses:
        response = browser.get(address)
        assert response.status_code == 200, address
        body = response.content.decode().lower()
        for text in forbidden:
            assert text.lower() not in body, f"{text!r} on {address}"
    register_body = browser.get(url("register")).content.decode()
    assert "You asked for a copy of your records." in register_body
    # A sealed disclosure's id is not a bundle of theirs either.
    assert browser.get(url("record", terrorism.pk)).status_code == 404
    assert browser.get(url("record_pdf", laundering.pk)).status_code == 404


# -- signing and withdrawing consent --------------------------------------------------------------


@pytest.fixture
def prepared(counsellor: User, client_record: Client, jordan: User) -> PreparedConsent:
    return consent_services.prepare_consent(
        client_record,
        by=counsellor,
        scope="disclosure",
        recipient="Dr Patel, GP",
        purpose="Continuity of care",
        material="A summary of the work",
        capacity_note="Talked it through; understood the choice.",
    )


@pytest.mark.django_db
def test_the_sign_page_shows_what_the_consent_covers(
    prepared: PreparedConsent, jordan: User
) -> None:
    body = verified_client(jordan).get(url("consent_sign", prepared.pk)).content.decode()
    for text in [
        "Dr Patel, GP",
        "Continuity of care",
        "A summary of the work",
        "Type your full name",
    ]:
        assert text in body
    assert 'type="checkbox"' in body


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"typed_name": "Someone Else", "agreed": "on"}, "Type your full name as your counsellor"),
        ({"typed_name": "Jordan Fielding"}, "Tick the box to say you agree."),
        ({"typed_name": "", "agreed": "on"}, "Type your full name to sign."),
    ],
    ids=["wrong-name", "no-tick", "no-name"],
)
def test_signing_is_refused_without_the_right_name_and_the_tick(
    data: dict[str, str], message: str, prepared: PreparedConsent, jordan: User
) -> None:
    response = verified_client(jordan).post(url("consent_sign", prepared.pk), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert "There is a problem" in response.content.decode()
    prepared.refresh_from_db()
    assert prepared.is_waiting
    assert not ConsentEvent.objects.filter(client=prepared.client, evidence="e_signature").exists()


@pytest.mark.django_db
def test_signing_records_an_e_signature_and_withdrawing_takes_effect(
    prepared: PreparedConsent, jordan: User, client_record: Client
) -> None:
    browser = verified_client(jordan)
    response = browser.post(
        url("consent_sign", prepared.pk),
        {"typed_name": "  jordan   FIELDING ", "agreed": "on"},
        REMOTE_ADDR="203.0.113.9",
    )
    assert response.status_code == 302 and response["Location"] == url("consents")
    event = ConsentEvent.objects.get(client=client_record, evidence="e_signature")
    assert event.scope == "disclosure" and event.recipient == "Dr Patel, GP"
    assert event.signature_ip == "203.0.113.9" and event.signed_at is not None
    assert event.is_current()
    prepared.refresh_from_db()
    assert prepared.status == "signed" and prepared.signed_event == event
    # Signed: the sign page is gone.
    assert browser.get(url("consent_sign", prepared.pk)).status_code == 404
    consents = browser.get(url("consents")).content.decode()
    assert "You agreed that we may share with Dr Patel, GP." in consents
    assert url("consent_withdraw", event.pk) in consents

    page = browser.get(url("consent_withdraw", event.pk)).content.decode()
    assert "We will not share anything more with Dr Patel, GP" in page
    assert "Anything already shared cannot be recalled." in page
    response = browser.post(url("consent_withdraw", event.pk))
    assert response.status_code == 302 and response["Location"] == url("consents")
    event.refresh_from_db()
    assert not event.is_current()
    assert event.withdrawal_event() is not None
    assert not consent_services.covers(client_record, "disclosure", recipient="Dr Patel, GP")
    consents = browser.get(url("consents")).content.decode()
    assert "withdrawn on" in consents
    assert url("consent_withdraw", event.pk) not in consents
    # Withdrawn: the withdraw page is gone.
    assert browser.get(url("consent_withdraw", event.pk)).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("scope", "explanation"),
    [
        ("supervision", "Your counsellor will stop discussing your work with their supervisor."),
        (
            "record_keeping",
            "Notes the law and professional rules require us to keep are still kept",
        ),
        ("research", "nothing from your counselling will be used in research"),
    ],
)
def test_the_withdraw_page_explains_what_it_means(
    scope: str, explanation: str, counsellor: User, client_record: Client, jordan: User
) -> None:
    consent = consent_services.grant(
        client_record, by=counsellor, scope=scope, evidence="signed_form", upload=upload()
    )
    body = verified_client(jordan).get(url("consent_withdraw", consent.pk)).content.decode()
    assert explanation in body
    assert "Withdraw my consent" in body


@pytest.mark.django_db
def test_another_clients_prepared_consent_is_404(
    counsellor: User, colleague: User, other_client: Client, morgan: User, jordan: User
) -> None:
    theirs = consent_services.prepare_consent(
        other_client, by=colleague, scope="training", capacity_note="Considered."
    )
    browser = verified_client(jordan)
    assert browser.get(url("consent_sign", theirs.pk)).status_code == 404
    response = browser.post(
        url("consent_sign", theirs.pk), {"typed_name": "Morgan Ashdown", "agreed": "on"}
    )
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.is_waiting


# -- asking for one's records ---------------------------------------------------------------------


@pytest.mark.django_db
def test_asking_for_records_in_the_portal(jordan: User, client_record: Client) -> None:
    browser = verified_client(jordan)
    page = browser.get(url("requests")).content.decode()
    assert "You have not asked for your records." in page
    response = browser.post(url("requests"), {"details": "Mostly the notes from the spring"})
    assert response.status_code == 302 and response["Location"] == url("requests")
    sar = SubjectAccessRequest.objects.get(client=client_record)
    assert sar.channel == "portal" and sar.identity_verified and sar.status == "open"
    assert sar.received_on == timezone.localdate()
    assert sar.details == "Mostly the notes from the spring"
    assert "Mostly the notes" not in response["Location"]
    page = browser.get(url("requests")).content.decode()
    assert sar.reference in page
    assert "Being prepared" in page
    assert f"{sar.due_on():%-d %B %Y}" in page
    assert "We have your request." in page  # the message after asking


@pytest.mark.django_db
def test_a_second_request_while_one_is_open_shows_the_safe_error(
    jordan: User, client_record: Client
) -> None:
    browser = verified_client(jordan)
    browser.post(url("requests"), {"details": ""})
    response = browser.post(url("requests"), {"details": "Again"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "A request for these records is already in progress" in body
    assert "There is a problem" in body
    assert SubjectAccessRequest.objects.filter(client=client_record).count() == 1


@pytest.mark.django_db
def test_extension_and_pause_are_explained(
    jordan: User, client_record: Client, counsellor: User
) -> None:
    sar = subject_access.request_access(client_record, by=jordan, channel="portal")
    subject_access.extend(sar, by=counsellor, months=2, reason="Many years of records to review")
    browser = verified_client(jordan)
    body = browser.get(url("requests")).content.decode()
    assert "We need 2 more months to answer this request." in body
    assert "Many years of records to review" in body
    subject_access.pause(sar, by=counsellor, reason="clarification")
    body = browser.get(url("requests")).content.decode()
    assert "Waiting for your reply" in body
    assert "We need you to tell us more about what you want." in body


@pytest.mark.django_db
def test_too_long_details_are_refused_by_the_form(jordan: User, client_record: Client) -> None:
    response = verified_client(jordan).post(url("requests"), {"details": "x" * 4001})
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert not SubjectAccessRequest.objects.filter(client=client_record).exists()


@pytest.mark.django_db
def test_labels_in_the_bundle_are_shown(
    counsellor: User, manager: User, client_record: Client, jordan: User
) -> None:
    note_services.create_note(
        by=counsellor,
        kind="factual",
        client=client_record,
        session_date=timezone.localdate(),
        duration_minutes=50,
        attendance="attended",
        entries=[EntryInput(text="First line\nSecond line")],
    )
    bundle = release_bundle_for(
        client_record, asked_by=jordan, counsellor=counsellor, manager=manager
    )
    body = verified_client(jordan).get(url("record", bundle.pk)).content.decode()
    assert (
        '<strong class="tag tag--amber">Draft: not yet signed by your counsellor</strong>' in body
    )
    assert "<p>First line<br>Second line</p>" in body


@pytest.mark.django_db
def test_a_prepared_consent_past_its_end_date_is_not_offered(
    prepared: PreparedConsent, jordan: User
) -> None:
    PreparedConsent.objects.filter(pk=prepared.pk).update(
        valid_until=timezone.localdate() - datetime.timedelta(days=1)
    )
    browser = verified_client(jordan)
    assert url("consent_sign", prepared.pk) not in browser.get(url("consents")).content.decode()
    assert url("consent_sign", prepared.pk) not in browser.get(url("home")).content.decode()
    assert browser.get(url("consent_sign", prepared.pk)).status_code == 404


@pytest.mark.django_db
def test_reading_consents_and_requests_is_audited_with_ids_and_counts_only(
    prepared: PreparedConsent, counsellor: User, client_record: Client, jordan: User
) -> None:
    given = consent_services.grant(
        client_record, by=counsellor, scope="training", evidence="signed_form", upload=upload()
    )
    browser = verified_client(jordan)
    for name, args in [
        ("consents", []),
        ("requests", []),
        ("consent_sign", [prepared.pk]),
        ("consent_withdraw", [given.pk]),
    ]:
        assert browser.get(url(name, *args)).status_code == 200
    events = {
        e.action: e
        for e in AuditEvent.objects.filter(actor_id=jordan.pk, action__startswith="portal.")
    }
    assert {
        "portal.consents.viewed",
        "portal.requests.viewed",
        "portal.prepared_consent.viewed",
        "portal.consent.viewed",
    } <= set(events)
    assert events["portal.prepared_consent.viewed"].target_id == str(prepared.pk)
    assert events["portal.consent.viewed"].target_id == str(given.pk)
    for event in events.values():
        assert event.client_ref == client_record.reference
        assert "Dr Patel" not in repr(event.data) and "Jordan" not in repr(event.data)
