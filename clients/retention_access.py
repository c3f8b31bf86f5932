"""Who reaches the retention, legal-hold and erasure pages, and the objects on them. Views get
them only through here; anything out of scope is a 404, like a missing page.

Service managers run retention: the due lists, batch approval, the destruction register,
legal holds (placing and lifting) and deciding erasure requests. The client's counsellor may
also record an erasure request for their own client.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from clients import access
from clients.access import Purpose
from clients.models import Client, DestructionRecord, ErasureRequest, LegalHold
from clients.services import may_record_erasure
from practice.accounts.models import Role, User, has_accepted_current_policy


def is_manager(user: User) -> bool:
    """A service manager who may reach client records now (signed in, active, current
    confidentiality policy accepted)."""
    return bool(
        user.is_authenticated
        and user.is_active
        and not user.is_client_account
        and user.has_role(Role.MANAGER)
        and has_accepted_current_policy(user)
    )


def require_manager(user: User) -> None:
    if not is_manager(user):
        raise Http404


def client_for_hold(user: User, reference: str) -> Client:
    """A client a service manager may place a legal hold on (any client); 404 otherwise."""
    require_manager(user)
    return access.client_for(user, reference, Purpose.ALLOCATE)


def holds_visible_to(user: User) -> QuerySet[LegalHold]:
    if not is_manager(user):
        return LegalHold.objects.none()
    return LegalHold.objects.select_related("client", "placed_by", "lifted_by")


def hold_for(user: User, hold_id: Any) -> LegalHold:
    hold = holds_visible_to(user).filter(pk=hold_id).first()
    if hold is None:
        raise Http404
    return hold


def destruction_register(user: User) -> QuerySet[DestructionRecord]:
    require_manager(user)
    return DestructionRecord.objects.select_related("batch", "erasure", "approved_by", "part_of")


def erasure_requests_for(user: User) -> QuerySet[ErasureRequest]:
    if not is_manager(user):
        return ErasureRequest.objects.none()
    return ErasureRequest.objects.select_related("client", "recorded_by", "decided_by")


def erasure_for(user: User, erasure_id: Any) -> ErasureRequest:
    erasure = erasure_requests_for(user).filter(pk=erasure_id).first()
    if erasure is None:
        raise Http404
    return erasure


def client_for_erasure(user: User, reference: str) -> Client:
    """A client whose erasure request ``user`` may record: their counsellor, or a manager."""
    client = access.client_for(user, reference, Purpose.OVERVIEW)
    if not may_record_erasure(user, client):
        raise Http404
    return client
