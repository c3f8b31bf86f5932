"""Note fixtures: notes written through the services, joint cases, and form data."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

import pytest
from django.utils import timezone

from clients import services as client_services
from clients.models import Client, JointCase
from notes import services
from notes.models import NoteEntry, SessionNote
from practice.accounts.models import User
from tests.conftest import make_client

SECRET = "Spoke about the argument with her sister at the allotment"
SECRET_2 = "Later said the panic attacks started after the house move"


def yesterday() -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=1)


def write_note(
    by: User,
    *,
    client: Client | None = None,
    joint_case: JointCase | None = None,
    kind: str = SessionNote.Kind.FACTUAL,
    texts: Sequence[str] = (SECRET,),
    entries: Sequence[services.EntryInput] | None = None,
    sign: bool = False,
    session_date: datetime.date | None = None,
) -> SessionNote:
    note = services.create_note(
        by=by,
        kind=kind,
        client=client,
        joint_case=joint_case,
        session_date=session_date or yesterday(),
        duration_minutes=50,
        attendance=SessionNote.Attendance.ATTENDED,
        entries=entries or [services.EntryInput(text=t) for t in texts],
    )
    if sign:
        note = services.sign_note(note, by=by)
    return note


@pytest.fixture
def draft(counsellor: User, client_record: Client) -> SessionNote:
    return write_note(counsellor, client=client_record)


@pytest.fixture
def signed(counsellor: User, client_record: Client) -> SessionNote:
    return write_note(counsellor, client=client_record, sign=True)


@pytest.fixture
def partner(counsellor: User) -> Client:
    return make_client(counsellor, given_name="Alexis", family_name="Partridge")


@pytest.fixture
def joint_case(counsellor: User, client_record: Client, partner: Client) -> JointCase:
    return client_services.create_joint_case(
        by=counsellor, kind=JointCase.Kind.COUPLE, members=[client_record, partner]
    )


def note_form_data(
    entries: Sequence[dict[str, Any]] = ({"text": SECRET},),
    *,
    session_date: datetime.date | str | None = None,
    duration: int | str = 50,
    attendance: str = SessionNote.Attendance.ATTENDED,
    initial: int = 0,
    rows: int | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """POST data for the note form: session fields plus the entries formset.

    ``entries`` fill the first rows; the remaining rows are left as an untouched browser
    would send them (the default provenance, nothing else).
    """
    date = session_date if session_date is not None else yesterday()
    total = rows if rows is not None else max(len(entries), initial + 1, 3)
    data: dict[str, Any] = {
        "session_date": date.isoformat() if isinstance(date, datetime.date) else date,
        "duration_minutes": str(duration),
        "attendance": attendance,
        "entries-TOTAL_FORMS": str(total),
        "entries-INITIAL_FORMS": str(initial),
        "entries-MIN_NUM_FORMS": "0",
        "entries-MAX_NUM_FORMS": "50",
        **extra,
    }
    for index in range(total):
        row = entries[index] if index < len(entries) else {}
        data[f"entries-{index}-provenance"] = row.get("provenance", NoteEntry.Provenance.COUNSELLOR)
        for key in ("entry_id", "about", "third_party_source", "text"):
            if key in row:
                data[f"entries-{index}-{key}"] = row[key]
        if row.get("DELETE"):
            data[f"entries-{index}-DELETE"] = "on"
    return data


def existing_rows(note: SessionNote) -> list[dict[str, Any]]:
    """The rows an edit or amend form would post back unchanged."""
    return [
        {
            "entry_id": str(entry.pk),
            "provenance": entry.provenance,
            "third_party_source": entry.third_party_source,
            "text": entry.text,
            **(
                {"about": entry.about.reference if entry.about else ""}
                if note.joint_case_id
                else {}
            ),
        }
        for entry in note.entries.all()
    ]
