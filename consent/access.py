"""Who may see and record a client's consent and contracting.

Consent content (recipients, purposes, evidence) is clinical data: the same people who read
a client's notes may read it; only the allocated counsellor records it.
"""

from __future__ import annotations

from django.http import Http404

from clients.access import Purpose, can, client_for
from clients.models import Client
from consent.models import ConsentEvent
from practice.accounts.models import User


def client_for_reading(user: User, reference: str) -> Client:
    return client_for(user, reference, Purpose.NOTES_READ)


def client_for_recording(user: User, reference: str) -> Client:
    return client_for(user, reference, Purpose.NOTES_WRITE)


def consent_for(user: User, consent_id: object, *, write: bool = False) -> ConsentEvent:
    event = ConsentEvent.objects.select_related("client").filter(pk=consent_id).first()
    purpose = Purpose.NOTES_WRITE if write else Purpose.NOTES_READ
    if event is None or not can(user, event.client, purpose):
        raise Http404
    return event
