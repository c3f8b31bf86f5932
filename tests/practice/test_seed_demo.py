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

from practice.accounts.models import User

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
