"""The Django admin: verified administrators only, staff accounts only, no clinical models."""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from practice.accounts.models import Role, User
from practice.admin import site
from practice.audit.models import AuditEvent
from tests.conftest import make_user, verified_client

pytestmark = pytest.mark.django_db


def test_verified_administrator_manages_staff_accounts() -> None:
    admin = make_user("ada", Role.ADMINISTRATOR)
    make_user("casey", Role.COUNSELLOR)
    client = verified_client(admin)
    response = client.get("/admin/accounts/user/")
    assert response.status_code == 200
    assert b"casey" in response.content


@pytest.mark.parametrize("role", [Role.COUNSELLOR, Role.SUPERVISOR, Role.MANAGER, Role.CLIENT])
def test_other_roles_get_404(role: Role) -> None:
    client = verified_client(make_user("person", role))
    for url in ["/admin/", "/admin/accounts/user/", "/admin/login/"]:
        assert client.get(url).status_code == 404, url


def test_administrator_without_second_factor_is_sent_to_verify() -> None:
    admin = make_user("ada", Role.ADMINISTRATOR)
    client = Client()
    client.force_login(admin)
    assert client.get("/admin/")["Location"] == "/accounts/verify/"


def test_only_staff_accounts_are_registered() -> None:
    labels = {model._meta.label for model in site._registry}
    assert labels == {"accounts.User"}


def test_client_portal_accounts_are_not_listed() -> None:
    admin = make_user("ada", Role.ADMINISTRATOR)
    make_user("c-portal-account", Role.CLIENT)
    response = verified_client(admin).get("/admin/accounts/user/")
    assert b"c-portal-account" not in response.content


def test_administrator_resets_a_lost_second_factor() -> None:
    admin = make_user("ada", Role.ADMINISTRATOR)
    casey = make_user("casey", Role.COUNSELLOR)
    client = verified_client(admin)
    response = client.post(
        "/admin/accounts/user/",
        {"action": "reset_second_factor", "_selected_action": [casey.pk]},
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=casey).exists()
    assert AuditEvent.objects.filter(action="auth.otp.reset", target_id=str(casey.pk)).exists()


def test_accounts_cannot_be_deleted_only_deactivated() -> None:
    admin = make_user("ada", Role.ADMINISTRATOR)
    casey = make_user("casey", Role.COUNSELLOR)
    response = verified_client(admin).get(f"/admin/accounts/user/{casey.pk}/delete/")
    assert response.status_code == 403
    assert User.objects.filter(pk=casey.pk).exists()


def test_create_staff_command_makes_the_first_administrator(monkeypatch) -> None:
    import io

    from django.core.management import call_command

    monkeypatch.setenv("PRACTICE_NEW_PASSWORD", "a-sound-Passphrase-2026")
    call_command("create_staff", "first.admin", "--role", "administrator", stdout=io.StringIO())
    user = User.objects.get(username="first.admin")
    assert user.is_administrator and not user.is_counsellor
    assert user.check_password("a-sound-Passphrase-2026")
    assert AuditEvent.objects.filter(action="accounts.staff.created").exists()


def test_create_staff_refuses_a_weak_password(monkeypatch) -> None:
    import io

    from django.core.management import call_command
    from django.core.management.base import CommandError

    monkeypatch.setenv("PRACTICE_NEW_PASSWORD", "password")
    with pytest.raises(CommandError):
        call_command("create_staff", "weak", "--role", "counsellor", stdout=io.StringIO())
    assert not User.objects.filter(username="weak").exists()
