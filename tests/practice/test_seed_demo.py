"""The demo practice: every role, printed sign-ins that work, idempotent, DEBUG only."""

from __future__ import annotations

import base64
import io
import json
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django_otp.oath import TOTP

from practice.accounts.models import Role, User

pytestmark = pytest.mark.django_db


def seed(settings, *args: str) -> str:
    settings.DEBUG = True
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def test_json_output_lists_every_role_with_working_secrets(settings) -> None:
    data = json.loads(seed(settings, "--json"))
    users = data["users"]
    roles = {role for user in users for role in user["roles"]}
    assert {"counsellor", "supervisor", "manager", "administrator"} <= roles
    assert sum("counsellor" in user["roles"] for user in users) >= 2
    for user in users:
        assert set(user) >= {"username", "password", "roles", "totp_secret", "backup_codes"}
        assert len(user["backup_codes"]) >= 3


def test_printed_credentials_sign_in(settings) -> None:
    data = json.loads(seed(settings, "--json"))
    alex = next(user for user in data["users"] if "counsellor" in user["roles"])
    client = Client()
    client.post("/accounts/login/", {"username": alex["username"], "password": alex["password"]})
    totp = TOTP(base64.b32decode(alex["totp_secret"]))
    totp.time = time.time()
    response = client.post("/accounts/verify/", {"otp_token": f"{totp.token():06d}"})
    assert response["Location"] == "/counsellor/"
    backup = Client()
    backup.post("/accounts/login/", {"username": alex["username"], "password": alex["password"]})
    assert (
        backup.post("/accounts/verify/", {"otp_token": alex["backup_codes"][0]})["Location"]
        == "/counsellor/"
    )


def test_running_twice_changes_nothing_and_prints_the_same(settings) -> None:
    first = seed(settings, "--json")
    count = User.objects.count()
    second = seed(settings, "--json")
    assert first == second
    assert User.objects.count() == count


def test_plain_output_names_each_sign_in(settings) -> None:
    text = seed(settings)
    assert "TOTP secret" in text and "password" in text


def test_refuses_without_debug(settings) -> None:
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DJANGO_DEBUG"):
        call_command("seed_demo", stdout=io.StringIO())


def clients_of(data: dict) -> list[dict]:
    return [user for user in data["users"] if "client" in user["roles"]]


def test_some_demo_clients_have_portal_accounts_with_working_secrets(settings) -> None:
    from clients.models import ClientAccount, JointCase
    from consent.models import PreparedConsent

    data = json.loads(seed(settings, "--json"))
    portal = clients_of(data)
    assert len(portal) >= 2
    names = {entry["reference"]: entry["full_name"] for entry in data["clients"]}
    for entry in portal:
        assert entry["roles"] == ["client"]
        assert entry["username"].startswith("client-")
        assert set(entry) >= {"password", "totp_secret", "backup_codes", "client_reference"}
        for part in names[entry["client_reference"]].lower().replace("-", " ").split():
            assert part not in entry["username"].lower()
        account = ClientAccount.objects.select_related("user").get(
            client__reference=entry["client_reference"]
        )
        assert account.user.username == entry["username"] and account.user.is_active
        assert not account.user.is_staff_member and account.user.first_name == ""
    # Both partners of the demo couple can sign in, each to their own case.
    couple = JointCase.objects.get(kind="couple")
    assert {c.reference for c in couple.members.all()} <= {e["client_reference"] for e in portal}
    # Something is waiting for the first of them to sign.
    assert PreparedConsent.objects.filter(
        client__reference=portal[0]["client_reference"], status="waiting"
    ).exists()

    first = portal[0]
    browser = Client()
    browser.post("/accounts/login/", {"username": first["username"], "password": first["password"]})
    totp = TOTP(base64.b32decode(first["totp_secret"]))
    totp.time = time.time()
    response = browser.post("/accounts/verify/", {"otp_token": f"{totp.token():06d}"})
    assert response["Location"] == "/portal/"


def test_portal_accounts_are_not_made_again(settings) -> None:
    from clients.models import ClientAccount
    from consent.models import PreparedConsent

    first = clients_of(json.loads(seed(settings, "--json")))
    counts = (ClientAccount.objects.count(), PreparedConsent.objects.count())
    second = clients_of(json.loads(seed(settings, "--json")))
    assert first == second
    assert (ClientAccount.objects.count(), PreparedConsent.objects.count()) == counts


def test_demo_totp_prints_a_client_code(settings) -> None:
    data = json.loads(seed(settings, "--json"))
    entry = clients_of(data)[0]
    out = io.StringIO()
    call_command("demo_totp", entry["username"], stdout=out)
    totp = TOTP(base64.b32decode(entry["totp_secret"]))
    now = time.time()
    expected = set()
    for at in (now, now - totp.step):  # the printed code may be from the window just ended
        totp.time = at
        expected.add(f"{totp.token():06d}")
    assert out.getvalue().strip() in expected


def test_demo_totp_refuses_an_account_that_is_not_a_demo_one(settings) -> None:
    from tests.conftest import make_user

    settings.DEBUG = True
    make_user("client-someone", Role.CLIENT)
    with pytest.raises(CommandError, match="not a demo account"):
        call_command("demo_totp", "client-someone", stdout=io.StringIO())


def test_the_second_demo_client_has_records_to_read_and_nobody_is_e_mailed(
    settings, mailoutbox, django_capture_on_commit_callbacks
) -> None:
    from disclosures.models import RegisterEntry, SubjectAccessRequest
    from tests.conftest import verified_client

    # Run the callbacks that a commit would (a release's e-mail to the client is one): the
    # demo must send nothing, or the development mail backend would print into --json.
    with django_capture_on_commit_callbacks(execute=True):
        data = json.loads(seed(settings, "--json"))
    assert mailoutbox == []
    second = clients_of(data)[1]
    sar = SubjectAccessRequest.objects.get(client__reference=second["client_reference"])
    assert sar.status == SubjectAccessRequest.Status.RELEASED
    assert RegisterEntry.objects.filter(request=sar.bundle).exists()
    page = verified_client(User.objects.get(username=second["username"])).get("/portal/records/")
    assert "Your records, sent on" in page.content.decode()

    seed(settings, "--json")  # another run answers no second request
    assert SubjectAccessRequest.objects.filter(client=sar.client).count() == 1
