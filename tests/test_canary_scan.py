"""A raw copy of the database holds no plaintext of any encrypted field, history included.

Unique canary strings go into every encrypted field of every domain model (and through an
edit, so history rows exist); the whole database is then copied the way an attacker or a
backup would (SQLite: the database file; PostgreSQL: pg_dump) and scanned byte by byte.
"""

from __future__ import annotations

import base64
import datetime
import subprocess
import uuid
from pathlib import Path
from typing import Any

from django.apps import apps
from django.db import connection
from django.utils import timezone

from clients.models import AccessGrant, Client, ClientIdentity, JointCase
from notes.models import NoteAmendment, NoteEntry, SessionNote, SupervisionPoint
from practice.accounts.models import Role
from practice.crypto.fields import EncryptedField
from tests.conftest import make_user

DOMAIN_APPS = {"clients", "notes", "consent", "disclosures"}


def encrypted_field_names() -> set[str]:
    found = set()
    for model in apps.get_models():
        if model._meta.app_label in DOMAIN_APPS and not model.__name__.startswith("Historical"):
            for field in model._meta.concrete_fields:
                if isinstance(field, EncryptedField):
                    found.add(f"{model._meta.label}.{field.name}")
    return found


class Canaries:
    """Hands out unique canaries and remembers which field each went into."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}
        self.dates: dict[str, datetime.date] = {}

    def text(self, field: str) -> str:
        value = f"CANARY{uuid.uuid4().hex[:12].upper()}"
        self.values.setdefault(field, value)
        self.values[f"{field}#{len(self.values)}"] = value
        return value

    def date(self, field: str) -> datetime.date:
        value = datetime.date(1900 + len(self.dates) * 3 + 7, 1 + len(self.dates) % 12, 13)
        self.dates[field] = value
        return value

    @property
    def covered(self) -> set[str]:
        return {name.split("#")[0] for name in [*self.values, *self.dates]}


def populate(canary: Canaries) -> dict[str, Any]:
    counsellor = make_user("casey", Role.COUNSELLOR)
    colleague = make_user("cole", Role.COUNSELLOR)
    client = Client.objects.create(counsellor=counsellor, status="active")
    partner = Client.objects.create(counsellor=counsellor, status="active")
    identity = ClientIdentity(client=client)
    for name in [
        "given_name",
        "family_name",
        "preferred_name",
        "pronouns",
        "address",
        "phone",
        "email",
        "gp_details",
        "emergency_contact",
        "parental_contacts",
    ]:
        setattr(identity, name, canary.text(f"clients.ClientIdentity.{name}"))
    identity.date_of_birth = canary.date("clients.ClientIdentity.date_of_birth")
    identity.save()
    # an edit, so the history table holds a second version
    identity.family_name = canary.text("clients.ClientIdentity.family_name")
    identity.save()
    ClientIdentity.objects.create(
        client=partner, given_name=canary.text("partner"), family_name="P"
    )

    note = SessionNote.objects.create(
        client=client, kind="process", session_date=timezone.localdate(), author=counsellor
    )
    entry = NoteEntry.objects.create(
        note=note,
        about=client,
        provenance="third_party",
        third_party_source=canary.text("notes.NoteEntry.third_party_source"),
        text=canary.text("notes.NoteEntry.text"),
    )
    entry.text = canary.text("notes.NoteEntry.text")
    entry.save()
    NoteAmendment.objects.create(
        note=note,
        version=2,
        reason=canary.text("notes.NoteAmendment.reason"),
        amended_by=counsellor,
    )
    joint = JointCase.objects.create(counsellor=counsellor)
    joint.members.set([client, partner])
    joint_note = SessionNote.objects.create(
        joint_case=joint, kind="factual", session_date=timezone.localdate(), author=counsellor
    )
    NoteEntry.objects.create(note=joint_note, text=canary.text("notes.NoteEntry.text (couple)"))
    SupervisionPoint.objects.create(
        client=client,
        risk="self_harm",
        text=canary.text("notes.SupervisionPoint.text"),
        shared_by=counsellor,
    )
    canary.values["notes.SupervisionPoint.risk"] = "self_harm"
    AccessGrant.objects.create(
        kind="break_glass",
        user=colleague,
        client=client,
        reason=canary.text("clients.AccessGrant.reason"),
    )
    from consent.models import ConsentEvent

    ConsentEvent(
        client=client,
        scope="disclosure",
        action="granted",
        recipient=canary.text("consent.ConsentEvent.recipient"),
        purpose=canary.text("consent.ConsentEvent.purpose"),
        material=canary.text("consent.ConsentEvent.material"),
        evidence="signed_form",
        evidence_file=b"%PDF-1.7 " + canary.text("consent.ConsentEvent.evidence_file").encode(),
        evidence_filename=canary.text("consent.ConsentEvent.evidence_filename"),
        evidence_content_type="application/pdf",
        signature_name=canary.text("consent.ConsentEvent.signature_name"),
        signature_ip=canary.text("consent.ConsentEvent.signature_ip"),
        capacity_assessed_by=counsellor,
        capacity="has_capacity",
        capacity_note=canary.text("consent.ConsentEvent.capacity_note"),
        minor_basis="parental",
        parental_consent_by=canary.text("consent.ConsentEvent.parental_consent_by"),
        recorded_by=counsellor,
    ).save()
    from clients.models import LegalHold
    from disclosures.models import (
        DisclosureDocument,
        DisclosureRequest,
        GateDecision,
        RegisterEntry,
        ReleasedDocument,
        ReleaseItem,
    )

    LegalHold.objects.create(
        client=client,
        source="manager",
        reason=canary.text("clients.LegalHold.reason"),
        placed_by=counsellor,
        lifted_at=None,
    )
    hold = LegalHold.objects.create(
        client=client, source="manager", reason="x", placed_by=counsellor
    )
    hold.lifted_at, hold.lifted_by = hold.placed_at, counsellor
    hold.lift_reason = canary.text("clients.LegalHold.lift_reason")
    hold.save()
    req = DisclosureRequest.objects.create(
        client=client,
        category_code="court_order",
        requester_kind="court",
        requester=canary.text("disclosures.DisclosureRequest.requester"),
        recipient=canary.text("disclosures.DisclosureRequest.recipient"),
        purpose=canary.text("disclosures.DisclosureRequest.purpose"),
        asked_for=canary.text("disclosures.DisclosureRequest.asked_for"),
        received_on=timezone.localdate(),
        no_notify_reason=canary.text("disclosures.DisclosureRequest.no_notify_reason"),
        report_text=canary.text("disclosures.DisclosureRequest.report_text"),
        raised_by=counsellor,
    )
    DisclosureDocument.objects.create(
        request=req,
        client=client,
        kind="court_order",
        content=b"%PDF-1.7 " + canary.text("disclosures.DisclosureDocument.content").encode(),
        filename=canary.text("disclosures.DisclosureDocument.filename"),
        content_type="application/pdf",
        uploaded_by=counsellor,
    )
    GateDecision.objects.create(
        request=req,
        client=client,
        gate="consent",
        outcome="not_required",
        reason=canary.text("disclosures.GateDecision.reason"),
        by=counsellor,
    )
    ReleaseItem.objects.create(
        request=req,
        client=client,
        entry=entry,
        third_party_reason=canary.text("disclosures.ReleaseItem.third_party_reason"),
    )
    ReleasedDocument.objects.create(
        request=req,
        client=client,
        pdf=b"%PDF-1.7 " + canary.text("disclosures.ReleasedDocument.pdf").encode(),
        content_json=canary.text("disclosures.ReleasedDocument.content_json"),
        sha256="0" * 64,
        size=10,
    )
    from consent.models import PreparedConsent
    from disclosures.models import SubjectAccessRequest, Withholding

    PreparedConsent.objects.create(
        client=client,
        scope="disclosure",
        recipient=canary.text("consent.PreparedConsent.recipient"),
        purpose=canary.text("consent.PreparedConsent.purpose"),
        material=canary.text("consent.PreparedConsent.material"),
        capacity_note=canary.text("consent.PreparedConsent.capacity_note"),
        prepared_by=counsellor,
    )
    SubjectAccessRequest.objects.create(
        client=client,
        received_on=timezone.localdate(),
        channel="letter",
        details=canary.text("disclosures.SubjectAccessRequest.details"),
        identity_verified=True,
        identity_verified_how=canary.text("disclosures.SubjectAccessRequest.identity_verified_how"),
        extension_months=1,
        extension_reason=canary.text("disclosures.SubjectAccessRequest.extension_reason"),
        close_reason=canary.text("disclosures.SubjectAccessRequest.close_reason"),
        recorded_by=counsellor,
    )
    Withholding.objects.create(
        request=req,
        client=client,
        entry=entry,
        basis=canary.text("disclosures.Withholding.basis"),
        opinion_by=canary.text("disclosures.Withholding.opinion_by"),
        opinion_on=timezone.localdate(),
        recorded_by=counsellor,
    )
    RegisterEntry.objects.create(
        request=req,
        client=client,
        released_at=timezone.now(),
        category_code="court_order",
        basis="legal obligation",
        recipient=canary.text("disclosures.RegisterEntry.recipient"),
        purpose=canary.text("disclosures.RegisterEntry.purpose"),
        correction=canary.text("disclosures.RegisterEntry.correction"),
        sha256="0" * 64,
        recorded_by=counsellor,
    )
    return {"identity": identity, "entry": entry}


def database_copy(tmp_path: Path) -> bytes:
    if connection.vendor == "sqlite":
        target = tmp_path / "copy.sqlite3"
        with connection.cursor() as cursor:
            cursor.execute("VACUUM INTO %s", [str(target)])
        return target.read_bytes()
    settings = connection.settings_dict
    result = subprocess.run(
        [
            "pg_dump",
            "--no-owner",
            "-h",
            settings["HOST"] or "127.0.0.1",
            "-p",
            str(settings["PORT"] or 5432),
            "-U",
            settings["USER"] or "postgres",
            settings["NAME"],
        ],
        capture_output=True,
        check=True,
        timeout=120,
    )
    return result.stdout


def encodings(value: str) -> list[bytes]:
    raw = value.encode()
    return [raw, value.encode("utf-16-le"), base64.b64encode(raw), raw.hex().encode()]


def test_no_plaintext_of_any_encrypted_field_in_a_raw_copy(
    transactional_audit: None, tmp_path: Path
) -> None:
    canary = Canaries()
    objects = populate(canary)
    assert encrypted_field_names() <= canary.covered, (
        f"add canaries for {sorted(encrypted_field_names() - canary.covered)}"
    )
    dump = database_copy(tmp_path)
    assert len(dump) > 10_000
    for field, value in canary.values.items():
        if field == "notes.SupervisionPoint.risk":
            continue  # a short code; checked below as a column value
        for encoded in encodings(value):
            assert encoded not in dump, f"{field} found in the raw copy"
    for field, date in canary.dates.items():
        assert date.isoformat().encode() not in dump, f"{field} found in the raw copy"
    assert b"self_harm" not in dump

    # and everything decrypts back, history included
    identity = ClientIdentity.objects.get(pk=objects["identity"].pk)
    assert identity.family_name == objects["identity"].family_name
    assert identity.date_of_birth == canary.dates["clients.ClientIdentity.date_of_birth"]
    versions = [h.family_name for h in ClientIdentity.history.filter(id=identity.pk)]
    assert len(versions) == 2 and all(v.startswith("CANARY") for v in versions)
    entry_versions = [h.text for h in NoteEntry.history.filter(id=objects["entry"].pk)]
    assert len(entry_versions) == 2 and all(v.startswith("CANARY") for v in entry_versions)
    assert SupervisionPoint.objects.get().risk == "self_harm"
