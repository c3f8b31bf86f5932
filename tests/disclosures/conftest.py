from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from consent import services as consent_services
from consent.services import Capacity
from disclosures import services
from notes import services as note_services
from notes.services import EntryInput
from practice.uploads import CheckedUpload

PDF = b"%PDF-1.7\n% a court order\n"


def upload(name: str = "order.pdf") -> CheckedUpload:
    return CheckedUpload(content=PDF, content_type="application/pdf", filename=name)


@pytest.fixture
def signed_note(counsellor: Any, client_record: Any) -> Any:
    note = note_services.create_note(
        by=counsellor,
        kind="factual",
        client=client_record,
        session_date=timezone.localdate(),
        duration_minutes=50,
        attendance="attended",
        entries=[
            EntryInput(text="Spoke about the accident and how it affected sleep."),
            EntryInput(text="Talked about their manager at work."),
            EntryInput(
                text="Sister says they drink too much.",
                provenance="third_party",
                third_party_source="Sister",
            ),
        ],
    )
    note_services.sign_note(note, by=counsellor)
    return note


@pytest.fixture
def entries(signed_note: Any) -> list[Any]:
    return list(signed_note.entries.order_by("position"))


def raise_court_order(counsellor: Any, client: Any, **overrides: Any) -> Any:
    values = dict(
        by=counsellor,
        client=client,
        category_code="court_order",
        requester_kind="court",
        requester="County Court at Exampleton",
        recipient="County Court at Exampleton",
        purpose="Family proceedings",
        asked_for="All records",
        received_on=timezone.localdate(),
        documents=[("court_order", upload())],
    )
    values.update(overrides)
    return services.raise_request(**values)


def disclosure_consent(
    counsellor: Any,
    client: Any,
    recipient: str = "Dr Patel, GP",
    purpose: str = "Continuity of care",
) -> Any:
    return consent_services.grant(
        client,
        by=counsellor,
        scope="disclosure",
        evidence="signed_form",
        upload=upload("release.pdf"),
        recipient=recipient,
        purpose=purpose,
        material="A summary report",
        capacity=Capacity(assessed_by=counsellor, outcome="has_capacity"),
    )


def approved_court_order(
    counsellor: Any, supervisor: Any, manager: Any, client: Any, entries: list[Any]
) -> Any:
    req = raise_court_order(counsellor, client)
    services.choose_content(req, by=counsellor, entry_ids=[entries[0].pk])
    services.clear_consent(req, by=counsellor, outcome="not_required", reason="Court order served")
    services.sign_off(req, by=supervisor)
    services.approve(req, by=manager)
    req.refresh_from_db()
    return req
