"""Shared personas and helpers.

Personas: the allocated counsellor, a colleague (another counsellor), a supervisor, a service
manager, an administrator, a client with a portal account, and an outsider (signed in, no role).
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from practice.accounts.models import PolicyAcceptance, Role, StaffPolicy, User

PASSWORD = "a-long-test-Passphrase-42"


@pytest.fixture(autouse=True)
def _fast_tests(settings: Any) -> None:
    # Argon2 is deliberately slow; tests that check the hasher ask for it explicitly.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
    ]


def make_user(
    username: str,
    *roles: Role,
    with_device: bool = True,
    accept_policy: bool = True,
    **extra: Any,
) -> User:
    user = User(username=username, first_name=username.capitalize(), last_name="Test", **extra)
    user.set_roles(roles)
    user.set_password(PASSWORD)
    user.save()
    if with_device:
        TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    current = StaffPolicy.current()
    if accept_policy and current is not None and user.is_staff_member:
        PolicyAcceptance.objects.create(user=user, policy=current)
    return user


def current_code(user: User, *, at: float | None = None) -> str:
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = at if at is not None else time.time()
    return f"{totp.token():06d}"


def verified_client(user: User) -> Client:
    """A test client signed in as ``user`` who has passed the second factor."""
    client = Client()
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def supervisor(db: None) -> User:
    return make_user("suki", Role.SUPERVISOR)


@pytest.fixture
def counsellor(db: None, supervisor: User) -> User:
    """The allocated counsellor: client_record is theirs; ``supervisor`` supervises them."""
    return make_user("casey", Role.COUNSELLOR, supervisor=supervisor)


@pytest.fixture
def colleague(db: None) -> User:
    return make_user("cole", Role.COUNSELLOR)


@pytest.fixture
def manager(db: None) -> User:
    return make_user("max", Role.MANAGER)


@pytest.fixture
def administrator(db: None) -> User:
    return make_user("ada", Role.ADMINISTRATOR)


@pytest.fixture
def client_user(db: None) -> User:
    return make_user("c-test-portal", Role.CLIENT)


@pytest.fixture
def outsider(db: None) -> User:
    return make_user("otto")


_TRIGGERS = importlib.import_module("practice.audit.migrations.0002_append_only_triggers")


@pytest.fixture(autouse=True)
def _audit_guard(request: pytest.FixtureRequest) -> None:
    """Put the audit table's append-only guard back before each database test, in case a
    transactional test lifted it to let the test database be flushed afterwards."""
    uses_db = request.node.get_closest_marker("django_db") or {
        "db",
        "transactional_db",
        "live_server",
    } & set(request.fixturenames)
    if not uses_db:
        return
    from django.db import connection

    blocker = request.getfixturevalue("django_db_blocker")
    with blocker.unblock(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET practice.audit_truncate = 'off'")
        elif connection.vendor == "sqlite":
            for statement in _TRIGGERS.SQLITE_FORWARD:
                cursor.execute(statement.replace("CREATE TRIGGER", "CREATE TRIGGER IF NOT EXISTS"))


@pytest.fixture
def transactional_audit(transactional_db: None) -> Any:
    """For tests with real transactions: lets the test database be flushed afterwards (which
    the audit table's append-only guard otherwise refuses). ``_audit_guard`` restores it."""
    yield
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET practice.audit_truncate = 'on'")
        elif connection.vendor == "sqlite":
            for statement in _TRIGGERS.SQLITE_REVERSE:
                cursor.execute(statement)


def make_client(counsellor: User | None, *, contracted: bool = True, **identity: Any) -> Any:
    """A registered client; with a counsellor, contracting is recorded too (as it must be
    before the first factual note), unless ``contracted=False``."""
    from clients import services as client_services

    values = {"given_name": "Robin", "family_name": "Example", **identity}
    by = counsellor or make_user(f"mgr-{User.objects.count()}", Role.MANAGER)
    client = client_services.register(by=by, identity=values, counsellor=counsellor)
    if counsellor is not None and contracted:
        record_contracting(client, by=counsellor)
    return client


def published_document(kind: str) -> Any:
    """The current published document of ``kind``. A migration publishes the first ones, but a
    transactional test's flush removes them for the transactional tests that follow."""
    from django.utils import timezone

    from consent.models import DocumentVersion

    return DocumentVersion.current(kind) or DocumentVersion.objects.create(
        kind=kind, version="test", title=kind, text="Test wording.", published_at=timezone.now()
    )


def record_contracting(client: Any, *, by: User) -> Any:
    from consent import services as consent_services
    from consent.models import DocumentVersion

    return consent_services.record_contracting(
        client,
        by=by,
        contracted_on=client.opened_on,
        agreement=published_document(DocumentVersion.Kind.AGREEMENT),
        privacy_notice=published_document(DocumentVersion.Kind.PRIVACY_NOTICE),
        delivered="paper",
        explained=dict.fromkeys(
            ["explained_limits", "explained_supervision", "explained_storage", "explained_access"],
            True,
        ),
    )


@pytest.fixture
def client_record(counsellor: User) -> Any:
    """A client allocated to ``counsellor``."""
    return make_client(counsellor, given_name="Jordan", family_name="Fielding")


@pytest.fixture
def other_client(colleague: User) -> Any:
    """A client allocated to ``colleague``, not to ``counsellor``."""
    return make_client(colleague, given_name="Morgan", family_name="Ashdown")


@pytest.fixture
def as_user() -> Callable[[User], Client]:
    return verified_client
