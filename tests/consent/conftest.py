"""Consent fixtures: consents given through the services, uploads, and form data."""

from __future__ import annotations

import datetime
import importlib
from typing import Any

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from clients import services as client_services
from clients.models import Client, JointCase
from consent import services
from consent.models import ConsentEvent, Scope
from practice.accounts.models import User
from practice.uploads import CheckedUpload
from tests.conftest import make_client, record_contracting

RECIPIENT = "Dr Imogen Threlkeld, Larkspur Surgery"
PURPOSE = "So the GP can review the sleep medication"
MATERIAL = "Dates of sessions attended and the risk summary"

# The smallest PDF a reader opens: enough for the content check (it starts with %PDF-).
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
    b"Signed by the client: a unique marker 7f3a9c21e5\n"
)


_FIRST_DOCUMENTS = importlib.import_module("consent.migrations.0002_first_documents")


def restore_first_documents() -> None:
    """Publish the migration's first agreement and privacy notice again if they are gone: a
    transactional test (the browser tests) empties every table when it ends, and the tests
    after it still expect the documents a new practice starts with."""
    _FIRST_DOCUMENTS.publish(apps, None)


@pytest.fixture(autouse=True)
def _first_documents(db: None) -> None:
    restore_first_documents()


def pdf_upload(name: str = "signed-consent.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def checked_pdf() -> CheckedUpload:
    return CheckedUpload(content=PDF, content_type="application/pdf", filename="signed.pdf")


def capacity(by: User, outcome: str = ConsentEvent.Capacity.HAS_CAPACITY) -> services.Capacity:
    return services.Capacity(assessed_by=by, outcome=outcome, note="Understood and weighed it")


def give(client: Client, by: User, scope: str = Scope.RECORD_KEEPING, **extra: Any) -> ConsentEvent:
    """A consent given on a signed form, through the service."""
    values: dict[str, Any] = {
        "scope": scope,
        "evidence": ConsentEvent.Evidence.SIGNED_FORM,
        "upload": checked_pdf(),
        "capacity": capacity(by),
    }
    if scope == Scope.DISCLOSURE:
        values.update(recipient=RECIPIENT, purpose=PURPOSE, material=MATERIAL)
    values.update(extra)
    return services.grant(client, by=by, **values)


def tomorrow() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=1)


def grant_form_data(**overrides: Any) -> dict[str, Any]:
    """POST data for a signed-form consent (add ``evidence_file``)."""
    data: dict[str, Any] = {
        "evidence": ConsentEvent.Evidence.SIGNED_FORM,
        "capacity": ConsentEvent.Capacity.HAS_CAPACITY,
        "capacity_note": "",
        "valid_until": "",
    }
    data.update(overrides)
    return data


def disclosure_form_data(**overrides: Any) -> dict[str, Any]:
    return grant_form_data(recipient=RECIPIENT, purpose=PURPOSE, material=MATERIAL, **overrides)


def raw_rows(table: str) -> bytes:
    """Every column of every row of ``table`` as the database returns it, as bytes."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
        chunks = []
        for row in cursor.fetchall():
            for value in row:
                if isinstance(value, bytes | memoryview | bytearray):
                    chunks.append(bytes(value))
                else:
                    chunks.append(str(value).encode())
    return b"\x1e".join(chunks)


@pytest.fixture
def uncontracted(counsellor: User) -> Client:
    """A client of ``counsellor`` for whom contracting is not yet recorded."""
    return make_client(counsellor, contracted=False, given_name="Ash", family_name="Newcombe")


@pytest.fixture
def partner(counsellor: User) -> Client:
    return make_client(counsellor, given_name="Alexis", family_name="Partridge")


@pytest.fixture
def couple(counsellor: User, client_record: Client, partner: Client) -> JointCase:
    return client_services.create_joint_case(
        by=counsellor, kind=JointCase.Kind.COUPLE, members=[client_record, partner]
    )


@pytest.fixture
def minor(counsellor: User) -> Client:
    client = client_services.register(
        by=counsellor,
        identity={"given_name": "Sam", "family_name": "Young"},
        counsellor=counsellor,
        is_minor=True,
    )
    record_contracting(client, by=counsellor)
    return client
