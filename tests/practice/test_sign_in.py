"""Two-step sign-in: password, then an authenticator code or a single-use backup code."""

from __future__ import annotations

import time

import pytest
import time_machine
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from practice.accounts.models import BackupCode, Role
from practice.accounts.services import issue_backup_codes
from practice.audit.models import AuditEvent
from tests.conftest import PASSWORD, current_code, make_user

pytestmark = pytest.mark.django_db


def sign_in_password(
    client: Client, username: str, password: str = PASSWORD, next_url: str = ""
) -> object:
    url = "/accounts/login/" + (f"?next={next_url}" if next_url else "")
    return client.post(url, {"username": username, "password": password})


def test_counsellor_signs_in_with_password_and_code_and_lands_on_their_home() -> None:
    user = make_user("casey", Role.COUNSELLOR)
    client = Client()
    response = sign_in_password(client, "casey")
    assert response["Location"] == "/accounts/verify/"
    response = client.post("/accounts/verify/", {"otp_token": current_code(user)})
    assert response["Location"] == "/counsellor/"
    assert client.get("/counsellor/").status_code == 200
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert actions[-2:] == ["auth.login.password_accepted", "auth.login.succeeded"]


@pytest.mark.parametrize(
    ("role", "home"),
    [
        (Role.COUNSELLOR, "/counsellor/"),
        (Role.SUPERVISOR, "/supervisor/"),
        (Role.MANAGER, "/manager/"),
        (Role.ADMINISTRATOR, "/administrator/"),
        (Role.CLIENT, "/portal/"),
    ],
)
def test_each_role_lands_on_its_own_home(role: Role, home: str) -> None:
    user = make_user("person", role)
    if role == Role.CLIENT:
        from clients.models import ClientAccount
        from tests.conftest import make_client

        ClientAccount.objects.create(user=user, client=make_client(None))
    client = Client()
    sign_in_password(client, "person")
    response = client.post("/accounts/verify/", {"otp_token": current_code(user)})
    assert response["Location"] == home
    assert client.get(home).status_code == 200


def test_password_alone_reaches_nothing() -> None:
    make_user("casey", Role.COUNSELLOR)
    client = Client()
    sign_in_password(client, "casey")
    for url in ["/", "/counsellor/", "/accounts/backup-codes/", "/admin/"]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == "/accounts/verify/", url


def test_wrong_password_and_unknown_user_get_the_same_answer() -> None:
    make_user("casey", Role.COUNSELLOR)
    wrong = sign_in_password(Client(), "casey", "not-the-password-at-all")
    unknown = sign_in_password(Client(), "nobody-here", "not-the-password-at-all")
    assert wrong.status_code == unknown.status_code == 200
    strip = lambda body: body.split(b"csrfmiddlewaretoken")[0] + body.split(b"</form>")[-1]  # noqa: E731
    wrong_body = wrong.content.replace(b"casey", b"USER")
    unknown_body = unknown.content.replace(b"nobody-here", b"USER")
    assert strip(wrong_body) == strip(unknown_body)
    assert b"did not match an account" in wrong.content


def test_failed_sign_in_audit_never_stores_what_was_typed_for_unknown_users() -> None:
    sign_in_password(Client(), "my secret password typed in the wrong box", "x" * 12)
    event = AuditEvent.objects.get(action="auth.login.failed")
    assert event.actor_username == ""
    assert "secret" not in str(event.data)


def test_session_key_changes_at_each_step() -> None:
    user = make_user("casey", Role.COUNSELLOR)
    client = Client()
    client.get("/accounts/login/")
    sign_in_password(client, "casey")
    after_password = client.session.session_key
    client.post("/accounts/verify/", {"otp_token": current_code(user)})
    after_code = client.session.session_key
    assert after_password and after_code and after_password != after_code


def test_next_url_is_honoured_but_not_to_another_site() -> None:
    user = make_user("casey", Role.COUNSELLOR)
    client = Client()
    sign_in_password(client, "casey", next_url="/accounts/backup-codes/")
    response = client.post("/accounts/verify/", {"otp_token": current_code(user)})
    assert response["Location"] == "/accounts/backup-codes/"

    other = make_user("cole", Role.COUNSELLOR)
    client = Client()
    sign_in_password(client, "cole", next_url="https://evil.example/")
    response = client.post("/accounts/verify/", {"otp_token": current_code(other)})
    assert response["Location"] == "/counsellor/"


def test_a_code_cannot_be_used_twice() -> None:
    user = make_user("casey", Role.COUNSELLOR)
    code = current_code(user)
    first = Client()
    sign_in_password(first, "casey")
    assert first.post("/accounts/verify/", {"otp_token": code})["Location"] == "/counsellor/"
    second = Client()
    sign_in_password(second, "casey")
    with time_machine.travel(time.time() + 2, tick=False):  # past django-otp's throttle delay
        response = second.post("/accounts/verify/", {"otp_token": code})
    assert response.status_code == 200
    assert b"not accepted" in response.content


def test_backup_code_signs_in_once_only() -> None:
    user = make_user("casey", Role.COUNSELLOR)
    codes = issue_backup_codes(user, by=user)
    client = Client()
    sign_in_password(client, "casey")
    assert (
        client.post("/accounts/verify/", {"otp_token": codes[0].lower()})["Location"]
        == "/counsellor/"
    )
    again = Client()
    sign_in_password(again, "casey")
    response = again.post("/accounts/verify/", {"otp_token": codes[0]})
    assert response.status_code == 200 and b"not accepted" in response.content
    assert BackupCode.objects.filter(device__user=user).count() == len(codes) - 1


def test_backup_codes_are_stored_only_as_keyed_hashes() -> None:
    user = make_user("casey", Role.COUNSELLOR)
    codes = issue_backup_codes(user, by=user)
    stored = set(BackupCode.objects.values_list("code_hash", flat=True))
    for code in codes:
        assert code not in stored and code.replace("-", "") not in stored
    assert all(len(value) == 64 for value in stored)


def test_staff_without_a_device_must_enrol_before_anything_else() -> None:
    user = make_user("newbie", Role.COUNSELLOR, with_device=False)
    client = Client()
    assert sign_in_password(client, "newbie")["Location"] == "/accounts/enrol/"
    assert client.get("/counsellor/")["Location"] == "/accounts/verify/"
    page = client.get("/accounts/enrol/")
    assert page.status_code == 200
    assert b"<svg" in page.content, "the QR code is drawn on the server"
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key)
    totp.time = time.time()
    response = client.post("/accounts/enrol/", {"otp_token": f"{totp.token():06d}"})
    assert response.status_code == 200
    assert b"backup codes" in response.content.lower()
    assert TOTPDevice.objects.get(user=user).confirmed
    assert BackupCode.objects.filter(device__user=user).count() == 10
    assert client.get("/counsellor/").status_code == 200


def test_a_password_alone_cannot_enrol_a_second_device() -> None:
    make_user("casey", Role.COUNSELLOR)
    client = Client()
    sign_in_password(client, "casey")
    response = client.get("/accounts/enrol/")
    assert response["Location"] == "/accounts/verify/"
    assert TOTPDevice.objects.filter(user__username="casey").count() == 1


def test_enrolment_with_a_wrong_code_confirms_nothing() -> None:
    user = make_user("newbie", Role.COUNSELLOR, with_device=False)
    client = Client()
    sign_in_password(client, "newbie")
    client.get("/accounts/enrol/")
    response = client.post("/accounts/enrol/", {"otp_token": "000000"})
    assert response.status_code == 200
    assert b"There is a problem" in response.content
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def test_signed_in_user_can_replace_backup_codes(as_user) -> None:
    user = make_user("casey", Role.COUNSELLOR)
    old = issue_backup_codes(user, by=user)
    client = as_user(user)
    response = client.post("/accounts/backup-codes/")
    assert response.status_code == 200
    new_hashes = set(
        BackupCode.objects.filter(device__user=user).values_list("code_hash", flat=True)
    )
    from practice.accounts.models import hash_backup_code

    assert not {hash_backup_code(code) for code in old} & new_hashes


def test_passwords_are_hashed_with_argon2(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    user = make_user("casey", Role.COUNSELLOR)
    assert user.password.startswith("argon2$argon2id$")


@pytest.mark.parametrize(
    ("password", "accepted"),
    [
        ("short-pw-11", False),
        ("password1234", False),
        ("123456789012345", False),
        ("twelve-chars", True),
        ("a calm sentence that is long enough", True),
        ("x" * 64 + "-Unicode-é-☕", True),
    ],
)
def test_password_policy(password: str, accepted: bool) -> None:
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    try:
        validate_password(password)
    except ValidationError:
        assert not accepted
    else:
        assert accepted
